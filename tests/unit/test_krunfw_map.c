/* SPDX-License-Identifier: Apache-2.0 */
/* The VMM's side of libkrunfw (src/vmm/krunfw.c): it finds the bundle's file
 * and the image's offset in it, so the kernel can be mapped, not copied. */
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
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
	fd = k.fd;
	krunfw_close(&k);
	CHECK_EQ(k.fd, -1);
	CHECK(fcntl(fd, F_GETFD) == -1 && errno == EBADF); /* closed */
	free(buf);
}

TEST(krunfw_drop_pages_keeps_the_image_readable)
{
	struct krunfw k;
	unsigned char first;

	CHECK_EQ(krunfw_open(&k), 0);
	first = *(const unsigned char *)k.image;
	krunfw_drop_pages(&k); /* file-backed: touched again, it reads from the file */
	CHECK_EQ(*(const unsigned char *)k.image, first);
	krunfw_close(&k);
}
