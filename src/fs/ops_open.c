/* SPDX-License-Identifier: Apache-2.0 */
/*
 * OPEN, CREATE, FLUSH, RELEASE: file handles. Only regular files are opened
 * for I/O: an OPEN of a device node, FIFO or socket (which the guest kernel
 * serves itself, never through FUSE) is refused, so the guest cannot reach a
 * host device through a node created in the share; so is a placeholder that
 * stands for one (statmap.c). A host set-ID file is demoted before the guest
 * may write it (fs_map_demote). CREATE makes a file with the guest's view, or
 * with passthrough_privileges as the caller (creds.c).
 */
#include "fs/fs.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

/* The open flags the guest may pass on; the rest (O_CREAT, O_EXCL, O_PATH,
 * O_DIRECTORY, O_TMPFILE, O_NOFOLLOW, O_DIRECT, O_ASYNC...) are ours to set. */
#define FS_OPEN_PASS (O_ACCMODE | O_APPEND | O_TRUNC | O_SYNC | O_DSYNC | O_NOATIME)

static int fs_open_flags(const struct fs_req *r, uint32_t guest, int *flags)
{
	int f = (int)guest & FS_OPEN_PASS;

	if ((f & O_ACCMODE) == O_ACCMODE)
		return -EINVAL;
	if (r->s->read_only && ((f & O_ACCMODE) != O_RDONLY || (f & O_TRUNC)))
		return -EROFS;
	*flags = f | O_CLOEXEC | O_NOCTTY;
	return 0;
}

static bool fs_open_writes(int flags)
{
	return (flags & O_ACCMODE) != O_RDONLY || (flags & O_TRUNC);
}

static int fs_reply_open(struct fs_req *r, uint64_t fh, uint32_t open_flags)
{
	struct fuse_open_out o = { .fh = fh, .open_flags = open_flags };

	return fs_reply(r, &o, sizeof(o));
}

int fs_inode_open(struct fuse_server *s, const struct fs_inode *i, int flags, int *fd)
{
	char name[16];
	int res;

	*fd = -1;
	if (!S_ISREG(i->type))
		return S_ISDIR(i->type) ? -EISDIR : S_ISLNK(i->type) ? -ELOOP : -EACCES;
	if (fs_open_writes(flags) && (res = fs_map_demote(s, i->fd)) < 0)
		return res;
	fs_proc_name(i->fd, name);
	*fd = openat(s->proc_fd, name, flags);
	return *fd < 0 ? fs_errno(s, "open") : 0;
}

int fs_op_open(struct fs_req *r)
{
	struct fuse_open_in in;
	struct fs_inode *i;
	struct stat st;
	uint64_t fh;
	uint32_t open_flags = 0;
	int flags, fd = -1, res;

	memcpy(&in, r->arg, sizeof(in));
	res = fs_open_flags(r, in.flags, &flags);
	if (res < 0)
		return res;
	res = fs_inode_get(&r->s->inodes, r->h.nodeid, &i);
	if (res < 0)
		return res;
	res = fs_inode_open(r->s, i, flags, &fd);
	/* Close-to-open consistency without re-reading what did not change
	 * (libfuse's auto_cache): the guest drops its cached pages at an OPEN
	 * unless told FOPEN_KEEP_CACHE (fuse_finish_open), which we say only when
	 * the file's mtime, ctime and size are those of the guest's last OPEN.
	 * A change the host makes shows in them (and FUSE_AUTO_INVAL_DATA drops
	 * pages when the attributes the guest refreshes show one); so does the
	 * guest's own write, which costs it its cache once. */
	if (res == 0 && fs_stat_fd(fd, &st) == 0 &&
	    fs_inode_reopened_unchanged(&r->s->inodes, i, &st))
		open_flags = FOPEN_KEEP_CACHE;
	/* Our FLUSH has nothing to do (no POSIX locks are ours, no write cache):
	 * a read-only handle's close need not send one (fuse_flush). A writable
	 * one still does, so that a close waits for its mmap writes as before. */
	if (!fs_open_writes(flags))
		open_flags |= FOPEN_NOFLUSH;
	fs_inode_put(&r->s->inodes, i);
	if (res == 0)
		res = fs_file_add(&r->s->files, fd, false, &fh);
	return res < 0 ? res : fs_reply_open(r, fh, open_flags);
}

/* The new file's O_PATH fd and its guest reference, taken from our open fd
 * (the magic link leads to this very file, whatever the name now means). */
static int fs_create_entry(struct fuse_server *s, int fd, dev_t parent_dev,
			   struct fuse_entry_out *e)
{
	char name[16];
	int pfd;

	fs_proc_name(fd, name);
	pfd = openat(s->proc_fd, name, O_PATH | O_CLOEXEC);
	return pfd < 0 ? fs_errno(s, "create") : fs_entry_from_fd(s, pfd, parent_dev, e);
}

/* Where CREATE finds the name taken (a race: the guest sends CREATE only for a
 * name it believes absent): opens what is there only if it is a regular file.
 * An O_CREAT open would open a FIFO (blocking the worker) or a device node (a
 * host device); a symlink would be followed. Nor is a file of a pseudo file
 * system bind-mounted there opened (realfs.c), nor a placeholder. */
static int fs_open_existing(struct fuse_server *s, int dirfd, const char *name, int flags)
{
	struct stat st;
	char pname[16];
	int pfd, fd, res;

	pfd = fs_openat_beneath(dirfd, name, O_PATH, 0);
	if (pfd < 0)
		return fs_errno(s, "create");
	res = fs_stat_fd(pfd, &st);
	if (res == 0 && !s->passthrough)
		fs_map_load(pfd, &st);
	if (res == 0 && !S_ISREG(st.st_mode))
		res = S_ISDIR(st.st_mode) ? -EISDIR : S_ISLNK(st.st_mode) ? -ELOOP : -EEXIST;
	if (res == 0 && (res = fs_pseudo_fs(pfd)) > 0)
		res = -EACCES;
	if (res == 0 && fs_open_writes(flags))
		res = fs_map_demote(s, pfd);
	if (res == 0) {
		fs_proc_name(pfd, pname);
		fd = openat(s->proc_fd, pname, flags);
		res = fd < 0 ? fs_errno(s, "create") : fd;
	}
	close(pfd);
	return res;
}

/* The fd of name, created (O_EXCL, never through a symlink; *created) or,
 * unless the guest asked for O_EXCL, the regular file already there. */
static int fs_create_open(struct fuse_server *s, int dirfd, const char *name, int flags,
			  bool excl, mode_t mode, bool *created)
{
	int fd = -EEXIST;

	*created = false;
	/* Bounded: the name may vanish and reappear under us. */
	for (int tries = 0; tries < 3 && fd == -EEXIST; tries++) {
		fd = fs_openat_beneath(dirfd, name, flags | O_CREAT | O_EXCL, mode);
		*created = fd >= 0;
		if (fd >= 0)
			return fd;
		fd = fs_errno(s, "create");
		if (fd != -EEXIST || excl)
			return fd;
		fd = fs_open_existing(s, dirfd, name, flags);
		if (fd == -ENOENT)
			fd = -EEXIST;
	}
	return fd;
}

/* CREATE as the VMM: a new file gets the guest's view (statmap.c). The fd or
 * -errno. */
static int fs_create_mapped(struct fs_req *r, const struct fs_inode *dir, const char *name,
			    int flags, bool excl, mode_t mode)
{
	struct fs_want w;
	struct stat st;
	bool created;
	int fd, res = fs_map_want_new(r, dir, S_IFREG | mode, 0, &w);

	if (res < 0)
		return res;
	fd = fs_create_open(r->s, dir->fd, name, flags, excl,
			    fs_map_host_perm(r->s, S_IFREG, w.mode), &created);
	if (fd < 0 || !created)
		return fd;
	res = fs_stat_fd(fd, &st);
	if (res == 0)
		res = fs_map_store(r->s, fd, &st, false, &w, true);
	if (res == 0)
		return fd;
	close(fd);
	unlinkat(dir->fd, name, 0);
	return res;
}

int fs_op_create(struct fs_req *r)
{
	struct {
		struct fuse_entry_out e;
		struct fuse_open_out o;
	} reply = { 0 };
	struct fuse_create_in in;
	struct fs_inode *dir;
	struct fs_creds c;
	size_t pos = sizeof(in);
	bool created;
	dev_t dev;
	int flags, fd = -1, res = 0;
	const char *name = fs_arg_name(r, &pos, &res);

	memcpy(&in, r->arg, sizeof(in));
	if (!name || (res = fs_arg_done(r, pos)) < 0 ||
	    (res = fs_open_flags(r, in.flags, &flags)) < 0)
		return res;
	res = fs_inode_get(&r->s->inodes, r->h.nodeid, &dir);
	if (res < 0)
		return res;
	if (!r->s->passthrough) {
		fd = fs_create_mapped(r, dir, name, flags, in.flags & O_EXCL, in.mode & 07777);
		res = fd < 0 ? fd : 0;
	} else if ((res = fs_creds_enter(r, &c)) == 0) {
		fd = fs_create_open(r->s, dir->fd, name, flags, in.flags & O_EXCL,
				    in.mode & 07777, &created);
		res = fd < 0 ? fd : 0;
		fs_creds_leave(&c);
	}
	dev = dir->dev;
	fs_inode_put(&r->s->inodes, dir);
	if (res == 0)
		res = fs_create_entry(r->s, fd, dev, &reply.e);
	if (res < 0) {
		if (fd >= 0)
			close(fd);
		return res;
	}
	res = fs_file_add(&r->s->files, fd, false, &reply.o.fh);
	if (res < 0) {
		fs_inode_forget(&r->s->inodes, reply.e.nodeid, 1);
		return res;
	}
	return fs_reply(r, &reply, sizeof(reply));
}

int fs_op_flush(struct fs_req *r)
{
	struct fuse_flush_in in;
	struct fs_file *f;
	int res;

	/* No POSIX locks to drop and no write cache to push: just check the fh. */
	memcpy(&in, r->arg, sizeof(in));
	res = fs_file_get(&r->s->files, in.fh, FS_FILE, &f);
	fs_file_put(&r->s->files, f);
	return res;
}

int fs_op_release(struct fs_req *r)
{
	struct fuse_release_in in;

	memcpy(&in, r->arg, sizeof(in));
	return fs_file_release(&r->s->files, in.fh, false);
}
