/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Network interfaces (virtio-net with passt, gvproxy or a tap): not in
 * libkrun-c, whose guests reach the network through TSI (docs/tsi.md). Every
 * call checks its context, then says what is missing and returns -ENOSYS.
 */
#include <errno.h>

#include "api/ctx.h"
#include "api/export.h"
#include "libkrun.h"

#define NO_NET "virtio-net (network interfaces; the guest's sockets use TSI)"

KRUN_API int32_t krun_add_net_unixstream(uint32_t ctx_id, const char *c_path, int fd,
					 uint8_t *const c_mac, uint32_t features, uint32_t flags)
{
	(void)c_path, (void)fd, (void)c_mac, (void)features, (void)flags;
	return ctx_unsupported(ctx_id, __func__, NO_NET, -ENOSYS);
}

KRUN_API int32_t krun_add_net_unixgram(uint32_t ctx_id, const char *c_path, int fd,
				       uint8_t *const c_mac, uint32_t features, uint32_t flags)
{
	(void)c_path, (void)fd, (void)c_mac, (void)features, (void)flags;
	return ctx_unsupported(ctx_id, __func__, NO_NET, -ENOSYS);
}

KRUN_API int32_t krun_add_net_tap(uint32_t ctx_id, char *c_tap_name, uint8_t *const c_mac,
				  uint32_t features, uint32_t flags)
{
	(void)c_tap_name, (void)c_mac, (void)features, (void)flags;
	return ctx_unsupported(ctx_id, __func__, NO_NET, -ENOSYS);
}

KRUN_API int32_t krun_set_passt_fd(uint32_t ctx_id, int fd)
{
	(void)fd;
	return ctx_unsupported(ctx_id, __func__, NO_NET, -ENOSYS);
}

KRUN_API int32_t krun_set_gvproxy_path(uint32_t ctx_id, char *c_path)
{
	(void)c_path;
	return ctx_unsupported(ctx_id, __func__, NO_NET, -ENOSYS);
}

KRUN_API int32_t krun_set_net_mac(uint32_t ctx_id, uint8_t *const c_mac)
{
	(void)c_mac;
	return ctx_unsupported(ctx_id, __func__, NO_NET, -ENOSYS);
}
