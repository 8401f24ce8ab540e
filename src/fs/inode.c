/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The inode table: one O_PATH fd per host inode the guest knows, keyed by
 * (st_dev, st_ino) so that hard links and repeated lookups share one node id,
 * with the guest's lookup count (Documentation/filesystems/fuse.rst: every
 * reply carrying a fuse_entry_out adds one; FORGET/BATCH_FORGET remove them).
 * Holding the fd pins the host inode, so its (dev, ino) cannot be reused while
 * it is in the table. A stub (realfs.c) holds no fd: only GETATTR may use it.
 */
#include "fs/fs.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#define FS_HASH_MIN 1024

static size_t fs_hash(dev_t dev, ino_t ino, size_t n)
{
	uint64_t h = (uint64_t)ino * 0x9e3779b97f4a7c15ull ^ (uint64_t)dev * 0xc2b2ae3d27d4eb4full;

	return (size_t)(h ^ (h >> 29)) & (n - 1);
}

static void fs_hash_insert(struct fs_inode **b, size_t n, struct fs_inode *i)
{
	size_t k = fs_hash(i->dev, i->ino, n);

	i->hnext = b[k];
	b[k] = i;
}

/* Doubles the buckets once they hold twice as many inodes; on ENOMEM the chains
 * just grow longer. */
static void fs_hash_grow(struct fs_inodes *t)
{
	size_t n = t->nbuckets * 2;
	struct fs_inode **b;

	if (t->ids.count <= t->nbuckets * 2)
		return;
	b = calloc(n, sizeof(*b));
	if (!b)
		return;
	for (size_t k = 0; k < t->nbuckets; k++) {
		struct fs_inode *i = t->buckets[k], *next;

		for (; i; i = next) {
			next = i->hnext;
			fs_hash_insert(b, n, i);
		}
	}
	free(t->buckets);
	t->buckets = b;
	t->nbuckets = n;
}

static struct fs_inode *fs_hash_find(const struct fs_inodes *t, dev_t dev, ino_t ino)
{
	struct fs_inode *i = t->buckets[fs_hash(dev, ino, t->nbuckets)];

	while (i && (i->dev != dev || i->ino != ino))
		i = i->hnext;
	return i;
}

/* Takes i out of the hash and the id map; the caller closes and frees it. */
static void fs_inode_unlink_locked(struct fs_inodes *t, struct fs_inode *i)
{
	struct fs_inode **p = &t->buckets[fs_hash(i->dev, i->ino, t->nbuckets)];

	while (*p != i)
		p = &(*p)->hnext;
	*p = i->hnext;
	idmap_remove(&t->ids, i->nodeid);
}

static bool fs_inode_dead(const struct fs_inode *i)
{
	return i->nlookup == 0 && i->refs == 0 && i->nodeid != FUSE_ROOT_ID;
}

static void fs_inode_free(struct fs_inode *i)
{
	if (!i)
		return;
	if (i->fd >= 0)
		close(i->fd);
	free(i);
}

int fs_inodes_init(struct fs_inodes *t, int root_fd, const struct stat *st)
{
	struct fs_inode *root = calloc(1, sizeof(*root));
	uint64_t id;
	int r;

	*t = (struct fs_inodes){ .ids = IDMAP_INIT, .nbuckets = FS_HASH_MIN };
	t->buckets = calloc(t->nbuckets, sizeof(*t->buckets));
	if (!t->buckets || !root) {
		r = -ENOMEM;
		goto out_free;
	}
	r = idmap_add(&t->ids, root, &id);
	if (r < 0)
		goto out_free;
	/* The first id of a fresh map is 1: FUSE_ROOT_ID, pinned for good. */
	*root = (struct fs_inode){ .fd = root_fd, .dev = st->st_dev, .ino = st->st_ino,
				   .type = st->st_mode & S_IFMT, .nodeid = id, .nlookup = 1 };
	fs_hash_insert(t->buckets, t->nbuckets, root);
	r = pthread_mutex_init(&t->lock, NULL);
	if (r) {
		r = -r;
		goto out_ids;
	}
	return 0;

out_ids:
	idmap_release(&t->ids);
out_free:
	free(root);
	free(t->buckets);
	t->buckets = NULL;
	return r;
}

void fs_inodes_fini(struct fs_inodes *t)
{
	for (uint32_t k = 0; k < t->ids.len; k++)
		fs_inode_free(idmap_slot_ptr(&t->ids, k));
	idmap_release(&t->ids);
	free(t->buckets);
	t->buckets = NULL;
	pthread_mutex_destroy(&t->lock);
}

static int fs_inode_find(struct fs_inodes *t, uint64_t nodeid, bool stub_ok,
			 struct fs_inode **out)
{
	struct fs_inode *i;
	int r = 0;

	pthread_mutex_lock(&t->lock);
	i = idmap_find(&t->ids, nodeid);
	/* An inode the guest has forgotten is not its to use, even while in flight. */
	if (!i || i->nlookup == 0) {
		i = NULL;
		r = -ESTALE;
	} else if (i->fd < 0 && !stub_ok) {
		i = NULL;
		r = -EACCES;
	} else {
		i->refs++;
	}
	pthread_mutex_unlock(&t->lock);
	*out = i;
	return r;
}

int fs_inode_get(struct fs_inodes *t, uint64_t nodeid, struct fs_inode **out)
{
	return fs_inode_find(t, nodeid, false, out);
}

int fs_inode_get_any(struct fs_inodes *t, uint64_t nodeid, struct fs_inode **out)
{
	return fs_inode_find(t, nodeid, true, out);
}

void fs_inode_put(struct fs_inodes *t, struct fs_inode *i)
{
	if (!i)
		return;
	pthread_mutex_lock(&t->lock);
	i->refs--;
	if (fs_inode_dead(i))
		fs_inode_unlink_locked(t, i);
	else
		i = NULL;
	pthread_mutex_unlock(&t->lock);
	fs_inode_free(i);
}

int fs_inode_add(struct fs_inodes *t, int fd, const struct stat *st, uint64_t *nodeid)
{
	struct fs_inode *i, *fresh = malloc(sizeof(*fresh));
	int r = 0;

	pthread_mutex_lock(&t->lock);
	i = fs_hash_find(t, st->st_dev, st->st_ino);
	if (i) {
		i->nlookup++;
		*nodeid = i->nodeid;
		goto out_unlock; /* fd and fresh are not needed */
	}
	if (!fresh) {
		r = -ENOMEM;
		goto out_unlock;
	}
	r = idmap_add(&t->ids, fresh, nodeid);
	if (r < 0)
		goto out_unlock;
	*fresh = (struct fs_inode){ .fd = fd, .dev = st->st_dev, .ino = st->st_ino,
				    .type = st->st_mode & S_IFMT, .nodeid = *nodeid,
				    .nlookup = 1 };
	fs_hash_insert(t->buckets, t->nbuckets, fresh);
	fs_hash_grow(t);
	fresh = NULL;
	fd = -1;
out_unlock:
	pthread_mutex_unlock(&t->lock);
	free(fresh);
	if (fd >= 0)
		close(fd);
	return r;
}

static bool fs_ts_eq(struct timespec a, struct timespec b)
{
	return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
}

bool fs_inode_reopened_unchanged(struct fs_inodes *t, struct fs_inode *i, const struct stat *st)
{
	struct fs_data_ver v = { .mtime = st->st_mtim, .ctime = st->st_ctim, .size = st->st_size };
	bool same;

	pthread_mutex_lock(&t->lock);
	same = i->opened_known && fs_ts_eq(i->opened.mtime, v.mtime) &&
	       fs_ts_eq(i->opened.ctime, v.ctime) && i->opened.size == v.size;
	i->opened = v;
	i->opened_known = true;
	pthread_mutex_unlock(&t->lock);
	return same;
}

void fs_inode_forget(struct fs_inodes *t, uint64_t nodeid, uint64_t n)
{
	struct fs_inode *i;

	pthread_mutex_lock(&t->lock);
	i = idmap_find(&t->ids, nodeid);
	if (i && i->nodeid != FUSE_ROOT_ID) {
		i->nlookup = n > i->nlookup ? 0 : i->nlookup - n;
		if (fs_inode_dead(i))
			fs_inode_unlink_locked(t, i);
		else
			i = NULL;
	} else {
		i = NULL;
	}
	pthread_mutex_unlock(&t->lock);
	fs_inode_free(i);
}

void fs_inodes_reset(struct fs_inodes *t)
{
	pthread_mutex_lock(&t->lock);
	for (uint32_t k = 0; k < t->ids.len; k++) {
		struct fs_inode *i = idmap_slot_ptr(&t->ids, k);

		if (!i || i->nodeid == FUSE_ROOT_ID)
			continue;
		i->nlookup = 0;
		if (fs_inode_dead(i)) {
			fs_inode_unlink_locked(t, i);
			fs_inode_free(i);
		}
	}
	pthread_mutex_unlock(&t->lock);
}
