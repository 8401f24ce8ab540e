/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Every guest-physical address the x86_64 VMM uses, in one place.
 *
 *   0x0000_0000  IVT (zero)                      } first 1 MiB: Linux >= 5.13
 *   0x0000_0400  BDA: EBDA segment, base memory   } reserves all of it at boot,
 *   0x0000_0500  boot GDT, then the boot IDT      } so nothing here is reused
 *   0x0000_7000  zero page (struct boot_params)   } before the kernel has copied
 *   0x0000_8ff0  boot stack top (grows down)      } what it needs (boot_params,
 *   0x0000_9000  page tables: PML4, PDPT, 4 PDs   } command line) or built its
 *   0x0002_0000  kernel command line             } own tables (GDT, paging)
 *   0x0009_f000  EBDA: MP floating pointer + MP configuration table
 *   0x000a_0000  legacy VGA / BIOS area: RAM in the memslot, not in e820
 *   0x000f_0000  SMBIOS entry point and tables (in that area: not in e820)
 *   0x0010_0000  bzImage protected-mode code (boot.rst: "load at 0x100000")
 *   0x0100_0000  ELF / flat kernels (CONFIG_PHYSICAL_START, 16 MiB)
 *   ...          initrd at the top of low RAM (below 2 GiB or initrd_addr_max)
 *   0x8000_0000  a KRUN_KERNEL_FORMAT_RAW file (upstream's address)
 *   0xc000_0000  32-bit MMIO hole: no RAM from here to 4 GiB
 *   0xd000_0000  virtio-mmio windows, 4 KiB each
 *   0xfec0_0000  IOAPIC (KVM in-kernel, the address KVM emulates)
 *   0xfee0_0000  LAPIC  (KVM in-kernel)
 *   0xfffb_c000  KVM identity-map page (VMX real-mode support, 1 page)
 *   0xfffb_d000  KVM TSS (3 pages)
 *   0x1_0000_0000 RAM above 3 GiB continues here
 *   then, on a 1 GiB boundary past RAM: shared memory regions (DAX windows)
 */
#ifndef LIBKRUN_ARCH_X86_64_LAYOUT_H
#define LIBKRUN_ARCH_X86_64_LAYOUT_H

#define LAYOUT_PAGE_SIZE 0x1000ULL

/* BIOS Data Area words the kernel reads (reserve_bios_regions, get_bios_ebda). */
#define LAYOUT_BDA_EBDA_SEG 0x40eULL  /* u16: EBDA start >> 4 */
#define LAYOUT_BDA_BASE_KIB 0x413ULL  /* u16: base memory size in KiB */

/* The 64-bit boot protocol (boot.rst "64-bit Boot Protocol") wants a GDT with
 * __BOOT_CS = 0x10 and __BOOT_DS = 0x18; entry 4 is a TSS for KVM's TR checks. */
#define LAYOUT_GDT 0x500ULL
#define LAYOUT_GDT_ENTRIES 6 /* null, null, code, data, TSS (16 bytes) */
#define LAYOUT_IDT 0x580ULL  /* one empty gate: faults before the kernel's IDT triple-fault */
#define LAYOUT_BOOT_CS 0x10
#define LAYOUT_BOOT_DS 0x18
#define LAYOUT_BOOT_TSS 0x20

#define LAYOUT_ZERO_PAGE 0x7000ULL
#define LAYOUT_BOOT_STACK 0x8ff0ULL

/* Identity map of the first 4 GiB with 2 MiB pages: boot.rst requires the kernel,
 * zero page and command line to be identity-mapped at the 64-bit entry. */
#define LAYOUT_PML4 0x9000ULL
#define LAYOUT_PDPT 0xa000ULL
#define LAYOUT_PD 0xb000ULL /* 4 pages: 0xb000..0xefff */
#define LAYOUT_IDENTITY_GIB 4

/* x86 COMMAND_LINE_SIZE is 2048 in Linux 6.1 (arch/x86/include/asm/setup.h), NUL
 * included; the kernel copies that many bytes from cmd_line_ptr whatever the
 * string's length, so the whole area is zeroed. A bzImage may declare a larger
 * hdr.cmdline_size, honoured up to the area. */
#define LAYOUT_CMDLINE 0x20000ULL
#define LAYOUT_CMDLINE_AREA 0x10000ULL
#define LAYOUT_CMDLINE_DEFAULT_MAX 2048U

/* MP spec 1.4 §4: the floating pointer may be "in the first kilobyte of the
 * EBDA"; the BDA points there so Linux's get_bios_ebda() scan finds it. The
 * configuration table follows it in the same page (room for ~190 CPUs). */
#define LAYOUT_EBDA 0x9f000ULL
#define LAYOUT_EBDA_SIZE 0x1000ULL
#define LAYOUT_LOW_RAM_END LAYOUT_EBDA /* e820 RAM below 640 KiB */

/* DSP0134 3.x §5.2.2: without EFI, software finds the SMBIOS entry point by
 * its anchor on a 16-byte boundary in 0xF0000-0xFFFFF (Linux: dmi_scan_machine's
 * non-EFI fallback). The tables follow it in the same 64 KiB, which e820 leaves
 * out like the rest of 640 KiB..1 MiB: the kernel never takes it for RAM. */
#define LAYOUT_SMBIOS 0xf0000ULL
#define LAYOUT_SMBIOS_SIZE 0x10000ULL

#define LAYOUT_HIMEM 0x100000ULL          /* 1 MiB: e820 RAM resumes here */
#define LAYOUT_BZIMAGE_LOAD LAYOUT_HIMEM  /* protected-mode part of a bzImage */
#define LAYOUT_BZIMAGE_ENTRY_OFF 0x200ULL /* its 64-bit entry (XLF_KERNEL_64) */
#define LAYOUT_KERNEL_LOAD 0x1000000ULL   /* 16 MiB, for reference */
/* A KRUN_KERNEL_FORMAT_RAW file: load address and entry, upstream's 2 GiB. The
 * guest needs RAM past it (more than 2 GiB) for the image and its bss. */
#define LAYOUT_RAW_KERNEL 0x80000000ULL

/* boot.rst: initrd_addr_max of x86_64 kernels is 0x7fffffff; a bzImage states
 * its own. ELF and flat images have no header, so that value is assumed. */
#define LAYOUT_INITRD_ADDR_MAX 0x7fffffffULL

/* 32-bit MMIO hole and RAM above it. */
#define LAYOUT_MMIO_HOLE 0xc0000000ULL
#define LAYOUT_HIGH_RAM 0x100000000ULL
/* Guest RAM limits. The top bound keeps every RAM address below 2^39 (the
 * smallest physical address width of current x86 hosts) with room to spare. */
#define LAYOUT_RAM_MIN (32ULL << 20)
#define LAYOUT_RAM_MAX (256ULL << 30)
/* Device shared memory (virtio-fs DAX windows) goes above RAM, within the same
 * 2^39 bound. */
#define LAYOUT_SHM_ALIGN (1ULL << 30)
#define LAYOUT_PHYS_LIMIT (1ULL << 39)

#define LAYOUT_VIRTIO_MMIO 0xd0000000ULL
#define LAYOUT_VIRTIO_MMIO_SIZE 0x1000ULL

#define LAYOUT_IOAPIC 0xfec00000ULL
#define LAYOUT_LAPIC 0xfee00000ULL
#define LAYOUT_KVM_IDENTITY_MAP 0xfffbc000ULL
#define LAYOUT_KVM_TSS 0xfffbd000ULL

/*
 * Interrupt lines for virtio-mmio devices: KVM's default routing sends GSI n to
 * IOAPIC pin n (and PIC line n below 16), so a GSI is also the ISA IRQ the MP
 * table declares. Left out: 0 timer, 1 keyboard, 2 cascade, 3/4 COM2/COM1,
 * 8 RTC (KVM's IOAPIC tracks pin 8 for RTC coalescing), 12 PS/2 mouse.
 */
#define LAYOUT_VIRTIO_GSIS                                                     \
	{ 5, 6, 7, 9, 10, 11, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23 }

/* KVM's IOAPIC has 24 pins (KVM_IOAPIC_NUM_PINS). */
#define LAYOUT_IOAPIC_PINS 24

/* Legacy I/O ports the VMM answers (everything else: writes ignored, reads ~0). */
#define LAYOUT_PORT_COM1 0x3f8
#define LAYOUT_COM1_GSI 4 /* ISA IRQ 4, as the 8250 driver's legacy table has it */
#define LAYOUT_PORT_I8042_CMD 0x64

#endif
