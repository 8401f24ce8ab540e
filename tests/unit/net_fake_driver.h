/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A fake virtio-net driver for the unit tests: guest RAM, the device on one
 * end of a socketpair (the test is the proxy on the other, speaking QEMU's
 * stream framing), a real event loop serving the queue kicks and the backend,
 * and chains laid out descriptor by descriptor so that a test can post any
 * layout, good or hostile.
 */
#ifndef LIBKRUN_TEST_NET_FAKE_DRIVER_H
#define LIBKRUN_TEST_NET_FAKE_DRIVER_H

#include "fake_transport.h"

#include <endian.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "devices/net/net.h"

#define QSZ 64
#define RING 0x10000ULL /* queue q's rings at RING + q * 0x1000 */
#define TXHDR 0x20000ULL
#define DATA 0x100000ULL /* frames and buffers from here */
#define RAM_SIZE (64ULL << 20)

struct ndrv {
	struct gmem mem;
	struct virtio_dev *d;
	struct evloop *loop;
	struct fake_notify nf[NET_NUM_QUEUES];
	int peer; /* the proxy's end */
	uint16_t avail[NET_NUM_QUEUES], used_seen[NET_NUM_QUEUES], next_desc[NET_NUM_QUEUES];
};

/* Takes every feature offered but those in refuse. */
static inline void net_bringup_refusing(struct ndrv *t, uint64_t refuse)
{
	fake_mw(t->d, VIRTIO_MMIO_STATUS, 0);
	fake_mw(t->d, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	fake_mw(t->d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	uint32_t lo = fake_mr(t->d, VIRTIO_MMIO_DEVICE_FEATURES);
	fake_mw(t->d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
	uint32_t hi = fake_mr(t->d, VIRTIO_MMIO_DEVICE_FEATURES);
	fake_mw(t->d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	fake_mw(t->d, VIRTIO_MMIO_DRIVER_FEATURES, lo & ~(uint32_t)refuse);
	fake_mw(t->d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	fake_mw(t->d, VIRTIO_MMIO_DRIVER_FEATURES, hi & ~(uint32_t)(refuse >> 32));
	fake_mw(t->d, VIRTIO_MMIO_STATUS, 1 | 2 | VIRTIO_STATUS_FEATURES_OK);
	CHECK(fake_mr(t->d, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_FEATURES_OK);
	for (uint16_t q = 0; q < NET_NUM_QUEUES; q++) {
		uint32_t ring = (uint32_t)RING + q * 0x1000u;

		fake_mw(t->d, VIRTIO_MMIO_QUEUE_SEL, q);
		CHECK_EQ(fake_mr(t->d, VIRTIO_MMIO_QUEUE_NUM_MAX), NET_QUEUE_SIZE);
		fake_mw(t->d, VIRTIO_MMIO_QUEUE_NUM, QSZ);
		fake_mw(t->d, VIRTIO_MMIO_QUEUE_DESC_LOW, ring);
		fake_mw(t->d, VIRTIO_MMIO_QUEUE_AVAIL_LOW, ring + 0x400);
		fake_mw(t->d, VIRTIO_MMIO_QUEUE_USED_LOW, ring + 0x800);
		fake_mw(t->d, VIRTIO_MMIO_QUEUE_READY, 1);
	}
	fake_mw(t->d, VIRTIO_MMIO_STATUS, 1 | 2 | 8 | VIRTIO_STATUS_DRIVER_OK);
	CHECK_EQ(fake_mr(t->d, VIRTIO_MMIO_STATUS), 15);
}

/* The tests' usual driver: one frame per RX buffer, as without MRG_RXBUF. */
static inline void net_bringup(struct ndrv *t)
{
	net_bringup_refusing(t, 1ULL << VIRTIO_NET_F_MRG_RXBUF);
}

/* After a reset: fresh rings and driver indexes, then the bring-up again. */
static inline void net_rebringup(struct ndrv *t, uint64_t refuse)
{
	memset(gmem_ptr(&t->mem, RING, NET_NUM_QUEUES * 0x1000), 0, NET_NUM_QUEUES * 0x1000);
	memset(t->avail, 0, sizeof(t->avail));
	memset(t->used_seen, 0, sizeof(t->used_seen));
	memset(t->next_desc, 0, sizeof(t->next_desc));
	net_bringup_refusing(t, refuse);
}

/* The device on a stream (NETBE_STREAM) or datagram (NETBE_DGRAM) socketpair,
 * asked for the NET_FEATURE_* in features; the driver takes all it offers. */
static inline void net_setup_opts(struct ndrv *t, enum netbe_kind kind, uint32_t features)
{
	const struct gmem_region reg[] = { { 0, RAM_SIZE } };
	struct net_config cfg = { .kind = kind, .mac = { 0x52, 0x54, 0, 1, 2, 3 },
				  .features = features };
	int sv[2];

	memset(t, 0, sizeof(*t));
	CHECK_EQ(socketpair(AF_UNIX, (kind == NETBE_STREAM ? SOCK_STREAM : SOCK_DGRAM) |
					     SOCK_CLOEXEC, 0, sv), 0);
	t->peer = sv[1];
	cfg.fd = sv[0];
	CHECK_EQ(gmem_create(&t->mem, reg, 1), 0);
	t->loop = evloop_create();
	CHECK(t->loop);
	CHECK_EQ(net_create(&cfg, t->loop, &t->d), 0);
	t->d->mem = &t->mem;
	CHECK_EQ(pthread_mutex_init(&t->d->lock, NULL), 0);
	fake_wire_notifies(t->d, t->loop, t->nf, NET_NUM_QUEUES);
	CHECK_EQ(evloop_start(t->loop), 0);
	net_bringup(t);
}

static inline void net_setup(struct ndrv *t)
{
	net_setup_opts(t, NETBE_STREAM, 0);
}

static inline void net_teardown(struct ndrv *t)
{
	evloop_stop(t->loop);
	fake_unwire_notifies(t->d, t->loop, NET_NUM_QUEUES);
	t->d->ops->destroy(t->d);
	evloop_destroy(t->loop);
	pthread_mutex_destroy(&t->d->lock);
	free(t->d);
	gmem_destroy(&t->mem);
	if (t->peer >= 0)
		close(t->peer);
}

/* Makes one chain available on q (no kick). Returns its head. */
static inline uint16_t net_post(struct ndrv *t, uint16_t q, const struct seg *s, unsigned int n)
{
	uint64_t ring = RING + q * 0x1000ULL;
	struct virtq_desc_raw *desc = gmem_ptr(&t->mem, ring, 16 * QSZ);
	uint16_t *avail = gmem_ptr(&t->mem, ring + 0x400, 4 + 2 * QSZ);

	return fake_post_chain(desc, avail, QSZ, &t->next_desc[q], &t->avail[q], s, n);
}

/* The kick, as a guest's QueueNotify write reaches the loop. */
static inline void net_kick(struct ndrv *t, uint16_t q)
{
	uint64_t one = 1;
	CHECK_EQ(write(t->d->notify_fd[q], &one, sizeof(one)), sizeof(one));
}

static inline uint16_t net_used_idx(struct ndrv *t, uint16_t q)
{
	uint16_t *used = gmem_ptr(&t->mem, RING + q * 0x1000ULL + 0x800, 4);
	return __atomic_load_n(&used[1], __ATOMIC_ACQUIRE);
}

/* Waits up to ms for q's used index to pass used_seen; true if it did. */
static inline bool net_wait_used(struct ndrv *t, uint16_t q, int ms)
{
	const struct timespec tick = { 0, 1000000L };

	for (int i = 0; i < ms; i++) {
		if (net_used_idx(t, q) != t->used_seen[q])
			return true;
		nanosleep(&tick, NULL);
	}
	return net_used_idx(t, q) != t->used_seen[q];
}

/* The next used element of q (waits 5 s): its length; *id its head. */
static inline uint32_t net_take_used(struct ndrv *t, uint16_t q, uint16_t *id)
{
	uint16_t *used = gmem_ptr(&t->mem, RING + q * 0x1000ULL + 0x800, 4 + 8 * QSZ);
	uint32_t elem[2];

	CHECK(net_wait_used(t, q, 5000));
	memcpy(elem, &used[2 + 4 * (t->used_seen[q] % QSZ)], sizeof(elem));
	t->used_seen[q]++;
	if (id)
		*id = (uint16_t)elem[0];
	return elem[1];
}

/* Writes a frame of len bytes at gpa: byte i is (seed + i). */
static inline void net_put_frame(struct ndrv *t, uint64_t gpa, size_t len, uint8_t seed)
{
	uint8_t *p = gmem_ptr(&t->mem, gpa, len);
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)(seed + i);
}

static inline void net_put_hdr(struct ndrv *t, uint8_t flags, uint8_t gso)
{
	uint8_t h[NET_HDR_LEN] = { flags, gso };
	CHECK_EQ(gmem_write(&t->mem, TXHDR, h, sizeof(h)), 0);
}

static inline bool frame_is(const uint8_t *p, size_t len, uint8_t seed)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] != (uint8_t)(seed + i))
			return false;
	return true;
}

/* Reads exactly len bytes from the peer within ms; false on timeout/EOF. */
static inline bool peer_read(struct ndrv *t, void *buf, size_t len, int ms)
{
	size_t got = 0;

	while (got < len) {
		struct pollfd pfd = { t->peer, POLLIN, 0 };
		ssize_t n;

		if (poll(&pfd, 1, ms) != 1)
			return false;
		n = read(t->peer, (uint8_t *)buf + got, len - got);
		if (n <= 0)
			return false;
		got += (size_t)n;
	}
	return true;
}

/* The next frame the device sent (waits ms): its length, or -1. */
static inline long peer_frame(struct ndrv *t, uint8_t *buf, size_t cap, int ms)
{
	uint32_t be;

	if (!peer_read(t, &be, 4, ms))
		return -1;
	CHECK(be32toh(be) <= cap);
	if (!peer_read(t, buf, be32toh(be), ms))
		return -1;
	return (long)be32toh(be);
}

static inline void peer_send(struct ndrv *t, const void *p, size_t len)
{
	CHECK_EQ(send(t->peer, p, len, MSG_NOSIGNAL), (ssize_t)len);
}

/* A framed frame from the peer: length prefix, then bytes seed, seed+1... */
static inline void peer_send_frame(struct ndrv *t, uint32_t len, uint8_t seed)
{
	uint8_t *b = malloc(len + 4);
	uint32_t be = htobe32(len);

	CHECK(b);
	memcpy(b, &be, 4);
	for (uint32_t i = 0; i < len; i++)
		b[4 + i] = (uint8_t)(seed + i);
	peer_send(t, b, len + 4);
	free(b);
}

#endif
