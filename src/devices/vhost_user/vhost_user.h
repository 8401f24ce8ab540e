/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A virtio device served by a vhost-user backend in another process
 * (krun_add_vhost_user_device). The VMM keeps the virtio-mmio transport: the
 * registers, feature negotiation and queue setup are ours; at DRIVER_OK the
 * backend gets guest RAM (as memfds: the VM's RAM must be gmem_create_shared),
 * the rings' addresses, the queues' ioeventfds as kick fds and one call eventfd
 * per queue, and from then on it moves the data itself. A call becomes the
 * used-buffer interrupt on the event loop (the transport's InterruptStatus
 * must be set, so the call cannot be the irqfd itself).
 *
 * What the guest sees of the backend's features: device-specific bits 0-23,
 * INDIRECT_DESC, EVENT_IDX, IN_ORDER; never PACKED, ACCESS_PLATFORM or others
 * the transport does not know (its queues are split rings). Config space is
 * read from the backend (GET_CONFIG) on every access, where it offers
 * VHOST_USER_PROTOCOL_F_CONFIG; else it reads as zeros.
 *
 * Threads: activate, reset and config access run on vCPU threads under the
 * device lock, and talk to the backend synchronously (vu_conn.h bounds each
 * wait); calls and a backend hang-up are seen on the event loop.
 */
#ifndef LIBKRUN_DEVICES_VHOST_USER_VHOST_USER_H
#define LIBKRUN_DEVICES_VHOST_USER_VHOST_USER_H

#include <stdint.h>

#include "virtio/mmio.h"
#include "vmm/evloop.h"

#define VHOST_USER_DEFAULT_QUEUE_SIZE 256 /* upstream's, for sizes not given */

struct vhost_user_config {
	uint32_t device_type; /* virtio device id (virtio 1.2 §5) */
	const char *socket_path;
	const char *name; /* for logs; NULL: "vhost-user-<type>" */
	/* 0: ask the backend (GET_QUEUE_NUM, needs its MQ protocol feature). */
	uint16_t num_queues;
	/* Per queue; a queue past nsizes takes the last size given, or
	 * VHOST_USER_DEFAULT_QUEUE_SIZE when nsizes is 0. */
	const uint16_t *queue_sizes;
	unsigned int nsizes;
};

/*
 * Connects to the backend and agrees what the device is: SET_OWNER, features,
 * protocol features (MQ, REPLY_ACK, CONFIG, RESET_DEVICE where offered), the
 * queue count, the config size. Guest memory comes later, at activation.
 * 0 or -errno (logged): -ECONNREFUSED/-ENOENT (no backend), -EPROTO (it
 * answered wrongly), -EINVAL (no usable queue count or a size that is not a
 * power of two up to 1024).
 */
int vhost_user_create(const struct vhost_user_config *cfg, struct evloop *loop,
		      struct virtio_dev **out);

#endif
