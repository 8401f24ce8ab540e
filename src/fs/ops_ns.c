/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The namespace ops: MKNOD, MKDIR, SYMLINK, LINK, UNLINK, RMDIR, RENAME,
 * RENAME2. Every name is one checked component (fs_arg_name) taken relative to
 * a parent's O_PATH fd with an *at call that does not follow a final symlink,
 * so none can reach outside the share. Creations are the VMM's, with the guest's
 * owner, mode and node type in its view (statmap.c); with
 * passthrough_privileges they run with the guest caller's fsuid/fsgid when we
 * are root (creds.c) and make what the guest asks for.
 */
#include "fs/fs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <unistd.h>

enum fs_mk_kind { FS_MKNOD, FS_MKDIR, FS_SYMLINK };

struct fs_mk {
	enum fs_mk_kind kind;
	mode_t mode;
	dev_t rdev;
	const char *target;
};

/* One component at pos, and nothing after it. */
static const char *fs_last_name(const struct fs_req *r, size_t pos, int *err)
{
	const char *name = fs_arg_name(r, &pos, err);

	if (name && (*err = fs_arg_done(r, pos)) < 0)
		return NULL;
	return name;
}

static int fs_mk_run(int dirfd, const char *name, const struct fs_mk *m)
{
	switch (m->kind) {
	case FS_MKNOD:
		return mknodat(dirfd, name, m->mode, m->rdev);
	case FS_MKDIR:
		return mkdirat(dirfd, name, m->mode);
	case FS_SYMLINK:
		return symlinkat(m->target, dirfd, name);
	}
	errno = EINVAL;
	return -1;
}

/* Passthrough: creates name as the caller. */
static int fs_make_host(struct fs_req *r, const struct fs_inode *dir, const char *name,
			const struct fs_mk *m)
{
	struct fs_creds c;
	int res = fs_creds_enter(r, &c);

	if (res == 0) {
		if (fs_mk_run(dir->fd, name, m) < 0)
			res = fs_errno(r->s, "create");
		fs_creds_leave(&c);
	}
	return res;
}

/* Gives the entry we just made under name the guest's view w, or removes it. */
static int fs_make_view(struct fuse_server *s, int dirfd, const char *name, bool dir,
			const struct fs_want *w)
{
	struct stat st;
	int res, fd = fs_openat_beneath(dirfd, name, O_PATH, 0);

	if (fd < 0)
		return fs_errno(s, "create");
	res = fs_stat_fd(fd, &st);
	if (res == 0)
		res = fs_map_store(s, fd, &st, false, w, true);
	close(fd);
	if (res < 0)
		unlinkat(dirfd, name, dir ? AT_REMOVEDIR : 0);
	return res;
}

/* Creates name as the VMM, with the guest's view recorded: a device node, FIFO
 * or socket is a placeholder file (statmap.c). */
static int fs_make_mapped(struct fs_req *r, const struct fs_inode *dir, const char *name,
			  const struct fs_mk *m)
{
	mode_t type = m->kind == FS_MKDIR ? S_IFDIR : m->kind == FS_SYMLINK ? S_IFLNK
									  : m->mode & S_IFMT;
	struct fs_mk host = *m;
	struct fs_want w;
	int res = fs_map_want_new(r, dir, type | (S_ISLNK(type) ? 0777 : m->mode & 07777),
				  m->rdev, &w);

	if (res < 0)
		return res;
	if (m->kind != FS_SYMLINK)
		host.mode = (m->kind == FS_MKNOD ? S_IFREG : 0) |
			    fs_map_host_perm(r->s, S_ISDIR(type) ? S_IFDIR : S_IFREG, w.mode);
	host.rdev = 0;
	if (fs_mk_run(dir->fd, name, &host) < 0)
		return fs_errno(r->s, "create");
	res = fs_make_view(r->s, dir->fd, name, S_ISDIR(type), &w);
	/* No mapping on this file system: a real FIFO or socket is harmless. */
	if (res == -EPERM && (S_ISFIFO(type) || S_ISSOCK(type))) {
		host.mode = type | fs_map_host_perm(r->s, type, w.mode);
		if (fs_mk_run(dir->fd, name, &host) < 0)
			return fs_errno(r->s, "create");
		res = fs_make_view(r->s, dir->fd, name, false, &w);
	}
	return res;
}

/* Creates name in the request's directory, then looks it up. */
static int fs_make(struct fs_req *r, const char *name, const struct fs_mk *m)
{
	struct fuse_entry_out e;
	struct fs_inode *dir;
	int res = fs_inode_get(&r->s->inodes, r->h.nodeid, &dir);

	if (res < 0)
		return res;
	res = r->s->passthrough ? fs_make_host(r, dir, name, m) : fs_make_mapped(r, dir, name, m);
	if (res == 0)
		res = fs_lookup_name(r->s, dir->fd, dir->dev, name, &e);
	fs_inode_put(&r->s->inodes, dir);
	return res < 0 ? res : fs_reply(r, &e, sizeof(e));
}

/* linux/kdev_t.h new_decode_dev: the guest sends its 32-bit encoding. */
static dev_t fs_decode_dev(uint32_t d)
{
	return makedev((d & 0xfff00) >> 8, (d & 0xff) | ((d >> 12) & 0xfff00));
}

int fs_op_mknod(struct fs_req *r)
{
	struct fuse_mknod_in in;
	int err = 0;
	const char *name = fs_last_name(r, sizeof(in), &err);

	memcpy(&in, r->arg, sizeof(in));
	if (!name)
		return err;
	switch (in.mode & S_IFMT) {
	case S_IFREG: case S_IFCHR: case S_IFBLK: case S_IFIFO: case S_IFSOCK:
		break;
	default:
		return -EINVAL;
	}
	/* A device node is never opened (OPEN serves regular files only), and
	 * unless passthrough_privileges never made on the host either. */
	return fs_make(r, name, &(struct fs_mk){ .kind = FS_MKNOD, .mode = in.mode,
						 .rdev = fs_decode_dev(in.rdev) });
}

int fs_op_mkdir(struct fs_req *r)
{
	struct fuse_mkdir_in in;
	int err = 0;
	const char *name = fs_last_name(r, sizeof(in), &err);

	memcpy(&in, r->arg, sizeof(in));
	if (!name)
		return err;
	return fs_make(r, name, &(struct fs_mk){ .kind = FS_MKDIR, .mode = in.mode & 07777 });
}

int fs_op_symlink(struct fs_req *r)
{
	size_t pos = 0;
	int err = 0;
	const char *name = fs_arg_name(r, &pos, &err), *target;

	if (!name)
		return err;
	/* The target is only text to the server: it never follows a symlink. */
	target = fs_arg_str(r, &pos, FS_MAX_SYMLINK, &err);
	if (!target)
		return err;
	if (!target[0])
		return -ENOENT;
	err = fs_arg_done(r, pos);
	if (err < 0)
		return err;
	return fs_make(r, name, &(struct fs_mk){ .kind = FS_SYMLINK, .target = target });
}

int fs_op_link(struct fs_req *r)
{
	struct fuse_entry_out e;
	struct fs_inode *old, *dir = NULL;
	struct fuse_link_in in;
	char oldname[16];
	int res = 0;
	const char *name = fs_last_name(r, sizeof(in), &res);

	memcpy(&in, r->arg, sizeof(in));
	if (!name)
		return res;
	res = fs_inode_get(&r->s->inodes, in.oldnodeid, &old);
	if (res < 0)
		return res;
	res = S_ISDIR(old->type) ? -EPERM : fs_inode_get(&r->s->inodes, r->h.nodeid, &dir);
	/* linkat(AT_EMPTY_PATH) needs CAP_DAC_READ_SEARCH; the magic link of our own
	 * fd links the very inode we hold, which the guest could only name because
	 * it lies in the share. */
	if (res == 0) {
		fs_proc_name(old->fd, oldname);
		if (linkat(r->s->proc_fd, oldname, dir->fd, name, AT_SYMLINK_FOLLOW) < 0)
			res = fs_errno(r->s, "link");
	}
	if (res == 0)
		res = fs_lookup_name(r->s, dir->fd, dir->dev, name, &e);
	fs_inode_put(&r->s->inodes, dir);
	fs_inode_put(&r->s->inodes, old);
	return res < 0 ? res : fs_reply(r, &e, sizeof(e));
}

static int fs_remove(struct fs_req *r, int flags)
{
	struct fs_inode *dir;
	int res = 0;
	const char *name = fs_last_name(r, 0, &res);

	if (!name)
		return res;
	res = fs_inode_get(&r->s->inodes, r->h.nodeid, &dir);
	if (res < 0)
		return res;
	if (unlinkat(dir->fd, name, flags) < 0)
		res = -errno;
	fs_inode_put(&r->s->inodes, dir);
	return res;
}

int fs_op_unlink(struct fs_req *r)
{
	return fs_remove(r, 0);
}

int fs_op_rmdir(struct fs_req *r)
{
	return fs_remove(r, AT_REMOVEDIR);
}

static int fs_rename(struct fs_req *r, uint64_t newdir_id, unsigned int flags, size_t pos)
{
	struct fs_inode *olddir, *newdir = NULL;
	const char *oldname, *newname = NULL;
	int res = 0;

	oldname = fs_arg_name(r, &pos, &res);
	if (oldname)
		newname = fs_last_name(r, pos, &res);
	if (!newname)
		return res;
	res = fs_inode_get(&r->s->inodes, r->h.nodeid, &olddir);
	if (res < 0)
		return res;
	res = fs_inode_get(&r->s->inodes, newdir_id, &newdir);
	if (res == 0 && renameat2(olddir->fd, oldname, newdir->fd, newname, flags) < 0)
		res = -errno;
	fs_inode_put(&r->s->inodes, newdir);
	fs_inode_put(&r->s->inodes, olddir);
	return res;
}

int fs_op_rename(struct fs_req *r)
{
	struct fuse_rename_in in;

	memcpy(&in, r->arg, sizeof(in));
	return fs_rename(r, in.newdir, 0, sizeof(in));
}

int fs_op_rename2(struct fs_req *r)
{
	struct fuse_rename2_in in;

	memcpy(&in, r->arg, sizeof(in));
	/* RENAME_WHITEOUT would create a device node for overlayfs: not offered. */
	if (in.flags & ~(unsigned)(RENAME_NOREPLACE | RENAME_EXCHANGE))
		return -EINVAL;
	return fs_rename(r, in.newdir, in.flags, sizeof(in));
}
