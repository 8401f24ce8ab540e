/* SPDX-License-Identifier: Apache-2.0 */
/* SMBIOS on x86: where the tables go, found the way a kernel without EFI finds them. */
#include <errno.h>

#include "smbios_parse.h"
#include "test_x86_util.h"
#include "vmm/smbios.h"

#define MiB (1ULL << 20)

/* Linux dmi_scan_machine's non-EFI fallback: 0xF0000..0xFFFFF on 16-byte
 * boundaries, "_SM3_" with a length of 24..32 that sums to 0. The address of
 * the entry point found, or 0. */
static uint64_t dmi_scan(const struct gmem *m)
{
	const uint8_t *w = x86_test_at(m, 0xf0000, 0x10000);

	for (unsigned int off = 0; off + 32 <= 0x10000; off += 16)
		if (!memcmp(w + off, "_SM3_", 5) && w[off + 6] >= 24 && w[off + 6] <= 32 &&
		    smb_sum(w + off, w[off + 6]) == 0)
			return 0xf0000 + off;
	return 0;
}

static bool overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a < b + blen && b < a + alen;
}

TEST(x86_smbios_window_is_clear_of_the_other_boot_structures)
{
	static const uint64_t areas[][2] = {
		{ 0, 0x500 },                                  /* IVT, BDA */
		{ LAYOUT_GDT, 0x100 },                         /* GDT, IDT */
		{ LAYOUT_ZERO_PAGE, LAYOUT_PAGE_SIZE },
		{ LAYOUT_BOOT_STACK - 0x1000, 0x1000 },
		{ LAYOUT_PML4, LAYOUT_PD + 4 * LAYOUT_PAGE_SIZE - LAYOUT_PML4 },
		{ LAYOUT_CMDLINE, LAYOUT_CMDLINE_AREA },
		{ LAYOUT_EBDA, LAYOUT_EBDA_SIZE },
		{ LAYOUT_HIMEM, 1ULL << 40 },                  /* kernels, initrd, RAM */
	};

	CHECK_EQ(LAYOUT_SMBIOS, 0xf0000); /* the window's start: scanned first */
	CHECK_EQ(LAYOUT_SMBIOS + LAYOUT_SMBIOS_SIZE, 0x100000);
	CHECK_EQ(arch_smbios_room(), LAYOUT_SMBIOS_SIZE);
	for (unsigned int i = 0; i < sizeof(areas) / sizeof(areas[0]); i++)
		if (overlaps(LAYOUT_SMBIOS, LAYOUT_SMBIOS_SIZE, areas[i][0], areas[i][1]))
			harness_fail(__FILE__, __LINE__, "area %u overlaps the SMBIOS window", i);
}

TEST(x86_e820_gives_no_ram_in_the_smbios_window)
{
	struct boot_e820_entry e[E820_MAX_ENTRIES_ZEROPAGE];
	struct gmem m = { 0 };
	unsigned int n = 0;
	static const uint64_t sizes[] = { 32 * MiB, 3072 * MiB, 5120 * MiB };

	for (unsigned int s = 0; s < 3; s++) {
		CHECK_EQ(arch_ram_layout(sizes[s], m.region, &m.nregions), 0);
		CHECK_EQ(x86_e820_build(&m, e, E820_MAX_ENTRIES_ZEROPAGE, &n), 0);
		for (unsigned int i = 0; i < n; i++)
			if (e[i].type == X86_E820_RAM)
				CHECK(!overlaps(e[i].addr, e[i].size, LAYOUT_SMBIOS,
						LAYOUT_SMBIOS_SIZE));
	}
}

TEST(x86_smbios_write_is_found_by_the_dmi_scan_with_its_oem_strings)
{
	const char *const oem[] = { "one", "two", NULL };
	struct smb_tables t;
	struct gmem m;
	uint64_t ep;

	x86_test_mem(&m, 64 * MiB);
	CHECK_EQ(x86_smbios_write(&m, oem, 2), 0);
	ep = dmi_scan(&m);
	CHECK_EQ(ep, LAYOUT_SMBIOS);
	const uint8_t *p = x86_test_at(&m, ep, SMBIOS_ENTRY_LEN);
	uint64_t addr;
	uint32_t max;
	memcpy(&max, p + 12, 4);
	memcpy(&addr, p + 16, 8);
	CHECK(addr >= LAYOUT_SMBIOS && addr + max <= LAYOUT_SMBIOS + LAYOUT_SMBIOS_SIZE);
	smb_parse(p, x86_test_at(&m, addr, max), max, &t);
	const struct smb_struct *s = smb_find(&t, 11);
	CHECK(s != NULL);
	CHECK_EQ(s->nstr, 2);
	CHECK_STR_EQ(s->str[1], "one");
	CHECK_STR_EQ(s->str[2], "two");
	gmem_destroy(&m);
}

TEST(x86_smbios_write_refuses_what_does_not_fit_the_window)
{
	static char big[0x10000];
	const char *const oem[] = { big };
	struct gmem m;

	memset(big, 'z', sizeof(big) - 1);
	x86_test_mem(&m, 64 * MiB);
	CHECK_EQ(x86_smbios_write(&m, oem, 1), -ENOSPC);
	CHECK_EQ(dmi_scan(&m), 0); /* nothing half-written looks like an entry point */
	gmem_destroy(&m);
}
