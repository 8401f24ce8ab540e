/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Graphics and input (virtio-gpu, displays, virtio-input): not in libkrun-c.
 * Each call checks its context first, as every call does; then it follows
 * what upstream does when built without the feature (src/libkrun/src/lib.rs):
 * the display and input calls return -ENOTSUP, which upstream's header
 * documents for that case.
 *
 * krun_set_gpu_options[2] succeed: upstream accepts the flags in every build
 * and only a "gpu" build attaches a device, and crun calls it whenever the
 * host has /dev/dri and virgl_render_server, failing the container on an
 * error. A warning says the VM has no GPU.
 */
#include <errno.h>

#include "api/ctx.h"
#include "api/export.h"
#include "libkrun.h"
#include "util/log.h"

#define NO_DISPLAY "virtio-gpu display (krun_add_display and friends)"
#define NO_INPUT "virtio-input"

static int gpu_ignored(uint32_t ctx_id, const char *fn, uint32_t virgl_flags)
{
	if (ctx_check(ctx_id) < 0)
		return -ENOENT;
	log_warn("%s: no virtio-gpu in libkrun-c: the VM has no GPU (virgl flags 0x%x ignored)",
		 fn, virgl_flags);
	return 0;
}

KRUN_API int32_t krun_set_gpu_options(uint32_t ctx_id, uint32_t virgl_flags)
{
	return gpu_ignored(ctx_id, __func__, virgl_flags);
}

KRUN_API int32_t krun_set_gpu_options2(uint32_t ctx_id, uint32_t virgl_flags, uint64_t shm_size)
{
	(void)shm_size;
	return gpu_ignored(ctx_id, __func__, virgl_flags);
}

KRUN_API int32_t krun_add_display(uint32_t ctx_id, uint32_t width, uint32_t height)
{
	(void)width, (void)height;
	return ctx_unsupported(ctx_id, __func__, NO_DISPLAY, -ENOTSUP);
}

KRUN_API int32_t krun_display_set_edid(uint32_t ctx_id, uint32_t display_id,
				       const uint8_t *edid_blob, size_t blob_size)
{
	(void)display_id, (void)edid_blob, (void)blob_size;
	return ctx_unsupported(ctx_id, __func__, NO_DISPLAY, -ENOTSUP);
}

KRUN_API int32_t krun_display_set_dpi(uint32_t ctx_id, uint32_t display_id, uint32_t dpi)
{
	(void)display_id, (void)dpi;
	return ctx_unsupported(ctx_id, __func__, NO_DISPLAY, -ENOTSUP);
}

KRUN_API int32_t krun_display_set_physical_size(uint32_t ctx_id, uint32_t display_id,
						uint16_t width_mm, uint16_t height_mm)
{
	(void)display_id, (void)width_mm, (void)height_mm;
	return ctx_unsupported(ctx_id, __func__, NO_DISPLAY, -ENOTSUP);
}

KRUN_API int32_t krun_display_set_refresh_rate(uint32_t ctx_id, uint32_t display_id,
					       uint32_t refresh_rate)
{
	(void)display_id, (void)refresh_rate;
	return ctx_unsupported(ctx_id, __func__, NO_DISPLAY, -ENOTSUP);
}

KRUN_API int32_t krun_set_display_backend(uint32_t ctx_id, const void *display_backend,
					  size_t backend_size)
{
	(void)display_backend, (void)backend_size;
	return ctx_unsupported(ctx_id, __func__, NO_DISPLAY, -ENOTSUP);
}

KRUN_API int krun_add_input_device(uint32_t ctx_id, const void *config_backend,
				   size_t config_backend_size, const void *events_backend,
				   size_t events_backend_size)
{
	(void)config_backend, (void)config_backend_size, (void)events_backend,
		(void)events_backend_size;
	return ctx_unsupported(ctx_id, __func__, NO_INPUT, -ENOTSUP);
}

KRUN_API int krun_add_input_device_fd(uint32_t ctx_id, int input_fd)
{
	(void)input_fd;
	return ctx_unsupported(ctx_id, __func__, NO_INPUT, -ENOTSUP);
}
