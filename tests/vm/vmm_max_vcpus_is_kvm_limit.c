/* SPDX-License-Identifier: Apache-2.0 */
/*
 * krun_get_max_vcpus, through the public API where /dev/kvm works: it is at
 * least 1 and is KVM's own limit (KVM_CAP_MAX_VCPUS, else KVM_CAP_NR_VCPUS,
 * else 4: api.rst), clamped by the VMM's vCPU table (VM_MAX_VCPUS) and the MP
 * table's APIC ids (X86_MPTABLE_MAX_CPUS); krun_set_vm_config accepts that
 * many vCPUs and refuses one more (-EINVAL). Prints "max_vcpus N" for the
 * script, which boots a guest with N vCPUs.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "libkrun.h"
/* The library's caps, not in libkrun.h: the vCPU table and the MP table. */
#include "arch/x86_64/x86.h"
#include "vmm/vm.h"

static int kvm_limit(void)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC), n;

	if (fd < 0) {
		printf("FAIL: open /dev/kvm: %s\n", strerror(errno));
		return -1;
	}
	n = ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS);
	printf("KVM_CAP_MAX_VCPUS %d\n", n);
	if (n <= 0) {
		n = ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_NR_VCPUS);
		printf("KVM_CAP_NR_VCPUS %d\n", n);
	}
	close(fd);
	return n > 0 ? n : 4;
}

int main(void)
{
	int kvm = kvm_limit(), want, max, ctx, r;

	if (kvm < 0)
		return 1;
	want = kvm;
	if (want > VM_MAX_VCPUS)
		want = VM_MAX_VCPUS;
	if (want > X86_MPTABLE_MAX_CPUS)
		want = X86_MPTABLE_MAX_CPUS;
	max = krun_get_max_vcpus();
	printf("krun_get_max_vcpus %d (KVM %d, library caps %d and %d)\n", max, kvm,
	       VM_MAX_VCPUS, X86_MPTABLE_MAX_CPUS);
	if (max < 1 || max != want) {
		printf("FAIL: krun_get_max_vcpus is %d, expected %d\n", max, want);
		return 1;
	}
	ctx = krun_create_ctx();
	if (ctx < 0) {
		printf("FAIL: krun_create_ctx: %s\n", strerror(-ctx));
		return 1;
	}
	r = krun_set_vm_config((uint32_t)ctx, (uint8_t)max, 128);
	if (r != 0) {
		printf("FAIL: krun_set_vm_config(%d vCPUs) = %d, expected 0\n", max, r);
		return 1;
	}
	if (max < UINT8_MAX) { /* num_vcpus is a uint8_t: 256 cannot be asked for */
		r = krun_set_vm_config((uint32_t)ctx, (uint8_t)(max + 1), 128);
		if (r != -EINVAL) {
			printf("FAIL: krun_set_vm_config(%d vCPUs) = %d, expected -EINVAL\n",
			       max + 1, r);
			return 1;
		}
	}
	r = krun_set_vm_config((uint32_t)ctx, 0, 128);
	if (r != -EINVAL) {
		printf("FAIL: krun_set_vm_config(0 vCPUs) = %d, expected -EINVAL\n", r);
		return 1;
	}
	krun_free_ctx((uint32_t)ctx);
	printf("max_vcpus %d\n", max);
	return 0;
}
