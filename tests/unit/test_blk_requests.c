/* SPDX-License-Identifier: Apache-2.0 */
/*
 * virtio-blk with a well-behaved driver (virtio 1.2 §5.2): features and
 * config space, reads and writes landing at the right bytes of the image,
 * FLUSH, GET_ID, DISCARD and WRITE_ZEROES, reset. The requests are served by
 * the device's worker threads, as in a VM.
 */
#include "blk_fake_driver.h"

static uint64_t cfg64(struct bdrv *t, uint32_t off)
{
	return br(t, VIRTIO_MMIO_CONFIG + off) |
	       (uint64_t)br(t, VIRTIO_MMIO_CONFIG + off + 4) << 32;
}

TEST(blk_offers_its_features_and_describes_the_image)
{
	struct bdrv t;
	uint64_t f;

	blk_setup(&t);
	CHECK_EQ(br(&t, VIRTIO_MMIO_DEVICE_ID), 2);
	f = blk_offered(&t);
	CHECK(f & 1ULL << VIRTIO_BLK_F_SIZE_MAX);
	CHECK(f & 1ULL << VIRTIO_BLK_F_SEG_MAX);
	CHECK(f & 1ULL << VIRTIO_BLK_F_BLK_SIZE);
	CHECK(f & 1ULL << VIRTIO_BLK_F_FLUSH);
	CHECK(f & 1ULL << VIRTIO_BLK_F_TOPOLOGY);
	CHECK(f & 1ULL << VIRTIO_BLK_F_MQ);
	CHECK(f & 1ULL << VIRTIO_BLK_F_DISCARD);
	CHECK(f & 1ULL << VIRTIO_BLK_F_WRITE_ZEROES);
	CHECK(!(f & 1ULL << VIRTIO_BLK_F_RO));
	CHECK(f & 1ULL << VIRTIO_F_VERSION_1);
	/* The tail shorter than a sector is not part of the disk. */
	CHECK_EQ(cfg64(&t, 0), IMG_SECTORS);
	CHECK_EQ(br(&t, VIRTIO_MMIO_CONFIG + 8), BLK_SIZE_MAX);
	CHECK_EQ(br(&t, VIRTIO_MMIO_CONFIG + 12), BLK_SEG_MAX);
	CHECK_EQ(br(&t, VIRTIO_MMIO_CONFIG + 20), 512);
	CHECK_EQ(br(&t, VIRTIO_MMIO_CONFIG + 36), BLK_MAX_DISCARD_SECTORS);
	CHECK_EQ(br(&t, VIRTIO_MMIO_CONFIG + 40), BLK_MAX_DISCARD_SEG);
	CHECK_EQ(br(&t, VIRTIO_MMIO_CONFIG + 32) >> 16, NQ); /* num_queues, le16 at 34 */
	/* Read-only for the driver. */
	bw(&t, VIRTIO_MMIO_CONFIG + 0, 7);
	CHECK_EQ(cfg64(&t, 0), IMG_SECTORS);
	blk_teardown(&t);

	blk_setup_opts(&t, true, false, false, NULL);
	f = blk_offered(&t);
	CHECK(f & 1ULL << VIRTIO_BLK_F_RO);
	CHECK(!(f & 1ULL << VIRTIO_BLK_F_FLUSH)); /* KRUN_SYNC_NONE */
	CHECK(!(f & 1ULL << VIRTIO_BLK_F_DISCARD));
	CHECK(!(f & 1ULL << VIRTIO_BLK_F_WRITE_ZEROES));
	blk_teardown(&t);
}

TEST(blk_write_lands_at_its_sectors_and_reads_back)
{
	struct bdrv t;
	uint32_t used;
	struct seg s[4] = { { HDR, 16, false }, { DATA, 1024, false },
			    { DATA + 0x10000, 3072, false }, { STATUS, 1, true } };

	blk_setup(&t);
	memset(gmem_ptr(&t.mem, DATA, 1024), 0x5a, 1024);
	memset(gmem_ptr(&t.mem, DATA + 0x10000, 3072), 0xa5, 3072);
	/* Sectors 100..107 from two buffers. */
	blk_put_hdr(&t, VIRTIO_BLK_T_OUT, 100);
	CHECK_EQ(blk_submit(&t, s, 4), 1);
	CHECK_EQ(blk_status(&t), VIRTIO_BLK_S_OK);
	CHECK(img_sector_is(&t, 99, 99));
	CHECK(img_sector_is(&t, 100, 0x5a) && img_sector_is(&t, 101, 0x5a));
	for (uint64_t sec = 102; sec < 108; sec++)
		CHECK(img_sector_is(&t, sec, 0xa5));
	CHECK(img_sector_is(&t, 108, 108));
	/* Read back sectors 99..108 into one buffer. */
	CHECK_EQ(blk_rw(&t, VIRTIO_BLK_T_IN, 99, DATA + 0x100000, 10 * 512, &used),
		 VIRTIO_BLK_S_OK);
	CHECK_EQ(used, 10 * 512 + 1);
	CHECK(ram_is(&t, DATA + 0x100000, 512, 99));
	CHECK(ram_is(&t, DATA + 0x100000 + 512, 1024, 0x5a));
	CHECK(ram_is(&t, DATA + 0x100000 + 1536, 3072, 0xa5));
	CHECK(ram_is(&t, DATA + 0x100000 + 4608, 512, 108));
	/* The last sector of the disk, read and written. */
	CHECK_EQ(blk_rw(&t, VIRTIO_BLK_T_IN, IMG_SECTORS - 1, DATA, 512, NULL), VIRTIO_BLK_S_OK);
	CHECK(ram_is(&t, DATA, 512, (IMG_SECTORS - 1) & 0xff));
	memset(gmem_ptr(&t.mem, DATA, 512), 0x11, 512);
	CHECK_EQ(blk_rw(&t, VIRTIO_BLK_T_OUT, IMG_SECTORS - 1, DATA, 512, NULL), VIRTIO_BLK_S_OK);
	CHECK(img_sector_is(&t, IMG_SECTORS - 1, 0x11));
	CHECK(img_tail_intact(&t));
	blk_teardown(&t);
}

/* The header and the status may share descriptors with data (§2.6.4: the
 * device does not rely on the framing). */
TEST(blk_request_split_across_descriptors_any_way_is_served)
{
	struct bdrv t;
	uint8_t *p;

	blk_setup(&t);
	/* Header in two pieces, data and status in one writable buffer. */
	blk_put_hdr(&t, VIRTIO_BLK_T_IN, 7);
	CHECK_EQ(gmem_write(&t.mem, DATA - 16, gmem_ptr(&t.mem, HDR, 16), 16), 0);
	struct seg s[3] = { { DATA - 16, 5, false }, { DATA - 11, 11, false },
			    { DATA + 0x1000, 513, true } };
	CHECK_EQ(blk_submit(&t, s, 3), 513);
	p = gmem_ptr(&t.mem, DATA + 0x1000, 513);
	CHECK(ram_is(&t, DATA + 0x1000, 512, 7));
	CHECK_EQ(p[512], VIRTIO_BLK_S_OK);
	blk_teardown(&t);
}

TEST(blk_flush_syncs_and_get_id_answers_the_block_id)
{
	struct bdrv t;
	uint32_t used;
	uint8_t want[20] = { 0 };

	blk_setup(&t);
	CHECK_EQ(blk_rw(&t, VIRTIO_BLK_T_FLUSH, 0, 0, 0, &used), VIRTIO_BLK_S_OK);
	CHECK_EQ(used, 1);
	memset(gmem_ptr(&t.mem, DATA, 20), 0xff, 20);
	CHECK_EQ(blk_rw(&t, VIRTIO_BLK_T_GET_ID, 0, DATA, 20, &used), VIRTIO_BLK_S_OK);
	CHECK_EQ(used, 21);
	memcpy(want, "disk-0", 6); /* NUL-padded */
	CHECK(memcmp(gmem_ptr(&t.mem, DATA, 20), want, 20) == 0);
	/* A shorter buffer gets what fits. */
	CHECK_EQ(blk_rw(&t, VIRTIO_BLK_T_GET_ID, 0, DATA, 3, &used), VIRTIO_BLK_S_OK);
	CHECK_EQ(used, 4);
	blk_teardown(&t);

	/* An id longer than 20 bytes: its first 20. */
	blk_setup_opts(&t, false, true, false, "0123456789abcdefghijKLMN");
	CHECK_EQ(blk_rw(&t, VIRTIO_BLK_T_GET_ID, 0, DATA, 20, &used), VIRTIO_BLK_S_OK);
	CHECK(memcmp(gmem_ptr(&t.mem, DATA, 20), "0123456789abcdefghij", 20) == 0);
	blk_teardown(&t);
}

static uint8_t dwz(struct bdrv *t, uint32_t type, uint64_t sector, uint32_t n, uint32_t flags)
{
	uint32_t d[4] = { htole32((uint32_t)sector), htole32((uint32_t)(sector >> 32)),
			  htole32(n), htole32(flags) };

	CHECK_EQ(gmem_write(&t->mem, DATA, d, sizeof(d)), 0);
	return blk_rw(t, type, 0, DATA, sizeof(d), NULL);
}

TEST(blk_write_zeroes_and_discard_change_only_their_range)
{
	struct bdrv t;

	blk_setup(&t);
	CHECK_EQ(dwz(&t, VIRTIO_BLK_T_WRITE_ZEROES, 16, 8, 0), VIRTIO_BLK_S_OK);
	CHECK(img_sector_is(&t, 15, 15) && img_sector_is(&t, 24, 24));
	for (uint64_t s = 16; s < 24; s++)
		CHECK(img_sector_is(&t, s, 0));
	CHECK_EQ(dwz(&t, VIRTIO_BLK_T_WRITE_ZEROES, 40, 3, VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP),
		 VIRTIO_BLK_S_OK);
	for (uint64_t s = 40; s < 43; s++)
		CHECK(img_sector_is(&t, s, 0));
	CHECK(img_sector_is(&t, 39, 39) && img_sector_is(&t, 43, 43));
	/* Discard: the sectors around stay; inside, anything may be read. */
	CHECK_EQ(dwz(&t, VIRTIO_BLK_T_DISCARD, 64, 16, 0), VIRTIO_BLK_S_OK);
	CHECK(img_sector_is(&t, 63, 63) && img_sector_is(&t, 80, 80));
	/* Unknown flags, and UNMAP on a discard: UNSUPP, nothing done. */
	CHECK_EQ(dwz(&t, VIRTIO_BLK_T_WRITE_ZEROES, 100, 1, 2), VIRTIO_BLK_S_UNSUPP);
	CHECK_EQ(dwz(&t, VIRTIO_BLK_T_DISCARD, 100, 1, 1), VIRTIO_BLK_S_UNSUPP);
	CHECK(img_sector_is(&t, 100, 100));
	CHECK(img_tail_intact(&t));
	blk_teardown(&t);
}

TEST(blk_direct_io_reads_and_writes_the_same_bytes)
{
	struct bdrv t;

	blk_setup_opts(&t, false, true, true, "d");
	memset(gmem_ptr(&t.mem, DATA, 8192), 0x3c, 8192);
	/* 4 KiB aligned (direct where the host allows), then not (cached). */
	CHECK_EQ(blk_rw(&t, VIRTIO_BLK_T_OUT, 8, DATA, 8192, NULL), VIRTIO_BLK_S_OK);
	CHECK_EQ(blk_rw(&t, VIRTIO_BLK_T_OUT, 3, DATA, 512, NULL), VIRTIO_BLK_S_OK);
	CHECK(img_sector_is(&t, 3, 0x3c) && img_sector_is(&t, 4, 4));
	for (uint64_t s = 8; s < 24; s++)
		CHECK(img_sector_is(&t, s, 0x3c));
	CHECK_EQ(blk_rw(&t, VIRTIO_BLK_T_IN, 0, DATA + 0x10000, 32 * 512, NULL), VIRTIO_BLK_S_OK);
	CHECK(ram_is(&t, DATA + 0x10000 + 8 * 512, 8192, 0x3c));
	CHECK(ram_is(&t, DATA + 0x10000 + 24 * 512, 512, 24));
	blk_teardown(&t);
}

/* §5.2.2 with MQ: every request queue is served, and replies go back on the
 * queue the request came from. */
TEST(blk_every_request_queue_is_served)
{
	struct bdrv t;
	uint32_t used;

	blk_setup(&t);
	for (int round = 0; round < 3; round++)
		for (uint16_t q = 0; q < NQ; q++) {
			t.q = q;
			CHECK_EQ(blk_rw(&t, VIRTIO_BLK_T_IN, 10u + q, DATA, 512, &used),
				 VIRTIO_BLK_S_OK);
			CHECK_EQ(used, 513);
			CHECK(ram_is(&t, DATA, 512, (uint8_t)(10 + q)));
		}
	blk_teardown(&t);
}

TEST(blk_reset_then_bringup_serves_again)
{
	struct bdrv t;

	blk_setup(&t);
	CHECK_EQ(blk_rw(&t, VIRTIO_BLK_T_IN, 1, DATA, 512, NULL), VIRTIO_BLK_S_OK);
	bw(&t, VIRTIO_MMIO_STATUS, 0);
	t.d->ops->queue_notify(t.d, 0); /* a kick racing the reset */
	blk_bringup(&t);
	CHECK_EQ(blk_rw(&t, VIRTIO_BLK_T_IN, 2, DATA, 512, NULL), VIRTIO_BLK_S_OK);
	CHECK(ram_is(&t, DATA, 512, 2));
	blk_teardown(&t);
}
