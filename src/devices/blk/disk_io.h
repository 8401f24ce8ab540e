/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the image formats (raw.c, qcow2*.c, vmdk.c) share: whole transfers at
 * an offset, slices of a request's iovec, and the one way a format opens a
 * file that its image names (a qcow2 backing file, a VMDK extent).
 */
#ifndef LIBKRUN_DEVICES_BLK_DISK_IO_H
#define LIBKRUN_DEVICES_BLK_DISK_IO_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

/* Most iovec entries a slice may need: a request's segments (blk.h). */
#define DISK_IOV_MAX 1024

/* preadv/pwritev until every byte moved; a read that meets the end of the
 * file is -EIO, never zeroes made up. 0 or -errno (not logged). */
int disk_rw_full(int fd, const struct iovec *iov, int n, uint64_t off, bool write);
/* One buffer: the same, for metadata. */
int disk_pread_full(int fd, void *buf, size_t len, uint64_t off);
int disk_pwrite_full(int fd, const void *buf, size_t len, uint64_t off);

uint64_t disk_iov_total(const struct iovec *iov, int n);
/* Bytes [skip, skip + len) of iov as a new iovec in out[0..max): its count,
 * or -EINVAL if the range is not inside iov or needs more than max entries. */
int disk_iov_slice(const struct iovec *iov, int n, uint64_t skip, uint64_t len,
		   struct iovec *out, int max);
/* Copies between iov (from byte skip on) and a flat buffer of len bytes;
 * the caller has checked that the range lies inside iov. */
void disk_iov_to_buf(const struct iovec *iov, int n, uint64_t skip, void *buf, size_t len);
void disk_iov_from_buf(const struct iovec *iov, int n, uint64_t skip, const void *buf,
		       size_t len);
/* Zeroes bytes [skip, skip + len) of iov. */
void disk_iov_zero(const struct iovec *iov, int n, uint64_t skip, uint64_t len);

/*
 * Opens name, which the image at image_path names, relative to the image's
 * directory and never outside it: an absolute name, a ".." or a symbolic
 * link that leaves the directory is refused (-EXDEV), as is a magic link
 * (openat2 RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS, Linux 5.6). what names
 * the name's role for the log ("backing file"). 0 with *fd (flags as open(2)),
 * or -errno, logged.
 */
int disk_open_beside(const char *image_path, const char *name, int flags, const char *what,
		     int *fd);

#endif
