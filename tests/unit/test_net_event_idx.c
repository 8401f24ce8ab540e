/* SPDX-License-Identifier: Apache-2.0 */
/*
 * virtio-net with VIRTIO_F_EVENT_IDX (virtio 1.2 §2.7.10) and a driver that
 * relies on it as Linux does: it kicks only when its avail index passes the
 * device's avail_event, and waits for an interrupt only after setting
 * used_event to the next entry it wants. A kick or an interrupt the device
 * fails to ask for or to send leaves the test waiting, and it fails.
 */
#include "net_fake_driver.h"

#include <sys/eventfd.h>

#define NFRAMES 320
#define RX_BATCH 16
#define TX_LAG 16
#define FRAME_LEN 60
#define TXBUF (DATA + 0x100000) /* TX frames: 32 slots of 256 bytes */
#define RXBUF (DATA + 0x200000) /* RX buffers: QSZ slots of 2048 bytes, in turn */

/* The driver's side of §2.7.10 after making buffers available on q: kick iff
 * avail idx passed avail_event since the last decision (*old). */
static void drv_kick_if_asked(struct ndrv *t, uint16_t q, uint16_t *old)
{
	uint16_t *used = gmem_ptr(&t->mem, RING + q * 0x1000ULL + 0x800, 6 + 8 * QSZ);
	uint16_t now = t->avail[q], event;

	/* The idx store before the avail_event load (the device does the mirror). */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	event = __atomic_load_n(&used[2 + 4 * QSZ], __ATOMIC_RELAXED);
	if ((uint16_t)(now - event - 1) < (uint16_t)(now - *old))
		net_kick(t, q);
	*old = now;
}

/* Waits for q's next used entry as Linux's virtqueue_enable_cb does: asks for
 * an interrupt at it (used_event), then sleeps on the interrupt unless the
 * entry is there already. 5 s without either fails. */
static void drv_wait_used(struct ndrv *t, uint16_t q, int irqfd)
{
	uint16_t *avail = gmem_ptr(&t->mem, RING + q * 0x1000ULL + 0x400, 6 + 2 * QSZ);
	struct pollfd p = { .fd = irqfd, .events = POLLIN };
	uint64_t v;

	for (;;) {
		__atomic_store_n(&avail[2 + QSZ], t->used_seen[q], __ATOMIC_RELAXED);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		if (net_used_idx(t, q) != t->used_seen[q])
			return;
		CHECK_EQ(poll(&p, 1, 5000), 1); /* the interrupt may be the other queue's */
		CHECK_EQ(read(irqfd, &v, sizeof(v)), sizeof(v));
	}
}

static void drv_post_rx(struct ndrv *t, unsigned int k, uint16_t *old)
{
	net_post(t, NET_RXQ, (struct seg[]){ { RXBUF + (k % QSZ) * 2048ULL, 2048, true } }, 1);
	drv_kick_if_asked(t, NET_RXQ, old);
}

TEST(net_with_event_idx_moves_frames_both_ways_with_kicks_and_interrupts_only_as_asked)
{
	struct ndrv t;
	uint8_t buf[2048];
	uint16_t old_tx = 0, old_rx = 0;
	int irqfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);

	CHECK(irqfd >= 0);
	net_setup(&t);
	t.d->irqfd = irqfd;
	CHECK(t.d->vq[NET_RXQ].event_idx && t.d->vq[NET_TXQ].event_idx);

	/* Guest to proxy: a chain of two descriptors each, at most QSZ / 2 out;
	 * the proxy reads TX_LAG frames behind (a unix stream socket queues only
	 * a few hundred frames: a device blocked on it waits for the proxy). */
	net_put_hdr(&t, 0, 0);
	for (unsigned int i = 0; i < NFRAMES + TX_LAG; i++) {
		uint64_t f = TXBUF + (i % 32) * 256ULL;

		if (i >= TX_LAG) {
			CHECK_EQ(peer_frame(&t, buf, sizeof(buf), 5000), FRAME_LEN);
			CHECK(frame_is(buf, FRAME_LEN, (uint8_t)(i - TX_LAG)));
		}
		if (i >= NFRAMES)
			continue;
		if ((uint16_t)(t.avail[NET_TXQ] - t.used_seen[NET_TXQ]) == QSZ / 2) {
			drv_wait_used(&t, NET_TXQ, irqfd);
			CHECK_EQ(net_take_used(&t, NET_TXQ, NULL), 0);
		}
		net_put_frame(&t, f, FRAME_LEN, (uint8_t)i);
		net_post(&t, NET_TXQ, (struct seg[]){ { TXHDR, NET_HDR_LEN, false },
						      { f, FRAME_LEN, false } }, 2);
		drv_kick_if_asked(&t, NET_TXQ, &old_tx);
	}
	while (t.used_seen[NET_TXQ] != t.avail[NET_TXQ])
		CHECK_EQ(net_take_used(&t, NET_TXQ, NULL), 0);
	/* One at a time, each completion waited for by its interrupt. */
	for (unsigned int i = 0; i < 32; i++) {
		net_put_frame(&t, TXBUF, FRAME_LEN, (uint8_t)(i + 7));
		net_post(&t, NET_TXQ, (struct seg[]){ { TXHDR, NET_HDR_LEN, false },
						      { TXBUF, FRAME_LEN, false } }, 2);
		drv_kick_if_asked(&t, NET_TXQ, &old_tx);
		drv_wait_used(&t, NET_TXQ, irqfd);
		CHECK_EQ(net_take_used(&t, NET_TXQ, NULL), 0);
		CHECK_EQ(peer_frame(&t, buf, sizeof(buf), 5000), FRAME_LEN);
		CHECK(frame_is(buf, FRAME_LEN, (uint8_t)(i + 7)));
	}

	/* Proxy to guest: frames in batches of RX_BATCH (a unix stream socket
	 * queues only a few dozen), with half as many buffers posted, so the
	 * device runs out of buffers in every batch and needs the driver's kick. */
	for (unsigned int k = 0; k < RX_BATCH / 2; k++)
		drv_post_rx(&t, k, &old_rx);
	for (unsigned int i = 0; i < NFRAMES; i++) {
		if (i % RX_BATCH == 0)
			for (unsigned int j = 0; j < RX_BATCH; j++)
				peer_send_frame(&t, FRAME_LEN, (uint8_t)(i + j + 1));
		drv_wait_used(&t, NET_RXQ, irqfd);
		CHECK_EQ(net_take_used(&t, NET_RXQ, NULL), NET_HDR_LEN + FRAME_LEN);
		CHECK(frame_is(gmem_ptr(&t.mem, RXBUF + (i % QSZ) * 2048ULL + NET_HDR_LEN,
					FRAME_LEN), FRAME_LEN, (uint8_t)(i + 1)));
		drv_post_rx(&t, i + RX_BATCH / 2, &old_rx);
	}
	net_teardown(&t);
	close(irqfd);
}
