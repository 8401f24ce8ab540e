/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The file-handle table: the fh of OPEN/CREATE/OPENDIR replies is an id into it
 * (idmap.h), so READ, WRITE, READDIR, RELEASE... with a forged, stale or
 * released fh get -EBADF. A file handle cannot be used as a directory handle
 * or the other way round.
 */
#include "fs/fs.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

static void fs_file_free(struct fs_file *f)
{
	if (!f)
		return;
	if (f->fd >= 0)
		close(f->fd);
	pthread_mutex_destroy(&f->dir_lock);
	free(f);
}

int fs_files_init(struct fs_files *t)
{
	*t = (struct fs_files){ .ids = IDMAP_INIT };
	return -pthread_mutex_init(&t->lock, NULL);
}

void fs_files_fini(struct fs_files *t)
{
	for (uint32_t k = 0; k < t->ids.len; k++)
		fs_file_free(idmap_slot_ptr(&t->ids, k));
	idmap_release(&t->ids);
	pthread_mutex_destroy(&t->lock);
}

int fs_file_add(struct fs_files *t, int fd, bool dir, uint64_t *fh)
{
	struct fs_file *f = calloc(1, sizeof(*f));
	int r;

	if (!f) {
		close(fd);
		return -ENOMEM;
	}
	r = -pthread_mutex_init(&f->dir_lock, NULL);
	if (r < 0) {
		free(f);
		close(fd);
		return r;
	}
	f->fd = fd;
	f->dir = dir;
	f->overlay_dir = -1;
	pthread_mutex_lock(&t->lock);
	r = idmap_add(&t->ids, f, fh);
	f->fh = *fh;
	pthread_mutex_unlock(&t->lock);
	if (r < 0)
		fs_file_free(f);
	return r;
}

int fs_file_add_dir(struct fs_files *t, int fd, bool root, int overlay_dir, uint64_t *fh)
{
	struct fs_file *f;
	int r = fs_file_add(t, fd, true, fh);

	if (r < 0)
		return r;
	/* Set before any other request can know fh. */
	pthread_mutex_lock(&t->lock);
	f = idmap_find(&t->ids, *fh);
	f->root = root;
	f->overlay_dir = overlay_dir;
	pthread_mutex_unlock(&t->lock);
	return 0;
}

int fs_file_get(struct fs_files *t, uint64_t fh, enum fs_kind kind, struct fs_file **out)
{
	struct fs_file *f;

	pthread_mutex_lock(&t->lock);
	f = idmap_find(&t->ids, fh);
	if (f && kind != FS_ANY && f->dir != (kind == FS_DIR))
		f = NULL;
	if (f)
		f->refs++;
	pthread_mutex_unlock(&t->lock);
	*out = f;
	return f ? 0 : -EBADF;
}

/* With the table's lock held: f if it is released and unused (the caller frees
 * it), else NULL. */
static struct fs_file *fs_file_reap_locked(struct fs_file *f)
{
	if (!f->released || f->refs)
		return NULL;
	return f;
}

void fs_file_put(struct fs_files *t, struct fs_file *f)
{
	if (!f)
		return;
	pthread_mutex_lock(&t->lock);
	f->refs--;
	f = fs_file_reap_locked(f);
	pthread_mutex_unlock(&t->lock);
	fs_file_free(f);
}

int fs_file_release(struct fs_files *t, uint64_t fh, bool dir)
{
	struct fs_file *f;

	pthread_mutex_lock(&t->lock);
	f = idmap_find(&t->ids, fh);
	if (f && f->dir == dir) {
		/* Out of the map now: no new request can find it; in-flight ones
		 * finish with the fd and the last fs_file_put closes it. */
		idmap_remove(&t->ids, fh);
		f->released = true;
		f = fs_file_reap_locked(f);
		pthread_mutex_unlock(&t->lock);
		fs_file_free(f);
		return 0;
	}
	pthread_mutex_unlock(&t->lock);
	return -EBADF;
}

void fs_files_reset(struct fs_files *t)
{
	pthread_mutex_lock(&t->lock);
	for (uint32_t k = 0; k < t->ids.len; k++) {
		struct fs_file *f = idmap_slot_ptr(&t->ids, k);

		if (!f)
			continue;
		idmap_remove(&t->ids, f->fh);
		f->released = true;
		fs_file_free(fs_file_reap_locked(f));
	}
	pthread_mutex_unlock(&t->lock);
}
