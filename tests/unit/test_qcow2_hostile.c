/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Hostile qcow2 images (qcow2.txt fields, each set to what a valid image
 * never holds): open refuses them with a log line and -EINVAL / -ENOTSUP;
 * metadata that goes bad after open fails the request with -EIO and writes
 * nothing outside the image's data; random damage never crashes (ASan).
 */
#include "disk_img.h"
#include "logcap.h"

#include <endian.h>

#define MiB (1024u * 1024u)

struct img {
	struct img_dir d;
	uint64_t l1_off, rt_off, l2_off;
	char path[128];
};

static uint64_t get_be64(const char *path, uint64_t off)
{
	uint64_t v = 0;
	int fd = open(path, O_RDONLY);

	CHECK(fd >= 0);
	CHECK_EQ(pread(fd, &v, 8, (off_t)off), 8);
	close(fd);
	return be64toh(v);
}

static void put(const char *path, uint64_t off, const void *b, size_t n)
{
	int fd = open(path, O_WRONLY);

	CHECK(fd >= 0);
	CHECK_EQ(pwrite(fd, b, n, (off_t)off), (ssize_t)n);
	close(fd);
}

static void put_be32(const char *path, uint64_t off, uint32_t v)
{
	v = htobe32(v);
	put(path, off, &v, 4);
}

static void put_be64(const char *path, uint64_t off, uint64_t v)
{
	v = htobe64(v);
	put(path, off, &v, 8);
}

/* A 4 MiB version 3 image with 0x11 in its first MiB (an L2 table). */
static void make_img(struct img *m, const char *opts)
{
	img_need_qemu();
	img_dir_make(&m->d);
	IMG_SH(&m->d, "qemu-img create -q -f qcow2 -o %s x.qcow2 4M && "
		      "qemu-io -f qcow2 -c 'write -P 0x11 0 1M' x.qcow2 && cp x.qcow2 pristine",
	       opts);
	snprintf(m->path, sizeof(m->path), "%s/x.qcow2", m->d.path);
	m->l1_off = get_be64(m->path, 40);
	m->rt_off = get_be64(m->path, 48);
	m->l2_off = get_be64(m->path, m->l1_off) & 0x00fffffffffffe00ULL;
	CHECK(m->l2_off != 0);
}

static void restore(struct img *m)
{
	IMG_SH(&m->d, "cp pristine x.qcow2");
}

/* Opening (read-write unless ro) fails with err and logs says. */
static void open_fails(struct img *m, bool ro, int err, const char *says)
{
	struct disk *dk = NULL;
	struct logcap c;
	const char *log;

	cap_start(&c);
	CHECK_EQ(img_open(&m->d, "x.qcow2", DISK_FORMAT_QCOW2, ro, &dk), err);
	log = cap_end(&c);
	if (!strstr(log, says))
		harness_fail(__FILE__, __LINE__, "log lacks \"%s\": %s", says, log);
	restore(m);
}

TEST(qcow2_hostile_headers_are_refused_at_open)
{
	struct img m;

	make_img(&m, "compat=1.1");
	IMG_SH(&m.d, "truncate -s 50 x.qcow2");
	open_fails(&m, false, -EINVAL, "not a qcow2 image");
	IMG_SH(&m.d, "truncate -s 100 x.qcow2");
	open_fails(&m, false, -EINVAL, "truncated version 3 header");
	put_be32(m.path, 4, 4);
	open_fails(&m, false, -ENOTSUP, "version 4");
	put_be32(m.path, 20, 8);
	open_fails(&m, false, -EINVAL, "cluster_bits 8");
	put_be32(m.path, 20, 22);
	open_fails(&m, false, -EINVAL, "cluster_bits 22");
	put_be64(m.path, 24, 1ULL << 62);
	open_fails(&m, false, -EINVAL, "virtual size");
	put_be32(m.path, 36, 0xffffffffu); /* huge L1 */
	open_fails(&m, false, -EINVAL, "L1 table of 4294967295 entries");
	put_be64(m.path, 24, 1ULL << 40); /* 1 TiB needs 2048 L1 entries, not 1 */
	open_fails(&m, false, -EINVAL, "the size needs 2048");
	put_be64(m.path, 40, 1ULL << 40); /* L1 past the end of the file */
	open_fails(&m, false, -EINVAL, "past the end of the file");
	put_be64(m.path, 40, m.l1_off + 8);
	open_fails(&m, false, -EINVAL, "misaligned");
	put_be64(m.path, 48, m.l1_off); /* refcount table over the L1 table */
	open_fails(&m, false, -EINVAL, "overlap");
	put_be64(m.path, 40, 0); /* L1 table over the header */
	open_fails(&m, false, -EINVAL, "overlap");
	put_be32(m.path, 56, 0xffffffffu);
	open_fails(&m, false, -EINVAL, "refcount table of 4294967295 clusters");
	put_be32(m.path, 96, 7);
	open_fails(&m, false, -EINVAL, "refcount_order 7");
	put_be32(m.path, 32, 1);
	open_fails(&m, true, -ENOTSUP, "encrypted");
	put_be64(m.path, 72, 1ULL << 2);
	open_fails(&m, true, -ENOTSUP, "external data file");
	put_be64(m.path, 72, 1ULL << 4);
	open_fails(&m, true, -ENOTSUP, "extended L2");
	put_be64(m.path, 72, 1ULL << 10);
	open_fails(&m, true, -ENOTSUP, "unknown incompatible features 0x400");
	put_be32(m.path, 100, 9999);
	open_fails(&m, false, -EINVAL, "bad header length");
	put_be64(m.path, 8, 70000);
	put_be32(m.path, 16, 10);
	open_fails(&m, false, -EINVAL, "backing file name");
	put(m.path, 104, "\x01", 1); /* zstd */
	open_fails(&m, true, -ENOTSUP, "compression type 1");
	img_dir_remove(&m.d);
}

TEST(qcow2_hostile_header_extension_past_the_cluster_is_refused)
{
	struct img m;
	uint32_t hlen;

	make_img(&m, "compat=1.1");
	hlen = (uint32_t)(get_be64(m.path, 96) & 0xffffffffu);
	put_be32(m.path, hlen, 0x12345678);
	put_be32(m.path, hlen + 4, 0xfffffff0u);
	open_fails(&m, false, -EINVAL, "runs past the first cluster");
	img_dir_remove(&m.d);
}

TEST(qcow2_dirty_image_opens_read_only_only)
{
	struct img m;
	struct disk *dk;
	uint8_t b[512];

	make_img(&m, "compat=1.1");
	put_be64(m.path, 72, 1);
	CHECK_EQ(img_open(&m.d, "x.qcow2", DISK_FORMAT_QCOW2, true, &dk), 0);
	CHECK_EQ(img_io(dk, 0, b, sizeof(b), false), 0);
	CHECK_EQ(b[0], 0x11);
	disk_close(dk);
	open_fails(&m, false, -ENOTSUP, "marked dirty");
	img_dir_remove(&m.d);
}

/* After open: a bad entry fails the request, and the header is unchanged. */
static void request_fails(struct img *m, uint64_t at, uint64_t value, uint64_t disk_off)
{
	struct disk *dk;
	struct logcap c;
	uint8_t b[4096], *before, *after;
	struct stat st;
	off_t size;

	CHECK_EQ(stat(m->path, &st), 0);
	size = st.st_size;
	before = img_read_file(&m->d, "x.qcow2", 65536);
	put_be64(m->path, at, value);
	CHECK_EQ(img_open(&m->d, "x.qcow2", DISK_FORMAT_QCOW2, false, &dk), 0);
	cap_start(&c);
	CHECK_EQ(img_io(dk, disk_off, b, sizeof(b), false), -EIO);
	memset(b, 0xee, sizeof(b));
	CHECK_EQ(img_io(dk, disk_off, b, sizeof(b), true), -EIO);
	CHECK(strstr(cap_end(&c), "corrupt image"));
	disk_close(dk);
	after = img_read_file(&m->d, "x.qcow2", 65536);
	/* Nothing written: the first cluster (header, tables) as it was, and
	 * the file no longer than it was. */
	CHECK(memcmp(before, after, 65536) == 0);
	CHECK_EQ(stat(m->path, &st), 0);
	CHECK_EQ(st.st_size, size);
	free(before);
	free(after);
	restore(m);
}

TEST(qcow2_hostile_tables_fail_requests_with_eio)
{
	struct img m;

	make_img(&m, "compat=1.1");
	/* L1 entry to the refcount table; past the end of the file. (Offset 0
	 * is "unallocated", not the header: it reads as zeroes.) */
	request_fails(&m, m.l1_off, 0x8000000000000000ULL | m.rt_off, 0);
	request_fails(&m, m.l1_off, 0x8000000000000000ULL | (1ULL << 40), 0);
	/* L2 entry to the L1 table; to the refcount table; misaligned. */
	request_fails(&m, m.l2_off, 0x8000000000000000ULL | m.l1_off, 0);
	request_fails(&m, m.l2_off, 0x8000000000000000ULL | m.rt_off, 0);
	request_fails(&m, m.l2_off, 0x8000000000000000ULL | (m.l2_off + 512), 0);
	/* COPIED data far past the end of the file: an in-place write there
	 * would grow the file to 2^50 bytes (found by fuzz_qcow2). */
	request_fails(&m, m.l2_off, 0x8000000000000000ULL | (1ULL << 50), 0);
	/* A compressed descriptor that spans the header. */
	request_fails(&m, m.l2_off, 0x4000000000000000ULL | 0x3fffffffffffULL, 0);
	img_dir_remove(&m.d);
}

TEST(qcow2_hostile_refcount_table_fails_allocation_with_eio)
{
	struct img m;
	struct disk *dk;
	struct logcap c;
	uint8_t b[512] = { 1 };

	make_img(&m, "compat=1.1");
	put_be64(m.path, m.rt_off, m.l1_off); /* the first refcount block: the L1 table */
	CHECK_EQ(img_open(&m.d, "x.qcow2", DISK_FORMAT_QCOW2, false, &dk), 0);
	cap_start(&c);
	CHECK_EQ(img_io(dk, 3 * MiB, b, sizeof(b), true), -EIO);
	CHECK(strstr(cap_end(&c), "refcount table entry 0"));
	disk_close(dk);
	CHECK_EQ(get_be64(m.path, m.l1_off + 8), 0);
	img_dir_remove(&m.d);
}

/* Random damage in the metadata clusters: open, read all, write some, close;
 * any result but a crash or a sanitizer report. */
TEST(qcow2_random_damage_never_crashes)
{
	struct img m;
	unsigned int seed = 1234;
	uint8_t *buf = malloc(MiB);
	int null_fd = open("/dev/null", O_WRONLY);

	CHECK(buf && null_fd >= 0);
	make_img(&m, "compat=1.1,cluster_size=4096");
	CHECK_EQ(krun_init_log(null_fd, KRUN_LOG_LEVEL_OFF, KRUN_LOG_STYLE_NEVER,
			       KRUN_LOG_OPTION_NO_ENV), 0);
	for (int i = 0; i < 300; i++) {
		struct disk *dk;
		int flips = 1 + rand_r(&seed) % 4;

		restore(&m);
		for (int k = 0; k < flips; k++) {
			uint8_t v = (uint8_t)rand_r(&seed);
			put(m.path, (uint64_t)(rand_r(&seed) % (6 * 4096)), &v, 1);
		}
		if (img_open(&m.d, "x.qcow2", DISK_FORMAT_QCOW2, i % 3 == 0, &dk) < 0)
			continue;
		for (uint64_t off = 0; off < dk->size; off += MiB)
			(void)img_io(dk, off, buf, dk->size - off < MiB ? dk->size - off : MiB,
				     false);
		memset(buf, 0x77, 8192);
		(void)img_io(dk, (uint64_t)(rand_r(&seed) % 512) * 8192 % dk->size, buf,
			     dk->size < 8192 ? dk->size : 8192, true);
		(void)dk->ops->write_zeroes(dk, 0, dk->size < 4096 ? dk->size : 4096, true);
		disk_close(dk);
	}
	CHECK_EQ(krun_init_log(2, KRUN_LOG_LEVEL_ERROR, KRUN_LOG_STYLE_NEVER,
			       KRUN_LOG_OPTION_NO_ENV), 0);
	close(null_fd);
	free(buf);
	img_dir_remove(&m.d);
}
