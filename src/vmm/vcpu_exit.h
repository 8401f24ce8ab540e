/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the KVM_RUN loop says when a vCPU cannot go on: which exits end the VM,
 * and one error block naming the exit (reason, suberror, KVM's data words), the
 * vCPU's instruction pointer and mode, the instruction bytes there, and what
 * the host's KVM is when that explains the failure.
 *
 * Split so that the report is tested without KVM: the vCPU thread gathers the
 * state (vcpu_exit_gather, ioctls through the arch layer), and vcpu_exit_format
 * turns a struct kvm_run plus that state into text, touching nothing else.
 */
#ifndef LIBKRUN_VMM_VCPU_EXIT_H
#define LIBKRUN_VMM_VCPU_EXIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/kvm.h>

#include "util/log.h"

struct vcpu;

/* The longest x86 instruction, and the most bytes KVM reports (api.rst §5). */
#define VCPU_FAULT_INSN_MAX 15

/* The vCPU's state at a fatal exit, as far as it could be read. */
struct vcpu_fault_state {
	int regs_err;          /* 0 if pc and mode are the vCPU's, else -errno */
	const char *pc_name;   /* the arch's name for the instruction pointer */
	uint64_t pc;
	char mode[96];         /* the arch's words for the CPU mode; may be "" */
	uint8_t insn[VCPU_FAULT_INSN_MAX];
	unsigned int insn_len; /* bytes in insn */
	bool insn_from_kvm;    /* insn came from kvm_run, not from guest RAM */
	char insn_note[160];   /* where insn was read, or why it holds fewer bytes */
};

/* "KVM_EXIT_INTERNAL_ERROR" for 17, NULL for a number linux/kvm.h does not name. */
const char *vcpu_exit_reason_name(uint32_t reason);

/* "KVM_INTERNAL_ERROR_EMULATION" for 1, NULL for an unknown suberror. */
const char *vcpu_exit_suberror_name(uint32_t suberror);

/* Whether the loop must end the VM on this exit: true for every reason that is
 * neither served by the generic loop (MMIO, SHUTDOWN, SYSTEM_EVENT, HLT) nor
 * by the arch layer (arch_exit_handled), so numbers no header names included. */
bool vcpu_exit_is_fatal(uint32_t reason);

/* Copies the instruction bytes KVM put in run (emulation failure with
 * KVM_INTERNAL_ERROR_EMULATION_FLAG_INSTRUCTION_BYTES and the ndata that
 * covers them) into buf and returns how many; 0 if run holds none. */
unsigned int vcpu_exit_kvm_insn(const struct kvm_run *run, uint8_t buf[VCPU_FAULT_INSN_MAX]);

/* Whether the host's KVM is kvm_pvm (a software hypervisor): sysfs_root is
 * "/sys" in the VMM, a fake directory in tests. */
bool vcpu_exit_host_is_pvm(const char *sysfs_root);

/* Writes the report, lines ending in '\n', NUL-terminated, into buf (truncated
 * to size). st may be NULL (state not gathered). Returns the length written. */
size_t vcpu_exit_format(char *buf, size_t size, unsigned int vcpu_id, const struct kvm_run *run,
			const struct vcpu_fault_state *st, bool host_is_pvm);

/* Logs vcpu_exit_format's lines at `level`, one log line each. */
void vcpu_exit_log(enum log_level level, unsigned int vcpu_id, const struct kvm_run *run,
		   const struct vcpu_fault_state *st, bool host_is_pvm);

/* On v's thread, after an exit: fills st from v->run (KVM's bytes) and the
 * arch layer (registers, bytes from guest RAM). Never fails: what cannot be
 * read is said in st. */
void vcpu_exit_gather(struct vcpu *v, struct vcpu_fault_state *st);

/* vcpu_exit_gather, then vcpu_exit_log with the host's kind from /sys. */
void vcpu_exit_report(struct vcpu *v, enum log_level level);

#endif
