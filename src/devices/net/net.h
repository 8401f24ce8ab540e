/* SPDX-License-Identifier: Apache-2.0 */
/*
 * virtio-net (virtio 1.2 §5.1, device id 1) on a userspace network proxy or a
 * tap (devices/net/backend.h): one receiveq/transmitq pair, no control queue.
 *
 * Offered: VIRTIO_NET_F_MAC (the caller's address), VIRTIO_NET_F_STATUS (link
 * up until the backend ends, then down with a config interrupt),
 * VIRTIO_NET_F_MRG_RXBUF (a frame may span several RX buffers, at most
 * NET_MRG_MAX, held until the driver has posted enough), and the offloads the
 * caller asked for, done in the device since the proxies' framing carries no
 * virtio header: CSUM (the device completes a frame's partial checksum before
 * the backend gets it), HOST_TSO4, HOST_TSO6 and HOST_UFO (the guest sends
 * super-frames of up to 64 KiB, which the device cuts into frames of the
 * guest's gso_size, devices/net/gso.h), and GUEST_CSUM, GUEST_TSO4/6 and
 * GUEST_UFO (accepted, never used: the device hands over frames as the proxy
 * sent them, checksums complete, no GSO). A HOST_ offload is offered only
 * with CSUM, a GUEST_ one only with GUEST_CSUM (§5.1.3.1). Not offered: ECN,
 * USO, MTU (the guest's MTU is 1500 unless DHCP says otherwise). Without
 * MRG_RXBUF a received frame larger than its one buffer is dropped. Also offered: VIRTIO_F_EVENT_IDX
 * (§2.7.10, virtio/queue.h), so the driver asks for fewer interrupts and
 * kicks; the device therefore takes TX chains until the ring is empty (or
 * comes back by itself: budget, backend writable again, backend failed) and
 * waits for an RX kick only after vq_pop found no RX buffer.
 *
 * The guest is hostile: a TX chain is copied out once and checked there (a
 * 12-byte virtio_net_hdr with no flag but NEEDS_CSUM where CSUM was
 * negotiated, its offsets inside the frame, a gso_type that was negotiated
 * and whose headers gso.h finds in the frame, §5.1.6.2, then a frame of
 * NETBE_ETH_HLEN..NETBE_FRAME_MAX bytes, no device-writable part); anything
 * else is completed unsent. One super-frame is cut at a time, each segment
 * counted against the wake-up's budget. RX chains must be device-writable
 * only. Memory is the backend's two fixed buffers and the super-frame's: while
 * the guest posts no RX buffer nothing more is read from the backend, and
 * while the backend takes no more bytes no TX chain is taken, so either side's
 * flood waits in the other's queue.
 *
 * Threads: everything moves on the event loop thread (queue kicks, backend fd)
 * under the device's own lock; config, activate and reset on vCPU threads.
 */
#ifndef LIBKRUN_DEVICES_NET_NET_H
#define LIBKRUN_DEVICES_NET_NET_H

#include <stdint.h>

#include "devices/net/backend.h"
#include "virtio/mmio.h"

/* §5.1.3 feature bits. */
#define VIRTIO_NET_F_CSUM 0
#define VIRTIO_NET_F_GUEST_CSUM 1
#define VIRTIO_NET_F_MAC 5
#define VIRTIO_NET_F_GUEST_TSO4 7
#define VIRTIO_NET_F_GUEST_TSO6 8
#define VIRTIO_NET_F_GUEST_UFO 10
#define VIRTIO_NET_F_HOST_TSO4 11
#define VIRTIO_NET_F_HOST_TSO6 12
#define VIRTIO_NET_F_HOST_UFO 14
#define VIRTIO_NET_F_MRG_RXBUF 15
#define VIRTIO_NET_F_STATUS 16
#define VIRTIO_NET_S_LINK_UP 1

/* §5.1.6 struct virtio_net_hdr: 12 bytes with VERSION_1 (num_buffers always there). */
#define NET_HDR_LEN 12
#define NET_HDR_GSO_NONE 0

#define NET_RXQ 0
#define NET_TXQ 1
#define NET_NUM_QUEUES 2
#define NET_QUEUE_SIZE 256
/* Frames moved per wakeup before the loop serves others (then it kicks itself). */
#define NET_BUDGET 64

struct evloop;

struct net_config {
	int fd; /* the backend's, taken over (closed on failure too) */
	enum netbe_kind kind;
	uint8_t mac[6];
	uint32_t features; /* the caller's NET_FEATURE_* (the virtio-net bits above) */
};

/* Creates the device and watches its backend on loop. 0 with *out (transport
 * fields zeroed, for the bus), or -errno (logged). */
int net_create(const struct net_config *cfg, struct evloop *loop, struct virtio_dev **out);

/* The backend's state, for tests. */
const struct netbe *net_backend(const struct virtio_dev *d);

#endif
