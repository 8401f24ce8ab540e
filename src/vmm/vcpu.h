/* SPDX-License-Identifier: Apache-2.0 */
/* vCPUs: creation and the KVM_RUN loop, one thread each. */
#ifndef LIBKRUN_VMM_VCPU_H
#define LIBKRUN_VMM_VCPU_H

#include "vmm/vm.h"

/* Creates vCPU `id` (KVM_CREATE_VCPU, kvm_run mapping, arch state). 0 or -errno;
 * on failure vm->vcpu[id] holds nothing to release. */
int vcpu_create(struct vm *vm, unsigned int id);

/* Starts its thread with every signal blocked (signals are the main thread's). */
int vcpu_start(struct vcpu *v);

/* Releases fd and mapping. Only for a vCPU whose thread never started. */
void vcpu_destroy(struct vcpu *v);

#endif
