/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SETUPMAPPING and REMOVEMAPPING: the DAX window (virtio 1.2 §5.11.6.4 "Device
 * Operation: DAX Window"; Linux fs/fuse/dax.c is the driver's side). The
 * guest asks for a file range to appear at an offset of the device's shared
 * memory region; we map the file there (mmap MAP_SHARED | MAP_FIXED over our
 * part of the window), so the guest's loads and stores reach the host's page
 * cache with no request and no copy. REMOVEMAPPING puts anonymous memory back.
 *
 * The window is guest memory KVM maps, never memory this process reads or
 * writes: the server only changes what backs it. Every offset and length is
 * checked against the window (whole 2 MiB ranges, inside it, no overflow) before
 * anything is mapped; only regular files are mapped, read-only on a read-only
 * share or a virtual entry, and a writable mapping demotes a set-ID file first
 * as a writable OPEN does (statmap.c). A guest that touches a mapped page past
 * the file's end, or writes through a read-only mapping, gets KVM_RUN to fail
 * with EFAULT: its VM ends (docs/security.md, "DAX window").
 */
#include "fs/fs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "util/log.h"

#define FS_DAX_PAGE (1ULL << FS_DAX_ALIGN_SHIFT)

/* Anonymous memory over [off, off + len) of the window (checked by the caller). */
static int fs_dax_clear(struct fuse_server *s, uint64_t off, uint64_t len)
{
	void *p = mmap(s->dax_window + off, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0);

	if (p == MAP_FAILED) {
		int e = errno;

		log_warn("fs: DAX window: cannot reset 0x%llx+0x%llx: %s",
			 (unsigned long long)off, (unsigned long long)len, strerror(e));
		return -e;
	}
	return 0;
}

int fs_dax_reset(struct fuse_server *s)
{
	return s->dax_window ? fs_dax_clear(s, 0, s->dax_window_len) : 0;
}

/* Whether [off, off + len) is a non-empty part of the window in whole ranges. */
static bool fs_dax_range_ok(const struct fuse_server *s, uint64_t off, uint64_t len)
{
	return len && !(off % FS_DAX_PAGE) && !(len % FS_DAX_PAGE) &&
	       off < s->dax_window_len && len <= s->dax_window_len - off;
}

int fs_op_setupmapping(struct fs_req *r)
{
	struct fuse_setupmapping_in in;
	struct fuse_server *s = r->s;
	struct fs_inode *i;
	bool writable;
	int fd, res;
	void *p;

	memcpy(&in, r->arg, sizeof(in));
	if (!s->dax_window)
		return -ENOSYS; /* no window: the guest's driver never asks */
	if (in.flags & ~(FUSE_SETUPMAPPING_FLAG_READ | FUSE_SETUPMAPPING_FLAG_WRITE))
		return -EINVAL;
	if (!fs_dax_range_ok(s, in.moffset, in.len) || in.foffset % FS_DAX_PAGE ||
	    in.foffset > (uint64_t)INT64_MAX - in.len)
		return -EINVAL;
	writable = in.flags & FUSE_SETUPMAPPING_FLAG_WRITE;
	if (writable && (s->read_only || (s->overlay && fs_overlay_owns(s, r->h.nodeid))))
		return -EROFS;
	/* fs/fuse/dax.c sends fh -1: the mapping is the inode's, not a handle's. */
	res = fs_inode_get(&s->inodes, r->h.nodeid, &i);
	if (res < 0)
		return res;
	res = fs_inode_open(s, i, (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC | O_NOCTTY, &fd);
	fs_inode_put(&s->inodes, i);
	if (res < 0)
		return res;
	p = mmap(s->dax_window + in.moffset, in.len, PROT_READ | (writable ? PROT_WRITE : 0),
		 MAP_SHARED | MAP_FIXED, fd, (off_t)in.foffset);
	if (p == MAP_FAILED) {
		res = -errno;
		/* A failed MAP_FIXED may have unmapped the range: never leave a hole
		 * (a guest access there would fail KVM_RUN). */
		fs_dax_clear(s, in.moffset, in.len);
	}
	close(fd); /* the mapping holds the file */
	return res;
}

int fs_op_removemapping(struct fs_req *r)
{
	struct fuse_removemapping_in in;
	struct fuse_removemapping_one one;
	struct fuse_server *s = r->s;
	int res = 0;

	memcpy(&in, r->arg, sizeof(in));
	if (!s->dax_window)
		return -ENOSYS;
	/* The entries follow the count; arg_len bounds them (FS_MAX_ARGS). */
	if (in.count > (r->arg_len - sizeof(in)) / sizeof(one))
		return -EINVAL;
	for (uint32_t k = 0; k < in.count; k++) {
		memcpy(&one, r->arg + sizeof(in) + k * sizeof(one), sizeof(one));
		if (!fs_dax_range_ok(s, one.moffset, one.len))
			return -EINVAL; /* the ones before stay removed, as in virtiofsd */
		res = fs_dax_clear(s, one.moffset, one.len);
		if (res < 0)
			return res;
	}
	return 0;
}
