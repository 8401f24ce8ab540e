/* SPDX-License-Identifier: Apache-2.0 */
#include "fs/overlay.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs/fs.h"
#include "util/log.h"

struct fs_overlay_node {
	char name[FS_MAX_NAME + 1];
	int parent; /* node index, -1: the share's root */
	bool dir, one_shot;
	mode_t mode; /* S_IFMT | permissions */
	int fd;      /* a file's sealed memfd; -1 for a directory */
	dev_t dev;   /* a file's memfd inode, for fs_overlay_owns */
	ino_t ino;
	atomic_bool gone; /* a one-shot file after its lookup */
};

struct fs_overlay {
	struct fs_overlay_node node[FS_OVERLAY_MAX];
	unsigned int n;
};

/* The next component of *p (advanced past it and its '/'), into name; 0, or
 * -EINVAL for "", ".", ".." or one too long. */
static int next_component(const char **p, char name[FS_MAX_NAME + 1])
{
	const char *s = *p, *slash = strchr(s, '/');
	size_t len = slash ? (size_t)(slash - s) : strlen(s);

	if (len == 0 || len > FS_MAX_NAME || (len == 1 && s[0] == '.') ||
	    (len == 2 && s[0] == '.' && s[1] == '.'))
		return -EINVAL;
	memcpy(name, s, len);
	name[len] = '\0';
	*p = slash ? slash + 1 : s + len;
	return 0;
}

static int find_child(const struct fs_overlay_node *nodes, unsigned int n, int parent,
		      const char *name)
{
	for (unsigned int k = 0; k < n; k++)
		if (nodes[k].parent == parent && !strcmp(nodes[k].name, name))
			return (int)k;
	return -1;
}

/* Walks spec's path over nodes[0..n): its parent's index (-1 root) and its own
 * name. -ENOENT / -ENOTDIR for a missing or non-directory parent. */
static int resolve(const struct fs_overlay_node *nodes, unsigned int n, const char *path,
		   int *parent, char name[FS_MAX_NAME + 1])
{
	const char *p = path;
	int at = -1, r;

	if (!path)
		return -EINVAL;
	while (*p == '/')
		p++; /* "/etc" means the share's etc, as "etc" */
	for (;;) {
		r = next_component(&p, name);
		if (r < 0)
			return r;
		if (!*p)
			break;
		at = find_child(nodes, n, at, name);
		if (at < 0)
			return -ENOENT;
		if (!nodes[at].dir)
			return -ENOTDIR;
	}
	*parent = at;
	return 0;
}

int fs_overlay_check(const struct fs_overlay_spec *spec, unsigned int n, unsigned int *bad)
{
	struct fs_overlay_node *nodes;
	int r = 0;

	if (n > FS_OVERLAY_MAX) {
		*bad = FS_OVERLAY_MAX;
		return -ENOSPC;
	}
	nodes = calloc(n ? n : 1, sizeof(*nodes));
	if (!nodes)
		return -ENOMEM;
	for (unsigned int k = 0; k < n && r == 0; k++) {
		*bad = k;
		r = resolve(nodes, k, spec[k].path, &nodes[k].parent, nodes[k].name);
		if (r == 0 && find_child(nodes, k, nodes[k].parent, nodes[k].name) >= 0)
			r = -EEXIST;
		nodes[k].dir = spec[k].dir;
	}
	free(nodes);
	return r;
}

/* A file's bytes in a memfd sealed against every change, with spec's mode. */
static int make_file(const struct fs_overlay_spec *spec, int *out)
{
	int fd = memfd_create("krun-overlay", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	size_t done = 0;

	if (fd < 0)
		return -errno;
	while (done < spec->len) {
		ssize_t w = write(fd, spec->data + done, spec->len - done);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			goto err;
		done += (size_t)w;
	}
	if (fchmod(fd, spec->mode & 07777) < 0 ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0)
		goto err;
	*out = fd;
	return 0;
err:
	{
		int r = errno ? -errno : -EIO;
		close(fd);
		return r;
	}
}

int fs_overlay_create(const struct fs_overlay_spec *spec, unsigned int n, struct fs_overlay **out)
{
	struct fs_overlay *o;
	unsigned int bad = 0;
	int r = fs_overlay_check(spec, n, &bad);

	if (r < 0) {
		log_error("fs: overlay entry %u (%s): %s", bad,
			  bad < n && spec[bad].path ? spec[bad].path : "?", strerror(-r));
		return r;
	}
	o = calloc(1, sizeof(*o));
	if (!o)
		return -ENOMEM;
	for (unsigned int k = 0; k < n; k++) {
		struct fs_overlay_node *nd = &o->node[k];

		resolve(o->node, k, spec[k].path, &nd->parent, nd->name); /* checked */
		nd->dir = spec[k].dir;
		nd->one_shot = spec[k].one_shot && !spec[k].dir;
		nd->mode = (spec[k].dir ? S_IFDIR : S_IFREG) | (spec[k].mode & 07777);
		nd->fd = -1;
		o->n = k + 1;
		if (!nd->dir && (r = make_file(&spec[k], &nd->fd)) < 0) {
			log_error("fs: overlay file %s: %s", spec[k].path, strerror(-r));
			fs_overlay_destroy(o);
			return r;
		}
		if (!nd->dir) {
			struct stat st;

			if (fstat(nd->fd, &st) == 0) {
				nd->dev = st.st_dev;
				nd->ino = st.st_ino;
			}
		}
	}
	*out = o;
	return 0;
}

void fs_overlay_destroy(struct fs_overlay *o)
{
	if (!o)
		return;
	for (unsigned int k = 0; k < o->n; k++)
		if (o->node[k].fd >= 0)
			close(o->node[k].fd);
	free(o);
}

int fs_overlay_dir_of(const struct fs_inode *i)
{
	if (i->fd >= 0 || i->dev != FS_OVERLAY_DEV || i->ino == 0 || i->ino > FS_OVERLAY_MAX)
		return -1;
	return (int)i->ino - 1;
}

bool fs_overlay_owns(struct fuse_server *s, uint64_t nodeid)
{
	struct fs_inode *i;
	bool owns = false;

	if (fs_inode_get_any(&s->inodes, nodeid, &i) < 0)
		return false;
	if (fs_overlay_dir_of(i) >= 0)
		owns = true;
	for (unsigned int k = 0; !owns && k < s->overlay->n; k++)
		owns = !s->overlay->node[k].dir && s->overlay->node[k].dev == i->dev &&
		       s->overlay->node[k].ino == i->ino;
	fs_inode_put(&s->inodes, i);
	return owns;
}

static bool visible(const struct fs_overlay_node *nd, int parent)
{
	return nd->parent == parent && !atomic_load(&nd->gone);
}

bool fs_overlay_shadows(const struct fs_overlay *o, int parent, const char *name)
{
	for (unsigned int k = 0; o && k < o->n; k++)
		if (visible(&o->node[k], parent) && !strcmp(o->node[k].name, name))
			return true;
	return false;
}

/* The entry for node k: a stub for a directory, the memfd's inode for a file. */
static int add_entry(struct fuse_server *s, unsigned int k, struct fuse_entry_out *e)
{
	struct fs_overlay_node *nd = &s->overlay->node[k];
	uint64_t nodeid;
	struct stat st;
	int fd = -1, r;

	if (nd->dir) {
		fs_stub_stat(FS_OVERLAY_DEV, (ino_t)k + 1, &st);
		st.st_mode = nd->mode;
	} else {
		fd = fcntl(nd->fd, F_DUPFD_CLOEXEC, 0);
		if (fd < 0)
			return fs_errno(s, "overlay");
		r = fs_stat_fd(fd, &st);
		if (r < 0) {
			close(fd);
			return r;
		}
		st.st_uid = st.st_gid = 0; /* the guest's root owns what the VMM serves */
	}
	r = fs_inode_add(&s->inodes, fd, &st, &nodeid);
	if (r == 0)
		fs_fill_entry(e, nodeid, &st);
	/* The guest must not keep the name of a one-shot file: its next lookup
	 * comes here and finds nothing. */
	if (r == 0 && nd->one_shot)
		e->entry_valid = e->entry_valid_nsec = 0;
	return r;
}

int fs_overlay_lookup(struct fuse_server *s, int parent, const char *name,
		      struct fuse_entry_out *e)
{
	struct fs_overlay *o = s->overlay;

	for (unsigned int k = 0; o && k < o->n; k++) {
		struct fs_overlay_node *nd = &o->node[k];
		bool expected = false;

		if (!visible(nd, parent) || strcmp(nd->name, name))
			continue;
		/* One lookup wins a one-shot file; a racing one finds nothing. */
		if (nd->one_shot && !atomic_compare_exchange_strong(&nd->gone, &expected, true))
			return 0;
		int r = add_entry(s, k, e);
		return r < 0 ? r : 1;
	}
	return 0;
}

int fs_overlay_next(struct fuse_server *s, int parent, unsigned int *cursor, bool plus,
		    struct fs_overlay_dirent *d)
{
	struct fs_overlay *o = s->overlay;

	for (unsigned int k = *cursor; o && k < o->n; k++) {
		struct fs_overlay_node *nd = &o->node[k];

		if (!visible(nd, parent))
			continue;
		*d = (struct fs_overlay_dirent){
			.name = nd->name, .type = nd->dir ? DT_DIR : DT_REG,
			.ino = nd->dir ? (uint64_t)k + 1 : nd->ino, .off = FS_OVERLAY_OFF + k + 1,
		};
		/* A one-shot file is not listed with a lookup: that would spend it. */
		if (plus && !nd->one_shot && add_entry(s, k, &d->entry) < 0)
			d->entry = (struct fuse_entry_out){ 0 };
		*cursor = k + 1;
		return 1;
	}
	return 0;
}
