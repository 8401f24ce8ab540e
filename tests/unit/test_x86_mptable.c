/* SPDX-License-Identifier: Apache-2.0 */
/* MP table (Intel MP spec 1.4) as a kernel's mpparse.c reads it. */
#include <errno.h>

#include "test_x86_util.h"

struct mp_counts {
	unsigned int cpus, bsp, buses, ioapics, intsrc, lint, entries;
	uint8_t ioapic_id;
};

/* Scans the EBDA's first KiB for the floating pointer like Linux's
 * smp_scan_config, checks both checksums and walks the entries. */
static struct mp_counts mp_parse(const struct gmem *m)
{
	struct mp_counts c = { 0 };
	const uint8_t *ebda = x86_test_at(m, LAYOUT_EBDA, 1024), *mpf = NULL;

	for (unsigned int off = 0; off < 1024; off += 16)
		if (memcmp(ebda + off, "_MP_", 4) == 0) {
			mpf = ebda + off;
			break;
		}
	CHECK(mpf != NULL);
	CHECK_EQ(mpf[8], 1);  /* length in paragraphs */
	CHECK_EQ(mpf[9], 4);  /* spec 1.4 */
	CHECK_EQ(mpf[11], 0); /* feature byte 1: a table follows */
	CHECK_EQ(x86_test_sum(mpf, 16), 0);

	uint32_t physptr;
	uint16_t len, count;
	memcpy(&physptr, mpf + 4, 4);
	const uint8_t *t = x86_test_at(m, physptr, 44);
	CHECK(memcmp(t, "PCMP", 4) == 0);
	memcpy(&len, t + 4, 2);
	memcpy(&count, t + 34, 2);
	CHECK(physptr + len <= LAYOUT_EBDA + LAYOUT_EBDA_SIZE);
	CHECK_EQ(x86_test_sum(x86_test_at(m, physptr, len), len), 0);
	uint32_t lapic;
	memcpy(&lapic, t + 36, 4);
	CHECK_EQ(lapic, LAYOUT_LAPIC);

	for (const uint8_t *e = t + 44; e < t + len; c.entries++) {
		switch (e[0]) {
		case 0:
			CHECK_EQ(e[1], c.cpus); /* APIC ids 0..n-1 in order */
			CHECK(e[3] & 1);        /* enabled */
			c.bsp += (e[3] & 2) ? 1 : 0;
			CHECK_EQ(!!(e[3] & 2), c.cpus == 0);
			c.cpus++;
			e += 20;
			break;
		case 1:
			CHECK(memcmp(e + 2, "ISA   ", 6) == 0);
			c.buses++;
			e += 8;
			break;
		case 2:
			c.ioapic_id = e[1];
			CHECK_EQ(e[2], 0x11);
			uint32_t addr;
			memcpy(&addr, e + 4, 4);
			CHECK_EQ(addr, LAYOUT_IOAPIC);
			c.ioapics++;
			e += 8;
			break;
		case 3:
			CHECK_EQ(e[5], e[7]); /* ISA IRQ n -> pin n */
			CHECK_EQ(e[5], c.intsrc);
			CHECK_EQ(e[6], c.ioapic_id);
			c.intsrc++;
			e += 8;
			break;
		case 4:
			CHECK_EQ(e[1], c.lint == 0 ? 3 : 1); /* ExtINT on LINT0, then NMI */
			CHECK_EQ(e[7], c.lint);
			c.lint++;
			e += 8;
			break;
		default:
			CHECK(!"unknown MP entry type");
		}
	}
	CHECK_EQ(count, c.entries);
	return c;
}

static void check_cpus(unsigned int n)
{
	struct gmem m;

	x86_test_mem(&m, 64 * 1048576ULL);
	CHECK_EQ(x86_mptable_write(&m, n), 0);
	struct mp_counts c = mp_parse(&m);
	CHECK_EQ(c.cpus, n);
	CHECK_EQ(c.bsp, 1);
	CHECK_EQ(c.buses, 1);
	CHECK_EQ(c.ioapics, 1);
	CHECK_EQ(c.ioapic_id, n);
	CHECK_EQ(c.intsrc, 24);
	CHECK_EQ(c.lint, 2);
	gmem_destroy(&m);
}

TEST(x86_mptable_for_1_cpu_has_valid_checksums_and_entries)
{
	check_cpus(1);
}

TEST(x86_mptable_for_16_cpus_lists_each_with_one_bsp)
{
	check_cpus(16);
}

TEST(x86_mptable_fits_the_ebda_up_to_its_cpu_limit)
{
	check_cpus(VM_MAX_VCPUS);
	check_cpus(X86_MPTABLE_MAX_CPUS);
}

TEST(x86_mptable_rejects_0_or_too_many_cpus_and_missing_ram)
{
	struct gmem m;
	struct gmem none = { 0 };

	x86_test_mem(&m, 64 * 1048576ULL);
	CHECK_EQ(x86_mptable_write(&m, 0), -EINVAL);
	CHECK_EQ(x86_mptable_write(&m, X86_MPTABLE_MAX_CPUS + 1), -EINVAL);
	CHECK_EQ(x86_mptable_write(&m, 255), -EINVAL);
	CHECK_EQ(x86_mptable_write(&none, 1), -ENOMEM);
	gmem_destroy(&m);
}
