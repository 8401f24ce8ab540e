/* SPDX-License-Identifier: Apache-2.0 */
/*
 * READ, WRITE, FSYNC, FALLOCATE, LSEEK, COPY_FILE_RANGE on open handles. Data
 * moves between the file and the guest's segments directly (preadv/pwritev):
 * the server never interprets it, so no copy is needed. Sizes are capped at
 * max_write and offsets at INT64_MAX before any call.
 */
#include "fs/fs.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

/* Moves len bytes between fd at off and [seg_off, seg_off+len) of segs; short
 * only at end of file (read) or on an error after some progress. */
static ssize_t fs_rw(int fd, const struct iovec *segs, int nsegs, size_t seg_off, size_t len,
		     uint64_t off, bool write)
{
	struct iovec v[FUSE_SERVER_MAX_SEGS];
	size_t done = 0;

	while (done < len) {
		int n = fs_iov_slice(segs, nsegs, seg_off + done, len - done, v,
				     FUSE_SERVER_MAX_SEGS);
		ssize_t k;

		if (n < 0)
			return n;
		k = write ? pwritev(fd, v, n, (off_t)(off + done))
			  : preadv(fd, v, n, (off_t)(off + done));
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return done ? (ssize_t)done : -errno;
		if (k == 0)
			break;
		done += (size_t)k;
	}
	return (ssize_t)done;
}

static bool fs_range_ok(uint64_t off, uint64_t len)
{
	return off <= INT64_MAX && len <= INT64_MAX - off;
}

int fs_op_read(struct fs_req *r)
{
	struct fuse_read_in in;
	struct fs_file *f;
	size_t size;
	ssize_t n;
	int res;

	memcpy(&in, r->arg, sizeof(in));
	size = in.size < FUSE_SERVER_MAX_WRITE ? in.size : FUSE_SERVER_MAX_WRITE;
	if (size > r->out_cap)
		size = r->out_cap;
	if (!fs_range_ok(in.offset, size))
		return -EINVAL;
	res = fs_file_get(&r->s->files, in.fh, FS_FILE, &f);
	if (res < 0)
		return res;
	n = fs_rw(f->fd, r->out, r->nout, sizeof(struct fuse_out_header), size, in.offset, false);
	fs_file_put(&r->s->files, f);
	return (int)n;
}

int fs_op_write(struct fs_req *r)
{
	struct fuse_write_out o = { 0 };
	struct fuse_write_in in;
	struct fs_file *f;
	ssize_t n;
	int res;

	memcpy(&in, r->arg, sizeof(in));
	/* The data the header announces is exactly what follows it. */
	if (in.size != r->data_len || in.size > FUSE_SERVER_MAX_WRITE)
		return -EINVAL;
	if (!fs_range_ok(in.offset, in.size))
		return -EFBIG;
	res = fs_file_get(&r->s->files, in.fh, FS_FILE, &f);
	if (res < 0)
		return res;
	n = fs_rw(f->fd, r->in, r->nin, r->data_off, in.size, in.offset, true);
	fs_file_put(&r->s->files, f);
	if (n < 0)
		return (int)n;
	o.size = (uint32_t)n;
	return fs_reply(r, &o, sizeof(o));
}

static int fs_sync(struct fs_req *r, enum fs_kind kind)
{
	struct fuse_fsync_in in;
	struct fs_file *f;
	int res;

	memcpy(&in, r->arg, sizeof(in));
	res = fs_file_get(&r->s->files, in.fh, kind, &f);
	if (res < 0)
		return res;
	if ((in.fsync_flags & FUSE_FSYNC_FDATASYNC ? fdatasync(f->fd) : fsync(f->fd)) < 0)
		res = -errno;
	fs_file_put(&r->s->files, f);
	return res;
}

int fs_op_fsync(struct fs_req *r)
{
	return fs_sync(r, FS_FILE);
}

int fs_op_fsyncdir(struct fs_req *r)
{
	return fs_sync(r, FS_DIR);
}

int fs_op_fallocate(struct fs_req *r)
{
	struct fuse_fallocate_in in;
	struct fs_file *f;
	int res;

	memcpy(&in, r->arg, sizeof(in));
	if (!fs_range_ok(in.offset, in.length))
		return -EFBIG;
	res = fs_file_get(&r->s->files, in.fh, FS_FILE, &f);
	if (res < 0)
		return res;
	/* The host checks mode (KEEP_SIZE, PUNCH_HOLE, ZERO_RANGE...). */
	if (fallocate(f->fd, (int)in.mode, (off_t)in.offset, (off_t)in.length) < 0)
		res = -errno;
	fs_file_put(&r->s->files, f);
	return res;
}

int fs_op_lseek(struct fs_req *r)
{
	struct fuse_lseek_out o;
	struct fuse_lseek_in in;
	struct fs_file *f;
	off_t pos;
	int res;

	memcpy(&in, r->arg, sizeof(in));
	/* The guest does SEEK_SET/CUR/END itself; only DATA and HOLE come here. */
	if ((in.whence != SEEK_DATA && in.whence != SEEK_HOLE) || in.offset > INT64_MAX)
		return -EINVAL;
	res = fs_file_get(&r->s->files, in.fh, FS_FILE, &f);
	if (res < 0)
		return res;
	pos = lseek(f->fd, (off_t)in.offset, (int)in.whence);
	if (pos < 0)
		res = -errno;
	fs_file_put(&r->s->files, f);
	if (res < 0)
		return res;
	o.offset = (uint64_t)pos;
	return fs_reply(r, &o, sizeof(o));
}

int fs_op_copy_file_range(struct fs_req *r)
{
	struct fuse_copy_file_range_in in;
	struct fs_file *fin, *fout = NULL;
	struct fuse_write_out o = { 0 };
	ssize_t n = 0;
	int res;

	memcpy(&in, r->arg, sizeof(in));
	/* The reply's size is 32 bits: copy at most that much (a short copy is
	 * fine; the guest's caller loops). */
	if (in.len > (UINT32_MAX & ~0xfffu))
		in.len = UINT32_MAX & ~0xfffu;
	if (in.flags || !fs_range_ok(in.off_in, in.len) || !fs_range_ok(in.off_out, in.len))
		return -EINVAL;
	res = fs_file_get(&r->s->files, in.fh_in, FS_FILE, &fin);
	if (res < 0)
		return res;
	res = fs_file_get(&r->s->files, in.fh_out, FS_FILE, &fout);
	if (res == 0) {
		loff_t off_in = (loff_t)in.off_in, off_out = (loff_t)in.off_out;

		n = copy_file_range(fin->fd, &off_in, fout->fd, &off_out, in.len, 0);
		if (n < 0)
			res = -errno;
	}
	fs_file_put(&r->s->files, fout);
	fs_file_put(&r->s->files, fin);
	if (res < 0)
		return res;
	o.size = (uint32_t)n;
	return fs_reply(r, &o, sizeof(o));
}
