/* SPDX-License-Identifier: Apache-2.0 */
/* x86 guest-physical layout: RAM around the MMIO hole, e820, virtio windows. */
#include <errno.h>

#include "test_x86_util.h"

#define MiB (1ULL << 20)
#define GiB (1ULL << 30)

static unsigned int layout(uint64_t ram, struct gmem_region *r)
{
	unsigned int n = 0;

	CHECK_EQ(arch_ram_layout(ram, r, &n), 0);
	return n;
}

TEST(x86_ram_below_the_hole_is_one_region_at_0)
{
	struct gmem_region r[GMEM_MAX_REGIONS];

	CHECK_EQ(layout(128 * MiB, r), 1);
	CHECK_EQ(r[0].gpa, 0);
	CHECK_EQ(r[0].size, 128 * MiB);
	CHECK_EQ(layout(3 * GiB, r), 1);
	CHECK_EQ(r[0].size, 3 * GiB);
}

TEST(x86_ram_past_3g_continues_at_4g)
{
	struct gmem_region r[GMEM_MAX_REGIONS];

	CHECK_EQ(layout(3 * GiB + 4096, r), 2);
	CHECK_EQ(r[0].gpa, 0);
	CHECK_EQ(r[0].size, LAYOUT_MMIO_HOLE);
	CHECK_EQ(r[1].gpa, LAYOUT_HIGH_RAM);
	CHECK_EQ(r[1].size, 4096);
	CHECK_EQ(layout(8 * GiB, r), 2);
	CHECK_EQ(r[1].gpa, 4 * GiB);
	CHECK_EQ(r[1].size, 5 * GiB);
	CHECK_EQ(r[0].size + r[1].size, 8 * GiB);
}

TEST(x86_ram_layout_rejects_bad_sizes)
{
	struct gmem_region r[GMEM_MAX_REGIONS];
	unsigned int n = 0;

	CHECK_EQ(arch_ram_layout(0, r, &n), -EINVAL);
	CHECK_EQ(arch_ram_layout(3 * GiB + 1, r, &n), -EINVAL); /* not page-aligned */
	CHECK_EQ(arch_ram_layout(LAYOUT_RAM_MIN - 4096, r, &n), -EINVAL);
	CHECK_EQ(arch_ram_layout(LAYOUT_RAM_MAX + 4096, r, &n), -EINVAL);
	CHECK_EQ(arch_ram_layout(UINT64_MAX & ~0xfffULL, r, &n), -EINVAL);
	CHECK_EQ(arch_ram_layout(LAYOUT_RAM_MAX, r, &n), 0);
}

TEST(x86_ram_regions_are_accepted_by_gmem)
{
	struct gmem m;

	x86_test_mem(&m, 3 * GiB + 64 * MiB);
	CHECK_EQ(gmem_size(&m), 3 * GiB + 64 * MiB);
	CHECK(gmem_ptr(&m, LAYOUT_MMIO_HOLE - 1, 1) != NULL);
	CHECK(gmem_ptr(&m, LAYOUT_MMIO_HOLE, 1) == NULL); /* the hole has no RAM */
	CHECK(gmem_ptr(&m, LAYOUT_VIRTIO_MMIO, 1) == NULL);
	CHECK(gmem_ptr(&m, LAYOUT_HIGH_RAM, 1) != NULL);
	gmem_destroy(&m);
}

/* e820 only reads the regions, so a gmem without mappings will do. */
static unsigned int e820(uint64_t ram, struct boot_e820_entry *e)
{
	struct gmem m = { 0 };
	unsigned int n = 0;

	m.nregions = layout(ram, m.region);
	CHECK_EQ(x86_e820_build(&m, e, E820_MAX_ENTRIES_ZEROPAGE, &n), 0);
	return n;
}

TEST(x86_e820_has_low_ram_ebda_and_high_ram)
{
	struct boot_e820_entry e[E820_MAX_ENTRIES_ZEROPAGE];

	CHECK_EQ(e820(128 * MiB, e), 3);
	CHECK_EQ(e[0].addr, 0);
	CHECK_EQ(e[0].size, LAYOUT_EBDA);
	CHECK_EQ(e[0].type, X86_E820_RAM);
	CHECK_EQ(e[1].addr, LAYOUT_EBDA);
	CHECK_EQ(e[1].type, X86_E820_RESERVED);
	CHECK_EQ(e[2].addr, 1 * MiB);
	CHECK_EQ(e[2].size, 127 * MiB);
	CHECK_EQ(e[2].type, X86_E820_RAM);
}

TEST(x86_e820_covers_ram_above_4g)
{
	struct boot_e820_entry e[E820_MAX_ENTRIES_ZEROPAGE];

	CHECK_EQ(e820(8 * GiB, e), 4);
	CHECK_EQ(e[2].addr + e[2].size, LAYOUT_MMIO_HOLE);
	CHECK_EQ(e[3].addr, 4 * GiB);
	CHECK_EQ(e[3].size, 5 * GiB);
	CHECK_EQ(e[3].type, X86_E820_RAM);
}

TEST(x86_e820_refuses_ram_not_starting_at_0_or_a_full_table)
{
	struct boot_e820_entry e[2];
	struct gmem m = { .nregions = 1 };
	unsigned int n;

	m.region[0] = (struct gmem_region){ .gpa = 1 * MiB, .size = 64 * MiB };
	CHECK_EQ(x86_e820_build(&m, e, 2, &n), -EINVAL);
	m.region[0] = (struct gmem_region){ .gpa = 0, .size = 64 * MiB };
	CHECK_EQ(x86_e820_build(&m, e, 2, &n), -ENOSPC);
}

TEST(x86_virtio_windows_are_in_the_hole_and_gsis_avoid_legacy_irqs)
{
	const unsigned int max = arch_max_virtio_devices();

	CHECK(max >= 8 && max <= VM_MAX_MMIO);
	for (unsigned int i = 0; i < max; i++) {
		uint64_t base = arch_virtio_mmio_base(i);
		uint32_t gsi = arch_virtio_gsi(i);

		CHECK(base >= LAYOUT_MMIO_HOLE && base + LAYOUT_VIRTIO_MMIO_SIZE <= LAYOUT_IOAPIC);
		CHECK_EQ(base % LAYOUT_PAGE_SIZE, 0);
		CHECK(gsi < LAYOUT_IOAPIC_PINS);
		CHECK(gsi != 0 && gsi != 1 && gsi != 2 && gsi != 3 && gsi != 4 && gsi != 8 &&
		      gsi != 12);
		for (unsigned int j = 0; j < i; j++) {
			CHECK(arch_virtio_gsi(j) != gsi);
			CHECK(arch_virtio_mmio_base(j) != base);
		}
	}
	CHECK_EQ(arch_virtio_mmio_base(0), 0xd0000000);
	CHECK_EQ(arch_virtio_gsi(0), 5);
}

TEST(x86_low_structures_do_not_overlap)
{
	struct {
		uint64_t start, len;
	} s[] = {
		{ LAYOUT_BDA_EBDA_SEG, 2 },
		{ LAYOUT_BDA_BASE_KIB, 2 },
		{ LAYOUT_GDT, LAYOUT_GDT_ENTRIES * 8 },
		{ LAYOUT_IDT, 16 },
		{ LAYOUT_ZERO_PAGE, sizeof(struct boot_params) },
		{ LAYOUT_BOOT_STACK - 0x800, 0x800 },
		{ LAYOUT_PML4, LAYOUT_PAGE_SIZE },
		{ LAYOUT_PDPT, LAYOUT_PAGE_SIZE },
		{ LAYOUT_PD, LAYOUT_IDENTITY_GIB * LAYOUT_PAGE_SIZE },
		{ LAYOUT_CMDLINE, LAYOUT_CMDLINE_AREA },
		{ LAYOUT_EBDA, LAYOUT_EBDA_SIZE },
	};
	const unsigned int n = sizeof(s) / sizeof(s[0]);

	for (unsigned int i = 0; i < n; i++) {
		CHECK(s[i].start + s[i].len <= 0xa0000);
		for (unsigned int j = 0; j < i; j++)
			CHECK(s[i].start + s[i].len <= s[j].start ||
			      s[j].start + s[j].len <= s[i].start);
	}
	CHECK(LAYOUT_KVM_TSS + 3 * LAYOUT_PAGE_SIZE <= LAYOUT_HIGH_RAM);
	CHECK(LAYOUT_KVM_IDENTITY_MAP + LAYOUT_PAGE_SIZE <= LAYOUT_KVM_TSS);
	CHECK(LAYOUT_KVM_IDENTITY_MAP > LAYOUT_LAPIC);
}

TEST(x86_max_vcpus_falls_back_to_4_without_an_answer_from_kvm)
{
	CHECK_EQ(arch_max_vcpus(-1), 4); /* api.rst: no KVM_CAP_NR_VCPUS means 4 */
}
