/* SPDX-License-Identifier: Apache-2.0 */
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vmm/gmem.h"

/* Two 64 KiB regions with a 64 KiB hole between them. */
static void make_mem(struct gmem *m)
{
	const struct gmem_region r[] = {
		{ .gpa = 0, .size = 0x10000 },
		{ .gpa = 0x20000, .size = 0x10000 },
	};
	CHECK_EQ(gmem_create(m, r, 2), 0);
}

TEST(gmem_maps_regions_back_to_back_and_sums_their_size)
{
	struct gmem m;
	make_mem(&m);
	CHECK_EQ(m.nregions, 2);
	CHECK(m.region[0].host == m.base);
	CHECK(m.region[1].host == m.base + 0x10000);
	CHECK_EQ(gmem_size(&m), 0x20000);
	CHECK_EQ(m.mapped_size, 0x20000);
	gmem_destroy(&m);
}

TEST(gmem_ptr_accepts_ranges_wholly_inside_one_region)
{
	struct gmem m;
	make_mem(&m);
	CHECK(gmem_ptr(&m, 0, 1) == m.region[0].host);
	CHECK(gmem_ptr(&m, 0, 0x10000) == m.region[0].host);
	CHECK(gmem_ptr(&m, 0xffff, 1) == m.region[0].host + 0xffff);
	CHECK(gmem_ptr(&m, 0x20000, 0x10000) == m.region[1].host);
	CHECK(gmem_ptr(&m, 0x2fff0, 0x10) == m.region[1].host + 0xfff0);
	gmem_destroy(&m);
}

TEST(gmem_ptr_rejects_holes_region_ends_and_ranges_spanning_regions)
{
	struct gmem m;
	make_mem(&m);
	CHECK(gmem_ptr(&m, 0x10000, 1) == NULL);   /* in the hole */
	CHECK(gmem_ptr(&m, 0xffff, 2) == NULL);    /* runs into the hole */
	CHECK(gmem_ptr(&m, 0x1ffff, 2) == NULL);   /* starts in the hole */
	CHECK(gmem_ptr(&m, 0, 0x30000) == NULL);   /* spans both regions */
	CHECK(gmem_ptr(&m, 0x2ffff, 2) == NULL);   /* past the end of RAM */
	CHECK(gmem_ptr(&m, 0x30000, 1) == NULL);
	CHECK(gmem_ptr(&m, 1ULL << 40, 1) == NULL);
	gmem_destroy(&m);
}

TEST(gmem_ptr_rejects_zero_length_and_wrapping_ranges)
{
	struct gmem m;
	make_mem(&m);
	CHECK(gmem_ptr(&m, 0x100, 0) == NULL);
	CHECK(gmem_ptr(&m, 0x100, UINT64_MAX) == NULL);
	CHECK(gmem_ptr(&m, 0x20100, UINT64_MAX - 0x100) == NULL);
	CHECK(gmem_ptr(&m, UINT64_MAX, 2) == NULL);
	CHECK(gmem_ptr(&m, UINT64_MAX - 0xf, 0x20) == NULL);
	gmem_destroy(&m);
}

TEST(gmem_create_rejects_bad_layouts_and_maps_nothing)
{
	struct gmem m;
	const struct gmem_region unsorted[] = { { 0x20000, 0x1000 }, { 0, 0x1000 } };
	const struct gmem_region overlap[] = { { 0, 0x2000 }, { 0x1000, 0x1000 } };
	const struct gmem_region unaligned[] = { { 0x800, 0x1000 } };
	const struct gmem_region odd_size[] = { { 0, 0x1001 } };
	const struct gmem_region empty[] = { { 0, 0 } };
	const struct gmem_region wraps[] = { { UINT64_MAX - 0xfff, 0x2000 } };
	const struct gmem_region many[GMEM_MAX_REGIONS + 1] = {
		{ 0, 0x1000 }, { 0x2000, 0x1000 }, { 0x4000, 0x1000 }, { 0x6000, 0x1000 },
		{ 0x8000, 0x1000 },
	};

	CHECK_EQ(gmem_create(&m, unsorted, 2), -EINVAL);
	CHECK(m.base == NULL && m.nregions == 0);
	CHECK_EQ(gmem_create(&m, overlap, 2), -EINVAL);
	CHECK_EQ(gmem_create(&m, unaligned, 1), -EINVAL);
	CHECK_EQ(gmem_create(&m, odd_size, 1), -EINVAL);
	CHECK_EQ(gmem_create(&m, empty, 1), -EINVAL);
	CHECK_EQ(gmem_create(&m, wraps, 1), -EINVAL);
	CHECK_EQ(gmem_create(&m, many, GMEM_MAX_REGIONS + 1), -EINVAL);
	CHECK_EQ(gmem_create(&m, many, 0), -EINVAL);
	CHECK(m.base == NULL);
	gmem_destroy(&m); /* a failed create leaves a destroyable gmem */
}

TEST(gmem_read_write_round_trip_and_fault_without_copying)
{
	struct gmem m;
	uint8_t in[8] = { 1, 2, 3, 4, 5, 6, 7, 8 }, out[8];
	make_mem(&m);
	CHECK_EQ(gmem_write(&m, 0x2fff8, in, sizeof(in)), 0);
	CHECK_EQ(gmem_read(&m, 0x2fff8, out, sizeof(out)), 0);
	CHECK(memcmp(in, out, sizeof(in)) == 0);

	memset(out, 0xaa, sizeof(out));
	CHECK_EQ(gmem_read(&m, 0xfffc, out, sizeof(out)), -EFAULT);
	CHECK_EQ(out[0], 0xaa);
	CHECK_EQ(gmem_write(&m, 0xfffc, in, sizeof(in)), -EFAULT);
	CHECK_EQ(m.region[0].host[0xfffc], 0); /* nothing written */
	CHECK_EQ(gmem_read(&m, 0x10000, out, 0), 0);
	gmem_destroy(&m);
}

TEST(gmem_destroy_twice_is_harmless)
{
	struct gmem m;
	make_mem(&m);
	gmem_destroy(&m);
	gmem_destroy(&m);
	CHECK(m.base == NULL);
	CHECK(gmem_ptr(&m, 0, 1) == NULL);
}

TEST(gmem_map_file_shows_the_file_copy_on_write_and_checks_its_range)
{
	const uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
	char path[] = "/tmp/test_gmem_XXXXXX", back[16];
	struct gmem m;
	uint8_t *p;
	int fd = mkstemp(path);

	CHECK(fd >= 0);
	unlink(path);
	for (unsigned int i = 0; i < 3; i++) {
		memset(back, 'a' + (int)i, sizeof(back));
		CHECK(pwrite(fd, back, sizeof(back), (off_t)(i * page)) == (ssize_t)sizeof(back));
	}
	CHECK(ftruncate(fd, (off_t)(3 * page)) == 0);
	make_mem(&m);
	p = gmem_ptr(&m, 0x4000, 2 * page);
	CHECK(p != NULL);
	p[0] = 'z'; /* replaced by the mapping */

	CHECK_EQ(gmem_map_file(&m, 0x4000, 2 * page, fd, page), 0);
	CHECK_EQ(p[0], 'b');        /* file page 1 at gpa 0x4000 */
	CHECK_EQ(p[page], 'c');     /* file page 2 next */
	CHECK_EQ(p[page - 1], 0);   /* the file's own zeroes */
	p[1] = 'W';                 /* private: the file keeps its bytes */
	CHECK(pread(fd, back, 2, (off_t)page) == 2);
	CHECK_EQ(back[1], 'b');
	CHECK_EQ(p[1], 'W');

	CHECK_EQ(gmem_map_file(&m, 0x4001, page, fd, 0), -EINVAL);     /* unaligned gpa */
	CHECK_EQ(gmem_map_file(&m, 0x4000, page, fd, 1), -EINVAL);     /* unaligned offset */
	CHECK_EQ(gmem_map_file(&m, 0x4000, page + 1, fd, 0), -EINVAL); /* unaligned length */
	CHECK_EQ(gmem_map_file(&m, 0xf000, 2 * page, fd, 0), -EINVAL); /* past the region */
	CHECK_EQ(p[0], 'b'); /* refused calls changed nothing */
	gmem_destroy(&m);
	close(fd);
}

/* A guest 2 MiB page can be one host huge page and one KVM large mapping only
 * if host address and GPA agree modulo 2 MiB: the mapping starts 2 MiB-aligned,
 * private or shared, and nothing of the alignment slack stays mapped. */
TEST(gmem_base_is_2mib_aligned)
{
	const struct gmem_region r[] = { { .gpa = 0, .size = 0x10000 } };
	struct gmem a, b;

	CHECK_EQ(gmem_create(&a, r, 1), 0);
	CHECK_EQ(gmem_create_shared(&b, r, 1), 0);
	CHECK_EQ((uintptr_t)a.base & ((2u << 20) - 1), 0);
	CHECK_EQ((uintptr_t)b.base & ((2u << 20) - 1), 0);
	/* The page after the mapping is not ours (the slack was unmapped). */
	CHECK(msync(a.base + 0x10000, 4096, MS_ASYNC) < 0 && errno == ENOMEM);
	gmem_destroy(&a);
	gmem_destroy(&b);
}

/* Shared RAM (for vhost-user backends): the memfd holds every region at its
 * offset from base, another mapping of it sees the guest's bytes, a discarded
 * range reads back as zero in both (the memfd's pages are freed, not just
 * unmapped here), and file mappings are refused. */
TEST(gmem_shared_ram_is_one_memfd_another_process_can_map)
{
	const uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
	const struct gmem_region r[] = {
		{ .gpa = 0, .size = 0x10000 },
		{ .gpa = 0x20000, .size = 0x10000 },
	};
	struct gmem m;

	CHECK_EQ(gmem_create_shared(&m, r, 2), 0);
	CHECK(m.shared && m.fd >= 0);
	CHECK_EQ(lseek(m.fd, 0, SEEK_END), 0x20000);
	uint8_t *other = mmap(NULL, 0x20000, PROT_READ, MAP_SHARED, m.fd, 0);
	CHECK(other != MAP_FAILED);
	uint8_t *p = gmem_ptr(&m, 0x20000 + page, page);
	CHECK(p != NULL);
	memset(p, 0x5a, page);
	CHECK_EQ(other[(size_t)(p - m.base)], 0x5a); /* region 1 at offset 0x10000 */
	CHECK_EQ(p - m.base, 0x10000 + (long)page);
	CHECK_EQ(gmem_discard(&m, p, page), 0);
	CHECK_EQ(p[0], 0);
	CHECK_EQ(other[(size_t)(p - m.base)], 0);
	CHECK_EQ(gmem_map_file(&m, 0, page, m.fd, 0), -ENOTSUP);
	munmap(other, 0x20000);
	gmem_destroy(&m);
	CHECK(!m.shared);
}

/* A zeroed gmem (a VM that failed before its RAM) is private and owns no fd:
 * destroying it must not close fd 0. */
TEST(gmem_zeroed_is_private_and_closes_nothing)
{
	struct gmem m;
	int null = open("/dev/null", O_RDONLY);

	CHECK(null >= 0 && dup2(null, 0) == 0); /* fd 0 surely open */
	memset(&m, 0, sizeof(m));
	gmem_destroy(&m);
	CHECK(fcntl(0, F_GETFD) >= 0);
	close(null);
}
