/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Boot setup for the 64-bit boot protocol (Documentation/arch/x86/boot.rst,
 * "64-bit Boot Protocol"; zero-page.rst): kernel, initrd, command line, the zero
 * page with its e820 map, the MP table, the SMBIOS tables, page tables and GDT.
 */
#include <errno.h>
#include <string.h>

#include "arch/x86_64/ioapic.h"
#include "arch/x86_64/layout.h"
#include "arch/x86_64/x86.h"
#include "util/log.h"

#define HDR_MAGIC 0x53726448 /* "HdrS" */
#define LOADER_UNDEFINED 0xff /* boot.rst type_of_loader: "undefined" */

static uint64_t page_up(uint64_t x)
{
	return (x + LAYOUT_PAGE_SIZE - 1) & ~(LAYOUT_PAGE_SIZE - 1);
}

int x86_initrd_place(const struct gmem *m, const struct x86_kernel *k, uint64_t size,
		     uint64_t *gpa)
{
	uint64_t top, start, floor;

	if (m->nregions == 0 || m->region[0].gpa != 0)
		return -EINVAL;
	/* The initrd stays in the region at 0 (below the MMIO hole): it must be
	 * wholly inside one region, and initrd_addr_max is below 4 GiB anyway. */
	top = m->region[0].size;
	if (k->initrd_max < top - 1)
		top = k->initrd_max + 1;
	if (size == 0 || size > top) {
		log_error("x86: initrd of %llu bytes does not fit below 0x%llx",
			  (unsigned long long)size, (unsigned long long)top);
		return -ENOMEM;
	}
	start = (top - size) & ~(LAYOUT_PAGE_SIZE - 1);
	/* Above the kernel; or, below a kernel wholly above this window (a RAW
	 * image at 2 GiB, initrd_max 2 GiB - 1), above the boot area only. */
	if (k->start >= top)
		floor = LAYOUT_HIMEM;
	else
		floor = k->end > UINT64_MAX - LAYOUT_PAGE_SIZE ? UINT64_MAX : page_up(k->end);
	if (start < floor) {
		log_error("x86: initrd of %llu bytes does not fit between 0x%llx (the kernel "
			  "[0x%llx, 0x%llx) or the boot area) and 0x%llx",
			  (unsigned long long)size, (unsigned long long)floor,
			  (unsigned long long)k->start, (unsigned long long)k->end,
			  (unsigned long long)top);
		return -ENOMEM;
	}
	*gpa = start;
	return 0;
}

/* The kernel copies COMMAND_LINE_SIZE bytes from cmd_line_ptr whatever the
 * string's length (copy_bootdata), so the area is cleared before the copy. */
static int cmdline_write(const struct gmem *m, const char *cmdline, uint32_t max)
{
	size_t len = cmdline ? strlen(cmdline) : 0;
	uint8_t *area = gmem_ptr(m, LAYOUT_CMDLINE, LAYOUT_CMDLINE_AREA);

	if (!area) {
		log_error("x86: no guest RAM for the command line at 0x%llx", LAYOUT_CMDLINE);
		return -ENOMEM;
	}
	if (len + 1 > max) {
		log_error("x86: kernel command line is %zu bytes; the kernel takes %u",
			  len, max - 1);
		return -E2BIG;
	}
	memset(area, 0, LAYOUT_CMDLINE_AREA);
	memcpy(area, cmdline ? cmdline : "", len);
	return 0;
}

static int zero_page_write(const struct gmem *m, const struct x86_kernel *k,
			   uint64_t initrd, uint64_t initrd_size)
{
	struct boot_params bp;
	struct setup_header *h = &bp.hdr;
	unsigned int n = 0;
	int r;

	memset(&bp, 0, sizeof(bp));
	if (k->has_hdr) {
		*h = k->hdr; /* boot.rst: copy the image's setup header, then edit it */
		h->loadflags &= (uint8_t)~CAN_USE_HEAP; /* no real-mode heap here */
		h->setup_data = 0; /* ours to set, and we pass none */
	} else {
		/* No header in an ELF or flat image: the fields the kernel reads. */
		h->boot_flag = 0xaa55;
		h->header = HDR_MAGIC;
		h->kernel_alignment = (uint32_t)LAYOUT_KERNEL_LOAD;
	}
	h->type_of_loader = LOADER_UNDEFINED;
	h->loadflags |= LOADED_HIGH;
	h->cmd_line_ptr = (uint32_t)LAYOUT_CMDLINE;
	h->cmdline_size = k->cmdline_max - 1;
	h->ramdisk_image = (uint32_t)initrd;
	h->ramdisk_size = (uint32_t)initrd_size;
	bp.ext_ramdisk_image = (uint32_t)(initrd >> 32);
	bp.ext_ramdisk_size = (uint32_t)(initrd_size >> 32);

	r = x86_e820_build(m, bp.e820_table, E820_MAX_ENTRIES_ZEROPAGE, &n);
	if (r < 0)
		return r;
	bp.e820_entries = (uint8_t)n;
	if (gmem_write(m, LAYOUT_ZERO_PAGE, &bp, sizeof(bp)) < 0) {
		log_error("x86: no guest RAM for the zero page at 0x%llx", LAYOUT_ZERO_PAGE);
		return -ENOMEM;
	}
	return 0;
}

/* BDA words Linux reads: the EBDA pointer (get_bios_ebda, so the MP table in the
 * EBDA is found) and the base memory size (reserve_bios_regions). */
static int bda_write(const struct gmem *m)
{
	const uint16_t ebda_seg = (uint16_t)(LAYOUT_EBDA >> 4);
	const uint16_t base_kib = (uint16_t)(LAYOUT_EBDA >> 10);

	if (gmem_write(m, LAYOUT_BDA_EBDA_SEG, &ebda_seg, sizeof(ebda_seg)) < 0 ||
	    gmem_write(m, LAYOUT_BDA_BASE_KIB, &base_kib, sizeof(base_kib)) < 0) {
		log_error("x86: no guest RAM for the BIOS data area");
		return -ENOMEM;
	}
	return 0;
}

int x86_boot_write(const struct gmem *m, const struct boot_spec *b, unsigned int nvcpus,
		   uint64_t *entry)
{
	struct x86_kernel k;
	uint64_t initrd = 0, initrd_size = 0;
	int r;

	r = x86_load_kernel(m, b, &k);
	if (r < 0)
		return r;
	if (b->initrd && b->initrd_size) {
		initrd_size = b->initrd_size;
		r = x86_initrd_place(m, &k, initrd_size, &initrd);
		if (r < 0)
			return r;
		r = gmem_write(m, initrd, b->initrd, initrd_size);
		if (r < 0) {
			log_error("x86: cannot copy the initrd to 0x%llx",
				  (unsigned long long)initrd);
			return r;
		}
	}
	r = cmdline_write(m, b->cmdline, k.cmdline_max);
	if (r == 0)
		r = zero_page_write(m, &k, initrd, initrd_size);
	if (r == 0)
		r = bda_write(m);
	if (r == 0)
		r = x86_mptable_write(m, nvcpus);
	if (r == 0)
		r = x86_smbios_write(m, b->oem_strings, b->noem_strings);
	if (r == 0)
		r = x86_page_tables_write(m);
	if (r == 0)
		r = x86_gdt_write(m);
	if (r == 0)
		*entry = k.entry;
	return r; /* each step logged its own failure */
}

int arch_boot_setup(struct vm *vm, const struct boot_spec *b)
{
	struct ioapic *io = vm->arch_irqchip;

	/* A split irqchip's IOAPIC answers with the id the MP table gives it
	 * (x86_mptable_write: the one after the CPUs' APIC ids). */
	if (io)
		io->id = (uint8_t)(vm->nvcpus & 0xf);
	return x86_boot_write(&vm->mem, b, vm->nvcpus, &vm->boot_entry);
}
