/* SPDX-License-Identifier: Apache-2.0 */
/* VM-wide KVM setup for x86 (Documentation/virt/kvm/api.rst). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "arch/x86_64/ioapic.h"
#include "arch/x86_64/layout.h"
#include "arch/x86_64/x86.h"
#include "util/log.h"

unsigned int arch_max_vcpus(int kvm_fd)
{
	/* api.rst: without KVM_CAP_MAX_VCPUS use KVM_CAP_NR_VCPUS; without that, 4. */
	int n = ioctl(kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS);

	if (n <= 0)
		n = ioctl(kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_NR_VCPUS);
	if (n <= 0)
		n = 4;
	if (n > VM_MAX_VCPUS)
		n = VM_MAX_VCPUS;
	if (n > X86_MPTABLE_MAX_CPUS) /* APIC ids 0..n-1 and the IOAPIC's n, < 255 */
		n = X86_MPTABLE_MAX_CPUS;
	return (unsigned int)n;
}

static int vm_ioctl(const struct vm *vm, unsigned long req, unsigned long arg, const char *what)
{
	if (ioctl(vm->vm_fd, req, arg) < 0) {
		int r = -errno;

		log_error("x86: %s: %s", what, strerror(-r));
		return r;
	}
	return 0;
}

/*
 * krun_split_irqchip: KVM_CAP_SPLIT_IRQCHIP with our IOAPIC's 24 pins as the
 * GSIs KVM routes (api.rst), instead of KVM_CREATE_IRQCHIP; the IOAPIC's MMIO
 * window then exits to us (ioapic.h). There is no PIC, and no in-kernel PIT
 * (KVM_CREATE_PIT2 needs KVM's PIC): the guest keeps time with its local
 * APIC timer and kvmclock, and the PIT's ports read as nothing there.
 */
static int split_irqchip_setup(struct vm *vm)
{
	struct kvm_enable_cap cap = { .cap = KVM_CAP_SPLIT_IRQCHIP,
				      .args = { IOAPIC_PINS } };
	struct ioapic *io;
	int r;

	if (ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_SPLIT_IRQCHIP) <= 0) {
		log_error("x86: krun_split_irqchip: this KVM has no KVM_CAP_SPLIT_IRQCHIP");
		return -ENOTSUP;
	}
	r = vm_ioctl(vm, KVM_ENABLE_CAP, (unsigned long)&cap, "KVM_ENABLE_CAP(SPLIT_IRQCHIP)");
	if (r < 0)
		return r;
	io = malloc(sizeof(*io));
	if (!io)
		return -ENOMEM;
	/* The id is the MP table's, set once the vCPUs are counted (boot.c). */
	ioapic_init(io, vm->vm_fd, 0);
	vm->arch_irqchip = io;
	return vm_add_mmio(vm, &(struct mmio_region){ .base = LAYOUT_IOAPIC,
						      .size = IOAPIC_MMIO_SIZE,
						      .read = ioapic_mmio_read,
						      .write = ioapic_mmio_write,
						      .opaque = io });
}

void arch_vm_destroy(struct vm *vm)
{
	if (!vm->arch_irqchip)
		return;
	ioapic_destroy(vm->arch_irqchip);
	free(vm->arch_irqchip);
	vm->arch_irqchip = NULL;
}

/* Must run before the first KVM_CREATE_VCPU: KVM_SET_IDENTITY_MAP_ADDR and
 * KVM_CREATE_IRQCHIP fail once a vCPU exists, and a vCPU created before the
 * irqchip would start runnable instead of waiting for INIT/SIPI. */
int arch_vm_setup(struct vm *vm)
{
	uint64_t idmap = LAYOUT_KVM_IDENTITY_MAP;
	/* Port 0x61 (speaker, PIT gate 2) answered in the kernel too. */
	struct kvm_pit_config pit = { .flags = KVM_PIT_SPEAKER_DUMMY };
	int r = 0;

	/* Both areas are for VMX's real-mode emulation; they sit in the MMIO hole,
	 * clear of every memslot, as api.rst requires. */
	if (ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_SET_IDENTITY_MAP_ADDR) > 0)
		r = vm_ioctl(vm, KVM_SET_IDENTITY_MAP_ADDR, (unsigned long)&idmap,
			     "KVM_SET_IDENTITY_MAP_ADDR");
	if (r == 0)
		r = vm_ioctl(vm, KVM_SET_TSS_ADDR, (unsigned long)LAYOUT_KVM_TSS,
			     "KVM_SET_TSS_ADDR");
	if (r == 0 && vm->split_irqchip)
		return split_irqchip_setup(vm);
	if (r == 0)
		r = vm_ioctl(vm, KVM_CREATE_IRQCHIP, 0, "KVM_CREATE_IRQCHIP");
	if (r == 0)
		r = vm_ioctl(vm, KVM_CREATE_PIT2, (unsigned long)&pit, "KVM_CREATE_PIT2");
	return r;
}
