/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Where a boot's time goes: the VMM keeps the time at which the VM reached
 * each phase, and logs the breakdown at info level when the VM ends. Two
 * marks are the VMM's own (krun_start_enter's entry, the first KVM_RUN); the
 * others come from the guest's init through KRUN_PHASE_PORT and the exit
 * report (vmm/guest_abi.h). A guest without our init (a caller's initramfs)
 * gives only the VMM's marks: the line then says what it has.
 *
 * The guest decides when its marks arrive, and may write them at will: each
 * phase keeps its first time only, and nothing is logged per write.
 */
#ifndef LIBKRUN_VMM_PHASE_H
#define LIBKRUN_VMM_PHASE_H

#include <stddef.h>
#include <stdint.h>

enum vm_phase {
	VM_PHASE_ENTER,       /* krun_start_enter was called */
	VM_PHASE_FIRST_RUN,   /* vCPU 0 enters KVM_RUN for the first time */
	VM_PHASE_INIT,        /* init runs: the kernel has booted (KRUN_PHASE_INIT) */
	VM_PHASE_WORKLOAD,    /* init's setup is done, the workload starts (KRUN_PHASE_WORKLOAD) */
	VM_PHASE_EXIT_REPORT, /* init reported the workload's status */
	VM_PHASES
};

struct vm_phases {
	uint64_t ns[VM_PHASES]; /* monotonic_ns (util/clock.h); 0: not reached */
};

/* Records now for phase p unless it has a time already. Any thread. */
void vm_phase_mark(struct vm_phases *ph, enum vm_phase p);

/* Records t for phase p unless it has a time already (t != 0). */
void vm_phase_set(struct vm_phases *ph, enum vm_phase p, uint64_t t);

/* Writes "setup A ms, kernel B ms, ..." for the marks there are, the last
 * interval ending at end_ns, into buf (always NUL-terminated). */
void vm_phase_format(const struct vm_phases *ph, uint64_t end_ns, char *buf, size_t len);

#endif
