/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Upstream's init blob and virtual files in a virtio-fs share: not in
 * libkrun-c. Our init always runs (it comes in an initramfs of ours, not as a
 * file in the root share), and our FUSE server serves host files only. The
 * calls check their context, say what is missing and return -ENOSYS, except
 * krun_get_default_init: -ENOTSUP, what upstream's header documents for a
 * build without its init blob.
 */
#include <errno.h>

#include "api/ctx.h"
#include "api/export.h"
#include "libkrun.h"
#include "util/log.h"

#define NO_OVERLAY "virtual file in a virtio-fs share"

KRUN_API int32_t krun_disable_implicit_init(uint32_t ctx_id)
{
	return ctx_unsupported(ctx_id, __func__,
			       "VM without our init (it reports the workload's exit status)",
			       -ENOSYS);
}

KRUN_API int32_t krun_get_default_init(const uint8_t **data_out, size_t *len_out)
{
	(void)data_out, (void)len_out;
	log_error("%s: no init blob of upstream's in libkrun-c", __func__);
	return -ENOTSUP;
}

KRUN_API int32_t krun_fs_add_overlay_file(uint32_t ctx_id, const char *fs_tag, const char *path,
					  const uint8_t *data, size_t data_len, uint32_t mode,
					  bool one_shot)
{
	(void)fs_tag, (void)path, (void)data, (void)data_len, (void)mode, (void)one_shot;
	return ctx_unsupported(ctx_id, __func__, NO_OVERLAY, -ENOSYS);
}

KRUN_API int32_t krun_fs_add_overlay_dir(uint32_t ctx_id, const char *fs_tag, const char *path,
					 uint32_t mode)
{
	(void)fs_tag, (void)path, (void)mode;
	return ctx_unsupported(ctx_id, __func__, NO_OVERLAY, -ENOSYS);
}
