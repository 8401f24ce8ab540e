/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The qcow2 format (src/devices/blk/qcow2*.c) on a hostile image: the input's
 * tail is the whole image file (a memfd), opened read-write or read-only,
 * then up to 16 requests on it (read, write, write zeroes, discard, flush) at
 * any offset inside the disk. Any result is fine but a crash, a sanitizer
 * report or a leak; the image may only grow by what the writes can allocate.
 * A backing file name resolves under /proc/self/fd/, where every entry is a
 * magic link that openat2 refuses: no other file is ever opened.
 *
 * Input: a selector byte (bit 0: read-only); a count byte (requests, % 17);
 * per request: op u8 (% 5), offset u32 (reduced into the disk), length u16;
 * then the image bytes.
 */
#include "fuzz.h"

#include <sys/mman.h>
#include <sys/stat.h>

#include "devices/blk/disk.h"

#define MAX_IO (64u * 1024)

static uint8_t *buf;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fz_log_setup();
	buf = malloc(MAX_IO);
	FZ_CHECK(buf != NULL);
	return 0;
}

FZ_NOCOV static void check_growth(int fd, size_t before, unsigned int writes)
{
	struct stat st;

	/* Per write of up to 64 KiB: at most 2 MiB clusters for its data, an
	 * L2 table and a refcount block, each per cluster it touches (two), and
	 * a grown refcount table (at most 8 MiB) with its blocks, per write. */
	FZ_CHECK(fstat(fd, &st) == 0);
	FZ_CHECK((uint64_t)st.st_size <=
		 before + (uint64_t)writes * (2 * 3 * (2u << 20) + (10u << 20)) + (2u << 20));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz z = { data, size };
	uint8_t sel = fz_u8(&z);
	unsigned int nreq = fz_u8(&z) % 17, writes = 0;
	struct { uint8_t op; uint32_t off; uint16_t len; } req[16];
	struct disk_open_params p = { .read_only = sel & 1 };
	char path[64];
	struct disk *dk;
	size_t img_len;
	const uint8_t *img;
	int fd;

	for (unsigned int i = 0; i < nreq; i++) {
		req[i].op = fz_u8(&z) % 5;
		req[i].off = fz_u32(&z);
		req[i].len = fz_u16(&z);
	}
	img = fz_bytes(&z, z.n, &img_len);
	fd = memfd_create("fuzz-qcow2", MFD_CLOEXEC);
	FZ_CHECK(fd >= 0);
	FZ_CHECK(img_len == 0 || write(fd, img, img_len) == (ssize_t)img_len);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	p.path = path;
	if (disk_qcow2_open(&p, &dk) == 0) {
		for (unsigned int i = 0; i < nreq && dk->size; i++) {
			uint64_t off = req[i].off % dk->size;
			uint64_t len = req[i].len < dk->size - off ? req[i].len : dk->size - off;
			struct iovec iov = { buf, (size_t)len };

			switch (req[i].op) {
			case 0:
				(void)dk->ops->readv(dk, &iov, 1, off);
				break;
			case 1:
				memset(buf, (int)i, len);
				(void)dk->ops->writev(dk, &iov, 1, off);
				writes++;
				break;
			case 2:
				(void)dk->ops->write_zeroes(dk, off, len, i & 1);
				writes++;
				break;
			case 3:
				(void)dk->ops->discard(dk, off, len);
				break;
			default:
				(void)dk->ops->flush(dk);
			}
		}
		disk_close(dk);
	}
	check_growth(fd, img_len, writes);
	close(fd);
	return 0;
}
