/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A fake virtio-vsock driver for the unit tests: guest RAM, the device with
 * its muxer on a real event loop serving the queue kicks and the host fds,
 * one host port (HOST_PORT, connect mode) whose UNIX socket the test listens
 * on, and chains laid out descriptor by descriptor so that a test can post
 * any layout, good or hostile. Kicks go through the transport's QueueNotify
 * register, as a guest's write that no ioeventfd caught would.
 */
#ifndef LIBKRUN_TEST_VSOCK_FAKE_DRIVER_H
#define LIBKRUN_TEST_VSOCK_FAKE_DRIVER_H

#include "fake_transport.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "devices/vsock/vsock.h"
#include "vsock/mux.h"
#include "vsock/pkt.h"

#define QSZ 64              /* the driver's queue size (the device offers 256) */
#define RING 0x10000ULL     /* queue q's rings at RING + q * 0x1000 */
#define INDIRECT 0x20000ULL /* indirect tables a test writes */
#define SLOT 0x2000ULL
#define TXBUF 0x100000ULL   /* the TX packet of chain head h at TXBUF + h * SLOT */
#define RXBUF 0x200000ULL   /* the RX buffer of chain head h at RXBUF + h * SLOT */
#define BIG 0x400000ULL     /* a payload larger than a slot */
#define SCRATCH 0x800000ULL /* buffers a test lays out itself */
#define RAM_SIZE (16ULL << 20)
#define RX_CAP (VSOCK_HDR_SIZE + 4096) /* what Linux 6.1 gives */
#define HOST_PORT 5000  /* the service: connects the test's UNIX listener */
#define NO_PORT 4444    /* no service there */
#define PROBE_PORT 7777 /* vd_probe's guest port */

struct vdrv {
	struct gmem mem;
	struct virtio_dev *d;
	struct evloop *loop;
	struct fake_notify nf[VSOCK_NUM_QUEUES];
	char dir[32], path[64];
	int lfd; /* the listener behind HOST_PORT */
	uint16_t qsz[VSOCK_NUM_QUEUES];
	uint16_t avail[VSOCK_NUM_QUEUES], used_seen[VSOCK_NUM_QUEUES], next_desc[VSOCK_NUM_QUEUES];
	/* Heads made available and not yet used (§2.7.8: the device gives back
	 * only what it was given, once); heads past the table counted apart. */
	bool inflight[VSOCK_NUM_QUEUES][QSZ];
	unsigned int bogus[VSOCK_NUM_QUEUES];
};

/* Reset, then ACKNOWLEDGE, DRIVER, every offered feature, FEATURES_OK. */
static inline void vd_features(struct vdrv *t)
{
	fake_mw(t->d, VIRTIO_MMIO_STATUS, 0);
	fake_mw(t->d, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	for (uint32_t sel = 0; sel < 2; sel++) {
		fake_mw(t->d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, sel);
		uint32_t f = fake_mr(t->d, VIRTIO_MMIO_DEVICE_FEATURES);
		fake_mw(t->d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, sel);
		fake_mw(t->d, VIRTIO_MMIO_DRIVER_FEATURES, f);
	}
	fake_mw(t->d, VIRTIO_MMIO_STATUS, 1 | 2 | VIRTIO_STATUS_FEATURES_OK);
	CHECK(fake_mr(t->d, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_FEATURES_OK);
}

/* Queue q's registers as a driver writes them, any values (§4.2.3.2). */
static inline void vd_queue(struct vdrv *t, uint16_t q, uint32_t size, uint64_t desc,
			    uint64_t avail, uint64_t used)
{
	fake_mw(t->d, VIRTIO_MMIO_QUEUE_SEL, q);
	fake_mw(t->d, VIRTIO_MMIO_QUEUE_NUM, size);
	fake_mw(t->d, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)desc);
	fake_mw(t->d, VIRTIO_MMIO_QUEUE_DESC_HIGH, (uint32_t)(desc >> 32));
	fake_mw(t->d, VIRTIO_MMIO_QUEUE_AVAIL_LOW, (uint32_t)avail);
	fake_mw(t->d, VIRTIO_MMIO_QUEUE_AVAIL_HIGH, (uint32_t)(avail >> 32));
	fake_mw(t->d, VIRTIO_MMIO_QUEUE_USED_LOW, (uint32_t)used);
	fake_mw(t->d, VIRTIO_MMIO_QUEUE_USED_HIGH, (uint32_t)(used >> 32));
	fake_mw(t->d, VIRTIO_MMIO_QUEUE_READY, 1);
}

/* Fresh rings and driver indexes (after a reset the rings are the driver's again). */
static inline void vd_forget_rings(struct vdrv *t)
{
	memset(gmem_ptr(&t->mem, RING, VSOCK_NUM_QUEUES * 0x1000), 0, VSOCK_NUM_QUEUES * 0x1000);
	memset(t->avail, 0, sizeof(t->avail));
	memset(t->used_seen, 0, sizeof(t->used_seen));
	memset(t->next_desc, 0, sizeof(t->next_desc));
	memset(t->inflight, 0, sizeof(t->inflight));
	memset(t->bogus, 0, sizeof(t->bogus));
}

/* The whole bring-up, every queue of size qsz at its usual place. */
static inline void vd_bringup_size(struct vdrv *t, uint16_t qsz)
{
	vd_forget_rings(t);
	vd_features(t);
	for (uint16_t q = 0; q < VSOCK_NUM_QUEUES; q++) {
		uint64_t ring = RING + q * 0x1000ULL;

		fake_mw(t->d, VIRTIO_MMIO_QUEUE_SEL, q);
		CHECK_EQ(fake_mr(t->d, VIRTIO_MMIO_QUEUE_NUM_MAX), VSOCK_QUEUE_SIZE);
		vd_queue(t, q, qsz, ring, ring + 0x400, ring + 0x800);
		t->qsz[q] = qsz;
	}
	fake_mw(t->d, VIRTIO_MMIO_STATUS, 1 | 2 | 8 | VIRTIO_STATUS_DRIVER_OK);
	CHECK_EQ(fake_mr(t->d, VIRTIO_MMIO_STATUS), 15);
}

static inline void vd_bringup(struct vdrv *t)
{
	vd_bringup_size(t, QSZ);
}

/* The device with HOST_PORT connecting to a UNIX socket the test listens on;
 * brought up unless bringup is false. */
static inline void vd_setup_opts(struct vdrv *t, bool bringup)
{
	const struct gmem_region reg[] = { { 0, RAM_SIZE } };
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct vsock_port_cfg port = { .port = HOST_PORT, .listen = false };
	struct vsock_config cfg = { .present = true, .ports = &port, .nports = 1 };

	memset(t, 0, sizeof(*t));
	snprintf(t->dir, sizeof(t->dir), "/tmp/vsock-hostile-XXXXXX");
	CHECK(mkdtemp(t->dir));
	snprintf(t->path, sizeof(t->path), "%s/host.sock", t->dir);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", t->path);
	t->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CHECK(t->lfd >= 0);
	CHECK_EQ(bind(t->lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	CHECK_EQ(listen(t->lfd, 16), 0);
	port.path = t->path;
	CHECK_EQ(gmem_create(&t->mem, reg, 1), 0);
	t->loop = evloop_create();
	CHECK(t->loop);
	CHECK_EQ(vsock_create(&cfg, t->loop, &t->d), 0);
	t->d->mem = &t->mem;
	CHECK_EQ(pthread_mutex_init(&t->d->lock, NULL), 0);
	fake_wire_notifies(t->d, t->loop, t->nf, VSOCK_NUM_QUEUES);
	CHECK_EQ(evloop_start(t->loop), 0);
	if (bringup)
		vd_bringup(t);
}

static inline void vd_setup(struct vdrv *t)
{
	vd_setup_opts(t, true);
}

static inline void vd_teardown(struct vdrv *t)
{
	evloop_stop(t->loop);
	fake_unwire_notifies(t->d, t->loop, VSOCK_NUM_QUEUES);
	t->d->ops->destroy(t->d);
	evloop_destroy(t->loop);
	pthread_mutex_destroy(&t->d->lock);
	free(t->d);
	gmem_destroy(&t->mem);
	close(t->lfd);
	unlink(t->path);
	rmdir(t->dir);
}

static inline struct vsock_mux_stats vd_stats(struct vdrv *t)
{
	struct vsock_mux_stats s;

	vsock_mux_get_stats(vsock_dev_mux(t->d), &s);
	return s;
}

/* Makes one chain available on q (no kick). Returns its head. */
static inline uint16_t vd_post(struct vdrv *t, uint16_t q, const struct seg *s, unsigned int n)
{
	uint64_t ring = RING + q * 0x1000ULL;
	uint16_t qs = t->qsz[q];
	struct virtq_desc_raw *desc = gmem_ptr(&t->mem, ring, 16 * qs);
	uint16_t *avail = gmem_ptr(&t->mem, ring + 0x400, 4 + 2 * qs);
	uint16_t head = fake_post_chain(desc, avail, qs, &t->next_desc[q], &t->avail[q], s, n);

	CHECK(!t->inflight[q][head]); /* the test reused a descriptor in flight */
	t->inflight[q][head] = true;
	return head;
}

/* Makes head available on q as it is, whatever the table holds there. */
static inline void vd_post_head(struct vdrv *t, uint16_t q, uint16_t head)
{
	uint16_t *avail = gmem_ptr(&t->mem, RING + q * 0x1000ULL + 0x400, 4 + 2 * t->qsz[q]);

	if (head < t->qsz[q]) {
		CHECK(!t->inflight[q][head]);
		t->inflight[q][head] = true;
	} else {
		t->bogus[q]++;
	}
	avail[2 + t->avail[q] % t->qsz[q]] = head;
	__atomic_store_n(&avail[1], ++t->avail[q], __ATOMIC_RELEASE);
}

/* Raw descriptors d[0..n) into table entries 0..n-1 of q, flags and next as
 * given, and head 0 made available. Only while no chain of q is in flight. */
static inline void vd_post_raw(struct vdrv *t, uint16_t q, const struct virtq_desc_raw *d,
			       unsigned int n)
{
	struct virtq_desc_raw *desc = gmem_ptr(&t->mem, RING + q * 0x1000ULL, 16 * t->qsz[q]);

	CHECK(n <= t->qsz[q]);
	memcpy(desc, d, n * sizeof(*d));
	t->next_desc[q] = (uint16_t)(n % t->qsz[q]);
	vd_post_head(t, q, 0);
}

/* The guest's QueueNotify write. */
static inline void vd_kick(struct vdrv *t, uint32_t q)
{
	fake_mw(t->d, VIRTIO_MMIO_QUEUE_NOTIFY, q);
}

static inline uint16_t vd_used_idx(struct vdrv *t, uint16_t q)
{
	uint16_t *used = gmem_ptr(&t->mem, RING + q * 0x1000ULL + 0x800, 4);
	return __atomic_load_n(&used[1], __ATOMIC_ACQUIRE);
}

/* Waits up to ms for q's used index to pass used_seen; true if it did. */
static inline bool vd_wait_used(struct vdrv *t, uint16_t q, int ms)
{
	const struct timespec tick = { 0, 1000000L };

	for (int i = 0; i < ms; i++) {
		if (vd_used_idx(t, q) != t->used_seen[q])
			return true;
		nanosleep(&tick, NULL);
	}
	return vd_used_idx(t, q) != t->used_seen[q];
}

/* The next used element of q (waits 5 s), a head that was in flight: its
 * length; *id its head. */
static inline uint32_t vd_take_used(struct vdrv *t, uint16_t q, uint16_t *id)
{
	uint16_t *used = gmem_ptr(&t->mem, RING + q * 0x1000ULL + 0x800, 4 + 8 * t->qsz[q]);
	uint32_t elem[2];

	CHECK(vd_wait_used(t, q, 5000));
	memcpy(elem, &used[2 + 4 * (t->used_seen[q] % t->qsz[q])], sizeof(elem));
	t->used_seen[q]++;
	if (elem[0] < t->qsz[q]) {
		CHECK(t->inflight[q][elem[0]]);
		t->inflight[q][elem[0]] = false;
	} else {
		CHECK(elem[0] <= 0xffff && t->bogus[q] > 0);
		t->bogus[q]--;
	}
	if (id)
		*id = (uint16_t)elem[0];
	return elem[1];
}

/* A TX chain: posted, kicked, and its completion taken. §5.10.6.2: the
 * device writes nothing into TX buffers, so every completion, good or bad,
 * must be empty; returns its head. */
static inline uint16_t vd_tx(struct vdrv *t, const struct seg *s, unsigned int n)
{
	uint16_t head = vd_post(t, VSOCK_TXQ, s, n), id;

	vd_kick(t, VSOCK_TXQ);
	CHECK_EQ(vd_take_used(t, VSOCK_TXQ, &id), 0);
	CHECK_EQ(id, head);
	return head;
}

/* A header from the guest's CID to the host's, with the guest's credit. */
static inline struct vsock_hdr vd_hdr(uint16_t op, uint32_t gport, uint32_t hport)
{
	return (struct vsock_hdr){ .src_cid = VSOCK_GUEST_CID, .dst_cid = VSOCK_HOST_CID,
				   .src_port = gport, .dst_port = hport,
				   .type = VSOCK_TYPE_STREAM, .op = op, .buf_alloc = 1u << 20 };
}

/* Where vd_send puts the next TX packet's header (its payload is 0x100 on,
 * or at BIG when larger than a slot). */
static inline uint64_t vd_tx_gpa(struct vdrv *t)
{
	return TXBUF + t->next_desc[VSOCK_TXQ] * SLOT;
}

/* h, then len bytes of data, as Linux lays a packet out: the header in one
 * descriptor, the payload in the next. */
static inline void vd_send(struct vdrv *t, const struct vsock_hdr *h, const void *data,
			   uint32_t len)
{
	uint64_t gpa = vd_tx_gpa(t), pay = len > SLOT - 0x100 ? BIG : gpa + 0x100;

	vsock_pkt_encode(h, gmem_ptr(&t->mem, gpa, VSOCK_HDR_SIZE));
	if (len)
		CHECK_EQ(gmem_write(&t->mem, pay, data, len), 0);
	vd_tx(t, (struct seg[]){ { gpa, VSOCK_HDR_SIZE, false }, { pay, len, false } },
	      len ? 2 : 1);
}

/* n RX buffers of RX_CAP bytes each, kicked. */
static inline void vd_give_rx(struct vdrv *t, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		uint64_t gpa = RXBUF + t->next_desc[VSOCK_RXQ] * SLOT;

		vd_post(t, VSOCK_RXQ, (struct seg[]){ { gpa, RX_CAP, true } }, 1);
	}
	vd_kick(t, VSOCK_RXQ);
}

/* The next packet to the guest, in a vd_give_rx buffer (waits 5 s): its
 * header in *h, its payload (at most cap bytes) into data. */
static inline void vd_recv(struct vdrv *t, struct vsock_hdr *h, void *data, size_t cap)
{
	uint16_t id;
	uint32_t len = vd_take_used(t, VSOCK_RXQ, &id);

	CHECK(len >= VSOCK_HDR_SIZE && len <= RX_CAP);
	vsock_pkt_decode(gmem_ptr(&t->mem, RXBUF + id * SLOT, VSOCK_HDR_SIZE), h);
	CHECK_EQ(h->len, len - VSOCK_HDR_SIZE);
	CHECK_EQ(h->dst_cid, VSOCK_GUEST_CID);
	if (data && h->len) {
		CHECK(h->len <= cap);
		memcpy(data, gmem_ptr(&t->mem, RXBUF + id * SLOT + VSOCK_HDR_SIZE, h->len), h->len);
	}
}

/* The next packet to the guest is an RST from (any CID, hport) to gport. */
static inline void vd_expect_rst(struct vdrv *t, uint32_t hport, uint32_t gport)
{
	struct vsock_hdr r;

	vd_recv(t, &r, NULL, 0);
	CHECK_EQ(r.op, VSOCK_OP_RST);
	CHECK_EQ(r.src_port, hport);
	CHECK_EQ(r.dst_port, gport);
	CHECK_EQ(r.len, 0);
}

/* Nothing was owed to the guest before this: a REQUEST to a port with no
 * service, and the first packet back is its RST (the device answers packets
 * of no connection in order, src/vsock/mux_rx.c). */
static inline void vd_probe(struct vdrv *t)
{
	struct vsock_hdr h = vd_hdr(VSOCK_OP_REQUEST, PROBE_PORT, NO_PORT);

	vd_give_rx(t, 1);
	vd_send(t, &h, NULL, 0);
	vd_expect_rst(t, NO_PORT, PROBE_PORT);
	CHECK_EQ(vd_used_idx(t, VSOCK_RXQ), t->used_seen[VSOCK_RXQ]);
}

/* No host connection is waiting on the listener. */
static inline bool vd_no_host_conn(struct vdrv *t)
{
	struct pollfd p = { t->lfd, POLLIN, 0 };
	return poll(&p, 1, 0) == 0;
}

/* A connection from guest port gport to HOST_PORT, established at both ends
 * (§5.10.6.4: REQUEST, then RESPONSE). Returns the host end. */
static inline int vd_connect(struct vdrv *t, uint32_t gport)
{
	struct vsock_hdr h = vd_hdr(VSOCK_OP_REQUEST, gport, HOST_PORT), r;
	struct pollfd p = { t->lfd, POLLIN, 0 };
	int fd;

	vd_give_rx(t, 1);
	vd_send(t, &h, NULL, 0);
	vd_recv(t, &r, NULL, 0);
	CHECK_EQ(r.op, VSOCK_OP_RESPONSE);
	CHECK_EQ(r.src_cid, VSOCK_HOST_CID);
	CHECK_EQ(r.src_port, HOST_PORT);
	CHECK_EQ(r.dst_port, gport);
	CHECK_EQ(poll(&p, 1, 5000), 1);
	fd = accept4(t->lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	CHECK(fd >= 0);
	return fd;
}

/* Reads exactly len bytes from the host end within 5 s; they must be want. */
static inline void host_expect(int fd, const void *want, size_t len)
{
	uint8_t *buf = malloc(len ? len : 1);
	size_t got = 0;

	CHECK(buf);
	while (got < len) {
		struct pollfd p = { fd, POLLIN, 0 };
		ssize_t n;

		CHECK_EQ(poll(&p, 1, 5000), 1);
		n = read(fd, buf + got, len - got);
		CHECK(n > 0);
		got += (size_t)n;
	}
	CHECK(!memcmp(buf, want, len));
	free(buf);
}

/* Neither bytes nor EOF reach the host end within ms. */
static inline bool host_quiet(int fd, int ms)
{
	struct pollfd p = { fd, POLLIN, 0 };
	return poll(&p, 1, ms) == 0;
}

/* The device closed its side (a reset connection) before sending any more
 * bytes: the host end reads EOF within 5 s. */
static inline bool host_eof(int fd)
{
	struct pollfd p = { fd, POLLIN, 0 };
	char c;

	return poll(&p, 1, 5000) == 1 && read(fd, &c, 1) == 0;
}

/* The guest ends the connection (§5.10.6.4: an RST is never answered). */
static inline void vd_close(struct vdrv *t, uint32_t gport, int fd)
{
	struct vsock_hdr h = vd_hdr(VSOCK_OP_RST, gport, HOST_PORT);

	vd_send(t, &h, NULL, 0);
	CHECK(host_eof(fd));
	close(fd);
}

/* The device still works both ways: a new connection from gport carries a
 * payload to the host and one back, then the guest closes it. */
static inline void vd_still_works(struct vdrv *t, uint32_t gport)
{
	static const char ping[] = "ping from the guest", pong[] = "pong";
	struct vsock_hdr h = vd_hdr(VSOCK_OP_RW, gport, HOST_PORT), r;
	char buf[64];
	int fd = vd_connect(t, gport);

	h.len = sizeof(ping);
	vd_send(t, &h, ping, sizeof(ping));
	host_expect(fd, ping, sizeof(ping));
	CHECK_EQ(write(fd, pong, sizeof(pong)), (ssize_t)sizeof(pong));
	vd_give_rx(t, 1);
	vd_recv(t, &r, buf, sizeof(buf));
	CHECK_EQ(r.op, VSOCK_OP_RW);
	CHECK_EQ(r.src_port, HOST_PORT);
	CHECK_EQ(r.dst_port, gport);
	CHECK_EQ(r.len, sizeof(pong));
	CHECK(!memcmp(buf, pong, sizeof(pong)));
	vd_close(t, gport, fd);
}

#endif
