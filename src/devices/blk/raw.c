/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Raw images: the file (or host block device) is the disk, byte for byte. No
 * metadata, so nothing in the image can name another file: the guest may
 * write anything here and it stays a raw image (libkrun.h, krun_add_disk2).
 *
 * direct_io opens a second descriptor with O_DIRECT and uses it for requests
 * whose offset, length and every buffer are DIRECT_ALIGN-aligned (all the
 * guest's page-cache I/O); anything else goes through the page cache, which
 * Linux keeps coherent with direct I/O on the same file (it writes back and
 * drops the cached range around each direct transfer).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "devices/blk/disk.h"
#include "devices/blk/disk_io.h"
#include "util/log.h"

/* A host block size no device exceeds in practice (4 KiB sectors). */
#define DIRECT_ALIGN 4096u
#define ZERO_CHUNK (64u << 10)

struct raw {
	struct disk disk;
	int fd;
	int direct_fd; /* -1 without direct_io */
};

static struct raw *raw_of(struct disk *dk)
{
	return (struct raw *)dk;
}

static bool in_range(const struct disk *dk, uint64_t off, uint64_t len)
{
	return off <= dk->size && len <= dk->size - off;
}

static bool iov_aligned(const struct iovec *iov, int n, uint64_t off)
{
	if (off % DIRECT_ALIGN)
		return false;
	for (int i = 0; i < n; i++)
		if ((uintptr_t)iov[i].iov_base % DIRECT_ALIGN || iov[i].iov_len % DIRECT_ALIGN)
			return false;
	return true;
}

static int raw_rw(struct disk *dk, const struct iovec *iov, int n, uint64_t off, bool write)
{
	struct raw *rw = raw_of(dk);
	int r;

	if (!in_range(dk, off, disk_iov_total(iov, n)))
		return -EINVAL;
	if (write && dk->read_only)
		return -EROFS;
	if (rw->direct_fd >= 0 && iov_aligned(iov, n, off)) {
		r = disk_rw_full(rw->direct_fd, iov, n, off, write);
		if (r != -EINVAL)
			return r;
		/* The host's block is larger than DIRECT_ALIGN: cached it is. */
	}
	return disk_rw_full(rw->fd, iov, n, off, write);
}

static int raw_readv(struct disk *dk, const struct iovec *iov, int n, uint64_t off)
{
	return raw_rw(dk, iov, n, off, false);
}

static int raw_writev(struct disk *dk, const struct iovec *iov, int n, uint64_t off)
{
	return raw_rw(dk, iov, n, off, true);
}

static int raw_flush(struct disk *dk)
{
	if (dk->read_only)
		return 0; /* nothing of ours to write back */
	return fdatasync(raw_of(dk)->fd) < 0 ? -errno : 0;
}

/* Zeroes by writing them: where the file system has neither hole punching
 * nor FALLOC_FL_ZERO_RANGE. */
static int raw_write_zero_bytes(struct raw *rw, uint64_t off, uint64_t len)
{
	void *z = calloc(1, ZERO_CHUNK);
	int r = 0;

	if (!z)
		return -ENOMEM;
	while (len && r == 0) {
		struct iovec iov = { z, len < ZERO_CHUNK ? (size_t)len : ZERO_CHUNK };
		r = disk_rw_full(rw->fd, &iov, 1, off, true);
		off += iov.iov_len;
		len -= iov.iov_len;
	}
	free(z);
	return r;
}

static int raw_falloc(struct raw *rw, int mode, uint64_t off, uint64_t len)
{
	if (fallocate(rw->fd, mode, (off_t)off, (off_t)len) == 0)
		return 0;
	return -errno;
}

static int raw_discard(struct disk *dk, uint64_t off, uint64_t len)
{
	int r;

	if (!in_range(dk, off, len))
		return -EINVAL;
	if (dk->read_only)
		return -EROFS;
	r = raw_falloc(raw_of(dk), FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off, len);
	/* Discard is a hint (virtio 1.2 §5.2.6.2): where the host cannot free the
	 * range, keeping its content is a correct answer. */
	if (r == -EOPNOTSUPP || r == -ENOSYS || r == -ENODEV)
		return 0;
	return r;
}

static int raw_write_zeroes(struct disk *dk, uint64_t off, uint64_t len, bool may_unmap)
{
	struct raw *rw = raw_of(dk);
	int r = -EOPNOTSUPP;

	if (!in_range(dk, off, len))
		return -EINVAL;
	if (dk->read_only)
		return -EROFS;
	if (len == 0)
		return 0;
	if (may_unmap)
		r = raw_falloc(rw, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off, len);
	if (r == -EOPNOTSUPP || r == -ENOSYS || r == -ENODEV)
		r = raw_falloc(rw, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, off, len);
	if (r == -EOPNOTSUPP || r == -ENOSYS || r == -ENODEV)
		r = raw_write_zero_bytes(rw, off, len);
	return r;
}

static void raw_close(struct disk *dk)
{
	struct raw *rw = raw_of(dk);

	if (rw->direct_fd >= 0)
		close(rw->direct_fd);
	close(rw->fd);
	free(rw);
}

static const struct disk_ops raw_ops = {
	.name = "raw",
	.readv = raw_readv,
	.writev = raw_writev,
	.flush = raw_flush,
	.discard = raw_discard,
	.write_zeroes = raw_write_zeroes,
	.close = raw_close,
};

/* The size of a regular file or a host block device. */
static int raw_size(int fd, const char *path, uint64_t *size)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (S_ISREG(st.st_mode)) {
		*size = (uint64_t)st.st_size;
		return 0;
	}
	if (S_ISBLK(st.st_mode))
		return ioctl(fd, BLKGETSIZE64, size) < 0 ? -errno : 0;
	log_error("disk %s: neither a regular file nor a block device", path);
	return -EINVAL;
}

int disk_raw_open(const struct disk_open_params *p, struct disk **out)
{
	int flags = (p->read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC;
	struct raw *rw = calloc(1, sizeof(*rw));
	int r;

	if (!rw)
		return -ENOMEM;
	rw->direct_fd = -1;
	rw->fd = open(p->path, flags);
	if (rw->fd < 0) {
		r = -errno;
		log_error("disk %s: cannot open %s: %s", p->path,
			  p->read_only ? "read-only" : "read-write", strerror(-r));
		goto out_free;
	}
	r = raw_size(rw->fd, p->path, &rw->disk.size);
	if (r < 0) {
		log_error("disk %s: cannot read its size: %s", p->path, strerror(-r));
		goto out_close;
	}
	if (p->direct_io) {
		rw->direct_fd = open(p->path, flags | O_DIRECT);
		if (rw->direct_fd < 0)
			/* tmpfs and some FUSE mounts refuse O_DIRECT: cached is
			 * still correct, only slower to hand the host's memory back. */
			log_warn("disk %s: no direct I/O here (%s); using the page cache",
				 p->path, strerror(errno));
	}
	rw->disk.ops = &raw_ops;
	rw->disk.read_only = p->read_only;
	*out = &rw->disk;
	return 0;
out_close:
	close(rw->fd);
out_free:
	free(rw);
	return r;
}
