/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A running VM: the KVM VM and vCPU fds, guest memory, MMIO dispatch, devices and
 * the device event loop. Built by vm_create from a validated configuration, run
 * by vm_run, which returns the workload's exit status.
 *
 * Threads: one per vCPU (KVM_RUN loop), one event loop for devices, and the
 * caller's thread, which waits in vm_run for the exit report; the devices add
 * their own (virtio-fs workers, console writers). Each is under a seccomp
 * filter before the guest can reach it (seccomp.h).
 */
#ifndef LIBKRUN_VMM_VM_H
#define LIBKRUN_VMM_VM_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/ratelimit.h"
#include "virtio/mmio.h"
#include "vmm/gmem.h"
#include "vmm/phase.h"

#define VM_MAX_VCPUS 64
#define VM_MAX_MMIO 24
#define VM_MAX_DEVICES 16
#define VM_MAX_SHM 8 /* device shared memory windows (vmm/shm_window.h) */
/* KVM memory slots: guest RAM 0..GMEM_MAX_REGIONS-1, then one register page
 * per device (virtio_regpage.c), then the shared memory windows. */
#define VM_SHM_SLOT_BASE (GMEM_MAX_REGIONS + VM_MAX_DEVICES)

struct vm;
struct evloop;

struct vcpu {
	struct vm *vm;
	unsigned int id;
	int fd;
	struct kvm_run *run;
	size_t run_size;
	pthread_t thread;
	bool thread_started;
	/* Early-console bytes the arch layer holds until a newline (x86: COM1
	 * writes from earlyprintk), logged line by line. This vCPU's thread only. */
	char con_line[128];
	unsigned int con_len;
	/* MMIO to nothing is the guest's to repeat at will: its log line is
	 * rate-limited. This vCPU's thread only. */
	struct ratelimit mmio_log;
};

/* An MMIO window served by the VMM (a virtio-mmio device). Called on vCPU threads. */
struct mmio_region {
	uint64_t base, size;
	void (*read)(void *opaque, uint64_t offset, void *data, uint32_t len);
	void (*write)(void *opaque, uint64_t offset, const void *data, uint32_t len);
	void *opaque;
};

/* How the VM ended, when not by an exit report. */
enum vm_end {
	VM_END_RUNNING = 0,
	VM_END_EXIT_REPORT, /* init reported a status */
	VM_END_RESET,       /* the guest reset (i8042 0xfe, triple fault) */
	VM_END_SHUTDOWN,    /* KVM_EXIT_SHUTDOWN / SYSTEM_EVENT */
	VM_END_ERROR,       /* a VMM error: KVM_RUN failed, bad exit */
};

/* One virtio-mmio device on the VM's bus (src/vmm/virtio_bus.c). */
struct virtio_notify {
	struct virtio_dev *dev;
	uint16_t queue;
};

struct virtio_slot {
	struct virtio_dev *dev;
	bool is_console;
	struct virtio_notify notify[VIRTIO_MAX_QUEUES];
	int ack_fd; /* absorbs InterruptAck writes of USED_RING (virtio_regpage.c), or -1 */
};

/* A device's shared memory window (vmm/shm_window.h). */
struct vm_shm {
	void *host;
	uint64_t gpa, len;
};

struct vm {
	int kvm_fd, vm_fd;
	struct gmem mem;
	unsigned int nvcpus;         /* final before arch_boot_setup */
	unsigned int vcpus_created;  /* how many of vcpu[] hold KVM resources */
	struct vcpu vcpu[VM_MAX_VCPUS];
	struct mmio_region mmio[VM_MAX_MMIO];
	unsigned int nmmio;
	struct evloop *loop;
	uint64_t boot_entry; /* kernel entry GPA: set by arch_boot_setup for arch_vcpu_setup */
	struct virtio_slot dev[VM_MAX_DEVICES];
	unsigned int ndev;
	struct vm_shm shm[VM_MAX_SHM];
	unsigned int nshm;

	pthread_mutex_t end_lock;
	pthread_cond_t end_cond;
	enum vm_end end;
	int exit_status;
	/* The host's KVM is kvm_pvm, looked up before any seccomp filter (the
	 * vCPU threads may not touch the file system): fatal-exit reports say it
	 * cannot run a standard guest kernel. */
	bool host_is_pvm;
	struct vm_shutdown *shutdown; /* vmm/shutdown.h */
	bool nested_virt;             /* krun_set_nested_virt; before arch_vcpu_setup */
	/* krun_split_irqchip, before arch_vm_setup: KVM keeps the local APICs,
	 * the arch layer emulates the rest in arch_irqchip (freed by
	 * arch_vm_destroy). */
	bool split_irqchip;
	void *arch_irqchip;
	struct uart *serial;          /* krun_add_serial_console_default, or NULL */
	int serial_irqfd;
	struct console_order *console_order; /* with several consoles */
	struct vm_phases phases;             /* vmm/phase.h */
};

/* Records how the VM ended (first call wins) and wakes vm_run. Any thread. */
void vm_request_end(struct vm *vm, enum vm_end how, int status);

/* Registers an MMIO window; 0 or -ENOSPC / -EEXIST (overlap). Before vCPUs run. */
int vm_add_mmio(struct vm *vm, const struct mmio_region *r);

#endif
