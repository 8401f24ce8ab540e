/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the unit tests' fake virtio drivers share: register access through the
 * mmio transport, and queue notifications wired as src/vmm/virtio_bus.c wires
 * them (one eventfd per queue, served by a real event loop).
 */
#ifndef LIBKRUN_TEST_FAKE_TRANSPORT_H
#define LIBKRUN_TEST_FAKE_TRANSPORT_H

#include "harness.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "virtio/mmio.h"
#include "vmm/evloop.h"

/* One descriptor of a chain a test lays out (any layout, good or hostile). */
struct seg {
	uint64_t gpa;
	uint32_t len;
	bool w; /* device-writable */
};

/* Writes s[0..n) as one chain from *next_desc on, in a descriptor table of
 * qsz entries, and makes it available (avail: flags, idx, ring; *avail_idx
 * the driver's copy of idx). Returns the chain's head. */
static inline uint16_t fake_post_chain(struct virtq_desc_raw *desc, uint16_t *avail,
				       uint16_t qsz, uint16_t *next_desc, uint16_t *avail_idx,
				       const struct seg *s, unsigned int n)
{
	uint16_t head = *next_desc;

	for (unsigned int i = 0; i < n; i++) {
		uint16_t k = (uint16_t)((head + i) % qsz);
		desc[k] = (struct virtq_desc_raw){
			s[i].gpa, s[i].len,
			(uint16_t)((s[i].w ? VIRTQ_DESC_F_WRITE : 0) |
				   (i + 1 < n ? VIRTQ_DESC_F_NEXT : 0)),
			(uint16_t)((k + 1) % qsz) };
	}
	*next_desc = (uint16_t)((head + n) % qsz);
	avail[2 + *avail_idx % qsz] = head;
	__atomic_store_n(&avail[1], ++*avail_idx, __ATOMIC_RELEASE);
	return head;
}

struct fake_notify {
	struct virtio_dev *d;
	uint16_t q;
};

static inline void fake_mw(struct virtio_dev *d, uint64_t off, uint32_t v)
{
	virtio_mmio_write(d, off, &v, 4);
}

static inline uint32_t fake_mr(struct virtio_dev *d, uint64_t off)
{
	uint32_t v;
	virtio_mmio_read(d, off, &v, 4);
	return v;
}

static inline void fake_on_notify(void *arg, uint32_t events)
{
	struct fake_notify *n = arg;
	uint64_t v;

	(void)events;
	if (read(n->d->notify_fd[n->q], &v, sizeof(v)) == sizeof(v) && n->d->vq[n->q].active)
		n->d->ops->queue_notify(n->d, n->q);
}

/* One eventfd per queue of d, watched by loop; n has room for nq entries. */
static inline void fake_wire_notifies(struct virtio_dev *d, struct evloop *loop,
				      struct fake_notify *n, uint16_t nq)
{
	for (uint16_t q = 0; q < nq; q++) {
		d->notify_fd[q] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		CHECK(d->notify_fd[q] >= 0);
		n[q] = (struct fake_notify){ d, q };
		CHECK_EQ(evloop_add(loop, d->notify_fd[q], EPOLLIN, fake_on_notify, &n[q]), 0);
	}
}

/* In virtio_bus_destroy's order: the notifies go before the device. */
static inline void fake_unwire_notifies(struct virtio_dev *d, struct evloop *loop, uint16_t nq)
{
	for (uint16_t q = 0; q < nq; q++) {
		evloop_del(loop, d->notify_fd[q]);
		close(d->notify_fd[q]);
	}
}

#endif
