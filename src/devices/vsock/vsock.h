/* SPDX-License-Identifier: Apache-2.0 */
/*
 * virtio-vsock (virtio 1.2 §5.10, device id 19): guest CID 3, queues rx, tx
 * and event. The device only moves packets between its queues and the muxer
 * (src/vsock/mux.h), which owns connections, credit and host fds; the ports
 * of krun_add_vsock_port[2] are UNIX-socket endpoints on it (src/vsock/unix.h).
 *
 * Offered: VERSION_1, VIRTIO_VSOCK_F_SEQPACKET (for services that ask for
 * SEQPACKET, i.e. TSI's UDP; everything else is a stream) and
 * VIRTIO_F_EVENT_IDX (virtio 1.2 §2.7.10, src/virtio/queue.c).
 * The event queue's buffers are kept for events; none is ever sent, as the
 * guest's CID never changes (§5.10.6.7, TRANSPORT_RESET is for migration).
 *
 * Threads: queue kicks and host fds are served on the event loop thread;
 * config, activate and reset come from vCPU threads. All queue work runs under
 * the muxer's lock, and only while the muxer is active (activate to reset).
 */
#ifndef LIBKRUN_DEVICES_VSOCK_H
#define LIBKRUN_DEVICES_VSOCK_H

#include "virtio/mmio.h"
#include "tsi/tsi.h"
#include "vsock/unix.h"

#define VSOCK_RXQ 0
#define VSOCK_TXQ 1
#define VSOCK_EVQ 2
#define VSOCK_NUM_QUEUES 3
#define VSOCK_QUEUE_SIZE 256

struct evloop;

struct vsock_config {
	bool present; /* the device exists */
	const struct vsock_port_cfg *ports;
	unsigned int nports;
	bool tsi;     /* the TSI service (src/tsi/tsi.h) on the muxer */
	struct tsi_config tsi_cfg;
};

/* Creates the device with its muxer and ports (listen paths are bound now).
 * loop may be NULL (tests: serve vsock_dev_mux's fd yourself). 0 and *out, or
 * -errno (logged). */
int vsock_create(const struct vsock_config *cfg, struct evloop *loop, struct virtio_dev **out);

/* The device's muxer, for tests. */
struct vsock_mux *vsock_dev_mux(struct virtio_dev *d);

#endif
