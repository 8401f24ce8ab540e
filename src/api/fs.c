/* SPDX-License-Identifier: Apache-2.0 */
/*
 * krun_set_root, krun_add_virtiofs[23]: host directories the
 * guest sees over virtio-fs. The path is resolved to an absolute one now, so a
 * later chdir of the caller does not change what is shared, and a typo fails
 * here with -ENOENT rather than at start.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "api/ctx.h"
#include "api/export.h"
#include "devices/fs/virtio_fs.h"
#include "libkrun.h"
#include "util/log.h"

static int resolve_dir(const char *fn, const char *path, char **out)
{
	struct stat st;
	char *abs;

	if (!path || !*path) {
		log_error("%s: no directory given", fn);
		return -EINVAL;
	}
	abs = realpath(path, NULL);
	if (!abs) {
		int r = errno == ENOMEM ? -ENOMEM : -errno;
		log_error("%s: %s: %s", fn, path, strerror(-r));
		return r;
	}
	if (stat(abs, &st) < 0 || !S_ISDIR(st.st_mode)) {
		log_error("%s: %s is not a directory", fn, path);
		free(abs);
		return -ENOTDIR;
	}
	*out = abs;
	return 0;
}

static int find_tag(const struct krun_ctx *ctx, const char *tag)
{
	for (unsigned int i = 0; i < ctx->nfs; i++)
		if (!strcmp(ctx->fs[i].tag, tag))
			return (int)i;
	return -1;
}

/* Adds a share, or replaces the one with the same tag when `replace`. */
static int add_share(uint32_t ctx_id, const char *fn, const char *tag, const char *path,
		     bool replace, bool read_only, uint64_t shm_size)
{
	CTX_HOLD(ctx, ctx_id);
	char *abs = NULL, *tag_copy;
	int i, r;

	if (!tag || !*tag || strlen(tag) > VIRTIO_FS_TAG_MAX) {
		log_error("%s: the tag must be 1 to %d bytes", fn, VIRTIO_FS_TAG_MAX);
		return -EINVAL;
	}
	i = find_tag(ctx, tag);
	if (i >= 0 && !replace) {
		log_error("%s: tag \"%s\" is already in use", fn, tag);
		return -EEXIST;
	}
	if (i < 0 && ctx->nfs == VMM_MAX_FS) {
		log_error("%s: at most %d shares", fn, VMM_MAX_FS);
		return -ENOSPC;
	}
	r = resolve_dir(fn, path, &abs);
	if (r < 0)
		return r;
	if (i >= 0) {
		free(ctx->fs[i].path);
		ctx->fs[i].path = abs;
		ctx->fs[i].read_only = read_only;
		ctx->fs[i].shm_size = shm_size;
		return 0;
	}
	tag_copy = strdup(tag);
	if (!tag_copy) {
		free(abs);
		return -ENOMEM;
	}
	ctx->fs[ctx->nfs].tag = tag_copy;
	ctx->fs[ctx->nfs].path = abs;
	ctx->fs[ctx->nfs].read_only = read_only;
	ctx->fs[ctx->nfs].shm_size = shm_size;
	ctx->nfs++;
	return 0;
}

KRUN_API int32_t krun_set_root(uint32_t ctx_id, const char *root_path)
{
	return add_share(ctx_id, __func__, KRUN_ROOT_TAG, root_path, true, false, 0);
}

KRUN_API int32_t krun_add_virtiofs(uint32_t ctx_id, const char *c_tag, const char *c_path)
{
	return add_share(ctx_id, __func__, c_tag, c_path, false, false, 0);
}

/* krun_add_virtiofs2 and 3: a share with a DAX window of shm_size bytes (0:
 * none), rounded up to whole 2 MiB ranges. The guest maps files through it
 * when it mounts the share with "-o dax" (ops_dax.c); the window costs the guest
 * 1/64 of its size in RAM for its page structures. KRUN_FS_ROOT_TAG is
 * upstream's way to give the root these options: it replaces krun_set_root's
 * share (or is replaced by a later krun_set_root). */
static int add_dax_share(uint32_t ctx_id, const char *fn, const char *tag, const char *path,
			 uint64_t shm_size, bool read_only)
{
	bool root = tag && !strcmp(tag, KRUN_ROOT_TAG);

	if (shm_size > VMM_MAX_SHM) {
		log_error("%s: a DAX window of %llu bytes: at most %llu GiB", fn,
			  (unsigned long long)shm_size, VMM_MAX_SHM >> 30);
		return -EINVAL;
	}
	shm_size = (shm_size + VMM_SHM_GRANULE - 1) & ~(VMM_SHM_GRANULE - 1);
	return add_share(ctx_id, fn, tag, path, root, read_only, shm_size);
}

KRUN_API int32_t krun_add_virtiofs2(uint32_t ctx_id, const char *c_tag, const char *c_path,
				    uint64_t shm_size)
{
	return add_dax_share(ctx_id, __func__, c_tag, c_path, shm_size, false);
}

KRUN_API int32_t krun_add_virtiofs3(uint32_t ctx_id, const char *c_tag, const char *c_path,
				    uint64_t shm_size, bool read_only)
{
	/* read_only is enforced by the server (fuse_server_config.read_only):
	 * every request that would change the host gets -EROFS, whatever the
	 * guest's mount flags say. */
	return add_dax_share(ctx_id, __func__, c_tag, c_path, shm_size, read_only);
}

/* Upstream: "NO LONGER SUPPORTED", -EINVAL in every build. */
KRUN_API int32_t krun_set_mapped_volumes(uint32_t ctx_id, const char *const mapped_volumes[])
{
	(void)mapped_volumes;
	if (ctx_check(ctx_id) < 0)
		return -ENOENT;
	log_error("%s: no longer supported (upstream neither); use krun_add_virtiofs", __func__);
	return -EINVAL;
}
