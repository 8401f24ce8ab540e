/* SPDX-License-Identifier: Apache-2.0 */
/*
 * An image format behind virtio-blk: byte-addressed reads and writes of a
 * virtual disk of `size` bytes, with no virtio in it, so that a format (raw,
 * qcow2, VMDK) is tested alone and the device does not change.
 *
 * Contract for every format: the caller has already checked that
 * [off, off + len) lies inside [0, size) (the device does it once, for every
 * request, overflow-safe); a format still refuses what is outside (-EINVAL)
 * rather than trusting that. Each call is complete or fails: a short transfer
 * is retried inside, never returned. Calls may run concurrently from several
 * threads on different or overlapping ranges (the guest orders its own
 * overlapping requests). Every call returns 0 or -errno.
 */
#ifndef LIBKRUN_DEVICES_BLK_DISK_H
#define LIBKRUN_DEVICES_BLK_DISK_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

struct disk;

struct disk_ops {
	const char *name; /* for logs: "raw" */
	int (*readv)(struct disk *dk, const struct iovec *iov, int iovcnt, uint64_t off);
	int (*writev)(struct disk *dk, const struct iovec *iov, int iovcnt, uint64_t off);
	/* Everything written so far reaches stable storage. */
	int (*flush)(struct disk *dk);
	/* The range's content is no longer needed (it may read back as anything). */
	int (*discard)(struct disk *dk, uint64_t off, uint64_t len);
	/* The range reads back as zeroes; may_unmap lets the format free it. */
	int (*write_zeroes)(struct disk *dk, uint64_t off, uint64_t len, bool may_unmap);
	void (*close)(struct disk *dk);
};

struct disk {
	const struct disk_ops *ops;
	uint64_t size; /* bytes the guest sees; fixed while the disk is open */
	bool read_only;
};

struct disk_open_params {
	const char *path;
	bool read_only;
	bool direct_io; /* bypass the host page cache where the request allows */
};

/* raw.c: the file is the disk, byte for byte. 0 with *out, or -errno (logged). */
int disk_raw_open(const struct disk_open_params *p, struct disk **out);

/* qcow2*.c: QEMU's qcow2, versions 2 and 3, read-write; a backing file only
 * beside the image (docs/disks.md says what is refused). */
int disk_qcow2_open(const struct disk_open_params *p, struct disk **out);
/* vmdk.c: a VMDK text descriptor with FLAT and ZERO extents beside it. */
int disk_vmdk_open(const struct disk_open_params *p, struct disk **out);

enum disk_format { DISK_FORMAT_RAW, DISK_FORMAT_QCOW2, DISK_FORMAT_VMDK };

/* The format the caller named; never probed from the image's content. */
static inline int disk_open(enum disk_format f, const struct disk_open_params *p,
			    struct disk **out)
{
	if (f == DISK_FORMAT_QCOW2)
		return disk_qcow2_open(p, out);
	if (f == DISK_FORMAT_VMDK)
		return disk_vmdk_open(p, out);
	return disk_raw_open(p, out);
}

/* Frees dk (NULL is fine). */
static inline void disk_close(struct disk *dk)
{
	if (dk)
		dk->ops->close(dk);
}

#endif
