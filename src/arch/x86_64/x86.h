/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Internals of the x86_64 arch layer. Everything here but the *_kvm functions
 * is pure: it takes a struct gmem or plain arrays and never touches /dev/kvm, so
 * the unit tests drive it directly (tests/unit/test_x86_*.c).
 */
#ifndef LIBKRUN_ARCH_X86_64_X86_H
#define LIBKRUN_ARCH_X86_64_X86_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <asm/bootparam.h>
#include <linux/kvm.h>

#include "vmm/arch.h"
#include "vmm/gmem.h"
#include "vmm/vcpu_exit.h"

/* e820 entry types (ACPI address range types, as in the zero page). */
#define X86_E820_RAM 1
#define X86_E820_RESERVED 2

/* ram.c: the e820 map Linux gets, derived from the RAM regions. Low RAM stops
 * at the EBDA; 640 KiB..1 MiB is left out; the EBDA page is reserved. */
int x86_e820_build(const struct gmem *m, struct boot_e820_entry *e, unsigned int max,
		   unsigned int *n);

/* loader.c: what loading a kernel leaves for the rest of the boot setup. */
struct x86_kernel {
	uint64_t entry;          /* 64-bit entry point (GPA) */
	uint64_t start;          /* lowest GPA the kernel occupies */
	uint64_t end;            /* first GPA above all the kernel needs */
	uint64_t initrd_max;     /* highest byte address the initrd may use */
	uint32_t cmdline_max;    /* bytes, NUL included */
	bool has_hdr;            /* bzImage: hdr holds the image's setup header */
	struct setup_header hdr;
};

/* Loads b->kernel (ELF, bzImage or RAW) into guest memory. -EINVAL for a
 * malformed image, -ENOMEM if it does not fit in RAM. Logs the reason. */
int x86_load_kernel(const struct gmem *m, const struct boot_spec *b, struct x86_kernel *k);

/* boot.c */
/* Highest page-aligned GPA for an initrd of `size` bytes: below the end of the
 * RAM region at 0, below k->initrd_max, above k->end (or, for a kernel that
 * starts above both limits, above the boot area). -ENOMEM if none. */
int x86_initrd_place(const struct gmem *m, const struct x86_kernel *k, uint64_t size,
		     uint64_t *gpa);
/* Loads everything (kernel, initrd, command line, zero page, MP table, SMBIOS
 * tables, page tables, GDT) and returns the boot vCPU's entry point. */
int x86_boot_write(const struct gmem *m, const struct boot_spec *b, unsigned int nvcpus,
		   uint64_t *entry);

/* mptable.c: MP floating pointer and configuration table (Intel MP spec 1.4)
 * for ncpus processors with APIC ids 0..ncpus-1, in the EBDA. */
#define X86_MPTABLE_MAX_CPUS 190
int x86_mptable_write(const struct gmem *m, unsigned int ncpus);

/* smbios.c: the SMBIOS entry point and tables (vmm/smbios.h) at LAYOUT_SMBIOS,
 * with the n OEM strings. -ENOMEM without RAM there, -EINVAL or -ENOSPC for
 * strings smbios_oem_check would refuse. */
int x86_smbios_write(const struct gmem *m, const char *const *oem, size_t n);

/* cpu.c: boot page tables and GDT in guest memory, and the register values of
 * the boot vCPU at the 64-bit entry. */
int x86_page_tables_write(const struct gmem *m);
int x86_gdt_write(const struct gmem *m);
void x86_sregs_long_mode(struct kvm_sregs *s);
void x86_regs_boot(struct kvm_regs *r, uint64_t entry);

/* cpuid.c: turns KVM's supported table into one vCPU's table. */
struct x86_cpuid_params {
	unsigned int apic_id;  /* this vCPU (KVM makes the LAPIC id = vcpu id) */
	unsigned int nvcpus;   /* all cores of the one package */
	uint32_t tsc_khz;      /* 0 if unknown */
	bool tsc_deadline;     /* KVM_CAP_TSC_DEADLINE_TIMER */
	/* krun_set_nested_virt: keep the virtualization extensions KVM offers
	 * (VMX or SVM, with SVM's leaf 0x8000000A); otherwise they are hidden. */
	bool nested;
	/* The host's processor brand string (leaves 0x80000002..4, EAX EBX ECX
	 * EDX each), or NULL: KVM_GET_SUPPORTED_CPUID leaves those leaves zero,
	 * which Linux shows as "model name: 17/01". */
	const uint32_t *brand;
};
/* Whether the entries (KVM_GET_SUPPORTED_CPUID's) offer VMX or SVM. Pure. */
bool x86_cpuid_has_virt(const struct kvm_cpuid_entry2 *e, unsigned int n);
/* Edits e[0..*n) in place; may append one entry (the TSC leaf) if *n < cap.
 * -EINVAL for bad params, -ENOSPC if the TSC leaf has no room. */
int x86_cpuid_filter(struct kvm_cpuid_entry2 *e, unsigned int *n, unsigned int cap,
		     const struct x86_cpuid_params *p);

/* pio.c: one port access (the part of arch_handle_exit that needs no KVM).
 * data holds `size` bytes: written for an in, read for an out. */
void x86_pio(struct vm *vm, struct vcpu *v, uint16_t port, bool out, uint8_t *data,
	     unsigned int size);

/* exit_report.c: the pure part of arch_fault_state. A translator turns a
 * guest-linear address into a GPA: 0, -EFAULT if the guest does not map it,
 * or another -errno if it could not be asked (KVM_TRANSLATE in the VMM). */
typedef int (*x86_xlate_fn)(void *opaque, uint64_t la, uint64_t *gpa);
/* Fills st->insn (empty on entry) with up to VCPU_FAULT_INSN_MAX bytes at
 * linear address la, translating each page and reading only through
 * gmem_read; stops at the first page that is unmapped or outside guest RAM.
 * st->insn_note says where the bytes are, or why there are fewer. */
void x86_insn_fetch(const struct gmem *m, uint64_t la, x86_xlate_fn xlate, void *opaque,
		    struct vcpu_fault_state *st);
/* Fills st from the registers: RIP, the mode (CS base, long mode, CPL) and,
 * unless st->insn_len is already set, the bytes at CS:RIP (x86_insn_fetch). */
void x86_fault_fill(const struct gmem *m, const struct kvm_regs *regs,
		    const struct kvm_sregs *s, x86_xlate_fn xlate, void *opaque,
		    struct vcpu_fault_state *st);

#endif
