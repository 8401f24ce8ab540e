/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Device shared memory regions (virtio 1.2 §2.10): guest-physical windows past
 * RAM (arch_shm_base) that a device backs with host memory of its choosing,
 * today virtio-fs's DAX window. Each is a KVM memory slot over an anonymous
 * reservation of this process (MAP_NORESERVE: what the guest never touches
 * costs nothing); the device maps files over parts of it with MAP_FIXED, and
 * KVM's MMU notifier drops the guest's stale translations when it does.
 */
#ifndef LIBKRUN_VMM_SHM_WINDOW_H
#define LIBKRUN_VMM_SHM_WINDOW_H

#include <stdint.h>

#include "vmm/vm.h"

/* Reserves len bytes (a multiple of the page size, > 0) at the next free
 * guest-physical address and makes them a memory slot. *host and *gpa get
 * where; the VM unmaps it in vm_shm_windows_free. 0 or -errno (logged). */
int vm_shm_window_add(struct vm *vm, uint64_t len, void **host, uint64_t *gpa);

/* Unmaps every window, once no vCPU runs and the devices are gone. */
void vm_shm_windows_free(struct vm *vm);

#endif
