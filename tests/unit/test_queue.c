/* SPDX-License-Identifier: Apache-2.0 */
#include "harness.h"

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/mman.h>

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

/* event_idx: as the transport sets it when VIRTIO_F_EVENT_IDX was negotiated. */
static void ring_setup_opts(struct ring *r, bool event_idx)
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
	r->q.event_idx = event_idx;
	CHECK_EQ(vq_activate(&r->q, &r->m), 0);
}

static void ring_setup(struct ring *r)
{
	ring_setup_opts(r, false);
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

/*
 * VIRTIO_F_EVENT_IDX (virtio 1.2 §2.7.7.2, §2.7.10): used_event is the avail
 * ring's last word, avail_event the used ring's.
 */
#define USED_EVENT (AVAIL + 4 + 2 * QSIZE)
#define AVAIL_EVENT (USED + 4 + 8 * QSIZE)

static void set_u16(struct ring *r, uint64_t gpa, uint16_t v)
{
	CHECK_EQ(gmem_write(&r->m, gpa, &v, 2), 0);
}

static uint16_t get_u16(struct ring *r, uint64_t gpa)
{
	uint16_t v;
	CHECK_EQ(gmem_read(&r->m, gpa, &v, 2), 0);
	return v;
}

/* The device completes n chains (any head will do for the used ring). */
static void push_n(struct ring *r, unsigned int n)
{
	while (n--)
		vq_push(&r->q, 0, 0);
}

TEST(vq_needs_signal_with_event_idx_signals_only_when_used_idx_passes_used_event)
{
	struct ring r;

	ring_setup_opts(&r, true);
	/* §2.7.7.2: with EVENT_IDX the device ignores the flag. */
	set_u16(&r, AVAIL, VIRTQ_AVAIL_F_NO_INTERRUPT);
	set_u16(&r, USED_EVENT, 0);
	push_n(&r, 1); /* entry 0 is used_event */
	CHECK(vq_needs_signal(&r.q));
	CHECK(!vq_needs_signal(&r.q)); /* nothing pushed since */
	set_u16(&r, USED_EVENT, 3);
	push_n(&r, 1);
	CHECK(!vq_needs_signal(&r.q));
	push_n(&r, 1);
	CHECK(!vq_needs_signal(&r.q));
	push_n(&r, 1); /* entry 3 */
	CHECK(vq_needs_signal(&r.q));
	push_n(&r, 1);
	CHECK(!vq_needs_signal(&r.q));
	/* Several pushed, asked once: entry 6 among them still signals. */
	set_u16(&r, USED_EVENT, 6);
	push_n(&r, 3);
	CHECK(vq_needs_signal(&r.q));
	/* Entries 8..9 were not judged yet when used_event moved onto them. */
	push_n(&r, 2);
	set_u16(&r, USED_EVENT, 9);
	CHECK(vq_needs_signal(&r.q));
	/* A used_event already behind: the driver looks at used->idx itself. */
	set_u16(&r, USED_EVENT, 5);
	set_u16(&r, AVAIL, 0);
	CHECK(!vq_needs_signal(&r.q));
	push_n(&r, 1);
	CHECK(!vq_needs_signal(&r.q));
	CHECK_EQ(used_idx(&r), 11);
	gmem_destroy(&r.m);
}

TEST(vq_needs_signal_with_event_idx_wraps_around_the_16_bit_index)
{
	struct ring r;

	ring_setup_opts(&r, true);
	r.q.used_idx = r.q.signalled_used = 0xfffc;
	set_u16(&r, USED_EVENT, 0xffff);
	push_n(&r, 2);
	CHECK(!vq_needs_signal(&r.q));
	push_n(&r, 2); /* entries 0xfffe, 0xffff */
	CHECK(vq_needs_signal(&r.q));
	CHECK_EQ(used_idx(&r), 0);
	set_u16(&r, USED_EVENT, 1);
	push_n(&r, 1);
	CHECK(!vq_needs_signal(&r.q));
	push_n(&r, 1);
	CHECK(vq_needs_signal(&r.q));
	/* One batch across the wrap, used_event at 0. */
	r.q.used_idx = r.q.signalled_used = 0xfffe;
	set_u16(&r, USED_EVENT, 0);
	push_n(&r, 3);
	CHECK(vq_needs_signal(&r.q));
	set_u16(&r, USED_EVENT, 0xfffe); /* just behind, after the wrap */
	push_n(&r, 1);
	CHECK(!vq_needs_signal(&r.q));
	gmem_destroy(&r.m);
}

/* Any used_event, from any start, any batch: an interrupt exactly when the
 * batch wrote entry used_event; nothing in either ring is written. */
TEST(vq_needs_signal_with_event_idx_takes_any_used_event_value)
{
	static const uint16_t starts[] = { 0, 1, 0x7fff, 0xfff0, 0xffff };
	static const uint16_t batches[] = { 1, 2, QSIZE, 0x8000, 0xffff };
	static uint8_t before[0x2000];
	struct ring r;

	ring_setup_opts(&r, true);
	memcpy(before, r.m.region[0].host + AVAIL, sizeof(before));
	for (unsigned int s = 0; s < sizeof(starts) / sizeof(starts[0]); s++)
		for (unsigned int b = 0; b < sizeof(batches) / sizeof(batches[0]); b++)
			for (uint32_t ev = 0; ev <= 0xffff; ev++) {
				uint16_t from = starts[s], n = batches[b];
				bool want = (uint16_t)(ev - from) < n;

				r.q.signalled_used = from;
				r.q.used_idx = (uint16_t)(from + n);
				set_u16(&r, USED_EVENT, (uint16_t)ev);
				if (vq_needs_signal(&r.q) != want)
					CHECK_EQ(ev, -1); /* names the failing value */
				CHECK_EQ(r.q.signalled_used, r.q.used_idx);
			}
	set_u16(&r, USED_EVENT, 0);
	CHECK(!memcmp(before, r.m.region[0].host + AVAIL, sizeof(before)));
	gmem_destroy(&r.m);
}

TEST(vq_pop_with_event_idx_sets_avail_event_to_last_avail_when_empty)
{
	struct ring r;
	struct vq_chain c;
	uint16_t heads[3] = { 0, 1, 2 };

	ring_setup_opts(&r, true);
	for (uint16_t i = 0; i < QSIZE; i++)
		desc(&r, i, BUF + 16 * i, 16, 0, 0);
	set_u16(&r, AVAIL_EVENT, 0xbeef);
	offer(&r, heads, 3);
	for (int i = 0; i < 3; i++)
		CHECK_EQ(vq_pop(&r.q, &c, NULL), 1);
	CHECK_EQ(get_u16(&r, AVAIL_EVENT), 0xbeef); /* written only when empty */
	CHECK_EQ(vq_pop(&r.q, &c, NULL), 0);
	CHECK_EQ(get_u16(&r, AVAIL_EVENT), 3);
	offer(&r, heads, 2);
	CHECK_EQ(vq_pop(&r.q, &c, NULL), 1);
	CHECK_EQ(vq_pop(&r.q, &c, NULL), 1);
	CHECK_EQ(vq_pop(&r.q, &c, NULL), 0);
	CHECK_EQ(get_u16(&r, AVAIL_EVENT), 5);
	/* Across the wrap of the avail index. */
	r.q.last_avail = r.avail_idx = 0xfffe;
	set_u16(&r, AVAIL + 2, r.avail_idx);
	offer(&r, heads, 3);
	for (int i = 0; i < 3; i++)
		CHECK_EQ(vq_pop(&r.q, &c, NULL), 1);
	CHECK_EQ(vq_pop(&r.q, &c, NULL), 0);
	CHECK_EQ(get_u16(&r, AVAIL_EVENT), 1);
	CHECK_EQ(r.q.last_avail, 1);
	/* The rest of the used ring is the device's pushes only: none here. */
	CHECK_EQ(used_idx(&r), 0);
	gmem_destroy(&r.m);
}

/*
 * The race §2.7.10 leaves to the device: the driver makes a buffer available
 * after the device saw the ring empty but before the driver can see the new
 * avail_event, so it does not kick. Made deterministic: the used ring's page
 * is read-only, so the device's avail_event store faults, and the handler
 * plays the driver (one chain offered) before letting the store through.
 */
static struct ring *race_ring;
static volatile sig_atomic_t race_faults;

static void race_on_segv(int sig, siginfo_t *si, void *ctx)
{
	struct ring *r = race_ring;
	uint8_t *page = r->m.region[0].host + USED;
	uint16_t *avail = (uint16_t *)(void *)(r->m.region[0].host + AVAIL);

	(void)ctx;
	if ((uint8_t *)si->si_addr != r->m.region[0].host + AVAIL_EVENT) {
		signal(sig, SIG_DFL); /* not the store we wait for: crash as usual */
		return;
	}
	race_faults++;
	mprotect(page, 4096, PROT_READ | PROT_WRITE);
	avail[2 + r->avail_idx % QSIZE] = 6;
	r->avail_idx++;
	__atomic_store_n(&avail[1], r->avail_idx, __ATOMIC_RELEASE);
}

TEST(vq_pop_with_event_idx_takes_a_buffer_made_available_while_it_sets_avail_event)
{
	struct ring r;
	struct vq_chain c;
	struct sigaction sa = { .sa_sigaction = race_on_segv, .sa_flags = SA_SIGINFO }, old;

	ring_setup_opts(&r, true);
	desc(&r, 6, BUF, 16, 0, 0);
	race_ring = &r;
	race_faults = 0;
	CHECK_EQ(sigaction(SIGSEGV, &sa, &old), 0);
	CHECK_EQ(mprotect(r.m.region[0].host + USED, 4096, PROT_READ), 0);
	CHECK_EQ(vq_pop(&r.q, &c, NULL), 1);
	CHECK_EQ(sigaction(SIGSEGV, &old, NULL), 0);
	CHECK_EQ(race_faults, 1);
	CHECK_EQ(c.head, 6);
	CHECK_EQ(get_u16(&r, AVAIL_EVENT), 0); /* the store went through */
	CHECK_EQ(vq_pop(&r.q, &c, NULL), 0);
	CHECK_EQ(get_u16(&r, AVAIL_EVENT), 1);
	gmem_destroy(&r.m);
}

TEST(vq_without_event_idx_ignores_used_event_and_never_writes_avail_event)
{
	struct ring r;
	struct vq_chain c;

	ring_setup(&r);
	set_u16(&r, USED_EVENT, 100);
	set_u16(&r, AVAIL_EVENT, 0xbeef);
	desc(&r, 0, BUF, 16, 0, 0);
	offer1(&r, 0);
	CHECK_EQ(vq_pop(&r.q, &c, NULL), 1);
	CHECK_EQ(vq_pop(&r.q, &c, NULL), 0);
	CHECK_EQ(get_u16(&r, AVAIL_EVENT), 0xbeef);
	push_n(&r, 1);
	CHECK(vq_needs_signal(&r.q));
	CHECK(vq_needs_signal(&r.q)); /* the flag alone decides, every time */
	set_u16(&r, AVAIL, VIRTQ_AVAIL_F_NO_INTERRUPT);
	set_u16(&r, USED_EVENT, 0);
	CHECK(!vq_needs_signal(&r.q));
	gmem_destroy(&r.m);
}
