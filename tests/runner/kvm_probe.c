/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Says whether /dev/kvm is usable: it opens, speaks API version 12
 * (Documentation/virt/kvm/api.rst §4.1) and lets us create a VM. Exit 0 if so,
 * 1 (with the reason on stdout) if not. The test runner picks direct or emulated
 * mode from this, not from the mere presence of the device node.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

int main(void)
{
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0) {
		printf("/dev/kvm: %s\n", strerror(errno));
		return 1;
	}
	int version = ioctl(kvm, KVM_GET_API_VERSION, 0);
	if (version != KVM_API_VERSION) {
		printf("/dev/kvm: API version %d, want %d\n", version, KVM_API_VERSION);
		close(kvm);
		return 1;
	}
	int vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0) {
		printf("/dev/kvm: KVM_CREATE_VM: %s\n", strerror(errno));
		close(kvm);
		return 1;
	}
	close(vm);
	close(kvm);
	printf("/dev/kvm: usable\n");
	return 0;
}
