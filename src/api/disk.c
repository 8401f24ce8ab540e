/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Block devices (virtio-blk): not in libkrun-c. Every call checks its context
 * as the others do, then says what is missing and returns -ENOSYS; the root
 * is a host directory (krun_set_root) instead.
 */
#include <errno.h>

#include "api/ctx.h"
#include "api/export.h"
#include "libkrun.h"

#define NO_BLK "virtio-blk (block devices; share a directory with krun_set_root)"

KRUN_API int32_t krun_set_root_disk(uint32_t ctx_id, const char *disk_path)
{
	(void)disk_path;
	return ctx_unsupported(ctx_id, __func__, NO_BLK, -ENOSYS);
}

KRUN_API int32_t krun_set_data_disk(uint32_t ctx_id, const char *disk_path)
{
	(void)disk_path;
	return ctx_unsupported(ctx_id, __func__, NO_BLK, -ENOSYS);
}

KRUN_API int32_t krun_add_disk(uint32_t ctx_id, const char *block_id, const char *disk_path,
			       bool read_only)
{
	(void)block_id, (void)disk_path, (void)read_only;
	return ctx_unsupported(ctx_id, __func__, NO_BLK, -ENOSYS);
}

KRUN_API int32_t krun_add_disk2(uint32_t ctx_id, const char *block_id, const char *disk_path,
				uint32_t disk_format, bool read_only)
{
	(void)block_id, (void)disk_path, (void)disk_format, (void)read_only;
	return ctx_unsupported(ctx_id, __func__, NO_BLK, -ENOSYS);
}

KRUN_API int32_t krun_add_disk3(uint32_t ctx_id, const char *block_id, const char *disk_path,
				uint32_t disk_format, bool read_only, bool direct_io,
				uint32_t sync_mode)
{
	(void)block_id, (void)disk_path, (void)disk_format, (void)read_only, (void)direct_io,
		(void)sync_mode;
	return ctx_unsupported(ctx_id, __func__, NO_BLK, -ENOSYS);
}

KRUN_API int32_t krun_set_root_disk_remount(uint32_t ctx_id, const char *device,
					    const char *fstype, const char *options)
{
	(void)device, (void)fstype, (void)options;
	return ctx_unsupported(ctx_id, __func__, NO_BLK, -ENOSYS);
}
