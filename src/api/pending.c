/* SPDX-License-Identifier: Apache-2.0 */
/*
 * API functions whose devices have not landed yet (virtio-fs: issue 5, vsock:
 * issue 6, TSI: issue 8). They exist so that upstream's clients link; each says
 * plainly in the log that it is not implemented and returns -ENOSYS.
 */
#include <errno.h>

#include "api/ctx.h"
#include "api/export.h"
#include "libkrun.h"
#include "util/log.h"

static int not_yet(uint32_t ctx_id, const char *fn)
{
	if (!ctx_get(ctx_id))
		return -ENOENT;
	log_error("%s is not implemented yet in libkrun-c", fn);
	return -ENOSYS;
}

KRUN_API int32_t krun_set_root(uint32_t ctx_id, const char *root_path)
{
	(void)root_path;
	return not_yet(ctx_id, __func__);
}

KRUN_API int32_t krun_add_virtiofs(uint32_t ctx_id, const char *c_tag, const char *c_path)
{
	(void)c_tag, (void)c_path;
	return not_yet(ctx_id, __func__);
}

KRUN_API int32_t krun_add_virtiofs2(uint32_t ctx_id, const char *c_tag, const char *c_path,
				    uint64_t shm_size)
{
	(void)c_tag, (void)c_path, (void)shm_size;
	return not_yet(ctx_id, __func__);
}

KRUN_API int32_t krun_add_vsock_port(uint32_t ctx_id, uint32_t port, const char *c_filepath)
{
	(void)port, (void)c_filepath;
	return not_yet(ctx_id, __func__);
}

KRUN_API int32_t krun_add_vsock_port2(uint32_t ctx_id, uint32_t port, const char *c_filepath,
				      bool listen)
{
	(void)port, (void)c_filepath, (void)listen;
	return not_yet(ctx_id, __func__);
}

KRUN_API int32_t krun_set_port_map(uint32_t ctx_id, const char *const port_map[])
{
	(void)port_map;
	return not_yet(ctx_id, __func__);
}
