/* SPDX-License-Identifier: Apache-2.0 */
/*
 * virtio-blk against a hostile driver: ranges past the end or overflowing,
 * bad descriptor layouts, zero-length and huge requests, writes to a
 * read-only disk, unknown types. Each gets IOERR or UNSUPP (or, with no byte
 * to put a status in, an empty completion), the image is untouched, nothing
 * outside it is read or written, and the queue keeps working.
 */
#include "blk_fake_driver.h"

/* The image as the setup wrote it, tail included, and no larger. */
static bool img_pristine(struct bdrv *t)
{
	for (uint64_t s = 0; s < IMG_SECTORS; s++)
		if (!img_sector_is(t, s, (uint8_t)(s & 0xff)))
			return false;
	return img_tail_intact(t);
}

/* A good read still works after whatever came before. */
static void still_works(struct bdrv *t)
{
	CHECK_EQ(blk_rw(t, VIRTIO_BLK_T_IN, 5, DATA + 0x200000, 512, NULL), VIRTIO_BLK_S_OK);
	CHECK(ram_is(t, DATA + 0x200000, 512, 5));
}

TEST(blk_sector_ranges_past_the_end_or_overflowing_are_ioerr)
{
	static const struct { uint64_t sector; uint32_t len; } bad[] = {
		{ IMG_SECTORS, 512 },              /* first sector past the end */
		{ IMG_SECTORS - 1, 1024 },         /* across the end */
		{ IMG_SECTORS + 1, 0 },            /* empty, but past the end */
		{ UINT64_MAX, 512 },               /* sector + n overflows */
		{ UINT64_MAX / 512 + 1, 512 },     /* sector * 512 overflows */
		{ (UINT64_MAX / 512) - 1, 1024 },  /* byte range wraps */
		{ 1ULL << 63, 512 },
	};
	struct bdrv t;

	blk_setup(&t);
	memset(gmem_ptr(&t.mem, DATA, 4096), 0x77, 4096);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint32_t used = 0;
		CHECK_EQ(blk_rw(&t, VIRTIO_BLK_T_OUT, bad[i].sector, DATA, bad[i].len, &used),
			 VIRTIO_BLK_S_IOERR);
		CHECK_EQ(used, 1);
		CHECK_EQ(blk_rw(&t, VIRTIO_BLK_T_IN, bad[i].sector, DATA, bad[i].len, &used),
			 VIRTIO_BLK_S_IOERR);
		CHECK_EQ(used, 1);
		CHECK(ram_is(&t, DATA, 4096, 0x77)); /* nothing read into it */
	}
	/* The same for DISCARD and WRITE_ZEROES segments. */
	for (uint32_t type = VIRTIO_BLK_T_DISCARD; type <= VIRTIO_BLK_T_WRITE_ZEROES; type += 2)
		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			uint32_t n = bad[i].len / 512 ? bad[i].len / 512 : 1;
			uint32_t d[4] = { htole32((uint32_t)bad[i].sector),
					  htole32((uint32_t)(bad[i].sector >> 32)), htole32(n), 0 };
			CHECK_EQ(gmem_write(&t.mem, DATA, d, sizeof(d)), 0);
			CHECK_EQ(blk_rw(&t, type, 0, DATA, sizeof(d), NULL), VIRTIO_BLK_S_IOERR);
		}
	CHECK(img_pristine(&t));
	still_works(&t);
	blk_teardown(&t);
}

TEST(blk_bad_layouts_get_ioerr_or_an_empty_completion)
{
	struct bdrv t;
	uint8_t *st;

	blk_setup(&t);
	memset(gmem_ptr(&t.mem, DATA, 4096), 0x77, 4096);
	/* No writable byte at all: no status can be given; completed empty. */
	blk_put_hdr(&t, VIRTIO_BLK_T_OUT, 0);
	CHECK_EQ(blk_submit(&t, (struct seg[]){ { HDR, 16, false }, { DATA, 512, false } }, 2), 0);
	/* A header shorter than 16 bytes. */
	blk_put_hdr(&t, VIRTIO_BLK_T_IN, 0);
	CHECK_EQ(blk_submit(&t, (struct seg[]){ { HDR, 15, false }, { STATUS, 1, true } }, 2), 1);
	CHECK_EQ(blk_status(&t), VIRTIO_BLK_S_IOERR);
	/* The header device-writable: no readable header at all. */
	blk_put_hdr(&t, VIRTIO_BLK_T_IN, 0);
	CHECK_EQ(blk_submit(&t, (struct seg[]){ { HDR, 16, true }, { STATUS, 1, true } }, 2), 1);
	st = gmem_ptr(&t.mem, STATUS, 1);
	CHECK_EQ(*st, VIRTIO_BLK_S_IOERR);
	/* A readable descriptor after a writable one (§2.7.4.2): the queue
	 * drops the chain. */
	blk_put_hdr(&t, VIRTIO_BLK_T_OUT, 0);
	CHECK_EQ(blk_submit(&t, (struct seg[]){ { HDR, 16, false }, { STATUS, 1, true },
						 { DATA, 512, false } }, 3), 0);
	CHECK_EQ(blk_status(&t), 0xaa);
	/* Data not a whole number of sectors. */
	CHECK_EQ(blk_rw(&t, VIRTIO_BLK_T_OUT, 0, DATA, 100, NULL), VIRTIO_BLK_S_IOERR);
	CHECK_EQ(blk_rw(&t, VIRTIO_BLK_T_IN, 0, DATA, 513, NULL), VIRTIO_BLK_S_IOERR);
	CHECK(ram_is(&t, DATA, 4096, 0x77));
	/* A buffer outside guest RAM, or across its end. */
	blk_put_hdr(&t, VIRTIO_BLK_T_IN, 0);
	CHECK_EQ(blk_submit(&t, (struct seg[]){ { HDR, 16, false }, { RAM_SIZE - 512, 1024, true },
						 { STATUS, 1, true } }, 3), 0);
	CHECK_EQ(blk_status(&t), 0xaa);
	/* DISCARD segments: none, a partial one, more than max_discard_seg. */
	CHECK_EQ(blk_rw(&t, VIRTIO_BLK_T_DISCARD, 0, DATA, 0, NULL), VIRTIO_BLK_S_IOERR);
	memset(gmem_ptr(&t.mem, DATA, 16 * (BLK_MAX_DISCARD_SEG + 1)), 0,
	       16 * (BLK_MAX_DISCARD_SEG + 1));
	CHECK_EQ(blk_rw(&t, VIRTIO_BLK_T_DISCARD, 0, DATA, 8, NULL), VIRTIO_BLK_S_IOERR);
	CHECK_EQ(blk_rw(&t, VIRTIO_BLK_T_WRITE_ZEROES, 0, DATA, 16 * (BLK_MAX_DISCARD_SEG + 1),
			NULL), VIRTIO_BLK_S_IOERR);
	CHECK(img_pristine(&t));
	still_works(&t);
	blk_teardown(&t);
}

TEST(blk_zero_length_and_huge_requests)
{
	struct bdrv t;
	uint32_t used;

	blk_setup(&t);
	/* Zero data: nothing to move, OK inside the disk. */
	CHECK_EQ(blk_rw(&t, VIRTIO_BLK_T_IN, 0, DATA, 0, &used), VIRTIO_BLK_S_OK);
	CHECK_EQ(used, 1);
	CHECK_EQ(blk_rw(&t, VIRTIO_BLK_T_OUT, IMG_SECTORS, DATA, 0, &used), VIRTIO_BLK_S_OK);
	/* Zero-length descriptors are skipped, not trusted. */
	blk_put_hdr(&t, VIRTIO_BLK_T_IN, 3);
	CHECK_EQ(blk_submit(&t, (struct seg[]){ { HDR, 16, false }, { 0xdead0000000ULL, 0, true },
						 { DATA, 512, true }, { STATUS, 1, true } }, 4), 513);
	CHECK(ram_is(&t, DATA, 512, 3));
	/* Past what SEG_MAX * SIZE_MAX allows: IOERR before any I/O (guest RAM
	 * is not touched: the buffer stays unbacked). */
	CHECK_EQ(blk_rw(&t, VIRTIO_BLK_T_IN, 0, DATA, (uint32_t)BLK_MAX_DATA + 512, NULL),
		 VIRTIO_BLK_S_IOERR);
	CHECK_EQ(blk_rw(&t, VIRTIO_BLK_T_OUT, 0, DATA, (uint32_t)BLK_MAX_DATA + 512, NULL),
		 VIRTIO_BLK_S_IOERR);
	/* Huge and larger than the disk, within the limit. */
	CHECK_EQ(blk_rw(&t, VIRTIO_BLK_T_IN, 0, DATA, 64u << 20, NULL), VIRTIO_BLK_S_IOERR);
	/* A discard segment past max_discard_sectors. */
	uint32_t d[4] = { 0, 0, htole32(BLK_MAX_DISCARD_SECTORS + 1), 0 };
	CHECK_EQ(gmem_write(&t.mem, DATA, d, sizeof(d)), 0);
	CHECK_EQ(blk_rw(&t, VIRTIO_BLK_T_DISCARD, 0, DATA, sizeof(d), NULL), VIRTIO_BLK_S_IOERR);
	CHECK(img_pristine(&t));
	still_works(&t);
	blk_teardown(&t);
}

TEST(blk_read_only_disk_refuses_writes_discards_and_zeroes)
{
	struct bdrv t;
	uint32_t d[4] = { htole32(8), 0, htole32(8), 0 };

	blk_setup_opts(&t, true, true, false, "ro");
	memset(gmem_ptr(&t.mem, DATA + 0x1000, 4096), 0x77, 4096);
	CHECK_EQ(blk_rw(&t, VIRTIO_BLK_T_OUT, 0, DATA + 0x1000, 4096, NULL), VIRTIO_BLK_S_IOERR);
	CHECK_EQ(gmem_write(&t.mem, DATA, d, sizeof(d)), 0);
	CHECK_EQ(blk_rw(&t, VIRTIO_BLK_T_DISCARD, 0, DATA, sizeof(d), NULL), VIRTIO_BLK_S_IOERR);
	CHECK_EQ(blk_rw(&t, VIRTIO_BLK_T_WRITE_ZEROES, 0, DATA, sizeof(d), NULL),
		 VIRTIO_BLK_S_IOERR);
	/* Nothing of ours to write back: a flush is fine. */
	CHECK_EQ(blk_rw(&t, VIRTIO_BLK_T_FLUSH, 0, 0, 0, NULL), VIRTIO_BLK_S_OK);
	CHECK(img_pristine(&t));
	still_works(&t);
	blk_teardown(&t);
}

TEST(blk_unknown_request_types_are_unsupp)
{
	static const uint32_t types[] = { 2, 3, 5, 10 /* GET_LIFETIME */, 12,
					  14 /* SECURE_ERASE */, 0xffffffffu };
	struct bdrv t;

	blk_setup(&t);
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		CHECK_EQ(blk_rw(&t, types[i], 0, DATA, 512, NULL), VIRTIO_BLK_S_UNSUPP);
	CHECK(img_pristine(&t));
	still_works(&t);
	blk_teardown(&t);
}

/* Requests stop being served at a reset; the queue is the driver's again and
 * nothing is pushed onto it afterwards. */
TEST(blk_requests_after_reset_are_not_served)
{
	struct bdrv t;
	uint16_t *used;

	blk_setup(&t);
	bw(&t, VIRTIO_MMIO_STATUS, 0);
	blk_put_hdr(&t, VIRTIO_BLK_T_IN, 0);
	uint16_t *avail = gmem_ptr(&t.mem, RING + 0x400, 4 + 2 * QSZ);
	struct virtq_desc_raw *desc = gmem_ptr(&t.mem, RING, 16 * QSZ);
	desc[0] = (struct virtq_desc_raw){ HDR, 16, VIRTQ_DESC_F_NEXT, 1 };
	desc[1] = (struct virtq_desc_raw){ STATUS, 1, VIRTQ_DESC_F_WRITE, 0 };
	avail[2] = 0;
	__atomic_store_n(&avail[1], 1, __ATOMIC_RELEASE);
	t.d->ops->queue_notify(t.d, 0);
	usleep(50000);
	used = gmem_ptr(&t.mem, RING + 0x800, 4);
	CHECK_EQ(used[1], 0);
	CHECK_EQ(blk_status(&t), 0xaa);
	blk_bringup(&t);
	still_works(&t);
	blk_teardown(&t);
}
