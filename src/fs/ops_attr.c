/* SPDX-License-Identifier: Apache-2.0 */
/*
 * GETATTR and SETATTR. With FATTR_FH the guest names an open handle (ftruncate,
 * fchmod, futimens on its file) and we use that fd; without it we have only the
 * inode's O_PATH fd: fchownat and utimensat take it with AT_EMPTY_PATH, chmod
 * and truncate go through /proc/self/fd (fs.h), truncate only on regular files.
 * Owner and mode go to the guest's view (statmap.c); with
 * passthrough_privileges they are the host's, changed with the caller's
 * fsuid/fsgid (creds.c) like the rest of SETATTR.
 */
#include "fs/fs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

static int fs_reply_attr(struct fs_req *r, const struct stat *st)
{
	struct fuse_attr_out o = { .attr_valid = FS_TIMEOUT_S };

	fs_fill_attr(&o.attr, st);
	return fs_reply(r, &o, sizeof(o));
}

int fs_op_getattr(struct fs_req *r)
{
	struct fs_inode *i;
	struct stat st;
	int res = fs_inode_get_any(&r->s->inodes, r->h.nodeid, &i);

	/* FUSE_GETATTR_FH names a handle of this same inode: its O_PATH fd
	 * answers just as well. */
	if (res < 0)
		return res;
	res = fs_inode_view(r->s, i, &st);
	fs_inode_put(&r->s->inodes, i);
	return res < 0 ? res : fs_reply_attr(r, &st);
}

static int fs_chmod(const struct fs_req *r, const struct fs_inode *i, int fd, mode_t mode)
{
	char name[16];

	if (fd >= 0)
		return fchmod(fd, mode) < 0 ? -errno : 0;
	if (S_ISLNK(i->type))
		return -EOPNOTSUPP; /* Linux symlinks have no mode of their own */
	fs_proc_name(i->fd, name);
	return fchmodat(r->s->proc_fd, name, mode, 0) < 0 ? -errno : 0;
}

static int fs_truncate(const struct fs_req *r, const struct fs_inode *i, int fd, uint64_t size)
{
	char name[16];
	int res = 0;

	if (size > INT64_MAX)
		return -EFBIG;
	if (fd >= 0)
		return ftruncate(fd, (off_t)size) < 0 ? -errno : 0;
	if (S_ISDIR(i->type))
		return -EISDIR;
	if (!S_ISREG(i->type))
		return -EINVAL; /* never open a device node or FIFO */
	res = fs_map_demote(r->s, i->fd);
	if (res < 0)
		return res;
	fs_proc_name(i->fd, name);
	fd = openat(r->s->proc_fd, name, O_WRONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return fs_errno(r->s, "truncate");
	if (ftruncate(fd, (off_t)size) < 0)
		res = -errno;
	close(fd);
	return res;
}

/* FATTR_xTIME sets the time given, FATTR_xTIME_NOW the current time (utimensat
 * UTIME_NOW); neither leaves it (UTIME_OMIT). */
static int fs_time(uint32_t valid, uint32_t set, uint32_t now, uint64_t sec, uint32_t nsec,
		   struct timespec *ts)
{
	if (!(valid & set)) {
		*ts = (struct timespec){ .tv_nsec = UTIME_OMIT };
	} else if (valid & now) {
		*ts = (struct timespec){ .tv_nsec = UTIME_NOW };
	} else {
		if (nsec >= 1000000000u || sec > INT64_MAX)
			return -EINVAL;
		*ts = (struct timespec){ .tv_sec = (time_t)sec, .tv_nsec = nsec };
	}
	return 0;
}

static int fs_utimes(const struct fs_inode *i, int fd, const struct fuse_setattr_in *in)
{
	struct timespec ts[2];
	int res = fs_time(in->valid, FATTR_ATIME, FATTR_ATIME_NOW, in->atime, in->atimensec, &ts[0]);

	if (res == 0)
		res = fs_time(in->valid, FATTR_MTIME, FATTR_MTIME_NOW, in->mtime, in->mtimensec,
			      &ts[1]);
	if (res < 0)
		return res;
	if (fd >= 0)
		return futimens(fd, ts) < 0 ? -errno : 0;
	/* On the entry itself: a symlink's own times (utimensat(2) AT_EMPTY_PATH). */
	return utimensat(i->fd, "", ts, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0 ? -errno : 0;
}

/* Passthrough: the host's own owner and mode. */
static int fs_owner_mode_host(const struct fs_req *r, const struct fs_inode *i, int fd,
			      const struct fuse_setattr_in *in)
{
	int res = 0;

	if (in->valid & FATTR_MODE)
		res = fs_chmod(r, i, fd, in->mode & 07777);
	if (res == 0 && (in->valid & (FATTR_UID | FATTR_GID))) {
		uid_t uid = in->valid & FATTR_UID ? in->uid : (uid_t)-1;
		gid_t gid = in->valid & FATTR_GID ? in->gid : (gid_t)-1;

		if (fchownat(fd >= 0 ? fd : i->fd, "", uid, gid,
			     AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0)
			res = -errno;
	}
	return res;
}

/* The guest's owner and mode, in its view (statmap.c). */
static int fs_owner_mode_view(struct fs_req *r, const struct fs_inode *i,
			      const struct fuse_setattr_in *in)
{
	struct stat host, view;
	struct fs_want w;
	bool mapped;
	int res = fs_stat_fd(i->fd, &host);

	if (res < 0)
		return res;
	if ((in->valid & FATTR_MODE) && S_ISLNK(host.st_mode))
		return -EOPNOTSUPP;
	/* -1 is chown's "unchanged", never an owner (chown(2)). */
	if (((in->valid & FATTR_UID) && in->uid == (uint32_t)-1) ||
	    ((in->valid & FATTR_GID) && in->gid == (uint32_t)-1))
		return -EINVAL;
	view = host;
	mapped = fs_map_load(i->fd, &view);
	w = (struct fs_want){ .uid = view.st_uid, .gid = view.st_gid, .mode = view.st_mode,
			      .rdev = view.st_rdev };
	if (in->valid & FATTR_MODE)
		w.mode = (view.st_mode & S_IFMT) | (in->mode & 07777);
	if (in->valid & FATTR_UID)
		w.uid = in->uid;
	if (in->valid & FATTR_GID)
		w.gid = in->gid;
	return fs_map_store(r->s, i->fd, &host, mapped, &w, false);
}

static int fs_setattr_on(struct fs_req *r, const struct fs_inode *i, int fd,
			 const struct fuse_setattr_in *in)
{
	int res = 0;

	if (in->valid & (FATTR_MODE | FATTR_UID | FATTR_GID))
		res = r->s->passthrough ? fs_owner_mode_host(r, i, fd, in)
					: fs_owner_mode_view(r, i, in);
	if (res == 0 && (in->valid & FATTR_SIZE))
		res = fs_truncate(r, i, fd, in->size);
	if (res == 0 && (in->valid & (FATTR_ATIME | FATTR_MTIME)))
		res = fs_utimes(i, fd, in);
	return res;
}

int fs_op_setattr(struct fs_req *r)
{
	struct fuse_setattr_in in;
	struct fs_file *f = NULL;
	struct fs_creds c;
	struct fs_inode *i;
	struct stat st;
	int res;

	memcpy(&in, r->arg, sizeof(in));
	res = fs_inode_get(&r->s->inodes, r->h.nodeid, &i);
	if (res < 0)
		return res;
	/* The handle may be a file's or a directory's (futimens on a dir fd). */
	if (in.valid & FATTR_FH)
		res = fs_file_get(&r->s->files, in.fh, FS_ANY, &f);
	if (res == 0 && (res = fs_creds_enter(r, &c)) == 0) {
		res = fs_setattr_on(r, i, f ? f->fd : -1, &in);
		fs_creds_leave(&c);
	}
	if (res == 0)
		res = fs_inode_view(r->s, i, &st);
	fs_file_put(&r->s->files, f);
	fs_inode_put(&r->s->inodes, i);
	return res < 0 ? res : fs_reply_attr(r, &st);
}
