/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SETXATTR, GETXATTR, LISTXATTR, REMOVEXATTR. There is no *at xattr call for an
 * O_PATH fd (before Linux 6.13), so they go through /proc/self/fd/N of our own
 * fd (fs.h): that reaches the entry itself, a symlink included, like l*xattr.
 * Names are capped at XATTR_NAME_MAX, values at XATTR_SIZE_MAX, before any
 * allocation. Names and values are those of xattr_map.c; with
 * passthrough_privileges, every namespace the host allows us is passed on
 * (user., and as root trusted. and security.), set and removed with the
 * caller's fsuid/fsgid (creds.c). FUSE_POSIX_ACL is not offered, so the guest
 * keeps system.posix_acl_* to itself.
 */
#include "fs/fs.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/xattr.h>

static const char *fs_xattr_name(const struct fs_req *r, size_t *pos, int *err)
{
	const char *name = fs_arg_str(r, pos, FS_MAX_XATTR_NAME, err);

	if (name && !name[0]) {
		*err = -EINVAL;
		return NULL;
	}
	if (!name && *err == -ENAMETOOLONG)
		*err = -ERANGE; /* getxattr(2) for an over-long name */
	return name;
}

int fs_op_setxattr(struct fs_req *r)
{
	struct fuse_setxattr_in in = { 0 };
	size_t pos = FUSE_COMPAT_SETXATTR_IN_SIZE;
	struct fs_creds c;
	struct fs_inode *i;
	char path[32];
	int res = 0;
	const char *name = fs_xattr_name(r, &pos, &res);

	memcpy(&in, r->arg, FUSE_COMPAT_SETXATTR_IN_SIZE);
	if (!name)
		return res;
	if (in.size > FS_MAX_XATTR_SIZE)
		return -E2BIG;
	if (in.size != r->arg_len - pos)
		return -EINVAL;
	if (in.flags & ~(unsigned)(XATTR_CREATE | XATTR_REPLACE))
		return -EINVAL;
	res = fs_inode_get(&r->s->inodes, r->h.nodeid, &i);
	if (res < 0)
		return res;
	fs_proc_path(i->fd, path);
	if (!r->s->passthrough) {
		res = fs_xattr_map_set(path, name, r->arg + pos, in.size, (int)in.flags);
	} else if ((res = fs_creds_enter(r, &c)) == 0) {
		if (setxattr(path, name, r->arg + pos, in.size, (int)in.flags) < 0)
			res = -errno;
		fs_creds_leave(&c);
	}
	fs_inode_put(&r->s->inodes, i);
	return res;
}

/*
 * GETXATTR and LISTXATTR share their reply rule (fuse.rst): with size 0 the
 * guest asks for the length (fuse_getxattr_out), otherwise for the bytes, at
 * most size of them (-ERANGE when they do not fit).
 */
static int fs_xattr_read(struct fs_req *r, const char *name)
{
	struct fuse_getxattr_in in;
	struct fs_inode *i;
	size_t cap;
	char path[32];
	void *buf = NULL;
	ssize_t n;
	int res;

	memcpy(&in, r->arg, sizeof(in));
	cap = in.size < FS_MAX_XATTR_SIZE ? in.size : FS_MAX_XATTR_SIZE;
	if (in.size == 0 && r->out_cap < sizeof(struct fuse_getxattr_out))
		return -EINVAL;
	if (cap > r->out_cap)
		return -ERANGE;
	if (cap) {
		buf = malloc(cap);
		if (!buf)
			return -ENOMEM;
	}
	res = fs_inode_get(&r->s->inodes, r->h.nodeid, &i);
	if (res < 0)
		goto out;
	fs_proc_path(i->fd, path);
	if (!r->s->passthrough)
		n = name ? fs_xattr_map_get(path, name, buf, cap) : fs_xattr_map_list(path, buf, cap);
	else if ((n = name ? getxattr(path, name, buf, cap) : listxattr(path, buf, cap)) < 0)
		n = -errno;
	res = n < 0 ? (int)n : 0;
	fs_inode_put(&r->s->inodes, i);
	if (res < 0)
		goto out;
	if (in.size == 0) {
		struct fuse_getxattr_out o = { .size = (uint32_t)n };

		res = fs_reply(r, &o, sizeof(o));
	} else {
		res = fs_reply(r, buf, (size_t)n);
	}
out:
	free(buf);
	return res;
}

int fs_op_getxattr(struct fs_req *r)
{
	size_t pos = sizeof(struct fuse_getxattr_in);
	int res = 0;
	const char *name = fs_xattr_name(r, &pos, &res);

	if (!name)
		return res;
	res = fs_arg_done(r, pos);
	return res < 0 ? res : fs_xattr_read(r, name);
}

int fs_op_listxattr(struct fs_req *r)
{
	return fs_xattr_read(r, NULL);
}

int fs_op_removexattr(struct fs_req *r)
{
	struct fs_creds c;
	struct fs_inode *i;
	size_t pos = 0;
	char path[32];
	int res = 0;
	const char *name = fs_xattr_name(r, &pos, &res);

	if (!name)
		return res;
	res = fs_arg_done(r, pos);
	if (res < 0)
		return res;
	res = fs_inode_get(&r->s->inodes, r->h.nodeid, &i);
	if (res < 0)
		return res;
	fs_proc_path(i->fd, path);
	if (!r->s->passthrough) {
		res = fs_xattr_map_remove(path, name);
	} else if ((res = fs_creds_enter(r, &c)) == 0) {
		if (removexattr(path, name) < 0)
			res = -errno;
		fs_creds_leave(&c);
	}
	fs_inode_put(&r->s->inodes, i);
	return res;
}
