/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A fake virtio-console driver for the unit tests (test_console*.c): guest RAM
 * in a gmem, rings laid out here, registers through the mmio transport,
 * notifies through eventfds served by a real event loop (wired as
 * src/vmm/virtio_bus.c does), host ends on pipes. Main test thread only: a
 * failed CHECK jumps out of the test.
 */
#ifndef LIBKRUN_TEST_CONSOLE_FAKE_DRIVER_H
#define LIBKRUN_TEST_CONSOLE_FAKE_DRIVER_H

#include "harness.h"
#include "fake_transport.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "devices/console/console.h"
#include "vmm/evloop.h"
#include "vmm/guest_abi.h"

#define NQ 10      /* 4 ports, multiport */
#define QSZ 16
#define RING(q) (0x10000ULL + (q) * 0x1000ULL)
#define BUFSZ 0x2000
#define BUF(q, i) (0x100000ULL + ((q) * QSZ + (i)) * (uint64_t)BUFSZ)
#define CTRL_RX 2
#define CTRL_TX 3
#define RXQ(p) ((p) == 0 ? 0 : 2 * (p) + 2)
#define TXQ(p) (RXQ(p) + 1)

enum { DEVICE_READY, DEVICE_ADD, DEVICE_REMOVE, PORT_READY, CONSOLE_PORT, RESIZE,
       PORT_OPEN, PORT_NAME };

struct drv {
	struct gmem mem;
	struct virtio_dev *d;
	struct evloop *loop;
	struct fake_notify n[NQ];
	uint16_t avail[NQ], used_seen[NQ], next_desc[NQ];
	/* VIRTIO_F_EVENT_IDX, taken as Linux takes it unless no_event_idx is set
	 * before drv_bringup: then a kick is sent only where the device's
	 * avail_event asks for it (vring_need_event), so a device that waits
	 * without asking hangs the test. kicks counts those sent. */
	bool no_event_idx, event_idx;
	unsigned int kicks[NQ];
	uint16_t kick_old[NQ]; /* avail idx at the last kick decision (num_added) */
};

struct msg {
	uint32_t id;
	uint16_t event, value;
	char extra[64];
	uint32_t extra_len;
};

static inline void mw(struct drv *t, uint64_t off, uint32_t v)
{
	fake_mw(t->d, off, v);
}

static inline uint32_t mr(struct drv *t, uint64_t off)
{
	return fake_mr(t->d, off);
}

/* Resets the device and brings it up as Linux does: features, NQ queues, DRIVER_OK. */
static inline void drv_bringup(struct drv *t)
{
	memset(gmem_ptr(&t->mem, RING(0), NQ * 0x1000), 0, NQ * 0x1000);
	memset(t->avail, 0, sizeof(t->avail));
	memset(t->used_seen, 0, sizeof(t->used_seen));
	memset(t->next_desc, 0, sizeof(t->next_desc));
	memset(t->kicks, 0, sizeof(t->kicks));
	memset(t->kick_old, 0, sizeof(t->kick_old));
	t->event_idx = !t->no_event_idx;
	mw(t, VIRTIO_MMIO_STATUS, 0);
	CHECK_EQ(mr(t, VIRTIO_MMIO_DEVICE_ID), 3);
	mw(t, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	mw(t, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	/* F_SIZE | F_MULTIPORT | EVENT_IDX */
	CHECK_EQ(mr(t, VIRTIO_MMIO_DEVICE_FEATURES), 3u | 1u << VIRTIO_F_EVENT_IDX);
	mw(t, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	mw(t, VIRTIO_MMIO_DRIVER_FEATURES, 3u | (t->event_idx ? 1u << VIRTIO_F_EVENT_IDX : 0));
	mw(t, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	mw(t, VIRTIO_MMIO_DRIVER_FEATURES, 1); /* VERSION_1 */
	mw(t, VIRTIO_MMIO_STATUS, 1 | 2 | VIRTIO_STATUS_FEATURES_OK);
	CHECK(mr(t, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_FEATURES_OK);
	for (uint16_t q = 0; q < NQ; q++) {
		mw(t, VIRTIO_MMIO_QUEUE_SEL, q);
		CHECK(mr(t, VIRTIO_MMIO_QUEUE_NUM_MAX) >= QSZ);
		mw(t, VIRTIO_MMIO_QUEUE_NUM, QSZ);
		mw(t, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)RING(q));
		mw(t, VIRTIO_MMIO_QUEUE_AVAIL_LOW, (uint32_t)RING(q) + 0x400);
		mw(t, VIRTIO_MMIO_QUEUE_USED_LOW, (uint32_t)RING(q) + 0x800);
		mw(t, VIRTIO_MMIO_QUEUE_READY, 1);
	}
	mw(t, VIRTIO_MMIO_STATUS, 1 | 2 | 8 | VIRTIO_STATUS_DRIVER_OK);
	CHECK_EQ(mr(t, VIRTIO_MMIO_STATUS), 15);
}

/* Creates the device, wires it as the VMM's bus does, and brings it up. */
static inline void drv_setup(struct drv *t, const struct console_config *cfg)
{
	const struct gmem_region reg[] = { { 0, 0x400000 } };

	memset(t, 0, sizeof(*t));
	CHECK_EQ(gmem_create(&t->mem, reg, 1), 0);
	t->loop = evloop_create();
	CHECK(t->loop);
	t->d = console_create(cfg, t->loop);
	CHECK(t->d);
	t->d->mem = &t->mem;
	CHECK_EQ(pthread_mutex_init(&t->d->lock, NULL), 0);
	fake_wire_notifies(t->d, t->loop, t->n, NQ);
	CHECK_EQ(evloop_start(t->loop), 0);
	drv_bringup(t);
}

static inline void drv_teardown(struct drv *t)
{
	fake_unwire_notifies(t->d, t->loop, NQ);
	t->d->ops->destroy(t->d);
	evloop_destroy(t->loop);
	pthread_mutex_destroy(&t->d->lock);
	free(t->d);
	gmem_destroy(&t->mem);
}

/* One chain of `nseg` descriptors of `len` bytes each (data split across them). */
static inline void drv_add_segs(struct drv *t, uint16_t q, const void *data, uint32_t len,
			 unsigned int nseg, uint16_t flags, bool kick)
{
	struct virtq_desc_raw *desc = gmem_ptr(&t->mem, RING(q), 16 * QSZ);
	uint16_t *avail = gmem_ptr(&t->mem, RING(q) + 0x400, 4 + 2 * QSZ);
	uint16_t head = t->next_desc[q];

	for (unsigned int s = 0; s < nseg; s++) {
		uint16_t i = (uint16_t)((head + s) % QSZ);
		if (data)
			CHECK_EQ(gmem_write(&t->mem, BUF(q, i), (const char *)data + s * len, len), 0);
		desc[i] = (struct virtq_desc_raw){ BUF(q, i), len,
			(uint16_t)(flags | (s + 1 < nseg ? VIRTQ_DESC_F_NEXT : 0)),
			(uint16_t)((i + 1) % QSZ) };
	}
	t->next_desc[q] = (uint16_t)((head + nseg) % QSZ);
	avail[2 + t->avail[q] % QSZ] = head;
	__atomic_store_n(&avail[1], ++t->avail[q], __ATOMIC_RELEASE);
	if (kick && t->event_idx) {
		/* Linux's virtqueue_kick_prepare_split: idx store, full barrier,
		 * avail_event load (the used ring's last field). */
		uint16_t *used = gmem_ptr(&t->mem, RING(q) + 0x800, 6 + 8 * QSZ);
		uint16_t new_idx = t->avail[q], old = t->kick_old[q], event;

		t->kick_old[q] = new_idx;
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		event = __atomic_load_n(&used[2 + 4 * QSZ], __ATOMIC_RELAXED);
		kick = (uint16_t)(new_idx - event - 1) < (uint16_t)(new_idx - old);
	}
	if (kick) {
		t->kicks[q]++;
		mw(t, VIRTIO_MMIO_QUEUE_NOTIFY, q);
	}
}

static inline void drv_add(struct drv *t, uint16_t q, const void *data, uint32_t len, bool writable)
{
	drv_add_segs(t, q, data, len, 1, writable ? VIRTQ_DESC_F_WRITE : 0, true);
}

static inline uint16_t used_idx(struct drv *t, uint16_t q)
{
	uint16_t *used = gmem_ptr(&t->mem, RING(q) + 0x800, 4);
	return __atomic_load_n(&used[1], __ATOMIC_ACQUIRE);
}

/* The next used element of q, waiting up to ms; false on timeout. */
static inline bool drv_used(struct drv *t, uint16_t q, uint32_t *id, uint32_t *len, int ms)
{
	uint32_t *ring = gmem_ptr(&t->mem, RING(q) + 0x804, 8 * QSZ);

	for (int i = 0; used_idx(t, q) == t->used_seen[q]; i++) {
		if (i >= ms * 10)
			return false;
		usleep(100);
	}
	*id = ring[2 * (t->used_seen[q] % QSZ)];
	*len = ring[2 * (t->used_seen[q] % QSZ) + 1];
	t->used_seen[q]++;
	return true;
}

static inline void ctrl_send(struct drv *t, uint32_t id, uint16_t event, uint16_t value)
{
	uint8_t m[8];
	uint32_t uid, ulen;

	memcpy(m, &id, 4);
	memcpy(m + 4, &event, 2);
	memcpy(m + 6, &value, 2);
	drv_add(t, CTRL_TX, m, sizeof(m), false);
	CHECK(drv_used(t, CTRL_TX, &uid, &ulen, 2000));
}

/* The next control message; its buffer goes back to the device. */
static inline bool ctrl_recv(struct drv *t, struct msg *m, int ms)
{
	uint32_t id, len;
	uint8_t buf[128];

	if (!drv_used(t, CTRL_RX, &id, &len, ms))
		return false;
	CHECK(len >= 8 && len <= sizeof(buf));
	CHECK_EQ(gmem_read(&t->mem, BUF(CTRL_RX, id), buf, len), 0);
	memcpy(&m->id, buf, 4);
	memcpy(&m->event, buf + 4, 2);
	memcpy(&m->value, buf + 6, 2);
	m->extra_len = len - 8;
	memcpy(m->extra, buf + 8, len - 8 < sizeof(m->extra) ? len - 8 : sizeof(m->extra) - 1);
	m->extra[m->extra_len < sizeof(m->extra) ? m->extra_len : sizeof(m->extra) - 1] = 0;
	drv_add(t, CTRL_RX, NULL, 4096, true);
	return true;
}

static inline void expect_msg(struct drv *t, uint32_t id, uint16_t event, uint16_t value)
{
	struct msg m;

	CHECK(ctrl_recv(t, &m, 2000));
	CHECK_EQ(m.id, id);
	CHECK_EQ(m.event, event);
	CHECK_EQ(m.value, value);
}

static inline void expect_no_msg(struct drv *t)
{
	struct msg m;
	CHECK(!ctrl_recv(t, &m, 100));
}

/* As Linux's probe: DEVICE_READY, then PORT_READY for ports 0, 1 and 2. */
static inline void handshake(struct drv *t)
{
	static const char *const names[] = { NULL, KRUN_PORT_STDIN, KRUN_PORT_STDOUT };

	for (int i = 0; i < 8; i++)
		drv_add(t, CTRL_RX, NULL, 4096, true);
	ctrl_send(t, 0xffffffffu, DEVICE_READY, 1);
	for (unsigned int i = 0; i < 3; i++)
		expect_msg(t, i, DEVICE_ADD, 1);
	expect_no_msg(t);
	for (unsigned int i = 0; i < 3; i++) {
		ctrl_send(t, i, PORT_READY, 1);
		if (i == 0) {
			expect_msg(t, 0, CONSOLE_PORT, 1);
		} else {
			struct msg m;
			CHECK(ctrl_recv(t, &m, 2000));
			CHECK_EQ(m.event, PORT_NAME);
			CHECK_EQ(m.id, i);
			CHECK_STR_EQ(m.extra, names[i]);
		}
		expect_msg(t, i, PORT_OPEN, 1);
	}
}

/* The usual setup: pipes for the console's input and output, krun-stdin and
 * krun-stdout; no stderr fd, so no port 3. */
struct fx {
	struct drv t;
	int in[2], out[2], con_in[2], con_out[2];
	struct console_config cfg;
};

static inline void fx_pipes(struct fx *f)
{
	CHECK_EQ(pipe(f->in), 0);
	CHECK_EQ(pipe(f->out), 0);
	CHECK_EQ(pipe(f->con_in), 0);
	CHECK_EQ(pipe(f->con_out), 0);
	f->cfg = (struct console_config){ .console_in = f->con_in[0],
		.console_out = f->con_out[1], .port_in = f->in[0], .port_out = f->out[1],
		.port_err = -1, .winsize_fd = -1 };
}

/* Creates and brings up the device with f->cfg; `shake`: the control handshake too. */
static inline struct drv *fx_start(struct fx *f, bool shake)
{
	drv_setup(&f->t, &f->cfg);
	if (shake)
		handshake(&f->t);
	return &f->t;
}

static inline void fx_stop(struct fx *f)
{
	int *fds = &f->in[0];

	drv_teardown(&f->t);
	for (int i = 0; i < 8; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

static inline void rx_expect(struct drv *t, uint16_t q, const char *want)
{
	uint32_t id, len;
	char got[64] = { 0 };

	CHECK(drv_used(t, q, &id, &len, 2000));
	CHECK_EQ(len, strlen(want));
	CHECK_EQ(gmem_read(&t->mem, BUF(q, id), got, len), 0);
	CHECK_STR_EQ(got, want);
}

/* Shrinks a pipe to one page and fills it; returns its size. */
static inline int fill_pipe(int wfd)
{
	int sz = fcntl(wfd, F_SETPIPE_SZ, 4096);
	char *junk;

	CHECK(sz > 0);
	junk = calloc(1, (size_t)sz);
	CHECK(junk);
	CHECK_EQ(write(wfd, junk, (size_t)sz), sz);
	free(junk);
	return sz;
}

static inline void drain(int rfd, size_t n)
{
	char buf[4096];

	while (n) {
		ssize_t r = read(rfd, buf, n < sizeof(buf) ? n : sizeof(buf));
		CHECK(r > 0);
		n -= (size_t)r;
	}
}

#endif
