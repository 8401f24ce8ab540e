/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The runner's first VM test: a VM with one vCPU in real mode runs
 *     mov dx, 0x3f8 ; mov al, 'K' ; out dx, al ; inc al ; out dx, al ; hlt
 * and we check the exits: two KVM_EXIT_IO (port 0x3f8, out, 1 byte, 'K' then 'L'),
 * then KVM_EXIT_HLT. It proves that /dev/kvm works wherever the runner says it does.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#define GUEST_MEM 0x10000
#define CODE_GPA 0x1000

static const uint8_t code[] = {
	0xba, 0xf8, 0x03, /* mov dx, 0x3f8 */
	0xb0, 'K',        /* mov al, 'K' */
	0xee,             /* out dx, al */
	0xfe, 0xc0,       /* inc al */
	0xee,             /* out dx, al */
	0xf4,             /* hlt */
};

static int fail(const char *what)
{
	printf("FAIL: %s: %s\n", what, strerror(errno));
	return 1;
}

static int expect_io(struct kvm_run *run, uint8_t want)
{
	if (run->exit_reason != KVM_EXIT_IO) {
		printf("FAIL: exit reason %u, want KVM_EXIT_IO\n", run->exit_reason);
		return 1;
	}
	uint8_t got = *((uint8_t *)run + run->io.data_offset);
	if (run->io.direction != KVM_EXIT_IO_OUT || run->io.port != 0x3f8 ||
	    run->io.size != 1 || run->io.count != 1 || got != want) {
		printf("FAIL: io dir %u port %#x size %u count %u data %#x, want out 0x3f8 '%c'\n",
		       run->io.direction, run->io.port, run->io.size, run->io.count, got, want);
		return 1;
	}
	printf("exit: KVM_EXIT_IO out port 0x3f8 data '%c'\n", got);
	return 0;
}

int main(void)
{
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0)
		return fail("open /dev/kvm");
	int vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0)
		return fail("KVM_CREATE_VM");

	uint8_t *mem = mmap(NULL, GUEST_MEM, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (mem == MAP_FAILED)
		return fail("mmap");
	memcpy(mem + CODE_GPA, code, sizeof(code));
	struct kvm_userspace_memory_region region = {
		.slot = 0, .guest_phys_addr = 0, .memory_size = GUEST_MEM,
		.userspace_addr = (uintptr_t)mem,
	};
	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region) < 0)
		return fail("KVM_SET_USER_MEMORY_REGION");

	int vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	if (vcpu < 0)
		return fail("KVM_CREATE_VCPU");
	int run_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (run_size < (int)sizeof(struct kvm_run))
		return fail("KVM_GET_VCPU_MMAP_SIZE");
	struct kvm_run *run = mmap(NULL, run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	if (run == MAP_FAILED)
		return fail("mmap kvm_run");

	struct kvm_sregs sregs;
	if (ioctl(vcpu, KVM_GET_SREGS, &sregs) < 0)
		return fail("KVM_GET_SREGS");
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	if (ioctl(vcpu, KVM_SET_SREGS, &sregs) < 0)
		return fail("KVM_SET_SREGS");
	struct kvm_regs regs = { .rip = CODE_GPA, .rflags = 0x2 };
	if (ioctl(vcpu, KVM_SET_REGS, &regs) < 0)
		return fail("KVM_SET_REGS");

	for (uint8_t want = 'K'; want <= 'L'; want++) {
		if (ioctl(vcpu, KVM_RUN, 0) < 0)
			return fail("KVM_RUN");
		if (expect_io(run, want))
			return 1;
	}
	if (ioctl(vcpu, KVM_RUN, 0) < 0)
		return fail("KVM_RUN");
	if (run->exit_reason != KVM_EXIT_HLT) {
		printf("FAIL: exit reason %u, want KVM_EXIT_HLT\n", run->exit_reason);
		return 1;
	}
	printf("exit: KVM_EXIT_HLT\nPASS: port I/O and HLT exits as expected\n");
	return 0;
}
