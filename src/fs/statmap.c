/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Guest-made privilege stays in the guest (unless passthrough_privileges).
 *
 * The guest kernel is not trusted: the uid and gid of a request are its claim,
 * and a guest that could create host device nodes, set-ID files or file
 * capabilities, or chown host files, would own a VMM that runs as root. So every
 * host change is made with the VMM's own credentials, and what a guest asks for
 * beyond a plain file is recorded, not done, as QEMU's 9p "mapped-xattr" model
 * does:
 *
 * - the attribute user.containers.override_stat of a host regular file or
 *   directory holds the owner, mode and type the guest sees, in the format of
 *   containers/storage (pkg/idtools): "UID:GID:MODE:TYPE", MODE in octal with
 *   the 07000 bits, TYPE one of file, dir, pipe, socket, block-MAJOR-MINOR,
 *   char-MAJOR-MINOR. Trees prepared by podman's force_mask or by libkrun on
 *   macOS (which writes "UID:GID:0100755", the type in the mode) read the same.
 *   Reading accepts both; we write the former. An unreadable value is ignored.
 * - host permission bits: the guest's without S_ISUID and S_ISGID (sticky stays
 *   on directories; it only restricts); a VMM that is not root also keeps u+rw
 *   (directories u+rwx) for itself, to go on serving a guest root. The mapping
 *   is written only where the guest's view differs from the host's, so files a
 *   guest root makes through a root VMM stay plain.
 * - MKNOD of a device node, FIFO or socket makes an empty regular file, mode
 *   0600, that the guest sees as the node it made (fuse_attr.rdev included; the
 *   guest kernel serves such nodes itself, nothing is ever opened on the host).
 * - a set-group-ID directory of the guest's view gives new entries its group,
 *   and new directories its S_ISGID, as the host kernel does (inode(7)).
 *
 * Where no mapping can be kept (a file system without user xattrs, such as
 * tmpfs before Linux 6.6; a symlink, on which Linux allows no user xattr), the
 * host holds what it may hold itself: the owner (a root VMM chowns; ownership
 * grants nothing without set-ID bits) and the permission bits; a set-ID bit or
 * a device type gets -EPERM (dropped on a creation, where POSIX lets the mode's
 * other bits be ignored), and a FIFO or socket is a real one. Host device
 * nodes, FIFOs and sockets the guest did not just make are never chmod'ed or
 * chown'ed: that would open a host device or socket to anyone.
 *
 * Host set-ID files the guest writes to (fs_map_demote) lose the bits on the
 * host first, into the mapping: otherwise a root VMM (CAP_FSETID) keeps them
 * through the write, and a set-user-ID root binary of a container image would
 * run the guest's code as host root. File capabilities need no such care: any
 * write removes security.capability (file_remove_privs).
 */
#include "fs/fs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "util/log.h"

#define FS_MAP_MAX 64 /* "4294967294:4294967294:7777:block-4095-1048575" fits */
#define FS_MAP_ID_MAX (UINT32_MAX - 1) /* (uid_t)-1 means "no change" to chown */

static const struct {
	const char *name;
	mode_t type;
} fs_map_types[] = {
	{ "file", S_IFREG }, { "dir", S_IFDIR }, { "symlink", S_IFLNK }, { "pipe", S_IFIFO },
	{ "socket", S_IFSOCK }, { "block", S_IFBLK }, { "char", S_IFCHR },
};

/* Digits in base 8 or 10 at *p, at most max; false if none or too large. */
static bool fs_map_num(const char **p, unsigned int base, unsigned long max, unsigned long *v)
{
	const char *s = *p;
	unsigned long n = 0;

	if (*s < '0' || *s >= (char)('0' + base))
		return false;
	for (; *s >= '0' && *s < (char)('0' + base); s++) {
		n = n * base + (unsigned long)(*s - '0');
		if (n > max)
			return false;
	}
	*p = s;
	*v = n;
	return true;
}

#define FS_MAP_NTYPES (sizeof(fs_map_types) / sizeof(fs_map_types[0]))

static bool fs_map_known_type(mode_t type)
{
	for (size_t k = 0; k < FS_MAP_NTYPES; k++)
		if (fs_map_types[k].type == type)
			return true;
	return false;
}

/* The TYPE field at p (see above) into w; false if unknown or malformed. */
static bool fs_map_parse_type(const char *p, struct fs_want *w)
{
	unsigned long ma, mi;
	size_t k, n = 0;

	for (k = 0; k < FS_MAP_NTYPES; k++) {
		n = strlen(fs_map_types[k].name);
		if (!strncmp(p, fs_map_types[k].name, n))
			break;
	}
	if (k == FS_MAP_NTYPES)
		return false;
	p += n;
	w->mode = fs_map_types[k].type | (w->mode & 07777);
	if (S_ISCHR(w->mode) || S_ISBLK(w->mode)) {
		/* The guest's dev_t is 12 bits of major, 20 of minor (kdev_t.h). */
		if (*p++ != '-' || !fs_map_num(&p, 10, 0xfff, &ma) || *p++ != '-' ||
		    !fs_map_num(&p, 10, 0xfffff, &mi))
			return false;
		w->rdev = makedev(ma, mi);
	}
	/* Later fields, if a future writer adds any, are not ours to read. */
	return *p == '\0' || *p == ':';
}

static bool fs_map_parse(const char *v, struct fs_want *w)
{
	unsigned long uid, gid, mode;
	const char *p = v;

	if (!fs_map_num(&p, 10, FS_MAP_ID_MAX, &uid) || *p++ != ':' ||
	    !fs_map_num(&p, 10, FS_MAP_ID_MAX, &gid) || *p++ != ':' ||
	    !fs_map_num(&p, 8, S_IFMT | 07777, &mode))
		return false;
	if ((mode & S_IFMT) && !fs_map_known_type(mode & S_IFMT))
		return false;
	*w = (struct fs_want){ .uid = (uid_t)uid, .gid = (gid_t)gid, .mode = (mode_t)mode };
	if (*p == '\0')
		return true;
	return *p++ == ':' && fs_map_parse_type(p, w);
}

static int fs_map_format(const struct fs_want *w, char v[FS_MAP_MAX])
{
	const char *name = "file";

	for (size_t k = 0; k < FS_MAP_NTYPES; k++)
		if (fs_map_types[k].type == (w->mode & S_IFMT))
			name = fs_map_types[k].name;
	if (S_ISCHR(w->mode) || S_ISBLK(w->mode))
		return snprintf(v, FS_MAP_MAX, "%u:%u:%04o:%s-%u-%u", w->uid, w->gid,
				(unsigned int)(w->mode & 07777), name, major(w->rdev),
				minor(w->rdev));
	return snprintf(v, FS_MAP_MAX, "%u:%u:%04o:%s", w->uid, w->gid,
			(unsigned int)(w->mode & 07777), name);
}

/* Only a plain host file stands for another type; the rest keep their own. */
static void fs_map_apply(const struct fs_want *w, struct stat *st)
{
	mode_t host = st->st_mode & S_IFMT, type = w->mode & S_IFMT;

	if (!S_ISREG(host) || !type || S_ISDIR(type) || S_ISLNK(type))
		type = host;
	st->st_uid = w->uid;
	st->st_gid = w->gid;
	st->st_mode = type | (w->mode & 07777);
	st->st_rdev = S_ISCHR(type) || S_ISBLK(type) ? w->rdev : 0;
}

/* The mapping held in v (n bytes, as getxattr returned them) into w. */
static bool fs_map_read(char v[FS_MAP_MAX], ssize_t n, struct fs_want *w)
{
	if (n <= 0 || n >= FS_MAP_MAX)
		return false;
	v[n] = '\0';
	return fs_map_parse(v, w);
}

bool fs_map_load(int fd, struct stat *st)
{
	char path[32], v[FS_MAP_MAX];
	struct fs_want w;

	if (!S_ISREG(st->st_mode) && !S_ISDIR(st->st_mode))
		return false;
	fs_proc_path(fd, path);
	/* None, no xattrs here, or longer than any of ours: the host's view. */
	if (!fs_map_read(v, getxattr(path, FS_STAT_XATTR, v, FS_MAP_MAX - 1), &w))
		return false;
	fs_map_apply(&w, st);
	return true;
}

int fs_inode_view(const struct fuse_server *s, const struct fs_inode *i, struct stat *st)
{
	int res;

	if (i->fd < 0) {
		fs_stub_stat(i->dev, i->ino, st);
		return 0;
	}
	res = fs_stat_fd(i->fd, st);
	if (res == 0 && !s->passthrough)
		fs_map_load(i->fd, st);
	return res;
}

mode_t fs_map_host_perm(const struct fuse_server *s, mode_t host_type, mode_t mode)
{
	mode_t type = mode & S_IFMT, perm;

	if (type && type != host_type)
		return 0600; /* a placeholder: a private empty file */
	perm = mode & (S_ISDIR(host_type) ? 01777 : 0777);
	if (!s->as_root)
		perm |= S_ISDIR(host_type) ? 0700 : 0600;
	return perm;
}

static int fs_map_chmod(const struct fuse_server *s, int fd, const struct stat *host,
			mode_t perm)
{
	char name[16];

	if ((host->st_mode & 07777) == perm)
		return 0;
	fs_proc_name(fd, name);
	return fchmodat(s->proc_fd, name, perm, 0) < 0 ? -errno : 0;
}

/* No mapping here: what the host may hold itself (see above). */
static int fs_map_fallback(const struct fuse_server *s, int fd, const struct stat *host,
			   const struct fs_want *w, bool fresh)
{
	mode_t type = host->st_mode & S_IFMT;
	/* A directory's set-group-ID bit the host put there itself may stay. */
	mode_t keep = S_ISDIR(type) ? host->st_mode & w->mode & S_ISGID : 0;
	mode_t perm = (w->mode & (S_ISDIR(type) ? 01777 : 0777)) | keep;
	bool ours = fresh || S_ISREG(type) || S_ISDIR(type) || S_ISLNK(type);

	if ((w->mode & S_IFMT) != type)
		return -EPERM;
	if (!fresh && !S_ISLNK(type) && (w->mode & 07777) != perm)
		return -EPERM;
	if (w->uid != host->st_uid || w->gid != host->st_gid) {
		if (s->as_root && ours) {
			if (fchownat(fd, "", w->uid, w->gid, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0)
				return -errno;
		} else if (!fresh) {
			return -EPERM; /* a new entry just stays the VMM's, as before */
		}
	}
	if (S_ISLNK(type) || (host->st_mode & 07777) == perm)
		return 0;
	return ours ? fs_map_chmod(s, fd, host, perm) : -EPERM;
}

static void fs_map_warn(struct fuse_server *s)
{
	if (!atomic_exchange(&s->warned_no_xattr, true))
		log_warn("fs: the shared file system keeps no user.* attributes: guest owners "
			 "are kept on the host, set-ID bits and device nodes refused "
			 "(docs/security.md, virtio-fs)");
}

int fs_map_store(struct fuse_server *s, int fd, const struct stat *host, bool mapped,
		 const struct fs_want *w, bool fresh)
{
	mode_t type = host->st_mode & S_IFMT, perm;
	char path[32], v[FS_MAP_MAX];
	bool plain;
	int res;

	if (!S_ISREG(type) && !S_ISDIR(type))
		return fs_map_fallback(s, fd, host, w, fresh);
	perm = fs_map_host_perm(s, type, w->mode);
	plain = (w->mode & S_IFMT) == type && w->uid == host->st_uid &&
		w->gid == host->st_gid && (w->mode & 07777) == perm;
	fs_proc_path(fd, path);
	if (plain)
		res = mapped && removexattr(path, FS_STAT_XATTR) < 0 && errno != ENODATA ? -errno : 0;
	else
		res = setxattr(path, FS_STAT_XATTR, v, (size_t)fs_map_format(w, v), 0) < 0 ? -errno
											: 0;
	if (res == -EOPNOTSUPP) {
		fs_map_warn(s);
		return fs_map_fallback(s, fd, host, w, fresh);
	}
	return res < 0 ? res : fs_map_chmod(s, fd, host, perm);
}

int fs_map_demote(struct fuse_server *s, int fd)
{
	struct stat host, view;
	struct fs_want w;
	char name[16];
	bool mapped;
	int res;

	if (s->passthrough)
		return 0;
	res = fs_stat_fd(fd, &host);
	if (res < 0 || !S_ISREG(host.st_mode) || !(host.st_mode & (S_ISUID | S_ISGID)))
		return res;
	view = host;
	mapped = fs_map_load(fd, &view);
	w = (struct fs_want){ .uid = view.st_uid, .gid = view.st_gid, .mode = view.st_mode,
			      .rdev = view.st_rdev };
	res = fs_map_store(s, fd, &host, mapped, &w, false);
	if (res != -EPERM)
		return res;
	/* Nowhere to keep them: the bits go, as when an unprivileged user writes. */
	fs_proc_name(fd, name);
	return fchmodat(s->proc_fd, name, host.st_mode & 0777, 0) < 0 ? -errno : 0;
}

int fs_map_want_new(const struct fs_req *r, const struct fs_inode *dir, mode_t mode,
		    dev_t rdev, struct fs_want *w)
{
	struct stat pv;
	int res = fs_inode_view(r->s, dir, &pv);

	*w = (struct fs_want){ .uid = r->h.uid, .gid = r->h.gid, .mode = mode, .rdev = rdev };
	if (res == 0 && (pv.st_mode & S_ISGID)) {
		w->gid = pv.st_gid;
		if (S_ISDIR(mode))
			w->mode |= S_ISGID;
	}
	return res;
}

unsigned char fs_map_dtype(const struct fuse_server *s, int dirfd, const char *name,
			   unsigned char d_type)
{
	char path[300], v[FS_MAP_MAX];
	struct fs_want w;

	if (s->passthrough || d_type != DT_REG)
		return d_type;
	/* name is a host directory entry (no '/'); the last step is not followed. */
	snprintf(path, sizeof(path), "/proc/self/fd/%d/%s", dirfd, name);
	if (!fs_map_read(v, lgetxattr(path, FS_STAT_XATTR, v, FS_MAP_MAX - 1), &w))
		return d_type;
	switch (w.mode & S_IFMT) {
	case S_IFIFO: return DT_FIFO;
	case S_IFSOCK: return DT_SOCK;
	case S_IFCHR: return DT_CHR;
	case S_IFBLK: return DT_BLK;
	default: return d_type;
	}
}
