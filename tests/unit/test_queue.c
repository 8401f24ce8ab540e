/* SPDX-License-Identifier: Apache-2.0 */
#include "harness.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>

#include "virtio/queue.h"

/*
 * Guest RAM: [0, 64K) and [128K, 192K), a hole between. Rings of QSIZE entries
 * at DESC/AVAIL/USED; buffers at BUF and in the second region (HIGH).
 */
#define QSIZE 8
#define DESC 0x1000
#define AVAIL 0x2000
#define USED 0x3000
#define BUF 0x4000
#define HOLE 0x10000
#define HIGH 0x20000
#define RAM_END 0x30000

struct ring {
	struct gmem m;
	struct vq q;
	uint16_t avail_idx;
};

static void ring_setup(struct ring *r)
{
	const struct gmem_region reg[] = { { 0, 0x10000 }, { HIGH, 0x10000 } };

	memset(r, 0, sizeof(*r));
	CHECK_EQ(gmem_create(&r->m, reg, 2), 0);
	r->q.max_size = VQ_MAX_SIZE;
	r->q.size = QSIZE;
	r->q.desc_gpa = DESC;
	r->q.avail_gpa = AVAIL;
	r->q.used_gpa = USED;
	r->q.ready = true;
	CHECK_EQ(vq_activate(&r->q, &r->m), 0);
}

static void desc_at(struct ring *r, uint64_t table, uint16_t i, uint64_t addr, uint32_t len,
		    uint16_t flags, uint16_t next)
{
	struct virtq_desc_raw d = { .addr = addr, .len = len, .flags = flags, .next = next };
	CHECK_EQ(gmem_write(&r->m, table + 16ULL * i, &d, sizeof(d)), 0);
}

static void desc(struct ring *r, uint16_t i, uint64_t addr, uint32_t len, uint16_t flags,
		 uint16_t next)
{
	desc_at(r, DESC, i, addr, len, flags, next);
}

/* Offers `count` chains, heads given, in one avail->idx update. */
static void offer(struct ring *r, const uint16_t *heads, unsigned int count)
{
	for (unsigned int i = 0; i < count; i++) {
		uint16_t slot = (uint16_t)((r->avail_idx + i) % QSIZE);
		CHECK_EQ(gmem_write(&r->m, AVAIL + 4 + 2 * slot, &heads[i], 2), 0);
	}
	r->avail_idx = (uint16_t)(r->avail_idx + count);
	CHECK_EQ(gmem_write(&r->m, AVAIL + 2, &r->avail_idx, 2), 0);
}

static void offer1(struct ring *r, uint16_t head)
{
	offer(r, &head, 1);
}

static uint16_t used_idx(struct ring *r)
{
	uint16_t v;
	CHECK_EQ(gmem_read(&r->m, USED + 2, &v, 2), 0);
	return v;
}

static void used_elem(struct ring *r, uint16_t i, uint32_t *id, uint32_t *len)
{
	CHECK_EQ(gmem_read(&r->m, USED + 4 + 8 * (i % QSIZE), id, 4), 0);
	CHECK_EQ(gmem_read(&r->m, USED + 8 + 8 * (i % QSIZE), len, 4), 0);
}

/* Pops once expecting only bad chains: each completed with length 0, none given
 * to the device; then a good chain offered afterwards still arrives. */
static void expect_rejected(struct ring *r, unsigned int nbad)
{
	struct vq_chain c;
	bool pushed = false;
	uint16_t before = used_idx(r);
	uint32_t id, len;

	CHECK_EQ(vq_pop(&r->q, &c, &pushed), 0);
	CHECK(pushed);
	CHECK_EQ(r->q.bad_chains, nbad);
	CHECK_EQ(used_idx(r), (uint16_t)(before + 1));
	used_elem(r, before, &id, &len);
	CHECK_EQ(len, 0);

	desc(r, 7, BUF + 0x800, 16, 0, 0);
	offer1(r, 7);
	CHECK_EQ(vq_pop(&r->q, &c, NULL), 1);
	CHECK_EQ(c.head, 7);
	CHECK_EQ(c.nout, 1);
	CHECK_EQ(c.out_bytes, 16);
	CHECK(!r->q.broken);
}

TEST(vq_pop_returns_readable_then_writable_segments_and_push_completes)
{
	struct ring r;
	struct vq_chain c;
	bool pushed = false;
	uint32_t id, len;

	ring_setup(&r);
	CHECK_EQ(vq_pop(&r.q, &c, &pushed), 0); /* empty ring */
	desc(&r, 2, BUF, 10, VIRTQ_DESC_F_NEXT, 5);
	desc(&r, 5, HIGH + 8, 20, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 1);
	desc(&r, 1, BUF + 0x100, 30, VIRTQ_DESC_F_WRITE, 0);
	offer1(&r, 2);
	CHECK_EQ(vq_pop(&r.q, &c, &pushed), 1);
	CHECK(!pushed);
	CHECK_EQ(c.head, 2);
	CHECK_EQ(c.nout, 1);
	CHECK_EQ(c.nin, 2);
	CHECK_EQ(c.out_bytes, 10);
	CHECK_EQ(c.in_bytes, 50);
	CHECK(c.seg[0].host == r.m.region[0].host + BUF);
	CHECK(c.seg[1].host == r.m.region[1].host + 8);
	CHECK_EQ(vq_pop(&r.q, &c, &pushed), 0);

	vq_push(&r.q, 2, 42);
	CHECK_EQ(used_idx(&r), 1);
	used_elem(&r, 0, &id, &len);
	CHECK_EQ(id, 2);
	CHECK_EQ(len, 42);
	gmem_destroy(&r.m);
}

TEST(vq_pop_ends_descriptor_loops_and_completes_them_empty)
{
	struct ring r;
	ring_setup(&r);
	desc(&r, 0, BUF, 8, VIRTQ_DESC_F_NEXT, 1);
	desc(&r, 1, BUF, 8, VIRTQ_DESC_F_NEXT, 0);
	offer1(&r, 0);
	expect_rejected(&r, 1);
	desc(&r, 3, BUF, 8, VIRTQ_DESC_F_NEXT, 3); /* points at itself */
	offer1(&r, 3);
	expect_rejected(&r, 2);
	gmem_destroy(&r.m);
}

TEST(vq_pop_rejects_chains_longer_than_the_queue)
{
	struct ring r;
	ring_setup(&r);
	/* All QSIZE descriptors chained, the last back to the first: QSIZE + 1 long. */
	for (uint16_t i = 0; i < QSIZE; i++)
		desc(&r, i, BUF, 4, VIRTQ_DESC_F_NEXT, (uint16_t)((i + 1) % QSIZE));
	offer1(&r, 0);
	expect_rejected(&r, 1);
	gmem_destroy(&r.m);
}

TEST(vq_pop_rejects_buffers_outside_ram_or_wrapping)
{
	struct ring r;
	const struct {
		uint64_t addr;
		uint32_t len;
	} bad[] = {
		{ HOLE, 16 },                /* in the hole */
		{ HOLE - 8, 16 },            /* runs into the hole */
		{ RAM_END - 8, 16 },         /* runs past RAM */
		{ 1ULL << 40, 16 },          /* far outside */
		{ UINT64_MAX - 10, 100 },    /* addr + len wraps 2^64 */
		{ BUF, 0xffffffff },         /* huge length */
	};
	ring_setup(&r);
	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		desc(&r, 0, BUF, 8, VIRTQ_DESC_F_NEXT, 1);
		desc(&r, 1, bad[i].addr, bad[i].len, VIRTQ_DESC_F_WRITE, 0);
		offer1(&r, 0);
		expect_rejected(&r, i + 1);
	}
	gmem_destroy(&r.m);
}

TEST(vq_pop_rejects_next_or_head_beyond_the_queue)
{
	struct ring r;
	uint32_t id, len;
	ring_setup(&r);
	desc(&r, 0, BUF, 8, VIRTQ_DESC_F_NEXT, QSIZE);
	offer1(&r, 0);
	expect_rejected(&r, 1);
	offer1(&r, 500); /* head out of range: given back as is, empty */
	expect_rejected(&r, 2);
	used_elem(&r, 1, &id, &len); /* the good chain in between is not pushed */
	CHECK_EQ(id, 500);
	gmem_destroy(&r.m);
}

TEST(vq_pop_rejects_readable_after_writable)
{
	struct ring r;
	ring_setup(&r);
	desc(&r, 0, BUF, 8, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 1);
	desc(&r, 1, BUF + 8, 8, 0, 0);
	offer1(&r, 0);
	expect_rejected(&r, 1);
	gmem_destroy(&r.m);
}

TEST(vq_pop_follows_a_good_indirect_table_even_misaligned)
{
	struct ring r;
	struct vq_chain c;
	const uint64_t table = HIGH + 0x1003;
	ring_setup(&r);
	desc_at(&r, table, 0, BUF, 4, VIRTQ_DESC_F_NEXT, 2);
	desc_at(&r, table, 2, BUF + 4, 6, VIRTQ_DESC_F_NEXT, 1);
	desc_at(&r, table, 1, HIGH, 12, VIRTQ_DESC_F_WRITE, 0);
	desc(&r, 4, table, 3 * 16, VIRTQ_DESC_F_INDIRECT, 0);
	offer1(&r, 4);
	CHECK_EQ(vq_pop(&r.q, &c, NULL), 1);
	CHECK_EQ(c.head, 4);
	CHECK_EQ(c.nout, 2);
	CHECK_EQ(c.nin, 1);
	CHECK_EQ(c.out_bytes, 10);
	CHECK_EQ(c.in_bytes, 12);
	gmem_destroy(&r.m);
}

TEST(vq_pop_rejects_bad_indirect_tables)
{
	struct ring r;
	const uint64_t table = HIGH + 0x1000, nested = HIGH + 0x2000;
	unsigned int nbad = 0;
	ring_setup(&r);
	desc_at(&r, nested, 0, BUF, 4, 0, 0);

	desc(&r, 0, table, 20, VIRTQ_DESC_F_INDIRECT, 0); /* not whole entries */
	offer1(&r, 0);
	expect_rejected(&r, ++nbad);
	desc(&r, 0, table, 0, VIRTQ_DESC_F_INDIRECT, 0); /* empty */
	offer1(&r, 0);
	expect_rejected(&r, ++nbad);
	desc(&r, 0, HOLE, 32, VIRTQ_DESC_F_INDIRECT, 0); /* outside RAM */
	offer1(&r, 0);
	expect_rejected(&r, ++nbad);
	desc(&r, 0, RAM_END - 16, 32, VIRTQ_DESC_F_INDIRECT, 0); /* runs past RAM */
	offer1(&r, 0);
	expect_rejected(&r, ++nbad);
	desc(&r, 0, table, 32, VIRTQ_DESC_F_INDIRECT | VIRTQ_DESC_F_NEXT, 1); /* with NEXT */
	desc(&r, 1, BUF, 4, 0, 0);
	offer1(&r, 0);
	expect_rejected(&r, ++nbad);

	desc(&r, 0, table, 32, VIRTQ_DESC_F_INDIRECT, 0);
	desc_at(&r, table, 0, BUF, 4, VIRTQ_DESC_F_NEXT, 1);
	desc_at(&r, table, 1, nested, 16, VIRTQ_DESC_F_INDIRECT, 0); /* nested */
	offer1(&r, 0);
	expect_rejected(&r, ++nbad);
	desc_at(&r, table, 1, BUF, 4, VIRTQ_DESC_F_NEXT, 2); /* NEXT out of table */
	offer1(&r, 0);
	expect_rejected(&r, ++nbad);
	desc_at(&r, table, 1, BUF, 4, VIRTQ_DESC_F_NEXT, 0); /* loop inside the table */
	offer1(&r, 0);
	expect_rejected(&r, ++nbad);
	desc_at(&r, table, 1, HOLE, 4, 0, 0); /* buffer outside RAM */
	offer1(&r, 0);
	expect_rejected(&r, ++nbad);
	gmem_destroy(&r.m);
}

TEST(vq_pop_rejects_chains_with_more_than_max_segs)
{
	struct ring r;
	const uint64_t table = HIGH;
	const uint16_t n = VQ_MAX_SEGS + 1;
	ring_setup(&r);
	for (uint16_t i = 0; i < n; i++)
		desc_at(&r, table, i, BUF + i, 1, i + 1 < n ? VIRTQ_DESC_F_NEXT : 0,
			(uint16_t)(i + 1));
	desc(&r, 0, table, 16U * n, VIRTQ_DESC_F_INDIRECT, 0);
	offer1(&r, 0);
	expect_rejected(&r, 1);
	gmem_destroy(&r.m);
}

TEST(vq_pop_skips_zero_length_descriptors)
{
	struct ring r;
	struct vq_chain c;
	ring_setup(&r);
	desc(&r, 0, HOLE, 0, VIRTQ_DESC_F_NEXT, 1);
	desc(&r, 1, BUF, 8, 0, 0);
	offer1(&r, 0);
	CHECK_EQ(vq_pop(&r.q, &c, NULL), 1);
	CHECK_EQ(c.nout, 1);
	CHECK_EQ(c.out_bytes, 8);
	gmem_destroy(&r.m);
}

TEST(vq_pop_marks_queue_broken_when_avail_runs_too_far_ahead)
{
	struct ring r;
	struct vq_chain c;
	uint16_t idx = QSIZE + 1;
	ring_setup(&r);
	desc(&r, 0, BUF, 8, 0, 0);
	CHECK_EQ(gmem_write(&r.m, AVAIL + 2, &idx, 2), 0);
	CHECK_EQ(vq_pop(&r.q, &c, NULL), 0);
	CHECK(r.q.broken);
	CHECK_EQ(used_idx(&r), 0);
	idx = 1; /* even a sane index now yields nothing */
	CHECK_EQ(gmem_write(&r.m, AVAIL + 2, &idx, 2), 0);
	CHECK_EQ(vq_pop(&r.q, &c, NULL), 0);

	vq_reset(&r.q);
	CHECK(!r.q.broken && !r.q.active);
	CHECK_EQ(r.q.max_size, VQ_MAX_SIZE);
	CHECK_EQ(r.q.size, 0);
	CHECK_EQ(vq_pop(&r.q, &c, NULL), 0);
	gmem_destroy(&r.m);
}

TEST(vq_pop_takes_exactly_size_chains_at_once)
{
	struct ring r;
	struct vq_chain c;
	uint16_t heads[QSIZE];
	ring_setup(&r);
	for (uint16_t i = 0; i < QSIZE; i++) {
		desc(&r, i, BUF + 16 * i, 16, 0, 0);
		heads[i] = i;
	}
	offer(&r, heads, QSIZE);
	for (uint16_t i = 0; i < QSIZE; i++) {
		CHECK_EQ(vq_pop(&r.q, &c, NULL), 1);
		CHECK_EQ(c.head, i);
		vq_push(&r.q, i, 0);
	}
	CHECK_EQ(vq_pop(&r.q, &c, NULL), 0);
	CHECK(!r.q.broken);
	CHECK_EQ(used_idx(&r), QSIZE);
	gmem_destroy(&r.m);
}

TEST(vq_activate_rejects_misaligned_or_outside_rings_and_bad_sizes)
{
	struct ring r;
	ring_setup(&r);
	const struct {
		uint16_t size;
		uint64_t desc, avail, used;
	} bad[] = {
		{ QSIZE, DESC + 8, AVAIL, USED },        /* desc not 16-aligned */
		{ QSIZE, DESC, AVAIL + 1, USED },        /* avail not 2-aligned */
		{ QSIZE, DESC, AVAIL, USED + 2 },        /* used not 4-aligned */
		{ QSIZE, HOLE, AVAIL, USED },            /* desc in the hole */
		{ QSIZE, DESC, RAM_END - 8, USED },      /* avail past RAM */
		{ QSIZE, DESC, AVAIL, HOLE - 16 },       /* used into the hole */
		{ QSIZE, UINT64_MAX & ~15ULL, AVAIL, USED },
		{ 0, DESC, AVAIL, USED },
		{ 6, DESC, AVAIL, USED },                /* not a power of two */
		{ 2048, DESC, AVAIL, USED },             /* above max_size */
	};
	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		r.q.size = bad[i].size;
		r.q.desc_gpa = bad[i].desc;
		r.q.avail_gpa = bad[i].avail;
		r.q.used_gpa = bad[i].used;
		CHECK_EQ(vq_activate(&r.q, &r.m), -EINVAL);
		CHECK(!r.q.active);
	}
	r.q.max_size = 4;
	r.q.size = QSIZE;
	r.q.desc_gpa = DESC;
	r.q.avail_gpa = AVAIL;
	r.q.used_gpa = USED;
	CHECK_EQ(vq_activate(&r.q, &r.m), -EINVAL); /* above this queue's max */
	gmem_destroy(&r.m);
}

TEST(vq_needs_signal_follows_no_interrupt_flag)
{
	struct ring r;
	uint16_t flags = VIRTQ_AVAIL_F_NO_INTERRUPT;
	ring_setup(&r);
	CHECK(vq_needs_signal(&r.q));
	CHECK_EQ(gmem_write(&r.m, AVAIL, &flags, 2), 0);
	CHECK(!vq_needs_signal(&r.q));
	vq_reset(&r.q);
	CHECK(!vq_needs_signal(&r.q));
	gmem_destroy(&r.m);
}

TEST(vq_chain_read_and_write_cross_segment_boundaries)
{
	struct ring r;
	struct vq_chain c;
	uint8_t out[16], src[16];
	ring_setup(&r);
	CHECK_EQ(gmem_write(&r.m, BUF, "abc", 3), 0);
	CHECK_EQ(gmem_write(&r.m, HIGH, "defgh", 5), 0);
	CHECK_EQ(gmem_write(&r.m, BUF + 0x100, "ijklmno", 7), 0);
	desc(&r, 0, BUF, 3, VIRTQ_DESC_F_NEXT, 1);
	desc(&r, 1, HIGH, 5, VIRTQ_DESC_F_NEXT, 2);
	desc(&r, 2, BUF + 0x100, 7, VIRTQ_DESC_F_NEXT, 3);
	desc(&r, 3, BUF + 0x200, 4, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 4);
	desc(&r, 4, HIGH + 0x100, 6, VIRTQ_DESC_F_WRITE, 0);
	offer1(&r, 0);
	CHECK_EQ(vq_pop(&r.q, &c, NULL), 1);

	memset(out, 0, sizeof(out));
	CHECK_EQ(vq_chain_read(&c, 2, out, 10), 10);
	CHECK(memcmp(out, "cdefghijkl", 10) == 0);
	CHECK_EQ(vq_chain_read(&c, 12, out, 10), 3); /* short at the end */
	CHECK(memcmp(out, "mno", 3) == 0);
	CHECK_EQ(vq_chain_read(&c, 15, out, 4), 0);

	memcpy(src, "0123456789", 10);
	CHECK_EQ(vq_chain_write(&c, 1, src, 16), 9); /* 10 writable bytes, from 1 */
	CHECK(memcmp(r.m.region[0].host + BUF + 0x200, "\0" "012", 4) == 0);
	CHECK(memcmp(r.m.region[1].host + 0x100, "345678", 6) == 0);
	CHECK_EQ(vq_chain_write(&c, 10, src, 1), 0);
	gmem_destroy(&r.m);
}
