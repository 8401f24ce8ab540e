/* SPDX-License-Identifier: Apache-2.0 */
/* Register pages for virtio-mmio devices (virtio_regpage.c says why). */
#ifndef LIBKRUN_VMM_VIRTIO_REGPAGE_H
#define LIBKRUN_VMM_VIRTIO_REGPAGE_H

#include "vmm/vm.h"

/* Gives vm->dev[index] a register page, where KVM and the device allow one;
 * otherwise (or when setting one up fails, with a warning) leaves its reads
 * trapping. Before the vCPUs run. */
void virtio_regpage_add(struct vm *vm, unsigned int index);
/* Stops the page's config refreshes, unmaps it and closes the ack eventfd;
 * once no vCPU runs. */
void virtio_regpage_remove(struct vm *vm, struct virtio_slot *slot);

#endif
