/* SPDX-License-Identifier: Apache-2.0 */
/* What net.c, rx.c and tx.c share; the device's contract is in net.h. */
#ifndef LIBKRUN_DEVICES_NET_PRIV_H
#define LIBKRUN_DEVICES_NET_PRIV_H

#include <pthread.h>
#include <stdbool.h>

#include "devices/net/gso.h"
#include "devices/net/net.h"
#include "util/ratelimit.h"
#include "virtio/irq_defer.h"

/* §5.1.4 struct virtio_net_config: mac[6], status, then fields of features
 * not offered (max_virtqueue_pairs, mtu, speed, duplex), which read 0. */
#define NET_CFG_MAC 0
#define NET_CFG_STATUS 6
#define NET_CONFIG_SIZE 20

/* VIRTIO_NET_F_MRG_RXBUF: the buffers one frame may span (a 65550-byte frame
 * takes 43 of Linux's smallest, 1536 bytes), and the segments of one buffer
 * (Linux gives one). */
#define NET_MRG_MAX 64
#define NET_MRG_SEGS 4

/* TX completion interrupts for chains of at most NET_TX_SMALL bytes (TCP's
 * pure ACKs and the like) wait up to NET_TX_IRQ_DELAY_NS, or until an RX
 * interrupt covers them (net_tx_signal). */
#define NET_TX_SMALL 256
#define NET_TX_IRQ_DELAY_NS 5000000

/* A mergeable RX buffer taken from the queue, waiting for the rest of a frame. */
struct net_rxbuf {
	uint16_t head;
	uint16_t nseg;
	uint64_t cap; /* bytes of its segments */
	struct vq_seg seg[NET_MRG_SEGS];
};

struct net {
	struct virtio_dev *dev;
	struct evloop *loop;
	uint8_t mac[6];
	uint32_t features; /* the caller's NET_FEATURE_* (virtio-net bit numbers) */

	pthread_mutex_t lock; /* everything below; taken after dev->lock */
	bool active;          /* DRIVER_OK to reset */
	bool tx_csum;         /* the driver took VIRTIO_NET_F_CSUM (set at DRIVER_OK) */
	uint8_t tx_gso_types; /* bit NET_GSO_*: the HOST_ offloads it took (the same) */
	bool mrg;             /* the driver took VIRTIO_NET_F_MRG_RXBUF (the same) */
	struct net_rxbuf held[NET_MRG_MAX]; /* taken for rx_frame, not yet used */
	unsigned int nheld;
	size_t held_cap;      /* their bytes together */
	bool backend_dead;    /* the backend ended: link down, TX dropped */
	bool rx_waiting;      /* rx_frame waits for an RX buffer: EPOLLIN off */
	const uint8_t *rx_frame; /* a received frame not yet given (in be's buffer) */
	size_t rx_len;
	uint32_t events;      /* what the loop watches on be.fd now */
	struct netbe be;
	struct vq_chain chain; /* scratch for rx and tx (too big for a stack) */
	uint8_t *gso_buf;     /* NETBE_FRAME_MAX bytes: the super-frame being cut */
	struct net_gso gso;   /* its cutting: segments still to send while gso.more */
	struct irq_defer tx_irq; /* an owed TX interrupt (small chains only) */
	struct ratelimit bad_log; /* guest-triggered drops */
	uint64_t rx_dropped, tx_dropped;
	uint64_t tx_gso_frames, tx_gso_segments; /* super-frames cut, frames made of them */
};

/* All with n->lock held, on the loop thread unless said. */

/* Moves frames from the backend into RX buffers until either runs out. */
void net_rx_run(struct net *n);
/* Moves TX chains to the backend until the queue is empty or it is full. */
void net_tx_run(struct net *n);

/* Watches be.fd for what rx and tx wait for now (any thread). */
void net_update_events(struct net *n);
/* The backend failed (err, -errno): logged once, link down, fd unwatched. */
void net_backend_failed(struct net *n, int err);
/* Counts and logs (rate-limited) a frame or chain dropped for the guest's fault. */
void net_drop(struct net *n, bool rx, const char *why);
/* After pushing TX chains past the driver's used_event: interrupts now, or
 * (small chains only, with the timer) within NET_TX_IRQ_DELAY_NS. */
void net_tx_signal(struct net *n, bool small_only);
/* Interrupts for the RX queue; an owed TX interrupt is the same one. */
void net_rx_signal(struct net *n);
/* Gets the loop to call queue q's handler again soon (a budget ran out). */
void net_kick_self(struct net *n, uint16_t q);

#endif
