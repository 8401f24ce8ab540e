/* SPDX-License-Identifier: Apache-2.0 */
/*
 * virtio-balloon free page reporting, driven as Linux 6.1 drives it: registers
 * through the mmio transport, rings laid out here, QueueNotify through the
 * queue's eventfd and served on this thread as the event loop would. Guest RAM
 * has two regions around a hole, so that "in the hole" and "across a region's
 * end" can be reported.
 */
#include "harness.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include "devices/balloon/balloon.h"

#define QSZ 32
#define RING(q) (0x10000ULL + (q) * 0x1000ULL)
#define LOW_SIZE (8ULL << 20)
#define HIGH_GPA (4ULL << 30)
#define HOLE_GPA 0xfe000000ULL
#define DATA 0x100000ULL /* touched test pages start here */

struct bdrv {
	struct gmem mem;
	struct virtio_dev *d;
	uint16_t avail[BALLOON_NUM_QUEUES], used_seen[BALLOON_NUM_QUEUES];
	uint16_t next_desc[BALLOON_NUM_QUEUES];
	size_t page;
};

struct range {
	uint64_t gpa;
	uint32_t len;
	uint16_t flags;
};

static void wr(struct bdrv *t, uint64_t off, uint32_t v)
{
	virtio_mmio_write(t->d, off, &v, 4);
}

static uint32_t rd(struct bdrv *t, uint64_t off)
{
	uint32_t v;
	virtio_mmio_read(t->d, off, &v, 4);
	return v;
}

/* Negotiates FREE_PAGE_REPORTING | VERSION_1 and sets up the three queues. */
static void bringup(struct bdrv *t)
{
	memset(gmem_ptr(&t->mem, RING(0), BALLOON_NUM_QUEUES * 0x1000), 0,
	       BALLOON_NUM_QUEUES * 0x1000);
	memset(t->avail, 0, sizeof(t->avail));
	memset(t->used_seen, 0, sizeof(t->used_seen));
	memset(t->next_desc, 0, sizeof(t->next_desc));
	wr(t, VIRTIO_MMIO_STATUS, 0);
	wr(t, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	wr(t, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	wr(t, VIRTIO_MMIO_DRIVER_FEATURES, 1u << VIRTIO_BALLOON_F_FREE_PAGE_REPORTING);
	wr(t, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	wr(t, VIRTIO_MMIO_DRIVER_FEATURES, 1); /* VERSION_1 */
	wr(t, VIRTIO_MMIO_STATUS, 1 | 2 | VIRTIO_STATUS_FEATURES_OK);
	CHECK(rd(t, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_FEATURES_OK);
	for (uint16_t q = 0; q < BALLOON_NUM_QUEUES; q++) {
		wr(t, VIRTIO_MMIO_QUEUE_SEL, q);
		CHECK(rd(t, VIRTIO_MMIO_QUEUE_NUM_MAX) >= 32); /* PAGE_REPORTING_CAPACITY */
		wr(t, VIRTIO_MMIO_QUEUE_NUM, QSZ);
		wr(t, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)RING(q));
		wr(t, VIRTIO_MMIO_QUEUE_AVAIL_LOW, (uint32_t)RING(q) + 0x400);
		wr(t, VIRTIO_MMIO_QUEUE_USED_LOW, (uint32_t)RING(q) + 0x800);
		wr(t, VIRTIO_MMIO_QUEUE_READY, 1);
	}
	wr(t, VIRTIO_MMIO_STATUS, 1 | 2 | 8 | VIRTIO_STATUS_DRIVER_OK);
	CHECK_EQ(rd(t, VIRTIO_MMIO_STATUS), 15);
}

static void setup(struct bdrv *t)
{
	const struct gmem_region reg[] = { { 0, LOW_SIZE }, { HIGH_GPA, LOW_SIZE } };

	memset(t, 0, sizeof(*t));
	t->page = (size_t)sysconf(_SC_PAGESIZE);
	CHECK_EQ(gmem_create(&t->mem, reg, 2), 0);
	t->d = balloon_create();
	CHECK(t->d);
	t->d->mem = &t->mem;
	CHECK_EQ(pthread_mutex_init(&t->d->lock, NULL), 0);
	for (uint16_t q = 0; q < BALLOON_NUM_QUEUES; q++) {
		t->d->notify_fd[q] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		CHECK(t->d->notify_fd[q] >= 0);
	}
	bringup(t);
}

static void teardown(struct bdrv *t)
{
	for (uint16_t q = 0; q < BALLOON_NUM_QUEUES; q++)
		close(t->d->notify_fd[q]);
	t->d->ops->destroy(t->d);
	pthread_mutex_destroy(&t->d->lock);
	free(t->d);
	gmem_destroy(&t->mem);
}

/* What the event loop does for every kicked queue (src/vmm/virtio_bus.c). */
static void serve(struct bdrv *t)
{
	uint64_t v;

	for (uint16_t q = 0; q < BALLOON_NUM_QUEUES; q++)
		if (read(t->d->notify_fd[q], &v, sizeof(v)) == sizeof(v) && t->d->vq[q].active)
			t->d->ops->queue_notify(t->d, q);
}

/* Puts one chain of n ranges on queue q, kicks it and serves the kick. */
static void submit(struct bdrv *t, uint16_t q, const struct range *r, unsigned int n)
{
	struct virtq_desc_raw *desc = gmem_ptr(&t->mem, RING(q), 16 * QSZ);
	uint16_t *avail = gmem_ptr(&t->mem, RING(q) + 0x400, 4 + 2 * QSZ);
	uint16_t head = t->next_desc[q];

	for (unsigned int s = 0; s < n; s++) {
		uint16_t i = (uint16_t)((head + s) % QSZ);
		desc[i] = (struct virtq_desc_raw){ r[s].gpa, r[s].len,
			(uint16_t)(r[s].flags | (s + 1 < n ? VIRTQ_DESC_F_NEXT : 0)),
			(uint16_t)((i + 1) % QSZ) };
	}
	t->next_desc[q] = (uint16_t)((head + n) % QSZ);
	avail[2 + t->avail[q] % QSZ] = head;
	__atomic_store_n(&avail[1], ++t->avail[q], __ATOMIC_RELEASE);
	wr(t, VIRTIO_MMIO_QUEUE_NOTIFY, q);
	serve(t);
}

/* The chain just submitted to q came back used, with length 0. */
static void expect_used(struct bdrv *t, uint16_t q)
{
	uint16_t *used = gmem_ptr(&t->mem, RING(q) + 0x800, 4 + 8 * QSZ);
	uint32_t elem[2];

	CHECK_EQ(__atomic_load_n(&used[1], __ATOMIC_ACQUIRE), (uint16_t)(t->used_seen[q] + 1));
	memcpy(elem, &used[2 + 4 * (t->used_seen[q] % QSZ)], sizeof(elem));
	t->used_seen[q]++;
	CHECK_EQ(elem[1], 0);
	CHECK(rd(t, VIRTIO_MMIO_INTERRUPT_STATUS) & VIRTIO_INT_USED_RING);
	wr(t, VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_INT_USED_RING);
}

/* Writes `fill` over npages guest pages at gpa, so they are resident. */
static void touch(struct bdrv *t, uint64_t gpa, size_t npages, uint8_t fill)
{
	memset(gmem_ptr(&t->mem, gpa, npages * t->page), fill, npages * t->page);
}

/* How many of npages guest pages at gpa the host has resident (mincore). */
static size_t resident(struct bdrv *t, uint64_t gpa, size_t npages)
{
	unsigned char vec[256];
	size_t n = 0;

	CHECK(npages <= sizeof(vec));
	CHECK_EQ(mincore(gmem_ptr(&t->mem, gpa, npages * t->page), npages * t->page, vec), 0);
	for (size_t i = 0; i < npages; i++)
		n += vec[i] & 1;
	return n;
}

/* Every byte of [gpa, gpa + len) equals v. */
static bool all_bytes(struct bdrv *t, uint64_t gpa, size_t len, uint8_t v)
{
	const uint8_t *p = gmem_ptr(&t->mem, gpa, len);

	for (size_t i = 0; i < len; i++)
		if (p[i] != v)
			return false;
	return true;
}

TEST(balloon_offers_only_free_page_reporting_and_three_queues)
{
	struct bdrv t;

	setup(&t);
	CHECK_EQ(rd(&t, VIRTIO_MMIO_DEVICE_ID), 5);
	wr(&t, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	CHECK_EQ(rd(&t, VIRTIO_MMIO_DEVICE_FEATURES), 1u << VIRTIO_BALLOON_F_FREE_PAGE_REPORTING);
	wr(&t, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
	CHECK_EQ(rd(&t, VIRTIO_MMIO_DEVICE_FEATURES), 1); /* VERSION_1 */
	wr(&t, VIRTIO_MMIO_QUEUE_SEL, BALLOON_NUM_QUEUES);
	CHECK_EQ(rd(&t, VIRTIO_MMIO_QUEUE_NUM_MAX), 0);
	CHECK(virtio_has_feature(t.d, VIRTIO_BALLOON_F_FREE_PAGE_REPORTING));
	teardown(&t);
}

TEST(balloon_config_has_num_pages_zero_and_keeps_actual_until_reset)
{
	struct bdrv t;
	uint16_t half = 0x1234;

	setup(&t);
	CHECK_EQ(rd(&t, VIRTIO_MMIO_CONFIG + 0), 0);
	CHECK_EQ(rd(&t, VIRTIO_MMIO_CONFIG + 4), 0);
	wr(&t, VIRTIO_MMIO_CONFIG + 4, 77);
	wr(&t, VIRTIO_MMIO_CONFIG + 0, 99); /* num_pages is the device's */
	CHECK_EQ(rd(&t, VIRTIO_MMIO_CONFIG + 0), 0);
	CHECK_EQ(rd(&t, VIRTIO_MMIO_CONFIG + 4), 77);
	virtio_mmio_write(t.d, VIRTIO_MMIO_CONFIG + 6, &half, 2);
	CHECK_EQ(rd(&t, VIRTIO_MMIO_CONFIG + 4), 0x1234004d);
	wr(&t, VIRTIO_MMIO_CONFIG + 8, 5); /* past the end: ignored */
	CHECK_EQ(rd(&t, VIRTIO_MMIO_CONFIG + 8), 0);
	bringup(&t);
	CHECK_EQ(rd(&t, VIRTIO_MMIO_CONFIG + 4), 0);
	teardown(&t);
}

TEST(balloon_report_releases_touched_pages_which_read_back_zero)
{
	struct bdrv t;
	size_t pg;
	struct range r[2];

	setup(&t);
	pg = t.page;
	touch(&t, DATA, 66, 0xaa);
	CHECK_EQ(resident(&t, DATA, 66), 66);
	/* Pages 1..64 reported in two ranges; pages 0 and 65 stay the guest's. */
	r[0] = (struct range){ DATA + pg, (uint32_t)(32 * pg), VIRTQ_DESC_F_WRITE };
	r[1] = (struct range){ DATA + 33 * pg, (uint32_t)(32 * pg), VIRTQ_DESC_F_WRITE };
	submit(&t, BALLOON_REPORTINGQ, r, 2);
	expect_used(&t, BALLOON_REPORTINGQ);
	CHECK_EQ(resident(&t, DATA + pg, 64), 0);
	CHECK_EQ(resident(&t, DATA, 1), 1);
	CHECK_EQ(resident(&t, DATA + 65 * pg, 1), 1);
	CHECK(all_bytes(&t, DATA + pg, 64 * pg, 0));
	CHECK(all_bytes(&t, DATA, pg, 0xaa));
	CHECK(all_bytes(&t, DATA + 65 * pg, pg, 0xaa));
	/* The high region too. */
	touch(&t, HIGH_GPA, 4, 0x55);
	r[0] = (struct range){ HIGH_GPA, (uint32_t)(4 * pg), VIRTQ_DESC_F_WRITE };
	submit(&t, BALLOON_REPORTINGQ, r, 1);
	expect_used(&t, BALLOON_REPORTINGQ);
	CHECK_EQ(resident(&t, HIGH_GPA, 4), 0);
	teardown(&t);
}

TEST(balloon_unaligned_report_releases_only_whole_pages_inside_it)
{
	struct bdrv t;
	size_t pg;
	struct range r;

	setup(&t);
	pg = t.page;
	touch(&t, DATA, 4, 0xaa);
	r = (struct range){ DATA + 100, (uint32_t)(3 * pg - 50), VIRTQ_DESC_F_WRITE };
	submit(&t, BALLOON_REPORTINGQ, &r, 1);
	expect_used(&t, BALLOON_REPORTINGQ);
	CHECK_EQ(resident(&t, DATA + pg, 2), 0);
	CHECK(all_bytes(&t, DATA, pg, 0xaa));
	CHECK(all_bytes(&t, DATA + 3 * pg, pg, 0xaa));
	/* Less than a page: nothing to release. */
	r = (struct range){ DATA + 8, (uint32_t)(pg - 16), VIRTQ_DESC_F_WRITE };
	submit(&t, BALLOON_REPORTINGQ, &r, 1);
	expect_used(&t, BALLOON_REPORTINGQ);
	CHECK(all_bytes(&t, DATA, pg, 0xaa));
	teardown(&t);
}

TEST(balloon_hostile_reports_are_completed_and_release_nothing)
{
	const uint16_t w = VIRTQ_DESC_F_WRITE;
	struct bdrv t;
	size_t pg;

	setup(&t);
	pg = t.page;
	const struct range bad[] = {
		{ 0x7000000000ULL, 4096, w },          /* outside RAM */
		{ HOLE_GPA, 4096, w },                 /* in the MMIO hole */
		{ LOW_SIZE - 4096, 8192, w },          /* across a region's end */
		{ HIGH_GPA + LOW_SIZE - 4096, 8192, w }, /* past the end of RAM */
		{ 0xfffffffffffff000ULL, 0x2000, w },  /* gpa + len overflows */
		{ 0, 0xffffffffu, w },                 /* huge */
	};
	touch(&t, DATA, 8, 0xaa);
	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		/* A good range in the same chain is not released either: vq_pop
		 * drops the whole chain (src/virtio/queue.h). */
		struct range r[2] = { { DATA, (uint32_t)pg, w }, bad[i] };
		submit(&t, BALLOON_REPORTINGQ, r, 2);
		expect_used(&t, BALLOON_REPORTINGQ);
		CHECK_EQ(resident(&t, DATA, 8), 8);
	}
	/* Zero-length ranges only: nothing to do, still completed. */
	struct range zero[2] = { { DATA, 0, w }, { 0x7000000000ULL, 0, w } };
	submit(&t, BALLOON_REPORTINGQ, zero, 2);
	expect_used(&t, BALLOON_REPORTINGQ);
	/* A device-readable range is not the device's to write (§2.7.4). */
	struct range ro = { DATA, (uint32_t)(8 * pg), 0 };
	submit(&t, BALLOON_REPORTINGQ, &ro, 1);
	expect_used(&t, BALLOON_REPORTINGQ);
	CHECK_EQ(resident(&t, DATA, 8), 8);
	CHECK(all_bytes(&t, DATA, 8 * pg, 0xaa));
	/* And the queue still works. */
	struct range ok = { DATA, (uint32_t)(8 * pg), w };
	submit(&t, BALLOON_REPORTINGQ, &ok, 1);
	expect_used(&t, BALLOON_REPORTINGQ);
	CHECK_EQ(resident(&t, DATA, 8), 0);
	teardown(&t);
}

TEST(balloon_inflate_and_deflate_buffers_are_completed_unused)
{
	struct bdrv t;
	uint32_t pfns[4];
	struct range r = { DATA + 0x10000, sizeof(pfns), 0 };

	setup(&t);
	touch(&t, DATA, 4, 0xaa);
	for (uint32_t i = 0; i < 4; i++)
		pfns[i] = (uint32_t)(DATA >> 12) + i;
	CHECK_EQ(gmem_write(&t.mem, r.gpa, pfns, sizeof(pfns)), 0);
	submit(&t, BALLOON_INFLATEQ, &r, 1);
	expect_used(&t, BALLOON_INFLATEQ);
	submit(&t, BALLOON_DEFLATEQ, &r, 1);
	expect_used(&t, BALLOON_DEFLATEQ);
	CHECK_EQ(resident(&t, DATA, 4), 4);
	CHECK(all_bytes(&t, DATA, 4 * t.page, 0xaa));
	teardown(&t);
}

TEST(balloon_reset_device_ignores_kicks_then_works_again)
{
	struct bdrv t;
	struct range r;

	setup(&t);
	touch(&t, DATA, 2, 0xaa);
	wr(&t, VIRTIO_MMIO_STATUS, 0);
	t.d->ops->queue_notify(t.d, BALLOON_REPORTINGQ); /* a kick racing the reset */
	bringup(&t);
	r = (struct range){ DATA, (uint32_t)(2 * t.page), VIRTQ_DESC_F_WRITE };
	submit(&t, BALLOON_REPORTINGQ, &r, 1);
	expect_used(&t, BALLOON_REPORTINGQ);
	CHECK_EQ(resident(&t, DATA, 2), 0);
	teardown(&t);
}
