/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What every op shares: moving bytes between our buffers and the guest's
 * segments, parsing the NUL-terminated strings of an argument block (our copy,
 * never guest memory), filling fuse_attr, and the fd-exhaustion log.
 */
#include "fs/fs.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/sysmacros.h>

#include "util/log.h"

size_t fs_iov_total(const struct iovec *iov, int n, size_t cap, bool *over)
{
	size_t total = 0;

	*over = false;
	for (int k = 0; k < n; k++) {
		if (iov[k].iov_len > cap - total) {
			*over = true;
			return cap;
		}
		total += iov[k].iov_len;
	}
	return total;
}

/* Copies [off, off+len) of iov into dst, or src into it (one of them NULL);
 * returns the bytes copied, less than len where the segments end. */
static size_t fs_iov_copy(const struct iovec *iov, int n, size_t off, uint8_t *dst,
			  const uint8_t *src, size_t len)
{
	size_t done = 0;

	for (int k = 0; k < n && done < len; k++) {
		size_t l = iov[k].iov_len, c;
		uint8_t *seg;

		if (off >= l) {
			off -= l;
			continue;
		}
		c = l - off < len - done ? l - off : len - done;
		seg = (uint8_t *)iov[k].iov_base + off;
		if (dst)
			memcpy(dst + done, seg, c);
		else
			memcpy(seg, src + done, c);
		done += c;
		off = 0;
	}
	return done;
}

size_t fs_iov_read(const struct iovec *iov, int n, size_t off, void *dst, size_t len)
{
	return fs_iov_copy(iov, n, off, dst, NULL, len);
}

size_t fs_iov_write(const struct iovec *iov, int n, size_t off, const void *src, size_t len)
{
	return fs_iov_copy(iov, n, off, NULL, src, len);
}

int fs_iov_slice(const struct iovec *iov, int n, size_t off, size_t len, struct iovec *dst,
		 int max)
{
	int m = 0;

	for (int k = 0; k < n && len; k++) {
		size_t l = iov[k].iov_len, c;

		if (off >= l) {
			off -= l;
			continue;
		}
		if (m == max)
			return -EINVAL;
		c = l - off < len ? l - off : len;
		dst[m++] = (struct iovec){ (uint8_t *)iov[k].iov_base + off, c };
		len -= c;
		off = 0;
	}
	return len ? -EINVAL : m;
}

int fs_reply(struct fs_req *r, const void *p, size_t n)
{
	if (n > r->out_cap)
		return -EIO;
	fs_iov_write(r->out, r->nout, sizeof(struct fuse_out_header), p, n);
	return (int)n;
}

const char *fs_arg_str(const struct fs_req *r, size_t *pos, size_t max, int *err)
{
	const char *s, *nul;
	size_t rem, lim;

	if (*pos > r->arg_len) {
		*err = -EINVAL;
		return NULL;
	}
	rem = r->arg_len - *pos;
	s = (const char *)r->arg + *pos;
	lim = rem < max + 1 ? rem : max + 1;
	nul = memchr(s, 0, lim);
	if (!nul) {
		*err = rem > max ? -ENAMETOOLONG : -EINVAL;
		return NULL;
	}
	*pos += (size_t)(nul - s) + 1;
	return s;
}

const char *fs_arg_name(const struct fs_req *r, size_t *pos, int *err)
{
	const char *s = fs_arg_str(r, pos, FS_MAX_NAME, err);

	if (!s)
		return NULL;
	if (!s[0] || strchr(s, '/')) {
		*err = -EINVAL;
		return NULL;
	}
	/* The guest's VFS resolves "." and ".." itself; from the wire they are an
	 * attempt to climb (above the root, or out of a moved directory). */
	if (!strcmp(s, ".") || !strcmp(s, "..")) {
		*err = -EPERM;
		return NULL;
	}
	return s;
}

int fs_arg_done(const struct fs_req *r, size_t pos)
{
	return pos == r->arg_len ? 0 : -EINVAL;
}

/* linux/kdev_t.h new_encode_dev: the 32-bit form the guest kernel decodes. */
static uint32_t fs_encode_dev(dev_t d)
{
	uint32_t ma = major(d), mi = minor(d);

	return (mi & 0xff) | (ma << 8) | ((mi & ~0xffu) << 12);
}

void fs_fill_attr(struct fuse_attr *a, const struct stat *st)
{
	*a = (struct fuse_attr){
		.ino = st->st_ino,
		.size = (uint64_t)st->st_size,
		.blocks = (uint64_t)st->st_blocks,
		.atime = (uint64_t)st->st_atim.tv_sec,
		.mtime = (uint64_t)st->st_mtim.tv_sec,
		.ctime = (uint64_t)st->st_ctim.tv_sec,
		.atimensec = (uint32_t)st->st_atim.tv_nsec,
		.mtimensec = (uint32_t)st->st_mtim.tv_nsec,
		.ctimensec = (uint32_t)st->st_ctim.tv_nsec,
		.mode = st->st_mode,
		.nlink = st->st_nlink > UINT32_MAX ? UINT32_MAX : (uint32_t)st->st_nlink,
		.uid = st->st_uid,
		.gid = st->st_gid,
		.rdev = fs_encode_dev(st->st_rdev),
		.blksize = (uint32_t)st->st_blksize,
	};
}

void fs_fill_entry(struct fuse_entry_out *e, uint64_t nodeid, const struct stat *st)
{
	/* The node id carries its slot's generation (idmap.h), so nodeid alone is
	 * unique for the server's lifetime; fuse_entry_out.generation stays 0. */
	*e = (struct fuse_entry_out){ .nodeid = nodeid, .entry_valid = FS_TIMEOUT_S,
				      .attr_valid = FS_TIMEOUT_S };
	fs_fill_attr(&e->attr, st);
}

void fs_proc_path(int fd, char buf[32])
{
	snprintf(buf, 32, "/proc/self/fd/%d", fd);
}

void fs_proc_name(int fd, char buf[16])
{
	snprintf(buf, 16, "%d", fd);
}

int fs_errno(struct fuse_server *s, const char *what)
{
	int e = errno ? errno : EIO;

	if (e == EMFILE || e == ENFILE) {
		unsigned long n = atomic_fetch_add(&s->fd_exhausted, 1) + 1;

		/* The 1st, 2nd, 4th, 8th... time: a storm of lookups stays a few lines. */
		if (!(n & (n - 1)))
			log_warn("fs: %s: out of file descriptors (%s), %lu time(s); the guest "
				 "gets the error (raise RLIMIT_NOFILE)",
				 what, strerror(e), n);
	}
	return -e;
}
