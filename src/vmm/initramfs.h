/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The archive the VMM appends to the guest's initramfs: our init and its
 * configuration (see vmm/guest_abi.h for what they agree on).
 *
 * Format: "newc" cpio (Linux Documentation/driver-api/early-userspace/
 * buffer-format.rst). The kernel unpacks concatenated archives in order, later
 * entries replacing earlier ones, and skips zero bytes between them only in
 * 4-byte steps: the VMM must pad the caller's initramfs to a multiple of 4 bytes
 * before appending this archive. Every archive built here is itself a multiple
 * of 4 bytes long.
 *
 * Usage:
 *   struct cpio c = {0};
 *   struct buf cfg = {0};
 *   guest_config_add(&cfg, "exec", "/bin/sh") ...
 *   r = initramfs_build(&c, init, init_len, cfg.data, cfg.len);
 *   ... copy c.buf.data / c.buf.len into guest memory ...
 *   cpio_release(&c); buf_release(&cfg);
 */
#ifndef LIBKRUN_VMM_INITRAMFS_H
#define LIBKRUN_VMM_INITRAMFS_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

/* The static init binary, embedded by src/vmm/init_blob.S (library build only:
 * the unit-test archive does not contain it). */
extern const uint8_t krun_init_start[] __attribute__((visibility("hidden")));
extern const uint8_t krun_init_end[] __attribute__((visibility("hidden")));

/* A newc writer. Zero-initialise; entries get distinct inode numbers. */
struct cpio {
	struct buf buf;
	uint32_t next_ino;
};

/*
 * Each adds one entry; 0 or -errno. path is relative to the guest's root; a
 * leading '/' is dropped (GNU cpio and the kernel agree on relative names).
 * -EINVAL: empty name, or mode with file-type bits; -ENAMETOOLONG: over 4095
 * bytes (the kernel's PATH_MAX); -EFBIG: data over 4 GiB - 1 (the size field is
 * 32 bits) or the archive would pass BUF_MAX_LEN; -ENOMEM. On error the archive
 * is unchanged. Parents must be added before their children: the kernel does not
 * create missing directories.
 */
int cpio_add_dir(struct cpio *c, const char *path, uint32_t perm);
int cpio_add_file(struct cpio *c, const char *path, uint32_t perm, const void *data,
		  size_t len);
/* A character device node (S_IFCHR) with the given major/minor. */
int cpio_add_chardev(struct cpio *c, const char *path, uint32_t perm, uint32_t major,
		     uint32_t minor);
/* Appends the "TRAILER!!!" entry; the archive is complete. */
int cpio_finish(struct cpio *c);
void cpio_release(struct cpio *c);

/*
 * Appends one config record "KEY\0VALUE\0" (guest_abi.h). 0, -EINVAL for an empty
 * key, -EFBIG / -ENOMEM from the buffer (which is then unchanged).
 */
int guest_config_add(struct buf *b, const char *key, const char *value);

/*
 * The whole archive: directories /.krun (0700) and /dev (0755), /dev/console
 * (c 5:1, so the kernel can give init its stdio before devtmpfs is mounted:
 * init/main.c of Linux opens /dev/console on the rootfs), /init (0755) from
 * `init`, /.krun/config (0400) from `config`, and the trailer. On error c is
 * released.
 */
int initramfs_build(struct cpio *c, const void *init, size_t init_len, const void *config,
		    size_t config_len);

#endif
