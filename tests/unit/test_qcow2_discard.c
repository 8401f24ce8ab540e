/* SPDX-License-Identifier: Apache-2.0 */
/*
 * qcow2 DISCARD (virtio 1.2 §5.2.6.2, a hint): whole clusters are freed,
 * their entries unmapped (or given version 3's zero flag over a backing
 * file), their refcounts 0 and their bytes a hole in the file; parts of
 * clusters keep their bytes. `qemu-img check` finds neither corruption nor
 * leaks, and QEMU reads the same disk we do.
 */
#include "disk_img.h"

#include <sys/stat.h>

#define MiB (1024u * 1024u)
#define CLUSTER 65536u

static long long blocks_of(const struct img_dir *d, const char *name)
{
	char path[128];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", d->path, name);
	CHECK_EQ(stat(path, &st), 0);
	return (long long)st.st_blocks;
}

/* Writes size bytes, discards [1 MiB + 1000, 5 MiB) and the disk's last
 * 100 000 bytes; checks what reads back, the file's blocks and qemu-img. */
static void discard_frees(const char *compat, const char *backing_cmd, const uint8_t *under)
{
	size_t size = 8 * MiB + 3 * 512; /* the last cluster is partial */
	uint8_t *want = malloc(size);
	uint64_t lo = MiB + 1000, hi = 5 * MiB, tail = size - 100000;
	long long before, after;
	struct img_dir d;
	struct disk *dk;

	CHECK(want != NULL);
	img_need_qemu();
	img_dir_make(&d);
	if (*backing_cmd)
		IMG_SH(&d, "%s", backing_cmd);
	else
		IMG_SH(&d, "qemu-img create -q -f qcow2 -o compat=%s a.qcow2 %zu", compat, size);
	CHECK_EQ(img_open(&d, "a.qcow2", DISK_FORMAT_QCOW2, false, &dk), 0);
	img_fill(want, 0, size, 5);
	CHECK_EQ(img_io(dk, 0, want, size, true), 0);
	CHECK_EQ(dk->ops->flush(dk), 0);
	before = blocks_of(&d, "a.qcow2");

	CHECK_EQ(dk->ops->discard(dk, lo, hi - lo), 0);
	CHECK_EQ(dk->ops->discard(dk, tail, size - tail), 0);
	/* Whole clusters read as zeroes (or, v2 over a backing file, keep
	 * their bytes); the partial ones at either edge keep theirs. */
	uint64_t first = (lo + CLUSTER - 1) / CLUSTER * CLUSTER;
	uint64_t tail_first = (tail + CLUSTER - 1) / CLUSTER * CLUSTER;
	if (under) {
		memcpy(want + first, under + first, hi - first);
		memcpy(want + tail_first, under + tail_first, size - tail_first);
	}
	CHECK(img_disk_equals(dk, want, size));
	disk_close(dk);
	after = blocks_of(&d, "a.qcow2");
	/* 64 whole clusters freed: at least 3.5 MiB of the file given back. */
	if (under)
		CHECK(after <= before - (long long)(7 * MiB / 2 / 512));
	CHECK_EQ(img_sh(&d, "qemu-img check -q a.qcow2"), 0); /* no leak either */
	CHECK(img_qemu_reads(&d, "a.qcow2", want, size));
	/* A second discard of the same range: nothing left to free. */
	CHECK_EQ(img_open(&d, "a.qcow2", DISK_FORMAT_QCOW2, false, &dk), 0);
	CHECK_EQ(dk->ops->discard(dk, lo, hi - lo), 0);
	/* Written again, the freed range takes new clusters and reads back. */
	img_fill(want + first, first, CLUSTER * 2, 9);
	CHECK_EQ(img_io(dk, first, want + first, CLUSTER * 2, true), 0);
	CHECK(img_disk_equals(dk, want, size));
	disk_close(dk);
	CHECK_EQ(img_sh(&d, "qemu-img check -q a.qcow2"), 0);
	CHECK(img_qemu_reads(&d, "a.qcow2", want, size));
	free(want);
	img_dir_remove(&d);
}

TEST(qcow2_discard_frees_whole_clusters_version_3)
{
	static uint8_t zero[8 * MiB + 3 * 512];

	discard_frees("1.1", "", zero);
}

TEST(qcow2_discard_frees_whole_clusters_version_2)
{
	static uint8_t zero[8 * MiB + 3 * 512];

	discard_frees("0.10", "", zero);
}

/* Over a backing file, version 3: the freed clusters read as zeroes (zero
 * flag), not as the backing file's bytes. */
TEST(qcow2_discard_over_a_backing_file_reads_zeroes)
{
	static uint8_t zero[8 * MiB + 3 * 512];

	discard_frees("1.1",
		      "head -c 8390144 /dev/urandom >base.raw && qemu-img create -q -f qcow2 "
		      "-o compat=1.1 -b base.raw -F raw a.qcow2",
		      zero);
}

/* Version 2 over a backing file has no zero flag: discard keeps everything. */
TEST(qcow2_discard_keeps_a_version_2_image_over_a_backing_file)
{
	discard_frees("0.10",
		      "head -c 8390144 /dev/urandom >base.raw && qemu-img create -q -f qcow2 "
		      "-o compat=0.10 -b base.raw -F raw a.qcow2",
		      NULL);
}

/* A read-only disk refuses; a range past the end is invalid. */
TEST(qcow2_discard_checks_range_and_read_only)
{
	struct img_dir d;
	struct disk *dk;

	img_need_qemu();
	img_dir_make(&d);
	IMG_SH(&d, "qemu-img create -q -f qcow2 a.qcow2 1M");
	CHECK_EQ(img_open(&d, "a.qcow2", DISK_FORMAT_QCOW2, false, &dk), 0);
	CHECK_EQ(dk->ops->discard(dk, MiB - 512, 1024), -EINVAL);
	CHECK_EQ(dk->ops->discard(dk, UINT64_MAX - 511, 512), -EINVAL);
	disk_close(dk);
	CHECK_EQ(img_open(&d, "a.qcow2", DISK_FORMAT_QCOW2, true, &dk), 0);
	CHECK_EQ(dk->ops->discard(dk, 0, CLUSTER), -EROFS);
	disk_close(dk);
	img_dir_remove(&d);
}
