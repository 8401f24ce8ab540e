/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A hostile virtio-mmio driver for the fuzz targets (fuzz_virtq.c,
 * fuzz_balloon_console.c): guest RAM of two regions with a hole between them,
 * register accesses of any offset and size, ring and descriptor contents
 * written where the driver's registers put them, kicks through the queues'
 * eventfds (as the VMM's ioeventfds deliver them) served on this thread as the
 * event loop would. Include after fuzz.h.
 *
 *   vd_init(region_size)   once: RAM at 0 and at 2 * region_size, eventfds
 *   vd_attach(d)           the device for this input (d->mem, fds, lock set)
 *   vd_op(z, op)           one of VD_NOPS ops (see the switch)
 *   vd_detach()            driver reset, eventfds drained, RAM zeroed
 */
#ifndef LIBKRUN_FUZZ_VIRTIO_DRIVER_H
#define LIBKRUN_FUZZ_VIRTIO_DRIVER_H

#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/mman.h>

#include "virtio/mmio.h"
#include "virtio/queue.h"
#include "vmm/evloop.h"

#define VD_NOPS 10

struct vd {
	struct gmem mem;
	uint64_t region_size, span; /* addresses drawn mostly below span */
	struct virtio_dev *d;
	int notify_fd[VIRTIO_MAX_QUEUES], irqfd;
	uint16_t next_desc[VIRTIO_MAX_QUEUES]; /* vd_chain's next free descriptor */
};

static struct vd vd;

static inline void vd_init(uint64_t region_size)
{
	const struct gmem_region reg[] = { { 0, region_size, NULL },
					   { 2 * region_size, region_size, NULL } };

	FZ_CHECK(gmem_create(&vd.mem, reg, 2) == 0);
	vd.region_size = region_size;
	vd.span = 3 * region_size;
	vd.irqfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	FZ_CHECK(vd.irqfd >= 0);
	for (unsigned int i = 0; i < VIRTIO_MAX_QUEUES; i++) {
		vd.notify_fd[i] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		FZ_CHECK(vd.notify_fd[i] >= 0);
	}
}

/* LLVMFuzzerInitialize's part for a device whose fds sit on an event loop:
 * the log, vd_init, and a loop never started (the fuzzer is the loop). */
static inline struct evloop *vd_init_loop(uint64_t region_size)
{
	struct evloop *l;

	fz_log_setup();
	vd_init(region_size);
	l = evloop_create();
	FZ_CHECK(l);
	return l;
}

/* As src/vmm/virtio_bus.c sets a device up. */
static inline void vd_attach(struct virtio_dev *d)
{
	vd.d = d;
	d->mem = &vd.mem;
	d->irqfd = vd.irqfd;
	for (unsigned int i = 0; i < VIRTIO_MAX_QUEUES; i++)
		d->notify_fd[i] = vd.notify_fd[i];
	memset(vd.next_desc, 0, sizeof(vd.next_desc));
	FZ_CHECK(pthread_mutex_init(&d->lock, NULL) == 0);
}

static inline unsigned int vd_nqueues(void)
{
	return vd.d->ops->num_queues < VIRTIO_MAX_QUEUES ? vd.d->ops->num_queues
							  : VIRTIO_MAX_QUEUES;
}

/* The event loop's part: kicks that reached a queue's eventfd. */
static inline void vd_serve(void)
{
	uint64_t v;

	for (uint16_t q = 0; q < vd_nqueues(); q++)
		if (read(vd.notify_fd[q], &v, sizeof(v)) == sizeof(v) && vd.d->vq[q].active)
			vd.d->ops->queue_notify(vd.d, q);
}

static inline void vd_mmio_write(uint64_t off, uint64_t v, uint32_t len)
{
	virtio_mmio_write(vd.d, off, &v, len);
}

static inline uint32_t vd_read32(uint64_t off)
{
	uint32_t v = 0xdeadbeef;

	virtio_mmio_read(vd.d, off, &v, 4);
	return v;
}

/* The driver's reset, then nothing left of this input: kicks, interrupts,
 * queue state, RAM. The device itself is the caller's to destroy. */
static inline void vd_detach(void)
{
	uint64_t v;

	vd_mmio_write(VIRTIO_MMIO_STATUS, 0, 4);
	FZ_CHECK(vd_read32(VIRTIO_MMIO_STATUS) == 0);
	for (unsigned int i = 0; i < VIRTIO_MAX_QUEUES; i++) {
		FZ_CHECK(!vd.d->vq[i].active);
		/* The transport never kicks a queue that is not there. */
		FZ_CHECK(read(vd.notify_fd[i], &v, sizeof(v)) < 0 || i < vd.d->ops->num_queues);
	}
	(void)read(vd.irqfd, &v, sizeof(v));
	pthread_mutex_destroy(&vd.d->lock);
	/* Zero again, lazily: only the pages this input touched cost anything. */
	FZ_CHECK(madvise(vd.mem.region[0].host, vd.region_size, MADV_DONTNEED) == 0);
	FZ_CHECK(madvise(vd.mem.region[1].host, vd.region_size, MADV_DONTNEED) == 0);
}

static inline uint64_t vd_gpa(struct fz *z)
{
	uint32_t v = fz_u32(z);

	/* Mostly near RAM; sometimes anything, or the top of the address space. */
	switch (v >> 30) {
	case 0:
	case 1:
		return v % vd.span;
	case 2:
		return ~0ULL - (v & 0xffff);
	default:
		return (uint64_t)v << (v & 31);
	}
}

static inline uint64_t vd_reg(struct fz *z)
{
	static const uint16_t regs[] = {
		VIRTIO_MMIO_MAGIC_VALUE, VIRTIO_MMIO_DEVICE_FEATURES,
		VIRTIO_MMIO_DEVICE_FEATURES_SEL, VIRTIO_MMIO_DRIVER_FEATURES,
		VIRTIO_MMIO_DRIVER_FEATURES_SEL, VIRTIO_MMIO_QUEUE_SEL, VIRTIO_MMIO_QUEUE_NUM_MAX,
		VIRTIO_MMIO_QUEUE_NUM, VIRTIO_MMIO_QUEUE_READY, VIRTIO_MMIO_QUEUE_NOTIFY,
		VIRTIO_MMIO_INTERRUPT_STATUS, VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_MMIO_STATUS,
		VIRTIO_MMIO_QUEUE_DESC_LOW, VIRTIO_MMIO_QUEUE_DESC_HIGH,
		VIRTIO_MMIO_QUEUE_AVAIL_LOW, VIRTIO_MMIO_QUEUE_AVAIL_HIGH,
		VIRTIO_MMIO_QUEUE_USED_LOW, VIRTIO_MMIO_QUEUE_USED_HIGH, VIRTIO_MMIO_SHM_SEL,
		VIRTIO_MMIO_CONFIG_GENERATION, VIRTIO_MMIO_CONFIG, VIRTIO_MMIO_CONFIG + 4,
		VIRTIO_MMIO_CONFIG + 6, VIRTIO_MMIO_CONFIG + 8, VIRTIO_MMIO_CONFIG + 22,
	};
	uint16_t v = fz_u16(z);

	return v & 0x8000 ? v % VIRTIO_MMIO_SIZE : regs[v % (sizeof(regs) / sizeof(regs[0]))];
}

/* Queue q as the driver set it up (its registers). */
static inline struct vq *vd_q(uint8_t q)
{
	return &vd.d->vq[q % VIRTIO_MAX_QUEUES];
}

static inline uint16_t vd_qsize(const struct vq *q)
{
	return q->size ? q->size : 1;
}

/* Puts head into q's avail ring and bumps its idx, as a driver publishes. */
static inline void vd_publish(struct vq *q, uint16_t head)
{
	uint16_t hdr[2], ai;

	if (gmem_read(&vd.mem, q->avail_gpa, hdr, sizeof(hdr)) < 0)
		return;
	ai = hdr[1];
	(void)gmem_write(&vd.mem, q->avail_gpa + 4 + 2ULL * (ai % vd_qsize(q)), &head, 2);
	ai++;
	(void)gmem_write(&vd.mem, q->avail_gpa + 2, &ai, 2);
}

/* A chain of one buffer on queue qsel at its next descriptor: at base +
 * head * stride, len bytes, data (len of them) copied in unless NULL. */
static inline void vd_buffer(uint8_t qsel, uint64_t base, uint64_t stride, uint32_t len,
			     uint16_t flags, const void *data)
{
	struct vq *q = vd_q(qsel);
	uint16_t size = vd_qsize(q), head = vd.next_desc[qsel % VIRTIO_MAX_QUEUES] % size;
	struct virtq_desc_raw d = { base + head * stride, len, flags, 0 };

	if (data)
		(void)gmem_write(&vd.mem, d.addr, data, len);
	(void)gmem_write(&vd.mem, q->desc_gpa + 16ULL * head, &d, sizeof(d));
	vd.next_desc[qsel % VIRTIO_MAX_QUEUES] = (uint16_t)((head + 1) % size);
	vd_publish(q, head);
}

/* QueueNotify for queue q, served as the loop would. */
static inline void vd_kick(uint32_t q)
{
	vd_mmio_write(VIRTIO_MMIO_QUEUE_NOTIFY, q, 4);
	vd_serve();
}

/* The standard bring-up: features, the first nq queues with rings packed in
 * low RAM, DRIVER_OK. Sizes and features from the input. */
static inline void vd_bringup(struct fz *z)
{
	uint64_t feat = fz_u64(z) | 1ULL << VIRTIO_F_VERSION_1;
	unsigned int nq = fz_u8(z) % (vd_nqueues() + 1);
	uint32_t size = 1u << (fz_u8(z) % 11), base = 0;

	vd_mmio_write(VIRTIO_MMIO_STATUS, 0, 4);
	vd_mmio_write(VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER, 4);
	vd_mmio_write(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0, 4);
	vd_mmio_write(VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)feat, 4);
	vd_mmio_write(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1, 4);
	vd_mmio_write(VIRTIO_MMIO_DRIVER_FEATURES, feat >> 32, 4);
	vd_mmio_write(VIRTIO_MMIO_STATUS, 1 | 2 | VIRTIO_STATUS_FEATURES_OK, 4);
	for (uint32_t q = 0; q < nq; q++) {
		vd_mmio_write(VIRTIO_MMIO_QUEUE_SEL, q, 4);
		vd_mmio_write(VIRTIO_MMIO_QUEUE_NUM, size, 4);
		vd_mmio_write(VIRTIO_MMIO_QUEUE_DESC_LOW, base, 4);
		vd_mmio_write(VIRTIO_MMIO_QUEUE_AVAIL_LOW, base + 16 * size, 4);
		vd_mmio_write(VIRTIO_MMIO_QUEUE_USED_LOW, (base + 18 * size + 6 + 3) & ~3u, 4);
		vd_mmio_write(VIRTIO_MMIO_QUEUE_READY, 1, 4);
		base = (base + 26 * size + 16 + 15) & ~15u;
	}
	vd_mmio_write(VIRTIO_MMIO_STATUS, 1 | 2 | 8 | VIRTIO_STATUS_DRIVER_OK, 4);
}

/*
 * A well-formed chain of nseg buffers on queue q (at its next descriptors),
 * device-writable from segment `first_w` on, data from the input, buffers in
 * the upper half of the first region; published, and kicked if asked.
 */
static inline void vd_chain(struct fz *z, uint8_t qsel, bool kick)
{
	struct vq *q = vd_q(qsel);
	unsigned int nseg = 1 + fz_u8(z) % 4, first_w = fz_u8(z) % 5;
	uint16_t size = vd_qsize(q), head = vd.next_desc[qsel % VIRTIO_MAX_QUEUES] % size;
	uint64_t buf = vd.region_size / 2 + (uint64_t)head * 4096 % (vd.region_size / 2);

	for (unsigned int s = 0; s < nseg; s++) {
		uint16_t i = (uint16_t)((head + s) % size);
		size_t n;
		const uint8_t *p = fz_block(z, 4096, &n);
		uint32_t len = s >= first_w ? 256u << (fz_u8(z) % 5) : (uint32_t)n;
		struct virtq_desc_raw d = {
			buf, len, (uint16_t)((s >= first_w ? VIRTQ_DESC_F_WRITE : 0) |
					     (s + 1 < nseg ? VIRTQ_DESC_F_NEXT : 0)),
			(uint16_t)((i + 1) % size),
		};

		if (n && s < first_w)
			(void)gmem_write(&vd.mem, buf, p, n);
		(void)gmem_write(&vd.mem, q->desc_gpa + 16ULL * i, &d, sizeof(d));
		buf += (len + 15) & ~15u;
	}
	vd.next_desc[qsel % VIRTIO_MAX_QUEUES] = (uint16_t)((head + nseg) % size);
	vd_publish(q, head);
	if (kick)
		vd_kick(qsel % vd_nqueues());
}

static inline void vd_op(struct fz *z, unsigned int op)
{
	struct vq *q;
	size_t n;
	uint64_t gpa;
	const uint8_t *p;

	switch (op % VD_NOPS) {
	case 0: { /* register write, any size */
		static const uint32_t lens[] = { 4, 4, 4, 1, 2, 8, 3, 0 };
		uint64_t off = vd_reg(z);
		uint32_t len = lens[fz_u8(z) % 8];

		vd_mmio_write(off, fz_u64(z), len);
		break;
	}
	case 1: { /* register read */
		uint64_t off = vd_reg(z), v = 0;
		uint32_t len = 1u << (fz_u8(z) % 4);

		virtio_mmio_read(vd.d, off, &v, len);
		if (off == VIRTIO_MMIO_MAGIC_VALUE && len == 4)
			FZ_CHECK(v == 0x74726976);
		if (off == VIRTIO_MMIO_QUEUE_NUM_MAX && len == 4)
			FZ_CHECK(v <= VQ_MAX_SIZE);
		break;
	}
	case 2: /* guest RAM bytes */
		gpa = vd_gpa(z);
		p = fz_block(z, 512, &n);
		if (n)
			(void)gmem_write(&vd.mem, gpa, p, n);
		break;
	case 3: { /* a descriptor, where the driver put the table */
		struct virtq_desc_raw d;
		uint16_t idx;

		q = vd_q(fz_u8(z));
		idx = fz_u16(z);
		d.addr = vd_gpa(z);
		d.len = fz_u8(z) & 1 ? fz_u32(z) : fz_u16(z);
		d.flags = fz_u8(z) & 7;
		d.next = fz_u16(z);
		if (!(idx & 0x8000))
			idx = (uint16_t)(idx % vd_qsize(q));
		(void)gmem_write(&vd.mem, q->desc_gpa + 16ULL * idx, &d, sizeof(d));
		break;
	}
	case 4: { /* publish a head in the avail ring */
		uint16_t head;

		q = vd_q(fz_u8(z));
		head = fz_u16(z);
		if (!(head & 0x8000))
			head = (uint16_t)(head % vd_qsize(q));
		vd_publish(q, head);
		break;
	}
	case 5: { /* avail idx or flags, raw */
		uint16_t v;

		q = vd_q(fz_u8(z));
		v = fz_u16(z);
		(void)gmem_write(&vd.mem, q->avail_gpa + (fz_u8(z) & 1 ? 2 : 0), &v, 2);
		break;
	}
	case 6: /* kick through QueueNotify, served as the loop would */
		vd_kick(fz_u8(z) & 0x80 ? fz_u32(z) : fz_u8(z) % 16);
		break;
	case 7:
		vd_bringup(z);
		break;
	case 8: /* an indirect table: n descriptors at gpa, fields from the input */
		gpa = vd_gpa(z);
		n = fz_u8(z) % 20;
		for (size_t i = 0; i < n; i++) {
			struct virtq_desc_raw d;

			d.addr = vd_gpa(z);
			d.len = fz_u16(z);
			d.flags = fz_u8(z) & 7;
			d.next = fz_u8(z);

			(void)gmem_write(&vd.mem, gpa + 16 * i, &d, sizeof(d));
		}
		break;
	default: /* a well-formed chain, kicked */
		vd_chain(z, fz_u8(z), true);
		break;
	}
}

#endif
