/* SPDX-License-Identifier: Apache-2.0 */
/*
 * OPENDIR, READDIR, READDIRPLUS, RELEASEDIR. A directory handle is a host
 * directory fd; each READDIR seeks it to the guest's offset (the d_off cookie
 * of the last entry it got, fuse_dirent.off) and reads from there, so a reply
 * may stop at any entry and the next request resumes exactly after it. It
 * reads no more than it sends (fs_fill_dir), so in a sequential listing that
 * seek is where the fd already stands. An
 * entry's type is the one the guest sees (a placeholder's device type,
 * statmap.c); a pseudo file system's mount point is listed, as the stub that a
 * lookup of it gives (realfs.c).
 */
#include "fs/fs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Host entries read per getdents64 call at most. */
#define FS_DENTS_BUF 16384

/*
 * How many times its host record a FUSE entry can be. For a name of n bytes
 * the host's is align8(20 + n), 24 bytes at least; the FUSE entry is
 * align8(24 + n), or align8(152 + n) with its attributes (READDIRPLUS). The
 * ratio is largest for the shortest name, whose host record is 24 bytes.
 */
#define FS_DIRENT_GROWTH 2
#define FS_DIRENTPLUS_GROWTH 7
_Static_assert(FUSE_NAME_OFFSET + 8 <= FS_DIRENT_GROWTH * 24 &&
		       FUSE_NAME_OFFSET_DIRENTPLUS + 8 <= FS_DIRENTPLUS_GROWTH * 24,
	       "a FUSE entry fits in GROWTH times its host record");

int fs_op_opendir(struct fs_req *r)
{
	struct fuse_open_out o = { 0 };
	struct fs_inode *i;
	int fd = -1, vdir, res = fs_inode_get_any(&r->s->inodes, r->h.nodeid, &i);

	if (res < 0)
		return res;
	vdir = fs_overlay_dir_of(i);
	if (!S_ISDIR(i->type)) {
		res = -ENOTDIR;
	} else if (i->fd < 0 && vdir < 0) {
		res = -EACCES; /* a pseudo file system's stub (realfs.c) */
	} else if (vdir < 0) {
		/* "." of a directory's O_PATH fd is that directory itself. */
		fd = openat(i->fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			res = fs_errno(r->s, "opendir");
	}
	fs_inode_put(&r->s->inodes, i);
	if (res == 0)
		res = fs_file_add_dir(&r->s->files, fd, r->h.nodeid == FUSE_ROOT_ID, vdir, &o.fh);
	return res < 0 ? res : fs_reply(r, &o, sizeof(o));
}

int fs_op_releasedir(struct fs_req *r)
{
	struct fuse_release_in in;

	memcpy(&in, r->arg, sizeof(in));
	return fs_file_release(&r->s->files, in.fh, true);
}

static bool fs_is_dot(const char *name)
{
	return !strcmp(name, ".") || !strcmp(name, "..");
}

/*
 * Appends one entry at *pos if it fits in size; false if not. With plus, it
 * carries a full lookup (one guest reference, as a LOOKUP reply would) except for
 * "." and "..", and for entries whose lookup fails (e.g. out of fds): those go
 * out with node id 0, which the kernel takes as a plain entry (fuse/readdir.c
 * fuse_direntplus_link), so a listing never fails half-way.
 */
static bool fs_put_dirent(struct fuse_server *s, int dirfd, dev_t dev, const struct dirent64 *d,
			  bool plus, uint8_t *buf, size_t size, size_t *pos)
{
	size_t namelen = strlen(d->d_name);
	size_t head = plus ? FUSE_NAME_OFFSET_DIRENTPLUS : FUSE_NAME_OFFSET;
	size_t len = FUSE_DIRENT_ALIGN(head + namelen);
	struct fuse_dirent de = { .ino = d->d_ino, .off = (uint64_t)d->d_off,
				  .namelen = (uint32_t)namelen, .type = d->d_type };

	if (len > size - *pos)
		return false;
	memset(buf + *pos, 0, len);
	if (plus) {
		struct fuse_entry_out e = { 0 };

		if (!fs_is_dot(d->d_name) && fs_lookup_name(s, dirfd, dev, d->d_name, &e) < 0)
			e = (struct fuse_entry_out){ 0 };
		if (e.nodeid)
			de.type = IFTODT(e.attr.mode);
		memcpy(buf + *pos, &e, sizeof(e));
	} else {
		de.type = fs_map_dtype(s, dirfd, d->d_name, d->d_type);
	}
	memcpy(buf + *pos + head - FUSE_NAME_OFFSET, &de, FUSE_NAME_OFFSET);
	memcpy(buf + *pos + head, d->d_name, namelen);
	*pos += len;
	return true;
}

/* Appends one virtual entry (overlay.h) if it fits; false if not. */
static bool fs_put_virtual(const struct fs_overlay_dirent *v, bool plus, uint8_t *buf,
			   size_t size, size_t *pos)
{
	size_t namelen = strlen(v->name);
	size_t head = plus ? FUSE_NAME_OFFSET_DIRENTPLUS : FUSE_NAME_OFFSET;
	size_t len = FUSE_DIRENT_ALIGN(head + namelen);
	struct fuse_dirent de = { .ino = v->ino, .off = v->off, .namelen = (uint32_t)namelen,
				  .type = v->type };

	if (len > size - *pos)
		return false;
	memset(buf + *pos, 0, len);
	if (plus)
		memcpy(buf + *pos, &v->entry, sizeof(v->entry));
	memcpy(buf + *pos + head - FUSE_NAME_OFFSET, &de, FUSE_NAME_OFFSET);
	memcpy(buf + *pos + head, v->name, namelen);
	*pos += len;
	return true;
}

/* The virtual entries of the handle's directory from off (FS_OVERLAY_OFF + the
 * index after the last one the guest got), after pos bytes already used. An
 * entry listed with plus that does not fit has its reference dropped again. */
static int fs_fill_virtual(struct fuse_server *s, struct fs_file *f, uint64_t off, bool plus,
			   uint8_t *buf, size_t size, size_t pos)
{
	int parent = f->root ? -1 : f->overlay_dir;
	struct fs_overlay_dirent v;
	unsigned int cursor = 0;

	if (!f->root && f->overlay_dir < 0)
		return (int)pos;
	/* The offset is the guest's: one we never gave is past the end. */
	if (off > FS_OVERLAY_OFF) {
		if (off - FS_OVERLAY_OFF > FS_OVERLAY_MAX)
			return (int)pos;
		cursor = (unsigned int)(off - FS_OVERLAY_OFF);
	}
	while (fs_overlay_next(s, parent, &cursor, plus, &v) == 1) {
		if (!fs_put_virtual(&v, plus, buf, size, &pos)) {
			if (v.entry.nodeid)
				fs_inode_forget(&s->inodes, v.entry.nodeid, 1);
			break;
		}
	}
	return (int)pos;
}

/* Fills buf from the handle's position; returns the bytes used or -errno. */
static int fs_fill_dir(struct fuse_server *s, struct fs_file *f, uint64_t off, bool plus,
		       uint8_t *buf, size_t size, uint8_t *dents)
{
	struct stat dir;
	size_t pos = 0;

	/* Past the host entries, or a virtual directory: virtual entries only. */
	if (off >= FS_OVERLAY_OFF || f->fd < 0)
		return fs_fill_virtual(s, f, off, plus, buf, size, 0);
	if (lseek(f->fd, (off_t)off, SEEK_SET) < 0)
		return -EINVAL;
	/* Its device tells the mounts crossed in it (realfs.c). */
	if (fstat(f->fd, &dir) < 0)
		return -errno;
	for (;;) {
		/* Only as many host entries as surely fit in the rest of the
		 * reply: none is read and then left out, so the fd stays just
		 * after the last entry sent, where the guest resumes, and the
		 * next request's lseek to that offset moves nothing. Seeking
		 * back instead breaks on tmpfs before Linux 6.6, whose offsets
		 * count entries from the first: the ones the guest removed in
		 * between (rm -r removes what each getdents gave it) would
		 * shift them, and entries would be skipped. */
		size_t want = (size - pos) / (plus ? FS_DIRENTPLUS_GROWTH : FS_DIRENT_GROWTH);
		ssize_t n;

		if (want < sizeof(struct dirent64)) {
			if (pos)
				return (int)pos; /* the next request goes on */
			want = sizeof(struct dirent64); /* a reply too small for a long name */
		}
		n = getdents64(f->fd, dents, want < FS_DENTS_BUF ? want : FS_DENTS_BUF);
		if (n < 0)
			return pos ? (int)pos : -errno;
		if (n == 0)
			return fs_fill_virtual(s, f, 0, plus, buf, size, pos);
		for (size_t k = 0; k < (size_t)n;) {
			struct dirent64 d;
			size_t reclen;

			/* The host kernel's records, still bounds-checked. */
			memcpy(&d, dents + k, offsetof(struct dirent64, d_name));
			reclen = d.d_reclen;
			if (reclen <= offsetof(struct dirent64, d_name) || reclen > (size_t)n - k ||
			    reclen > sizeof(d))
				return pos ? (int)pos : -EIO;
			memcpy(&d, dents + k, reclen);
			d.d_name[reclen - offsetof(struct dirent64, d_name) - 1] = '\0';
			/* A virtual entry of the root hides the host's of that name. */
			if (f->root && s->overlay && fs_overlay_shadows(s->overlay, -1, d.d_name)) {
				k += reclen;
				continue;
			}
			if (!fs_put_dirent(s, f->fd, dir.st_dev, &d, plus, buf, size, &pos))
				return (int)pos;
			k += reclen;
		}
	}
}

static int fs_readdir(struct fs_req *r, bool plus)
{
	uint8_t *buf = NULL, *dents = NULL;
	struct fuse_read_in in;
	struct fs_file *f;
	size_t size;
	int res;

	memcpy(&in, r->arg, sizeof(in));
	size = in.size < FUSE_SERVER_MAX_WRITE ? in.size : FUSE_SERVER_MAX_WRITE;
	if (size > r->out_cap)
		size = r->out_cap;
	res = fs_file_get(&r->s->files, in.fh, FS_DIR, &f);
	if (res < 0)
		return res;
	buf = malloc(size ? size : 1);
	dents = malloc(FS_DENTS_BUF);
	if (!buf || !dents) {
		res = -ENOMEM;
		goto out;
	}
	pthread_mutex_lock(&f->dir_lock);
	res = fs_fill_dir(r->s, f, in.offset, plus, buf, size, dents);
	pthread_mutex_unlock(&f->dir_lock);
	/* An entry that does not fit even alone makes an empty reply, which
	 * the guest takes as the end (as libfuse does). */
	if (res > 0)
		res = fs_reply(r, buf, (size_t)res);
out:
	free(dents);
	free(buf);
	fs_file_put(&r->s->files, f);
	return res;
}

int fs_op_readdir(struct fs_req *r)
{
	return fs_readdir(r, false);
}

int fs_op_readdirplus(struct fs_req *r)
{
	return fs_readdir(r, true);
}
