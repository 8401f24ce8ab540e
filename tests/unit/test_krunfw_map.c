/* SPDX-License-Identifier: Apache-2.0 */
/* The VMM's side of libkrunfw (src/vmm/krunfw.c): it finds the bundle's file
 * and the image's offset in it, so the kernel can be mapped, not copied. */
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "vmm/krunfw.h"

TEST(krunfw_open_finds_the_file_holding_the_image)
{
	const long page = sysconf(_SC_PAGESIZE);
	struct krunfw k;
	char *buf = malloc((size_t)page);
	int fd;

	CHECK(buf != NULL);
	CHECK_EQ(krunfw_open(&k), 0);
	CHECK(k.fd >= 0);
	CHECK_EQ(k.file_offset % (uint64_t)page, 0);
	/* The file at that offset is the image: first and last page. */
	CHECK(pread(k.fd, buf, (size_t)page, (off_t)k.file_offset) == page);
	CHECK(memcmp(buf, k.image, (size_t)page) == 0);
	CHECK(pread(k.fd, buf, (size_t)page, (off_t)(k.file_offset + k.size - (size_t)page)) == page);
	CHECK(memcmp(buf, (const char *)k.image + k.size - (size_t)page, (size_t)page) == 0);
	/* Our bundle says which part to map: 2 MiB-aligned, inside the image,
	 * neither empty nor all of it (kernel/cow-range.sh). */
	CHECK(k.cow_start < k.cow_end && k.cow_end <= k.size);
	CHECK(k.cow_start > 0 && k.cow_start % (2u << 20) == 0 && k.cow_end % (2u << 20) == 0);
	fd = k.fd;
	krunfw_close(&k);
	CHECK_EQ(k.fd, -1);
	CHECK(fcntl(fd, F_GETFD) == -1 && errno == EBADF); /* closed */
	free(buf);
}

/* Pages of [p, p + len) this process has mapped (present in its page table),
 * from /proc/self/pagemap: bit 63 of each page's entry (the PFN is hidden
 * without CAP_SYS_ADMIN; the present bit is not). -1 if it cannot be read. */
static long mapped_pages(const void *p, size_t len)
{
	const size_t page = (size_t)sysconf(_SC_PAGESIZE), batch = 512;
	size_t first = (uintptr_t)p / page, n = len / page;
	uint64_t e[512];
	long mapped = 0;
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	for (size_t i = 0; i < n; i += batch) {
		size_t want = n - i < batch ? n - i : batch;
		off_t at = (off_t)((first + i) * sizeof(e[0]));

		if (pread(fd, e, want * sizeof(e[0]), at) != (ssize_t)(want * sizeof(e[0]))) {
			close(fd);
			return -1;
		}
		for (size_t j = 0; j < want; j++)
			mapped += (long)(e[j] >> 63);
	}
	close(fd);
	return mapped;
}

/* Reads one byte of every page, so that each page is mapped; their sum. */
static unsigned int touch_pages(const struct krunfw *k, size_t page)
{
	const volatile unsigned char *p = k->image;
	unsigned int sum = 0;

	for (size_t off = 0; off < k->size; off += page)
		sum += p[off];
	return sum;
}

TEST(krunfw_drop_pages_unmaps_the_image_and_keeps_it_readable)
{
	const size_t page = (size_t)sysconf(_SC_PAGESIZE);
	struct krunfw k;
	unsigned int sum;
	long before, after;

	CHECK_EQ(krunfw_open(&k), 0);
	sum = touch_pages(&k, page);
	before = mapped_pages(k.image, k.size);
	if (before < 0) {
		krunfw_close(&k);
		SKIP("/proc/self/pagemap cannot be read");
	}
	/* Every page was just read, so every page is mapped. */
	CHECK_EQ(before, (long)(k.size / page));
	krunfw_drop_pages(&k);
	after = mapped_pages(k.image, k.size);
	/* None is left in this process: the kernel is not resident twice. */
	CHECK_EQ(after, 0);
	/* File-backed: touched again, each page reads back from the file. */
	CHECK_EQ(touch_pages(&k, page), sum);
	CHECK_EQ(mapped_pages(k.image, k.size), (long)(k.size / page));
	krunfw_close(&k);
}
