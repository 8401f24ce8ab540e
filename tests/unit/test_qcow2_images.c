/* SPDX-License-Identifier: Apache-2.0 */
/*
 * qcow2 against QEMU's own tools (qcow2.txt): images that qemu-img and
 * qemu-io made read back byte for byte (versions 2 and 3, compressed, zero
 * clusters, backing chains); what we write passes `qemu-img check` with no
 * corruption and converts back to raw with the expected bytes.
 */
#include "disk_img.h"

#include <signal.h>
#include <sys/wait.h>

#define MiB (1024u * 1024u)

/* A raw file of size bytes: the pattern, with holes of zeroes. */
static uint8_t *make_raw(const struct img_dir *d, const char *name, size_t size,
			 unsigned int seed)
{
	uint8_t *b = malloc(size);

	CHECK(b != NULL);
	img_fill(b, 0, size, seed);
	for (size_t off = 0; off + 3 * 65536 <= size; off += 1 * MiB)
		memset(b + off + 65536, 0, 2 * 65536); /* zero clusters for convert to skip */
	img_write_file(d, name, b, size);
	return b;
}

/* qemu-img check: 0 clean; 3 leaked clusters only; 2 corruption. */
static int qemu_check(const struct img_dir *d, const char *name)
{
	return img_sh(d, "qemu-img check -f qcow2 %s", name);
}

static void reads_converted(const char *compat, unsigned int cluster)
{
	struct img_dir d;
	struct disk *dk;
	size_t size = 5 * MiB + 3 * 512; /* not a multiple of a cluster */
	uint8_t *want;

	img_need_qemu();
	img_dir_make(&d);
	want = make_raw(&d, "src.raw", size, 1);
	IMG_SH(&d, "qemu-img convert -f raw -O qcow2 -o compat=%s,cluster_size=%u src.raw a.qcow2",
	       compat, cluster);
	CHECK_EQ(img_open(&d, "a.qcow2", DISK_FORMAT_QCOW2, true, &dk), 0);
	CHECK_EQ(dk->size, size);
	CHECK(img_disk_equals(dk, want, size));
	disk_close(dk);
	free(want);
	img_dir_remove(&d);
}

TEST(qcow2_reads_a_version_2_image_qemu_img_made)
{
	reads_converted("0.10", 65536);
}

TEST(qcow2_reads_a_version_3_image_with_small_clusters)
{
	reads_converted("1.1", 4096);
}

/* Writes of every shape (unaligned, crossing clusters and L2 tables,
 * rewrites in place) into an empty image, mirrored in memory. Returns the
 * refcount table's size in clusters at the end (header bytes 56-59). */
static uint32_t writes_check_clean(const char *compat, unsigned int cluster, const char *pre)
{
	size_t size = 24 * MiB;
	uint8_t *shadow = calloc(1, size), *buf = malloc(2 * MiB);
	struct img_dir d;
	struct disk *dk;
	unsigned int seed = 7;

	CHECK(shadow && buf);
	img_need_qemu();
	img_dir_make(&d);
	IMG_SH(&d, "qemu-img create -q -f qcow2 -o compat=%s,cluster_size=%u a.qcow2 %zu",
	       compat, cluster, size);
	if (*pre) {
		/* Data qemu-io wrote first: 0x5a in [1 MiB, 1.5 MiB). */
		IMG_SH(&d, "qemu-io -f qcow2 -c '%s' a.qcow2", pre);
		memset(shadow + MiB, 0x5a, MiB / 2);
	}
	CHECK_EQ(img_open(&d, "a.qcow2", DISK_FORMAT_QCOW2, false, &dk), 0);
	for (int i = 0; i < 60; i++) {
		uint64_t off = ((uint64_t)i * 2654435761u) % (size - 2 * MiB);
		size_t len = 512 + ((size_t)i * 40503u) % (2 * MiB - 512);

		if (i % 5 == 0)
			off &= ~(uint64_t)(cluster - 1); /* some cluster-aligned */
		img_fill(buf, off, len, seed + (unsigned int)i);
		CHECK_EQ(img_io(dk, off, buf, len, true), 0);
		memcpy(shadow + off, buf, len);
	}
	/* The last bytes of the disk, and zeroes over data and over holes. */
	img_fill(buf, size - 4096, 4096, 99);
	CHECK_EQ(img_io(dk, size - 4096, buf, 4096, true), 0);
	memcpy(shadow + size - 4096, buf, 4096);
	CHECK_EQ(dk->ops->write_zeroes(dk, 3 * MiB + 512, 3 * cluster, true), 0);
	memset(shadow + 3 * MiB + 512, 0, 3 * cluster);
	CHECK_EQ(dk->ops->write_zeroes(dk, size - 8 * MiB, 1024, false), 0);
	memset(shadow + size - 8 * MiB, 0, 1024);
	/* Whole clusters inside the range are freed and read as zeroes; a
	 * cluster only partly inside keeps its bytes. */
	CHECK_EQ(dk->ops->discard(dk, 0, 4096), 0);
	memset(shadow, 0, 4096 / cluster * cluster);
	CHECK_EQ(dk->ops->flush(dk), 0);
	CHECK(img_disk_equals(dk, shadow, size));
	disk_close(dk);
	CHECK_EQ(qemu_check(&d, "a.qcow2"), 0);
	CHECK(img_qemu_reads(&d, "a.qcow2", shadow, size));
	/* And again after reopening: what is on disk, not in memory. */
	CHECK_EQ(img_open(&d, "a.qcow2", DISK_FORMAT_QCOW2, true, &dk), 0);
	CHECK(img_disk_equals(dk, shadow, size));
	disk_close(dk);
	free(shadow);
	free(buf);
	buf = img_read_file(&d, "a.qcow2", 60);
	uint32_t rt_clusters = (uint32_t)buf[56] << 24 | (uint32_t)buf[57] << 16 |
			       (uint32_t)buf[58] << 8 | buf[59];
	free(buf);
	img_dir_remove(&d);
	return rt_clusters;
}

TEST(qcow2_writes_to_a_version_3_image_pass_qemu_img_check)
{
	writes_check_clean("1.1", 65536, "");
}

TEST(qcow2_writes_to_a_version_2_image_pass_qemu_img_check)
{
	writes_check_clean("0.10", 65536, "write -P 0x5a 1M 512k");
}

/* 4 KiB clusters: a refcount block covers only 8 MiB, so writes across
 * 24 MiB create new refcount blocks and many L2 tables. */
TEST(qcow2_writes_that_need_new_refcount_blocks_pass_qemu_img_check)
{
	writes_check_clean("1.1", 4096, "write -P 0x5a 1M 512k");
}

/* 512-byte clusters with 1-bit refcounts: sub-byte refcount entries. */
TEST(qcow2_writes_with_narrow_refcounts_pass_qemu_img_check)
{
	writes_check_clean("1.1,refcount_bits=1", 512, "");
}

/* 512-byte clusters, 16-bit refcounts: qemu-img's one-cluster refcount table
 * reaches 8 MiB of image; 24 MiB of writes must grow it. */
TEST(qcow2_writes_that_grow_the_refcount_table_pass_qemu_img_check)
{
	CHECK(writes_check_clean("1.1", 512, "write -P 0x5a 1M 512k") > 1);
}

TEST(qcow2_zero_clusters_read_as_zeroes_and_can_be_rewritten)
{
	size_t size = 4 * MiB;
	uint8_t *shadow = malloc(size), buf[3000];
	struct img_dir d;
	struct disk *dk;

	CHECK(shadow != NULL);
	img_need_qemu();
	img_dir_make(&d);
	IMG_SH(&d, "qemu-img create -q -f qcow2 -o compat=1.1 a.qcow2 4M");
	/* -z on allocated clusters of a v3 image sets the zero flag. */
	IMG_SH(&d, "qemu-io -f qcow2 -c 'write -P 0xaa 0 4M' -c 'write -z 1M 256k' a.qcow2");
	IMG_SH(&d, "qemu-img map --output=json -f qcow2 a.qcow2 | grep -q '\"zero\": true'");
	memset(shadow, 0xaa, size);
	memset(shadow + MiB, 0, 256 * 1024);
	CHECK_EQ(img_open(&d, "a.qcow2", DISK_FORMAT_QCOW2, false, &dk), 0);
	CHECK(img_disk_equals(dk, shadow, size));
	/* A write into a zero cluster keeps the rest of it zero. */
	img_fill(buf, MiB + 1000, sizeof(buf), 3);
	CHECK_EQ(img_io(dk, MiB + 1000, buf, sizeof(buf), true), 0);
	memcpy(shadow + MiB + 1000, buf, sizeof(buf));
	CHECK(img_disk_equals(dk, shadow, size));
	disk_close(dk);
	CHECK_EQ(qemu_check(&d, "a.qcow2"), 0);
	CHECK(img_qemu_reads(&d, "a.qcow2", shadow, size));
	free(shadow);
	img_dir_remove(&d);
}

TEST(qcow2_reads_compressed_clusters_and_rewrites_them)
{
	size_t size = 3 * MiB;
	struct img_dir d;
	struct disk *dk;
	uint8_t *want, buf[5000];
	int rc;

	img_need_qemu();
	img_dir_make(&d);
	want = make_raw(&d, "src.raw", size, 5);
	/* Half of each 4 KiB compressible (a run of one byte), half pattern. */
	for (size_t off = 0; off < size; off += 4096)
		memset(want + off, (int)(off >> 12), 2048);
	img_write_file(&d, "src.raw", want, size);
	IMG_SH(&d, "qemu-img convert -c -f raw -O qcow2 src.raw c.qcow2");
	/* qemu-img 7.2's map does not say "compressed"; check's summary does. */
	IMG_SH(&d, "qemu-img check c.qcow2 | grep '%% compressed' | grep -vq ' 0.00%%'");
	CHECK_EQ(img_open(&d, "c.qcow2", DISK_FORMAT_QCOW2, false, &dk), 0);
	CHECK(img_disk_equals(dk, want, size));
	/* A partial write makes a new cluster from the inflated one. */
	img_fill(buf, 70000, sizeof(buf), 9);
	CHECK_EQ(img_io(dk, 70000, buf, sizeof(buf), true), 0);
	memcpy(want + 70000, buf, sizeof(buf));
	CHECK(img_disk_equals(dk, want, size));
	disk_close(dk);
	/* The replaced compressed cluster is leaked, by design (qcow2.h). */
	rc = qemu_check(&d, "c.qcow2");
	CHECK(rc == 0 || rc == 3);
	CHECK(img_qemu_reads(&d, "c.qcow2", want, size));
	free(want);
	img_dir_remove(&d);
}

/* A crash at any point leaves at worst leaked clusters: a child writes
 * (new clusters, L2 tables, refcount blocks, a refcount table growth) and is
 * killed at a varying moment, 12 times; qemu-img check then finds no
 * corruption. SIGKILL keeps every completed write (the page cache has it), so
 * this checks the order of the writes at every syscall boundary; the
 * fdatasync calls between them carry that order to the disk. */
TEST(qcow2_killed_writer_leaves_no_corruption)
{
	struct img_dir d;
	uint8_t *buf = malloc(256 * 1024);

	CHECK(buf != NULL);
	img_need_qemu();
	img_dir_make(&d);
	IMG_SH(&d, "qemu-img create -q -f qcow2 -o cluster_size=512 a.qcow2 64M");
	for (int i = 0; i < 12; i++) {
		pid_t pid = fork();
		int st, rc;

		CHECK(pid >= 0);
		if (pid == 0) {
			struct disk *dk;

			if (img_open(&d, "a.qcow2", DISK_FORMAT_QCOW2, false, &dk) < 0)
				_exit(1);
			for (uint64_t off = (uint64_t)i * 1000003; ; off += 777777) {
				img_fill(buf, off, 256 * 1024, (unsigned int)i);
				if (img_io(dk, off % (60u << 20), buf, 256 * 1024, true) < 0)
					_exit(2);
			}
		}
		usleep(20000 + (useconds_t)i * 15000);
		CHECK_EQ(kill(pid, SIGKILL), 0);
		CHECK_EQ(waitpid(pid, &st, 0), pid);
		CHECK(WIFSIGNALED(st));
		rc = img_sh(&d, "qemu-img check -f qcow2 a.qcow2");
		if (rc != 0 && rc != 3)
			harness_fail(__FILE__, __LINE__, "kill %d: qemu-img check exit %d", i, rc);
	}
	free(buf);
	img_dir_remove(&d);
}
