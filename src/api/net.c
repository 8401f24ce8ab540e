/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Network interfaces: virtio-net devices (src/devices/net/net.h) on a
 * unixstream proxy (passt, socket_vmnet), a unixgram one (gvproxy, vmnet-helper)
 * or a tap. The calls record and check; krun_start_enter connects what was
 * given by path or name (ctx_net_prepare), so a proxy may start after the
 * calls. Upstream's rule (libkrun.h): with any interface, the implicit vsock
 * device carries no TSI.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "api/ctx.h"
#include "api/export.h"
#include "libkrun.h"
#include "util/buf.h"
#include "util/log.h"
#include "vmm/initramfs.h"

#define KNOWN_FEATURES                                                                   \
	(NET_FEATURE_CSUM | NET_FEATURE_GUEST_CSUM | NET_FEATURE_GUEST_TSO4 |             \
	 NET_FEATURE_GUEST_TSO6 | NET_FEATURE_GUEST_UFO | NET_FEATURE_HOST_TSO4 |         \
	 NET_FEATURE_HOST_TSO6 | NET_FEATURE_HOST_UFO)
#define KNOWN_FLAGS (NET_FLAG_VFKIT | NET_FLAG_DHCP_CLIENT)
/* gvproxy's vfkit mode waits for these bytes before it sends a frame. */
#define VFKIT_MAGIC "VFKT"

/* Upstream's MAC for krun_set_passt_fd and krun_set_gvproxy_path without
 * krun_set_net_mac: locally administered, unicast. */
static const uint8_t default_mac[6] = { 0x5a, 0x94, 0xef, 0xe4, 0x0c, 0xee };

enum net_src { SRC_UNIXSTREAM, SRC_UNIXGRAM, SRC_TAP };

void ctx_net_release(struct ctx_net *n)
{
	free(n->path);
	n->path = NULL;
	if (n->fd >= 0)
		close(n->fd);
	n->fd = -1;
}

/* Records one interface: path (or a tap name) xor fd, checked as far as can be now. */
static int net_add(uint32_t ctx_id, const char *fn, enum net_src src, const char *path, int fd,
		   const uint8_t *mac, uint32_t features, uint32_t flags)
{
	CTX_HOLD(ctx, ctx_id);
	struct ctx_net *n;
	size_t max = src == SRC_TAP ? IFNAMSIZ : sizeof(((struct sockaddr_un *)0)->sun_path);

	if ((path == NULL) == (fd < 0) || (path && (!*path || strlen(path) >= max))) {
		log_error("%s: give a path (shorter than %zu bytes) or an fd, not both", fn, max);
		return -EINVAL;
	}
	if (fd >= 0 && fcntl(fd, F_GETFD) < 0) {
		log_error("%s: fd %d is not open", fn, fd);
		return -EBADF;
	}
	if (features & ~(uint32_t)KNOWN_FEATURES || flags & ~(uint32_t)KNOWN_FLAGS ||
	    ((flags & NET_FLAG_VFKIT) && src != SRC_UNIXGRAM)) {
		log_error("%s: unknown features %#x or flags %#x", fn, features, flags);
		return -EINVAL;
	}
	if (ctx->nnets == VMM_MAX_NETS) {
		log_error("%s: at most %d network interfaces", fn, VMM_MAX_NETS);
		return -ENOSPC;
	}
	n = &ctx->nets[ctx->nnets];
	*n = (struct ctx_net){ .fd = -1, .features = features, .flags = flags,
			       .kind = src == SRC_UNIXSTREAM ? NETBE_STREAM : NETBE_DGRAM,
			       .tap = src == SRC_TAP, .legacy_mac = !mac };
	if (path && !(n->path = strdup(path)))
		return -ENOMEM;
	if (mac)
		memcpy(n->mac, mac, sizeof(n->mac));
	n->fd = fd;
	ctx->nnets++;
	return 0;
}

KRUN_API int32_t krun_add_net_unixstream(uint32_t ctx_id, const char *c_path, int fd,
					 uint8_t *const c_mac, uint32_t features, uint32_t flags)
{
	if (!c_mac)
		return ctx_check(ctx_id) < 0 ? -ENOENT : -EINVAL;
	return net_add(ctx_id, __func__, SRC_UNIXSTREAM, c_path, fd, c_mac, features, flags);
}

KRUN_API int32_t krun_add_net_unixgram(uint32_t ctx_id, const char *c_path, int fd,
				       uint8_t *const c_mac, uint32_t features, uint32_t flags)
{
	if (!c_mac)
		return ctx_check(ctx_id) < 0 ? -ENOENT : -EINVAL;
	return net_add(ctx_id, __func__, SRC_UNIXGRAM, c_path, fd, c_mac, features, flags);
}

KRUN_API int32_t krun_add_net_tap(uint32_t ctx_id, char *c_tap_name, uint8_t *const c_mac,
				  uint32_t features, uint32_t flags)
{
	if (!c_mac || !c_tap_name)
		return ctx_check(ctx_id) < 0 ? -ENOENT : -EINVAL;
	return net_add(ctx_id, __func__, SRC_TAP, c_tap_name, -1, c_mac, features, flags);
}

/* The older single-interface calls: krun_set_net_mac's address, taken at start. */
KRUN_API int32_t krun_set_passt_fd(uint32_t ctx_id, int fd)
{
	if (fd < 0)
		return ctx_check(ctx_id) < 0 ? -ENOENT : -EINVAL;
	return net_add(ctx_id, __func__, SRC_UNIXSTREAM, NULL, fd, NULL, COMPAT_NET_FEATURES, 0);
}

KRUN_API int32_t krun_set_gvproxy_path(uint32_t ctx_id, char *c_path)
{
	if (!c_path)
		return ctx_check(ctx_id) < 0 ? -ENOENT : -EINVAL;
	return net_add(ctx_id, __func__, SRC_UNIXGRAM, c_path, -1, NULL, COMPAT_NET_FEATURES,
		       NET_FLAG_VFKIT);
}

KRUN_API int32_t krun_set_net_mac(uint32_t ctx_id, uint8_t *const c_mac)
{
	CTX_HOLD(ctx, ctx_id);

	if (!c_mac)
		return -EINVAL;
	memcpy(ctx->net_mac, c_mac, sizeof(ctx->net_mac));
	ctx->net_mac_set = true;
	return 0;
}

static int connect_unix(struct ctx_net *n)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX }, local = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, (n->kind == NETBE_STREAM ? SOCK_STREAM : SOCK_DGRAM) | SOCK_CLOEXEC, 0);
	int r;

	if (fd < 0)
		return -errno;
	memcpy(sa.sun_path, n->path, strlen(n->path) + 1); /* length checked when added */
	/* A datagram peer answers to an address: ours is the path plus
	 * "-krun.sock", as upstream binds it (gvproxy, vmnet-helper). */
	if (n->kind == NETBE_DGRAM) {
		if (snprintf(local.sun_path, sizeof(local.sun_path), "%s-krun.sock", n->path) >=
		    (int)sizeof(local.sun_path)) {
			r = -ENAMETOOLONG;
			goto fail;
		}
		unlink(local.sun_path);
		if (bind(fd, (struct sockaddr *)&local, sizeof(local)) < 0)
			goto fail_errno;
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		goto fail_errno;
	if ((n->flags & NET_FLAG_VFKIT) &&
	    send(fd, VFKIT_MAGIC, sizeof(VFKIT_MAGIC) - 1, MSG_NOSIGNAL) < 0)
		goto fail_errno;
	n->fd = fd;
	return 0;
fail_errno:
	r = -errno;
fail:
	close(fd);
	return r;
}

static int open_tap(struct ctx_net *n)
{
	struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI };
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC), r;

	if (fd < 0)
		return -errno;
	memcpy(ifr.ifr_name, n->path, strlen(n->path) + 1); /* < IFNAMSIZ, checked */
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	n->fd = fd;
	return 0;
}

int ctx_net_prepare(struct krun_ctx *ctx, struct vmm_config *cfg, struct buf *guest_cfg)
{
	char name[16];
	int r;

	for (unsigned int i = 0; i < ctx->nnets; i++) {
		struct ctx_net *n = &ctx->nets[i];

		if (n->fd < 0) {
			r = n->tap ? open_tap(n) : connect_unix(n);
			if (r < 0) {
				log_error("krun_start_enter: cannot reach network %s %s: %s",
					  n->tap ? "tap" : "proxy at", n->path, strerror(-r));
				return r;
			}
		}
		if (n->legacy_mac)
			memcpy(n->mac, ctx->net_mac_set ? ctx->net_mac : default_mac, 6);
		cfg->nets[i] = (struct vmm_net){ .fd = n->fd, .kind = n->kind,
						 .features = n->features };
		memcpy(cfg->nets[i].mac, n->mac, sizeof(n->mac));
		snprintf(name, sizeof(name), "eth%u", i);
		if ((n->flags & NET_FLAG_DHCP_CLIENT) &&
		    (r = guest_config_add(guest_cfg, "net_dhcp", name)) < 0)
			return r;
	}
	cfg->nnets = ctx->nnets;
	return 0;
}
