/* SPDX-License-Identifier: Apache-2.0 */
/*
 * krun_add_vhost_user_device: a virtio device whose queues another process
 * serves over the vhost-user protocol (devices/vhost_user/vhost_user.h). The
 * call records and checks; krun_start_enter connects, so the backend may
 * start after the call but must listen by then.
 *
 * Upstream's semantics (libkrun.h): num_queues 0 asks the backend; queue
 * sizes NULL means 256 each; a queue past the sizes given takes the last one;
 * with num_queues 0 the sizes are a 0-terminated list.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "api/ctx.h"
#include "api/export.h"
#include "libkrun.h"
#include "util/log.h"

void ctx_vhost_user_release(struct ctx_vhost_user *v)
{
	free(v->path);
	free(v->name);
	v->path = v->name = NULL;
}

/* Sizes as given into v->sizes: power-of-two queue sizes the transport holds. */
static int copy_sizes(const char *fn, struct ctx_vhost_user *v, uint16_t num_queues,
		      const uint16_t *sizes)
{
	unsigned int n = 0;

	if (!sizes)
		return 0;
	for (;; n++) {
		if (num_queues ? n == num_queues : sizes[n] == 0)
			break;
		if (n == VIRTIO_MAX_QUEUES) {
			log_error("%s: more than %d queue sizes (a 0-terminated list?)", fn,
				  VIRTIO_MAX_QUEUES);
			return -EINVAL;
		}
		uint16_t s = sizes[n];
		if (s == 0 || s > VQ_MAX_SIZE || (s & (s - 1))) {
			log_error("%s: queue %u size %u is not a power of two up to %d", fn, n, s,
				  VQ_MAX_SIZE);
			return -EINVAL;
		}
		v->sizes[n] = s;
	}
	v->nsizes = n;
	return 0;
}

KRUN_API int32_t krun_add_vhost_user_device(uint32_t ctx_id, uint32_t device_type,
					    const char *socket_path, const char *name,
					    uint16_t num_queues, const uint16_t *queue_sizes)
{
	CTX_HOLD(ctx, ctx_id);
	struct ctx_vhost_user v = { .device_type = device_type, .num_queues = num_queues };
	size_t max = sizeof(((struct sockaddr_un *)0)->sun_path);
	int r;

	if (!socket_path || !*socket_path || strlen(socket_path) >= max) {
		log_error("%s: give the backend's socket path (shorter than %zu bytes)", __func__,
			  max);
		return -EINVAL;
	}
	/* §5: 0 is reserved; ids fit the transport's DeviceID register. */
	if (device_type == 0 || device_type > 0xffff) {
		log_error("%s: %u is not a virtio device id", __func__, device_type);
		return -EINVAL;
	}
	if (num_queues > VIRTIO_MAX_QUEUES) {
		log_error("%s: %u queues; at most %d", __func__, num_queues, VIRTIO_MAX_QUEUES);
		return -EINVAL;
	}
	if (ctx->nvhost_user == VMM_MAX_VHOST_USER) {
		log_error("%s: at most %d vhost-user devices", __func__, VMM_MAX_VHOST_USER);
		return -ENOSPC;
	}
	r = copy_sizes(__func__, &v, num_queues, queue_sizes);
	if (r < 0)
		return r;
	v.path = strdup(socket_path);
	v.name = name ? strdup(name) : NULL;
	if (!v.path || (name && !v.name)) {
		ctx_vhost_user_release(&v);
		return -ENOMEM;
	}
	ctx->vhost_user[ctx->nvhost_user++] = v;
	return 0;
}
