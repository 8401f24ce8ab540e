/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One virtio-blk request (src/devices/blk/req.c, blk_request) on a raw image,
 * with a chain as vq_pop hands it over (checked segments in guest RAM,
 * readable ones first) and guest RAM the input wrote: any header, sector,
 * type, flags, layout and length. The image is a memfd of a fixed size that
 * no request may change; the used length stays within the writable bytes.
 *
 * Input: a selector byte (bit 0: read-only disk, bit 1: FLUSH honoured);
 * then up to 8 pokes (offset u16 into RAM, a block of bytes); then up to 8
 * segments (offset u32, length u32, both reduced into RAM; bit 0 of a flag
 * byte: device-writable).
 */
#include "fuzz.h"

#include <sys/mman.h>
#include <sys/stat.h>

#include "devices/blk/blk.h"

#define RAM_SIZE (1u << 20)
#define IMG_SIZE (64u * 1024 + 100) /* a tail shorter than a sector */

static uint8_t *ram;
static int img_fd = -1;
static struct disk *disk_rw, *disk_ro;
static struct vq_chain chain;
static struct iovec iov[VQ_MAX_SEGS];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char path[64];
	struct disk_open_params p = { .path = path };

	(void)argc;
	(void)argv;
	fz_log_setup();
	ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	img_fd = memfd_create("fuzz-blk", MFD_CLOEXEC);
	FZ_CHECK(ram != MAP_FAILED && img_fd >= 0 && ftruncate(img_fd, IMG_SIZE) == 0);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", img_fd);
	FZ_CHECK(disk_raw_open(&p, &disk_rw) == 0);
	p.read_only = true;
	FZ_CHECK(disk_raw_open(&p, &disk_ro) == 0);
	return 0;
}

FZ_NOCOV static void check_image(void)
{
	struct stat st;

	FZ_CHECK(fstat(img_fd, &st) == 0 && st.st_size == IMG_SIZE);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz z = { data, size };
	uint8_t sel = fz_u8(&z);
	struct blk_params p = { .disk = sel & 1 ? disk_ro : disk_rw, .flush = sel & 2 };
	unsigned int npokes = fz_u8(&z) % 9, nseg = fz_u8(&z) % 9;
	uint32_t used;

	memcpy(p.id, "fuzz", 4);
	for (unsigned int i = 0; i < npokes; i++) {
		uint16_t off = fz_u16(&z);
		size_t n;
		const uint8_t *b = fz_block(&z, 4096, &n);
		memcpy(ram + off, b, n);
	}
	memset(&chain, 0, sizeof(chain));
	for (unsigned int i = 0; i < nseg; i++) {
		uint32_t off = fz_u32(&z) % RAM_SIZE;
		uint32_t len = fz_u32(&z) % (RAM_SIZE - off + 1);
		bool w = fz_u8(&z) & 1;

		/* vq_pop's guarantees: no empty segment, readable before writable. */
		if (len == 0 || (!w && chain.nin))
			continue;
		chain.seg[chain.nout + chain.nin] = (struct vq_seg){ ram + off, len };
		if (w) {
			chain.nin++;
			chain.in_bytes += len;
		} else {
			chain.nout++;
			chain.out_bytes += len;
		}
	}
	used = blk_request(&p, &chain, iov);
	FZ_CHECK(used <= chain.in_bytes);
	FZ_CHECK((used == 0) == (chain.in_bytes == 0));
	check_image();
	return 0;
}
