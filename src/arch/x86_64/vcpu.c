/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Per-vCPU KVM state: CPUID, MSRs, FPU, LAPIC virtual wire, and the boot vCPU's
 * registers at the kernel entry. The values come from cpu.c and cpuid.c; this
 * file only moves them through ioctls (Documentation/virt/kvm/api.rst).
 *
 * Application processors keep KVM's reset state: created after
 * KVM_CREATE_IRQCHIP, a vCPU other than the BSP (id 0) starts in
 * KVM_MP_STATE_UNINITIALIZED and runs when the guest sends INIT/SIPI.
 */
#include <cpuid.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "arch/x86_64/x86.h"
#include "util/log.h"

/* Start of the retry loop for KVM_GET_SUPPORTED_CPUID; -E2BIG doubles it. */
#define CPUID_NENT_START 128U
#define CPUID_NENT_MAX 4096U

#define MSR_IA32_TSC 0x10
#define MSR_IA32_SYSENTER_CS 0x174
#define MSR_IA32_SYSENTER_ESP 0x175
#define MSR_IA32_SYSENTER_EIP 0x176
#define MSR_IA32_MISC_ENABLE 0x1a0
#define MSR_MTRR_DEF_TYPE 0x2ff
#define MSR_STAR 0xc0000081
#define MSR_LSTAR 0xc0000082
#define MSR_CSTAR 0xc0000083
#define MSR_SYSCALL_MASK 0xc0000084
#define MSR_KERNEL_GS_BASE 0xc0000102

#define MISC_ENABLE_FAST_STRING 0x1ULL
#define MTRR_ENABLE (1ULL << 11)
#define MTRR_TYPE_WB 6ULL

/* LAPIC local vector table entries and their delivery mode (SDM vol. 3 §10.5.1). */
#define APIC_LVT_LINT0 0x350
#define APIC_LVT_LINT1 0x360
#define APIC_MODE_NMI 0x4U
#define APIC_MODE_EXTINT 0x7U

static int vcpu_ioctl(const struct vcpu *v, unsigned long req, void *arg, const char *what)
{
	if (ioctl(v->fd, req, arg) < 0) {
		int r = -errno;

		log_error("x86: vCPU %u: %s: %s", v->id, what, strerror(-r));
		return r;
	}
	return 0;
}

static struct kvm_cpuid2 *supported_cpuid(int kvm_fd, unsigned int *cap)
{
	for (unsigned int nent = CPUID_NENT_START; nent <= CPUID_NENT_MAX; nent *= 2) {
		/* One spare entry for the TSC leaf x86_cpuid_filter may add. */
		struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + (nent + 1) * sizeof(c->entries[0]));

		if (!c)
			break;
		c->nent = nent;
		if (ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, c) == 0) {
			*cap = c->nent + 1;
			return c;
		}
		int err = errno;
		free(c);
		if (err != E2BIG) {
			log_error("x86: KVM_GET_SUPPORTED_CPUID: %s", strerror(err));
			return NULL;
		}
	}
	log_error("x86: KVM_GET_SUPPORTED_CPUID: no memory or too many entries");
	return NULL;
}

int arch_nested_virt_supported(int kvm_fd)
{
	unsigned int cap;
	struct kvm_cpuid2 *c = supported_cpuid(kvm_fd, &cap);
	int r;

	if (!c)
		return -ENOMEM;
	r = x86_cpuid_has_virt(c->entries, c->nent);
	free(c);
	return r;
}

/* The host's brand string into brand[12], or false where it has none. */
static bool host_brand(uint32_t brand[12])
{
	/* An int with clang's <cpuid.h>, unsigned with GCC's. */
	if ((unsigned int)__get_cpuid_max(0x80000000, NULL) < 0x80000004U)
		return false;
	for (unsigned int i = 0; i < 3; i++)
		__cpuid(0x80000002 + i, brand[4 * i], brand[4 * i + 1], brand[4 * i + 2],
			brand[4 * i + 3]);
	return true;
}

static int setup_cpuid(const struct vm *vm, const struct vcpu *v)
{
	struct x86_cpuid_params p = {
		.apic_id = v->id, .nvcpus = vm->nvcpus, .nested = vm->nested_virt,
	};
	uint32_t brand[12];
	unsigned int n, cap;
	struct kvm_cpuid2 *c;
	int r, khz;

	c = supported_cpuid(vm->kvm_fd, &cap);
	if (!c)
		return -ENOMEM;
	/* The guest reads the frequency from kvmclock (kvm_get_tsc_khz in
	 * arch/x86/kernel/kvmclock.c, which also marks it known, so there is no
	 * calibration); the CPUID leaf is for other guests. 0 = not known. */
	khz = ioctl(v->fd, KVM_GET_TSC_KHZ, 0);
	p.tsc_khz = khz > 0 ? (uint32_t)khz : 0;
	p.tsc_deadline = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_TSC_DEADLINE_TIMER) > 0;
	if (host_brand(brand))
		p.brand = brand;
	n = c->nent;
	r = x86_cpuid_filter(c->entries, &n, cap, &p);
	if (r == 0) {
		c->nent = n;
		r = vcpu_ioctl(v, KVM_SET_CPUID2, c, "KVM_SET_CPUID2");
	}
	free(c);
	return r;
}

static int setup_msrs(const struct vcpu *v)
{
	static const struct kvm_msr_entry init[] = {
		{ .index = MSR_IA32_SYSENTER_CS },
		{ .index = MSR_IA32_SYSENTER_ESP },
		{ .index = MSR_IA32_SYSENTER_EIP },
		{ .index = MSR_STAR },
		{ .index = MSR_LSTAR },
		{ .index = MSR_CSTAR },
		{ .index = MSR_KERNEL_GS_BASE },
		{ .index = MSR_SYSCALL_MASK },
		{ .index = MSR_IA32_TSC },
		{ .index = MSR_IA32_MISC_ENABLE, .data = MISC_ENABLE_FAST_STRING },
		/* MTRRs on, write-back by default: without them Linux also turns
		 * PAT off (mtrr_bp_init) and maps everything uncached-minus. */
		{ .index = MSR_MTRR_DEF_TYPE, .data = MTRR_ENABLE | MTRR_TYPE_WB },
	};
	const unsigned int n = sizeof(init) / sizeof(init[0]);
	struct kvm_msrs *msrs = calloc(1, sizeof(*msrs) + sizeof(init));
	int r;

	if (!msrs)
		return -ENOMEM;
	msrs->nmsrs = n;
	memcpy(msrs->entries, init, sizeof(init));
	r = ioctl(v->fd, KVM_SET_MSRS, msrs);
	if (r < 0) {
		r = -errno;
		log_error("x86: vCPU %u: KVM_SET_MSRS: %s", v->id, strerror(-r));
	} else if ((unsigned int)r < n) {
		/* KVM stops at the first MSR it refuses and returns how many it set. */
		log_error("x86: vCPU %u: KVM refused MSR 0x%x", v->id, init[r].index);
		r = -EINVAL;
	} else {
		r = 0;
	}
	free(msrs);
	return r;
}

static void lvt_set_mode(struct kvm_lapic_state *l, unsigned int reg, uint32_t mode)
{
	uint32_t v;

	memcpy(&v, l->regs + reg, sizeof(v));
	v = (v & ~0x700U) | (mode << 8);
	memcpy(l->regs + reg, &v, sizeof(v));
}

/* Virtual wire mode, as the MP table declares: LINT0 ExtINT, LINT1 NMI. */
static int setup_lapic(const struct vcpu *v)
{
	struct kvm_lapic_state l;
	int r;

	r = vcpu_ioctl(v, KVM_GET_LAPIC, &l, "KVM_GET_LAPIC");
	if (r < 0)
		return r;
	lvt_set_mode(&l, APIC_LVT_LINT0, APIC_MODE_EXTINT);
	lvt_set_mode(&l, APIC_LVT_LINT1, APIC_MODE_NMI);
	return vcpu_ioctl(v, KVM_SET_LAPIC, &l, "KVM_SET_LAPIC");
}

static int setup_boot_regs(const struct vm *vm, const struct vcpu *v)
{
	struct kvm_sregs s;
	struct kvm_regs regs;
	int r;

	r = vcpu_ioctl(v, KVM_GET_SREGS, &s, "KVM_GET_SREGS");
	if (r < 0)
		return r;
	x86_sregs_long_mode(&s);
	r = vcpu_ioctl(v, KVM_SET_SREGS, &s, "KVM_SET_SREGS");
	if (r < 0)
		return r;
	x86_regs_boot(&regs, vm->boot_entry);
	return vcpu_ioctl(v, KVM_SET_REGS, &regs, "KVM_SET_REGS");
}

int arch_vcpu_setup(struct vm *vm, struct vcpu *v)
{
	struct kvm_fpu fpu = { .fcw = 0x37f, .mxcsr = 0x1f80 }; /* FNINIT, SSE defaults */
	int r;

	r = setup_cpuid(vm, v); /* first: MSR and register checks depend on CPUID */
	if (r == 0)
		r = setup_msrs(v);
	if (r == 0)
		r = vcpu_ioctl(v, KVM_SET_FPU, &fpu, "KVM_SET_FPU");
	if (r == 0)
		r = setup_lapic(v);
	if (r == 0 && v->id == 0)
		r = setup_boot_regs(vm, v);
	return r;
}
