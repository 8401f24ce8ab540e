/* SPDX-License-Identifier: Apache-2.0 */
/* Device shared memory windows (shm_window.h). */
#include "vmm/shm_window.h"

#include <errno.h>
#include <linux/kvm.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "util/log.h"
#include "vmm/arch.h"

int vm_shm_window_add(struct vm *vm, uint64_t len, void **host, uint64_t *gpa)
{
	unsigned int k = vm->nshm;
	uint64_t base = vm->nshm ? vm->shm[k - 1].gpa + vm->shm[k - 1].len
				 : arch_shm_base(&vm->mem);
	void *p;
	int r;

	if (k >= VM_MAX_SHM) {
		log_error("at most %d shared memory windows", VM_MAX_SHM);
		return -ENOSPC;
	}
	if (len == 0 || base > arch_shm_limit() || len > arch_shm_limit() - base) {
		log_error("a shared memory window of %llu MiB does not fit in the guest's "
			  "address space (free from 0x%llx to 0x%llx)",
			  (unsigned long long)(len >> 20), (unsigned long long)base,
			  (unsigned long long)arch_shm_limit());
		return -EINVAL;
	}
	p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED) {
		r = -errno;
		log_error("cannot reserve a %llu MiB shared memory window: %s",
			  (unsigned long long)(len >> 20), strerror(-r));
		return r;
	}
	/* Guest memory, not ours: a core dump of the VMM leaves it out. */
	madvise(p, len, MADV_DONTDUMP);
	struct kvm_userspace_memory_region slot = {
		.slot = VM_SHM_SLOT_BASE + k,
		.guest_phys_addr = base,
		.memory_size = len,
		.userspace_addr = (uintptr_t)p,
	};
	if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &slot) < 0) {
		r = -errno;
		log_error("KVM_SET_USER_MEMORY_REGION for a shared memory window: %s",
			  strerror(-r));
		munmap(p, len);
		return r;
	}
	vm->shm[k] = (struct vm_shm){ .host = p, .gpa = base, .len = len };
	vm->nshm++;
	*host = p;
	*gpa = base;
	return 0;
}

void vm_shm_windows_free(struct vm *vm)
{
	for (unsigned int k = 0; k < vm->nshm; k++)
		munmap(vm->shm[k].host, vm->shm[k].len);
	vm->nshm = 0;
}
