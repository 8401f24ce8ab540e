/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The boot vCPU's state at the 64-bit entry (boot.rst "64-bit Boot Protocol"):
 * long mode with paging, an identity map covering the kernel, zero page and
 * command line, a GDT with __BOOT_CS 0x10 / __BOOT_DS 0x18, interrupts off,
 * %rsi = zero page. No ioctls here: vcpu.c hands these values to KVM.
 */
#include <errno.h>
#include <string.h>

#include "arch/x86_64/layout.h"
#include "arch/x86_64/x86.h"
#include "util/log.h"

#define PTE_P 0x1ULL
#define PTE_RW 0x2ULL
#define PTE_PS 0x80ULL /* 2 MiB page in a PD entry */
#define ENTRIES 512

#define CR0_PE 0x1ULL
#define CR0_ET 0x10ULL
#define CR0_NE 0x20ULL
#define CR0_PG 0x80000000ULL
#define CR4_PAE 0x20ULL
#define EFER_LME 0x100ULL
#define EFER_LMA 0x400ULL

/* GDT descriptors (SDM vol. 3 §3.4.5): base 0, limit 0xfffff pages. */
#define GDT_CODE64 0x00af9b000000ffffULL /* G, L, P, S, execute/read, accessed */
#define GDT_DATA 0x00cf93000000ffffULL   /* G, D/B, P, S, read/write, accessed */
#define GDT_TSS64 0x00008b0000000067ULL  /* P, busy 64-bit TSS, limit 0x67 */
#define SEG_TYPE_CODE 11
#define SEG_TYPE_DATA 3
#define SEG_TYPE_TSS_BUSY 11
#define TSS_LIMIT 0x67

static void put_u64(uint8_t *page, unsigned int i, uint64_t v)
{
	memcpy(page + (size_t)i * sizeof(v), &v, sizeof(v));
}

int x86_page_tables_write(const struct gmem *m)
{
	uint8_t *pml4 = gmem_ptr(m, LAYOUT_PML4, LAYOUT_PAGE_SIZE);
	uint8_t *pdpt = gmem_ptr(m, LAYOUT_PDPT, LAYOUT_PAGE_SIZE);
	uint8_t *pd = gmem_ptr(m, LAYOUT_PD, LAYOUT_IDENTITY_GIB * LAYOUT_PAGE_SIZE);

	if (!pml4 || !pdpt || !pd) {
		log_error("x86: no guest RAM for the boot page tables at 0x%llx", LAYOUT_PML4);
		return -ENOMEM;
	}
	memset(pml4, 0, LAYOUT_PAGE_SIZE);
	memset(pdpt, 0, LAYOUT_PAGE_SIZE);
	put_u64(pml4, 0, LAYOUT_PDPT | PTE_P | PTE_RW);
	for (unsigned int g = 0; g < LAYOUT_IDENTITY_GIB; g++) {
		put_u64(pdpt, g, (LAYOUT_PD + g * LAYOUT_PAGE_SIZE) | PTE_P | PTE_RW);
		for (unsigned int i = 0; i < ENTRIES; i++) {
			uint64_t addr = ((uint64_t)g << 30) | ((uint64_t)i << 21);
			put_u64(pd, g * ENTRIES + i, addr | PTE_P | PTE_RW | PTE_PS);
		}
	}
	return 0;
}

int x86_gdt_write(const struct gmem *m)
{
	const uint64_t gdt[LAYOUT_GDT_ENTRIES] = { 0, 0, GDT_CODE64, GDT_DATA, GDT_TSS64, 0 };
	const uint64_t idt[2] = { 0, 0 };

	if (gmem_write(m, LAYOUT_GDT, gdt, sizeof(gdt)) < 0 ||
	    gmem_write(m, LAYOUT_IDT, idt, sizeof(idt)) < 0) {
		log_error("x86: no guest RAM for the boot GDT at 0x%llx", LAYOUT_GDT);
		return -ENOMEM;
	}
	return 0;
}

static struct kvm_segment segment(uint16_t selector, uint8_t type, bool code)
{
	return (struct kvm_segment){
		.base = 0,
		.limit = 0xffffffff,
		.selector = selector,
		.type = type,
		.present = 1,
		.s = 1,
		.l = code,
		.db = !code,
		.g = 1,
	};
}

/* Edits the state KVM_GET_SREGS returned, keeping what it does not set (LDT,
 * APIC base, interrupt bitmap). */
void x86_sregs_long_mode(struct kvm_sregs *s)
{
	const struct kvm_segment data = segment(LAYOUT_BOOT_DS, SEG_TYPE_DATA, false);

	s->cs = segment(LAYOUT_BOOT_CS, SEG_TYPE_CODE, true);
	s->ds = s->es = s->fs = s->gs = s->ss = data;
	s->tr = (struct kvm_segment){ .selector = LAYOUT_BOOT_TSS, .limit = TSS_LIMIT,
				      .type = SEG_TYPE_TSS_BUSY, .present = 1 };
	s->gdt.base = LAYOUT_GDT;
	s->gdt.limit = LAYOUT_GDT_ENTRIES * 8 - 1;
	s->idt.base = LAYOUT_IDT;
	s->idt.limit = 16 - 1;
	/* CR0 is set whole so the reset value's CD and NW (caches off) go. */
	s->cr0 = CR0_PE | CR0_ET | CR0_NE | CR0_PG;
	s->cr3 = LAYOUT_PML4;
	s->cr4 = CR4_PAE;
	s->efer = EFER_LME | EFER_LMA;
}

void x86_regs_boot(struct kvm_regs *r, uint64_t entry)
{
	memset(r, 0, sizeof(*r));
	r->rflags = 0x2; /* bit 1 is reserved as 1; IF clear */
	r->rip = entry;
	r->rsp = LAYOUT_BOOT_STACK;
	r->rbp = LAYOUT_BOOT_STACK;
	r->rsi = LAYOUT_ZERO_PAGE;
}
