/* SPDX-License-Identifier: Apache-2.0 */
/*
 * krun_add_vsock_port, krun_add_vsock_port2: vsock ports of the guest that lead
 * to host UNIX sockets (src/vsock/unix.h). Checked here, so that a bad path or
 * a taken port fails at the call rather than at start; the listening socket
 * itself is bound at krun_start_enter.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "api/ctx.h"
#include "api/export.h"
#include "libkrun.h"
#include "util/log.h"

#define VMADDR_PORT_ANY_VALUE UINT32_MAX /* linux/vm_sockets.h: not a port */

KRUN_API int32_t krun_add_vsock_port2(uint32_t ctx_id, uint32_t port, const char *c_filepath,
				      bool listen)
{
	CTX_HOLD(ctx, ctx_id);
	struct sockaddr_un sa;
	struct stat st;
	char *path;

	if (!c_filepath || !*c_filepath) {
		log_error("%s: no socket path given", __func__);
		return -EINVAL;
	}
	if (strlen(c_filepath) >= sizeof(sa.sun_path)) {
		log_error("%s: socket path longer than %zu bytes: %s", __func__,
			  sizeof(sa.sun_path) - 1, c_filepath);
		return -ENAMETOOLONG;
	}
	if (port == VMADDR_PORT_ANY_VALUE) {
		log_error("%s: port %u is VMADDR_PORT_ANY", __func__, port);
		return -EINVAL;
	}
	for (unsigned int i = 0; i < ctx->nvsock_ports; i++) {
		if (ctx->vsock_ports[i].port == port) {
			log_error("%s: vsock port %u is already mapped", __func__, port);
			return -EEXIST;
		}
	}
	if (ctx->nvsock_ports == KRUN_MAX_VSOCK_PORTS) {
		log_error("%s: at most %d vsock ports", __func__, KRUN_MAX_VSOCK_PORTS);
		return -ENOSPC;
	}
	/* The VMM creates the socket; it never removes a file it did not make. */
	if (listen && lstat(c_filepath, &st) == 0) {
		log_error("%s: %s exists already", __func__, c_filepath);
		return -EEXIST;
	}
	path = strdup(c_filepath);
	if (!path)
		return -ENOMEM;
	ctx->vsock_ports[ctx->nvsock_ports++] =
		(struct vsock_port_cfg){ .port = port, .listen = listen, .path = path };
	return 0;
}

KRUN_API int32_t krun_add_vsock_port(uint32_t ctx_id, uint32_t port, const char *c_filepath)
{
	return krun_add_vsock_port2(ctx_id, port, c_filepath, false);
}

KRUN_API int32_t krun_disable_implicit_vsock(uint32_t ctx_id)
{
	CTX_HOLD(ctx, ctx_id);

	ctx->vsock_implicit_off = true;
	return 0;
}

KRUN_API int32_t krun_add_vsock(uint32_t ctx_id, uint32_t tsi_features)
{
	CTX_HOLD(ctx, ctx_id);

	if (!ctx->vsock_implicit_off || ctx->vsock_added) {
		log_error("%s: call krun_disable_implicit_vsock first, and this once", __func__);
		return -EINVAL;
	}
	if (tsi_features & ~(uint32_t)(KRUN_TSI_HIJACK_INET | KRUN_TSI_HIJACK_UNIX)) {
		log_error("%s: unknown TSI features 0x%x", __func__, tsi_features);
		return -EINVAL;
	}
	ctx->vsock_added = true;
	ctx->tsi_features = tsi_features;
	return 0;
}

KRUN_API int32_t krun_allow_tsi_unix_path(uint32_t ctx_id, const char *c_host_path)
{
	CTX_HOLD(ctx, ctx_id);
	struct sockaddr_un sa;
	char *path;

	if (!c_host_path || c_host_path[0] != '/' || strpbrk(c_host_path, ", \t\n\"")) {
		log_error("%s: want an absolute path without commas, blanks or quotes: %s",
			  __func__, c_host_path ? c_host_path : "(null)");
		return -EINVAL;
	}
	if (strlen(c_host_path) >= sizeof(sa.sun_path)) {
		log_error("%s: path longer than %zu bytes: %s", __func__, sizeof(sa.sun_path) - 1,
			  c_host_path);
		return -ENAMETOOLONG;
	}
	for (unsigned int i = 0; i < ctx->ntsi_unix_paths; i++) {
		if (!strcmp(ctx->tsi_unix_paths[i], c_host_path)) {
			log_error("%s: %s is allowed already", __func__, c_host_path);
			return -EEXIST;
		}
	}
	if (ctx->ntsi_unix_paths == KRUN_MAX_TSI_UNIX_PATHS) {
		log_error("%s: at most %d paths", __func__, KRUN_MAX_TSI_UNIX_PATHS);
		return -ENOSPC;
	}
	path = strdup(c_host_path);
	if (!path)
		return -ENOMEM;
	ctx->tsi_unix_paths[ctx->ntsi_unix_paths++] = path;
	return 0;
}
