/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A fake virtio-blk driver for the unit tests: guest RAM, a raw image in a
 * temporary file, the device with its worker threads, registers through the
 * mmio transport, and requests laid out descriptor by descriptor so that a
 * test can send any layout, good or hostile.
 */
#ifndef LIBKRUN_TEST_BLK_FAKE_DRIVER_H
#define LIBKRUN_TEST_BLK_FAKE_DRIVER_H

#include "fake_transport.h"

#include <endian.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "devices/blk/blk.h"

#define QSZ 64
#define RING 0x10000ULL /* queue q's rings at RING + q * 0x1000 */
#define NQ 2            /* queues the fake driver sets up (MQ) */
#define HDR 0x20000ULL    /* request header */
#define STATUS 0x21000ULL /* status byte */
#define DATA 0x100000ULL  /* data buffers from here */
#define RAM_SIZE (512ULL << 20) /* never touched but where a test writes */
#define IMG_SECTORS 2048ULL     /* 1 MiB image... */
#define IMG_TAIL 100            /* ...plus a tail shorter than a sector */

struct bdrv {
	struct gmem mem;
	struct virtio_dev *d;
	char path[64];
	int fd; /* the image, for the test's own reads */
	uint16_t q; /* the queue blk_submit uses */
	uint16_t avail[NQ], used_seen[NQ], next_desc[NQ];
};

static inline void bw(struct bdrv *t, uint64_t off, uint32_t v)
{
	virtio_mmio_write(t->d, off, &v, 4);
}

static inline uint32_t br(struct bdrv *t, uint64_t off)
{
	uint32_t v;
	virtio_mmio_read(t->d, off, &v, 4);
	return v;
}

static inline uint64_t blk_offered(struct bdrv *t)
{
	bw(t, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	uint64_t lo = br(t, VIRTIO_MMIO_DEVICE_FEATURES);
	bw(t, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
	return lo | (uint64_t)br(t, VIRTIO_MMIO_DEVICE_FEATURES) << 32;
}

/* Takes every offered feature and sets up the request queue. */
static inline void blk_bringup(struct bdrv *t)
{
	uint64_t f = blk_offered(t);

	memset(t->avail, 0, sizeof(t->avail));
	memset(t->used_seen, 0, sizeof(t->used_seen));
	memset(t->next_desc, 0, sizeof(t->next_desc));
	t->q = 0;
	memset(gmem_ptr(&t->mem, RING, NQ * 0x1000), 0, NQ * 0x1000);
	bw(t, VIRTIO_MMIO_STATUS, 0);
	bw(t, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	bw(t, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	bw(t, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)f);
	bw(t, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	bw(t, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(f >> 32));
	bw(t, VIRTIO_MMIO_STATUS, 1 | 2 | VIRTIO_STATUS_FEATURES_OK);
	CHECK(br(t, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_FEATURES_OK);
	for (uint16_t q = 0; q < NQ; q++) {
		uint32_t ring = (uint32_t)RING + q * 0x1000u;

		bw(t, VIRTIO_MMIO_QUEUE_SEL, q);
		CHECK_EQ(br(t, VIRTIO_MMIO_QUEUE_NUM_MAX), BLK_QUEUE_SIZE);
		bw(t, VIRTIO_MMIO_QUEUE_NUM, QSZ);
		bw(t, VIRTIO_MMIO_QUEUE_DESC_LOW, ring);
		bw(t, VIRTIO_MMIO_QUEUE_AVAIL_LOW, ring + 0x400);
		bw(t, VIRTIO_MMIO_QUEUE_USED_LOW, ring + 0x800);
		bw(t, VIRTIO_MMIO_QUEUE_READY, 1);
	}
	bw(t, VIRTIO_MMIO_STATUS, 1 | 2 | 8 | VIRTIO_STATUS_DRIVER_OK);
	CHECK_EQ(br(t, VIRTIO_MMIO_STATUS), 15);
}

/* A device on a fresh image of IMG_SECTORS sectors + IMG_TAIL bytes, filled
 * with the byte (sector number & 0xff) per sector, the tail with 0xee. */
static inline void blk_setup_opts(struct bdrv *t, bool read_only, bool flush, bool direct,
				  const char *id)
{
	const struct gmem_region reg[] = { { 0, RAM_SIZE } };
	struct disk_open_params p = { .read_only = read_only, .direct_io = direct };
	struct blk_config cfg = { .id = id, .flush = flush, .nworkers = 2, .nqueues = NQ };
	uint8_t sec[BLK_SECTOR];
	struct disk *dk;

	memset(t, 0, sizeof(*t));
	snprintf(t->path, sizeof(t->path), "/tmp/test_blk.XXXXXX");
	t->fd = mkstemp(t->path);
	CHECK(t->fd >= 0);
	for (uint64_t s = 0; s < IMG_SECTORS; s++) {
		memset(sec, (int)(s & 0xff), sizeof(sec));
		CHECK_EQ(pwrite(t->fd, sec, sizeof(sec), (off_t)(s * BLK_SECTOR)), BLK_SECTOR);
	}
	memset(sec, 0xee, IMG_TAIL);
	CHECK_EQ(pwrite(t->fd, sec, IMG_TAIL, (off_t)(IMG_SECTORS * BLK_SECTOR)), IMG_TAIL);
	CHECK_EQ(gmem_create(&t->mem, reg, 1), 0);
	p.path = t->path;
	CHECK_EQ(disk_raw_open(&p, &dk), 0);
	CHECK_EQ(dk->size, IMG_SECTORS * BLK_SECTOR + IMG_TAIL);
	CHECK_EQ(blk_create(dk, &cfg, &t->d), 0);
	t->d->mem = &t->mem;
	CHECK_EQ(pthread_mutex_init(&t->d->lock, NULL), 0);
	blk_bringup(t);
}

static inline void blk_setup(struct bdrv *t)
{
	blk_setup_opts(t, false, true, false, "disk-0");
}

static inline void blk_teardown(struct bdrv *t)
{
	t->d->ops->destroy(t->d);
	pthread_mutex_destroy(&t->d->lock);
	free(t->d);
	gmem_destroy(&t->mem);
	close(t->fd);
	unlink(t->path);
}

/* Queues one chain on queue t->q, kicks, and waits (5 s at most) for it to
 * come back used. Returns the used length. */
static inline uint32_t blk_submit(struct bdrv *t, const struct seg *s, unsigned int n)
{
	uint16_t q = t->q;
	uint64_t ring = RING + q * 0x1000ULL;
	struct virtq_desc_raw *desc = gmem_ptr(&t->mem, ring, 16 * QSZ);
	uint16_t *avail = gmem_ptr(&t->mem, ring + 0x400, 4 + 2 * QSZ);
	uint16_t *used = gmem_ptr(&t->mem, ring + 0x800, 4 + 8 * QSZ);
	const struct timespec tick = { 0, 1000000L };
	uint16_t head = fake_post_chain(desc, avail, QSZ, &t->next_desc[q], &t->avail[q], s, n);
	uint32_t elem[2];

	t->d->ops->queue_notify(t->d, q);
	for (int i = 0; i < 5000; i++) {
		if (__atomic_load_n(&used[1], __ATOMIC_ACQUIRE) != t->used_seen[q])
			break;
		nanosleep(&tick, NULL);
	}
	CHECK_EQ(__atomic_load_n(&used[1], __ATOMIC_ACQUIRE), (uint16_t)(t->used_seen[q] + 1));
	memcpy(elem, &used[2 + 4 * (t->used_seen[q] % QSZ)], sizeof(elem));
	t->used_seen[q]++;
	CHECK_EQ(elem[0], head);
	return elem[1];
}

static inline void blk_put_hdr(struct bdrv *t, uint32_t type, uint64_t sector)
{
	uint32_t h[4] = { htole32(type), 0, htole32((uint32_t)sector),
			  htole32((uint32_t)(sector >> 32)) };

	CHECK_EQ(gmem_write(&t->mem, HDR, h, sizeof(h)), 0);
	*(uint8_t *)gmem_ptr(&t->mem, STATUS, 1) = 0xaa; /* not a status value */
}

static inline uint8_t blk_status(struct bdrv *t)
{
	return *(uint8_t *)gmem_ptr(&t->mem, STATUS, 1);
}

/* The usual layout: header, one data buffer, status. Returns the status and
 * sets *used (may be NULL). */
static inline uint8_t blk_rw(struct bdrv *t, uint32_t type, uint64_t sector, uint64_t data,
			     uint32_t len, uint32_t *used)
{
	struct seg s[3] = { { HDR, 16, false }, { data, len, type == VIRTIO_BLK_T_IN ||
							       type == VIRTIO_BLK_T_GET_ID },
			    { STATUS, 1, true } };
	uint32_t u;

	blk_put_hdr(t, type, sector);
	u = len ? blk_submit(t, s, 3) : blk_submit(t, (struct seg[]){ s[0], s[2] }, 2);
	if (used)
		*used = u;
	return blk_status(t);
}

/* Every byte of the image's sector s equals v. */
static inline bool img_sector_is(struct bdrv *t, uint64_t s, uint8_t v)
{
	uint8_t sec[BLK_SECTOR];

	if (pread(t->fd, sec, sizeof(sec), (off_t)(s * BLK_SECTOR)) != BLK_SECTOR)
		return false;
	for (size_t i = 0; i < sizeof(sec); i++)
		if (sec[i] != v)
			return false;
	return true;
}

static inline bool img_tail_intact(struct bdrv *t)
{
	uint8_t tail[IMG_TAIL + 1];

	if (pread(t->fd, tail, sizeof(tail), (off_t)(IMG_SECTORS * BLK_SECTOR)) != IMG_TAIL)
		return false; /* also: the file did not grow */
	for (size_t i = 0; i < IMG_TAIL; i++)
		if (tail[i] != 0xee)
			return false;
	return true;
}

static inline bool ram_is(struct bdrv *t, uint64_t gpa, size_t len, uint8_t v)
{
	const uint8_t *p = gmem_ptr(&t->mem, gpa, len);

	for (size_t i = 0; i < len; i++)
		if (p[i] != v)
			return false;
	return true;
}

#endif
