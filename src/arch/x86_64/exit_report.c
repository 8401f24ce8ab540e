/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The x86 half of a fatal exit's report (src/vmm/vcpu_exit.c): RIP and the CPU
 * mode from KVM_GET_REGS / KVM_GET_SREGS (api.rst §4.11, §4.13), and the
 * instruction bytes at RIP, each page of them translated with KVM_TRANSLATE
 * (api.rst §4.15) and read through gmem, so that a RIP the guest pointed
 * anywhere reads nothing outside guest RAM.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "arch/x86_64/x86.h"
#include "vmm/vcpu_exit.h"

#define PAGE_SIZE 4096ULL
#define CR0_PE 0x1ULL
#define CR0_PG 0x80000000ULL
#define EFER_LMA 0x400ULL

bool arch_exit_handled(uint32_t exit_reason)
{
	return exit_reason == KVM_EXIT_IO;
}

static void describe_mode(const struct kvm_sregs *s, char *buf, size_t size)
{
	const char *mode;

	if (!(s->cr0 & CR0_PE))
		mode = "real mode";
	else if ((s->efer & EFER_LMA) && s->cs.l)
		mode = "64-bit long mode";
	else if (s->efer & EFER_LMA)
		mode = "compatibility mode";
	else
		mode = s->cs.db ? "32-bit protected mode" : "16-bit protected mode";
	snprintf(buf, size, "CS base %#llx, %s%s, CPL %u", (unsigned long long)s->cs.base, mode,
		 (s->cr0 & CR0_PG) ? " with paging" : "", s->cs.selector & 3U);
}

/* SDM vol. 3 §3.4.4 (and vol. 1 §3.3.7): in 64-bit mode the CS base counts as
 * 0 and RIP is the linear address; elsewhere CS base + EIP, 32 bits wide. */
static uint64_t rip_linear(const struct kvm_regs *regs, const struct kvm_sregs *s)
{
	if ((s->efer & EFER_LMA) && s->cs.l)
		return regs->rip;
	return (s->cs.base + regs->rip) & 0xffffffffULL;
}

void x86_insn_fetch(const struct gmem *m, uint64_t la, x86_xlate_fn xlate, void *opaque,
		    struct vcpu_fault_state *st)
{
	uint64_t first_gpa = 0;

	while (st->insn_len < VCPU_FAULT_INSN_MAX) {
		uint64_t at = la + st->insn_len, gpa;
		uint64_t chunk = PAGE_SIZE - (at & (PAGE_SIZE - 1));
		char why[64];
		int r;

		if (chunk > VCPU_FAULT_INSN_MAX - st->insn_len)
			chunk = VCPU_FAULT_INSN_MAX - st->insn_len;
		/* An instruction may cross a page: each page has its own mapping. */
		r = xlate(opaque, at, &gpa);
		if (r == 0 && gmem_read(m, gpa, st->insn + st->insn_len, chunk) == 0) {
			if (st->insn_len == 0)
				first_gpa = gpa;
			st->insn_len += (unsigned int)chunk;
			continue;
		}
		if (r == 0)
			snprintf(why, sizeof(why), "outside guest RAM");
		else if (r == -EFAULT)
			snprintf(why, sizeof(why), "not mapped by the guest's page tables");
		else
			snprintf(why, sizeof(why), "not translated (%s)", strerror(-r));
		if (st->insn_len == 0 && r == 0)
			snprintf(st->insn_note, sizeof(st->insn_note),
				 "linear %#llx is GPA %#llx, %s: not read", (unsigned long long)at,
				 (unsigned long long)gpa, why);
		else if (st->insn_len == 0)
			snprintf(st->insn_note, sizeof(st->insn_note), "linear %#llx is %s",
				 (unsigned long long)at, why);
		else
			snprintf(st->insn_note, sizeof(st->insn_note),
				 "GPA %#llx; the bytes from linear %#llx on are %s",
				 (unsigned long long)first_gpa, (unsigned long long)at, why);
		return;
	}
	snprintf(st->insn_note, sizeof(st->insn_note), "GPA %#llx", (unsigned long long)first_gpa);
}

void x86_fault_fill(const struct gmem *m, const struct kvm_regs *regs,
		    const struct kvm_sregs *s, x86_xlate_fn xlate, void *opaque,
		    struct vcpu_fault_state *st)
{
	st->pc_name = "RIP";
	st->pc = regs->rip;
	describe_mode(s, st->mode, sizeof(st->mode));
	if (st->insn_len == 0)
		x86_insn_fetch(m, rip_linear(regs, s), xlate, opaque, st);
}

/* KVM_TRANSLATE walks the guest's page tables as the vCPU's current mode
 * does; "valid" is clear for an unmapped address. */
static int kvm_translate(void *opaque, uint64_t la, uint64_t *gpa)
{
	const struct vcpu *v = opaque;
	struct kvm_translation t = { .linear_address = la };

	if (ioctl(v->fd, KVM_TRANSLATE, &t) < 0)
		return -errno;
	if (!t.valid)
		return -EFAULT;
	*gpa = t.physical_address;
	return 0;
}

void arch_fault_state(struct vm *vm, struct vcpu *v, struct vcpu_fault_state *st)
{
	struct kvm_regs regs;
	struct kvm_sregs s;

	st->pc_name = "RIP";
	if (ioctl(v->fd, KVM_GET_REGS, &regs) < 0) {
		st->regs_err = -errno;
		if (st->insn_len == 0)
			snprintf(st->insn_note, sizeof(st->insn_note), "RIP unknown");
		return;
	}
	if (ioctl(v->fd, KVM_GET_SREGS, &s) < 0) {
		int r = -errno;

		st->pc = regs.rip;
		snprintf(st->mode, sizeof(st->mode), "KVM_GET_SREGS: %s", strerror(-r));
		if (st->insn_len == 0)
			snprintf(st->insn_note, sizeof(st->insn_note), "mode unknown: not read");
		return;
	}
	x86_fault_fill(&vm->mem, &regs, &s, kvm_translate, v, st);
}
