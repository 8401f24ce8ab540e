/* SPDX-License-Identifier: Apache-2.0 */
#include "vmm/vcpu.h"

#include <errno.h>
#include <linux/kvm.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "util/log.h"
#include "vmm/arch.h"
#include "vmm/seccomp.h"
#include "vmm/vcpu_exit.h"

/* Lines a guest can repeat at will: at most a burst of them per interval. */
#define VCPU_LOG_INTERVAL_MS 10000
#define VCPU_LOG_BURST 5

int vcpu_create(struct vm *vm, unsigned int id)
{
	struct vcpu *v = &vm->vcpu[id];
	int r, size;

	memset(v, 0, sizeof(*v));
	v->vm = vm;
	v->id = id;
	v->mmio_log = (struct ratelimit)RATELIMIT_INIT(VCPU_LOG_INTERVAL_MS, VCPU_LOG_BURST);
	v->fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, (unsigned long)id);
	if (v->fd < 0) {
		r = -errno;
		log_error("KVM_CREATE_VCPU %u: %s", id, strerror(-r));
		return r;
	}
	size = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (size < (int)sizeof(struct kvm_run)) {
		r = size < 0 ? -errno : -EINVAL;
		log_error("KVM_GET_VCPU_MMAP_SIZE: %d", size);
		goto out_close;
	}
	v->run = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, 0);
	if (v->run == MAP_FAILED) {
		r = -errno;
		v->run = NULL;
		goto out_close;
	}
	v->run_size = (size_t)size;
	r = arch_vcpu_setup(vm, v);
	if (r < 0)
		goto out_unmap;
	return 0;

out_unmap:
	munmap(v->run, v->run_size);
out_close:
	close(v->fd);
	memset(v, 0, sizeof(*v));
	v->fd = -1;
	return r;
}

void vcpu_destroy(struct vcpu *v)
{
	if (v->thread_started)
		return;
	if (v->run)
		munmap(v->run, v->run_size);
	if (v->fd >= 0)
		close(v->fd);
	v->run = NULL;
	v->fd = -1;
}

/* MMIO exits: the guest touched a window with no memory behind it. Addresses
 * come from the guest; only registered windows are served. */
static void vcpu_mmio(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	uint64_t addr = run->mmio.phys_addr;
	uint32_t len = run->mmio.len;
	uint64_t held;

	if (len == 0 || len > sizeof(run->mmio.data))
		return;
	for (unsigned int i = 0; i < v->vm->nmmio; i++) {
		struct mmio_region *m = &v->vm->mmio[i];
		if (addr < m->base || addr - m->base >= m->size || len > m->size - (addr - m->base))
			continue;
		if (run->mmio.is_write)
			m->write(m->opaque, addr - m->base, run->mmio.data, len);
		else
			m->read(m->opaque, addr - m->base, run->mmio.data, len);
		return;
	}
	if (!run->mmio.is_write)
		memset(run->mmio.data, 0xff, len);
	if (log_get_level() >= LOG_DEBUG && ratelimit_pass(&v->mmio_log, &held))
		log_debug("vcpu %u: MMIO %s of %u bytes at %#llx: nothing there (%llu such lines "
			  "left out before)", v->id, run->mmio.is_write ? "write" : "read", len,
			  (unsigned long long)addr, (unsigned long long)held);
}

static bool vm_ended(struct vm *vm)
{
	return __atomic_load_n(&vm->end, __ATOMIC_ACQUIRE) != VM_END_RUNNING;
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *v = arg;
	struct vm *vm = v->vm;
	char name[16];

	snprintf(name, sizeof(name), "krun-vcpu%u", v->id);
	pthread_setname_np(pthread_self(), name);
	/* Before the guest's first instruction on this vCPU. */
	if (seccomp_enter(VMM_SECCOMP_VCPU) < 0) {
		vm_request_end(vm, VM_END_ERROR, 1);
		return NULL;
	}
	if (v->id == 0)
		vm_phase_mark(&vm->phases, VM_PHASE_FIRST_RUN);
	while (!vm_ended(vm)) {
		if (ioctl(v->fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			log_error("vcpu %u: KVM_RUN: %s", v->id, strerror(errno));
			vm_request_end(vm, VM_END_ERROR, 1);
			break;
		}
		switch (v->run->exit_reason) {
		case KVM_EXIT_MMIO:
			vcpu_mmio(v);
			break;
		case KVM_EXIT_SHUTDOWN:
			/* A triple fault, or the guest's reset through the keyboard
			 * controller when KVM handles it. Where it happened is worth
			 * a look when the guest did not mean it. */
			vcpu_exit_report(v, LOG_DEBUG);
			vm_request_end(vm, VM_END_RESET, 0);
			break;
		case KVM_EXIT_SYSTEM_EVENT:
			vm_request_end(vm, VM_END_SHUTDOWN, 0);
			break;
		case KVM_EXIT_HLT:
			/* Only without an in-kernel irqchip: a halted CPU, nothing to do. */
			vm_request_end(vm, VM_END_SHUTDOWN, 0);
			break;
		default:
			/* KVM_EXIT_INTERNAL_ERROR, FAIL_ENTRY, and any exit neither this
			 * loop nor the arch serves: say what the vCPU was doing. vm_run
			 * then ends the process with status 1. */
			if (vcpu_exit_is_fatal(v->run->exit_reason)) {
				vcpu_exit_report(v, LOG_ERROR);
				vm_request_end(vm, VM_END_ERROR, 1);
			} else if (arch_handle_exit(vm, v) < 0) {
				vm_request_end(vm, VM_END_ERROR, 1);
			}
			break;
		}
	}
	return NULL;
}

int vcpu_start(struct vcpu *v)
{
	sigset_t all, old;
	int r;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	r = -pthread_create(&v->thread, NULL, vcpu_thread, v);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r < 0) {
		log_error("cannot start vcpu %u thread: %s", v->id, strerror(-r));
		return r;
	}
	v->thread_started = true;
	return 0;
}
