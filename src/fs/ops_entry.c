/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Name lookup, the heart of containment, and the ops on an inode's identity:
 * LOOKUP, FORGET, BATCH_FORGET, READLINK, ACCESS. Every inode the guest can
 * name enters the table through fs_entry_from_fd, which keeps pseudo file
 * systems out (realfs.c) and gives the guest its view (statmap.c).
 */
#include "fs/fs.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int fs_stat_fd(int fd, struct stat *st)
{
	return fstatat(fd, "", st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0 ? -errno : 0;
}

/*
 * The one way a name from the guest becomes an fd. name is one component
 * (fs_arg_name); openat2 keeps the result beneath dirfd even so
 * (RESOLVE_BENEATH), follows no symlink on the way (RESOLVE_NO_SYMLINKS,
 * RESOLVE_NO_MAGICLINKS), and with O_NOFOLLOW a final symlink is never followed:
 * O_PATH returns it as itself, O_CREAT fails with ELOOP (openat2(2)).
 */
int fs_openat_beneath(int dirfd, const char *name, int flags, mode_t mode)
{
	struct open_how how = {
		.flags = (uint64_t)(flags | O_NOFOLLOW | O_CLOEXEC),
		.mode = flags & O_CREAT ? mode : 0,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};

	return (int)syscall(SYS_openat2, dirfd, name, &how, sizeof(how));
}

int fs_entry_from_fd(struct fuse_server *s, int fd, dev_t parent_dev,
		     struct fuse_entry_out *e)
{
	uint64_t nodeid;
	struct stat st;
	bool stub = false;
	int res = fs_stat_fd(fd, &st);

	/* Another device: a mount crossed (realfs.c). A pseudo file system's
	 * directory becomes a stub, with no fd; anything else on one, -EACCES. */
	if (res == 0 && st.st_dev != parent_dev && (res = fs_pseudo_fs(fd)) > 0) {
		stub = S_ISDIR(st.st_mode);
		res = stub ? 0 : -EACCES;
	}
	if (res < 0 || stub) {
		close(fd);
		fd = -1;
		if (res < 0)
			return res;
		fs_stub_stat(st.st_dev, st.st_ino, &st);
	} else if (!s->passthrough) {
		fs_map_load(fd, &st);
	}
	res = fs_inode_add(&s->inodes, fd, &st, &nodeid);
	if (res == 0)
		fs_fill_entry(e, nodeid, &st);
	return res;
}

int fs_lookup_name(struct fuse_server *s, int parent_fd, dev_t parent_dev, const char *name,
		   struct fuse_entry_out *e)
{
	int fd = fs_openat_beneath(parent_fd, name, O_PATH, 0);

	return fd < 0 ? fs_errno(s, "lookup") : fs_entry_from_fd(s, fd, parent_dev, e);
}

int fs_op_lookup(struct fs_req *r)
{
	struct fuse_entry_out e;
	struct fs_inode *dir;
	size_t pos = 0;
	int res = 0;
	const char *name = fs_arg_name(r, &pos, &res);

	if (!name)
		return res;
	res = fs_arg_done(r, pos);
	if (res < 0)
		return res;
	/* Stubs too: a virtual directory is one (overlay.h). */
	res = fs_inode_get_any(&r->s->inodes, r->h.nodeid, &dir);
	if (res < 0)
		return res;
	int vdir = fs_overlay_dir_of(dir);

	res = 0;
	if (vdir >= 0 || r->h.nodeid == FUSE_ROOT_ID)
		res = fs_overlay_lookup(r->s, vdir, name, &e);
	if (res == 0) {
		if (vdir >= 0)
			res = -ENOENT; /* a virtual directory holds virtual entries only */
		else if (dir->fd < 0)
			res = -EACCES; /* a pseudo file system's stub (realfs.c) */
		else
			res = fs_lookup_name(r->s, dir->fd, dir->dev, name, &e);
		/* The name is absent from the host directory: a node id of 0 with
		 * a timeout lets the guest remember that (a negative dentry), so a
		 * PATH search or a create does not ask again (fuse_lookup_name:
		 * "Zero nodeid is same as -ENOENT, but with valid timeout"). */
		if (res == -ENOENT && vdir < 0) {
			e = (struct fuse_entry_out){ .entry_valid = FS_TIMEOUT_S };
			res = 0;
		}
	}
	fs_inode_put(&r->s->inodes, dir);
	return res < 0 ? res : fs_reply(r, &e, sizeof(e));
}

int fs_op_forget(struct fs_req *r)
{
	struct fuse_forget_in in;

	memcpy(&in, r->arg, sizeof(in));
	fs_inode_forget(&r->s->inodes, r->h.nodeid, in.nlookup);
	return 0;
}

int fs_op_batch_forget(struct fs_req *r)
{
	struct fuse_batch_forget_in in;
	size_t have = (r->arg_len - sizeof(in)) / sizeof(struct fuse_forget_one);

	memcpy(&in, r->arg, sizeof(in));
	/* Only the entries the block really holds. */
	if (in.count > have)
		return -EINVAL;
	for (uint32_t k = 0; k < in.count; k++) {
		struct fuse_forget_one one;

		memcpy(&one, r->arg + sizeof(in) + k * sizeof(one), sizeof(one));
		fs_inode_forget(&r->s->inodes, one.nodeid, one.nlookup);
	}
	return 0;
}

int fs_op_readlink(struct fs_req *r)
{
	char buf[PATH_MAX];
	struct fs_inode *i;
	ssize_t n;
	int res = fs_inode_get(&r->s->inodes, r->h.nodeid, &i);

	if (res < 0)
		return res;
	/* readlinkat(fd, "") of a non-link says ENOENT; readlink(2) says EINVAL. */
	n = S_ISLNK(i->type) ? readlinkat(i->fd, "", buf, sizeof(buf)) : (errno = EINVAL, -1);
	res = n < 0 ? -errno : 0;
	fs_inode_put(&r->s->inodes, i);
	if (res < 0)
		return res;
	if ((size_t)n >= sizeof(buf))
		return -ENAMETOOLONG;
	return fs_reply(r, buf, (size_t)n);
}

/* The permission check of the guest's view (POSIX.1 "file access permissions";
 * the guest's supplementary groups are not sent): root may read and write
 * anything and execute what has an x bit, or a directory. */
static int fs_access_view(const struct fs_req *r, const struct stat *st, unsigned int mask)
{
	unsigned int bits;

	if (r->h.uid == 0)
		bits = S_ISDIR(st->st_mode) || (st->st_mode & 0111) ? 7 : 6;
	else if (r->h.uid == st->st_uid)
		bits = (st->st_mode >> 6) & 7;
	else if (r->h.gid == st->st_gid)
		bits = (st->st_mode >> 3) & 7;
	else
		bits = st->st_mode & 7;
	return mask & ~bits ? -EACCES : 0;
}

int fs_op_access(struct fs_req *r)
{
	struct fuse_access_in in;
	struct fs_creds c;
	struct fs_inode *i;
	struct stat st;
	char name[16];
	int res;

	memcpy(&in, r->arg, sizeof(in));
	if (in.mask & ~(unsigned)(R_OK | W_OK | X_OK))
		return -EINVAL;
	res = fs_inode_get(&r->s->inodes, r->h.nodeid, &i);
	if (res < 0)
		return res;
	if (!r->s->passthrough) {
		res = fs_inode_view(r->s, i, &st);
		if (res == 0)
			res = fs_access_view(r, &st, in.mask);
		fs_inode_put(&r->s->inodes, i);
		return res;
	}
	/* As the caller (fsuid) when we are root: AT_EACCESS checks fsuid. */
	res = fs_creds_enter(r, &c);
	if (res == 0) {
		fs_proc_name(i->fd, name);
		if (faccessat(r->s->proc_fd, name, (int)in.mask, AT_EACCESS) < 0)
			res = -errno;
		fs_creds_leave(&c);
	}
	fs_inode_put(&r->s->inodes, i);
	return res;
}
