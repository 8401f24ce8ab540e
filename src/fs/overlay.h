/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Virtual entries of a share (krun_fs_add_overlay_file/_dir): files whose
 * bytes the VMM holds, and empty directories to hold them or to mount over,
 * that the guest sees in the share without anything of them existing in the
 * host folder. They shadow a host entry of the same name.
 *
 * A file is a sealed memfd (no write, no resize: the guest reads it, a write
 * fails with EPERM); its inode is the memfd's own. A directory is a stub
 * inode (realfs.c) on device 0, which no mounted file system has
 * (get_anon_bdev starts at 1), with its index + 1 as inode number: the server
 * tells it from a pseudo file system's stub by that device. A directory holds
 * only virtual entries; nothing can be created in it (EACCES). A one-shot
 * file can be looked up once; then it is gone from the share.
 */
#ifndef LIBKRUN_FS_OVERLAY_H
#define LIBKRUN_FS_OVERLAY_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define FS_OVERLAY_DEV ((dev_t)0)
#define FS_OVERLAY_MAX 64 /* entries per share */

/* What the caller gives (fuse_server_config.overlays). */
struct fs_overlay_spec {
	const char *path;   /* relative to the share's root: "etc/hostname" */
	const uint8_t *data; /* a file's bytes (copied at create), NULL for a dir */
	size_t len;
	uint32_t mode;      /* permission bits used; the type comes from data */
	bool dir;
	bool one_shot;
};

struct fs_overlay;

/* Checks a spec list as the API must (each path's parents earlier in the
 * list as directories, one component per level, no "."/".."/"", names unique
 * among siblings): 0, or -EINVAL/-ENOENT/-ENOTDIR/-EEXIST for the entry at
 * *bad. */
int fs_overlay_check(const struct fs_overlay_spec *spec, unsigned int n, unsigned int *bad);

/* Builds the entries (memfds made, filled and sealed). 0 or -errno, logged. */
int fs_overlay_create(const struct fs_overlay_spec *spec, unsigned int n,
		      struct fs_overlay **out);
void fs_overlay_destroy(struct fs_overlay *o);

#endif
