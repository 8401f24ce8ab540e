/* SPDX-License-Identifier: Apache-2.0 */
/* Guest RAM around the 32-bit MMIO hole, the e820 map, virtio-mmio windows. */
#include <errno.h>

#include "arch/x86_64/layout.h"
#include "arch/x86_64/x86.h"
#include "util/log.h"
#include "vmm/arch.h"

static const uint8_t virtio_gsis[] = LAYOUT_VIRTIO_GSIS;

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

int arch_ram_layout(uint64_t ram_bytes, struct gmem_region *regions, unsigned int *n)
{
	if (ram_bytes < LAYOUT_RAM_MIN || ram_bytes > LAYOUT_RAM_MAX ||
	    ram_bytes % LAYOUT_PAGE_SIZE) {
		log_error("x86: guest RAM of %llu bytes: need a multiple of 4 KiB "
			  "between %llu MiB and %llu GiB",
			  (unsigned long long)ram_bytes, LAYOUT_RAM_MIN >> 20,
			  LAYOUT_RAM_MAX >> 30);
		return -EINVAL;
	}
	regions[0] = (struct gmem_region){ .gpa = 0 };
	if (ram_bytes <= LAYOUT_MMIO_HOLE) {
		regions[0].size = ram_bytes;
		*n = 1;
		return 0;
	}
	regions[0].size = LAYOUT_MMIO_HOLE;
	regions[1] = (struct gmem_region){ .gpa = LAYOUT_HIGH_RAM,
					   .size = ram_bytes - LAYOUT_MMIO_HOLE };
	*n = 2;
	return 0;
}

static int e820_add(struct boot_e820_entry *e, unsigned int max, unsigned int *n,
		    uint64_t addr, uint64_t size, uint32_t type)
{
	if (size == 0)
		return 0;
	if (*n >= max)
		return -ENOSPC;
	e[*n] = (struct boot_e820_entry){ .addr = addr, .size = size, .type = type };
	(*n)++;
	return 0;
}

int x86_e820_build(const struct gmem *m, struct boot_e820_entry *e, unsigned int max,
		   unsigned int *n)
{
	int r = 0;

	*n = 0;
	/* The low structures (zero page, tables, EBDA) live in the region at 0,
	 * which must reach past 1 MiB for the kernel to have anywhere to go. */
	if (m->nregions == 0 || m->region[0].gpa != 0 || m->region[0].size <= LAYOUT_HIMEM) {
		log_error("x86: guest RAM must start at 0 and extend past 1 MiB");
		return -EINVAL;
	}
	r |= e820_add(e, max, n, 0, LAYOUT_LOW_RAM_END, X86_E820_RAM);
	r |= e820_add(e, max, n, LAYOUT_EBDA, LAYOUT_EBDA_SIZE, X86_E820_RESERVED);
	r |= e820_add(e, max, n, LAYOUT_HIMEM, m->region[0].size - LAYOUT_HIMEM, X86_E820_RAM);
	for (unsigned int i = 1; i < m->nregions; i++)
		r |= e820_add(e, max, n, m->region[i].gpa, m->region[i].size, X86_E820_RAM);
	if (r) {
		log_error("x86: e820 table full");
		return -ENOSPC;
	}
	return 0;
}

uint64_t arch_shm_base(const struct gmem *m)
{
	const struct gmem_region *last = &m->region[m->nregions - 1];
	uint64_t end = last->gpa + last->size;

	/* Above 4 GiB and above RAM, on a 1 GiB boundary: Linux maps a shared
	 * memory region with ZONE_DEVICE pages, which want a section-aligned
	 * start (128 MiB on x86_64); 1 GiB keeps the direct map's large pages. */
	if (end < LAYOUT_HIGH_RAM)
		end = LAYOUT_HIGH_RAM;
	return (end + LAYOUT_SHM_ALIGN - 1) & ~(LAYOUT_SHM_ALIGN - 1);
}

uint64_t arch_shm_limit(void)
{
	return LAYOUT_PHYS_LIMIT;
}

uint64_t arch_virtio_mmio_base(unsigned int i)
{
	return LAYOUT_VIRTIO_MMIO + (uint64_t)i * LAYOUT_VIRTIO_MMIO_SIZE;
}

uint32_t arch_virtio_gsi(unsigned int i)
{
	return i < NELEM(virtio_gsis) ? virtio_gsis[i] : 0;
}

uint32_t arch_serial_gsi(void)
{
	return LAYOUT_COM1_GSI;
}

unsigned int arch_max_virtio_devices(void)
{
	return NELEM(virtio_gsis) < VM_MAX_MMIO ? NELEM(virtio_gsis) : VM_MAX_MMIO;
}
