/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The VMM restricts itself: seccomp-BPF allow-lists of system calls
 * (Documentation/userspace-api/seccomp_filter.rst), one per thread class,
 * written here as BPF without libseccomp.
 *
 * Order, in vmm_run: seccomp_start on the caller's thread, once the KVM VM and
 * guest memory exist and before the VMM starts any thread, sets no_new_privs
 * and installs the base filter (every class's list together, plus what the
 * setup still does) on every thread of the process at once
 * (SECCOMP_FILTER_FLAG_TSYNC); threads started later inherit it. Each VMM
 * thread then adds its own class's filter with seccomp_enter before it serves
 * anything the guest can influence (a vCPU before its first KVM_RUN, the event
 * loop before its first epoll_wait, a virtio-fs worker before its first
 * request), and the caller's thread adds the main class's once the vCPUs run.
 * The kernel runs every filter a thread has and takes the strictest answer,
 * so a thread is held to its class's list, and everything to the base.
 *
 * A call outside the list: SECCOMP_RET_TRAP, whose SIGSYS handler logs the
 * thread's name and the syscall number, runs the fatal hook (the terminal
 * back to cooked mode) and ends the process with status 1, the status of a
 * VM that failed. LIBKRUN_SECCOMP=log lets such calls through with
 * SECCOMP_RET_LOG (the kernel's audit log names each one); =off installs
 * nothing. LIBKRUN_SECCOMP_SELFTEST=CLASS (main, vcpu, evloop, fs, blk) makes the
 * threads of that class try execve(2) once their filter is in.
 */
#ifndef LIBKRUN_VMM_SECCOMP_H
#define LIBKRUN_VMM_SECCOMP_H

#include <linux/audit.h>
#include <linux/filter.h>
#include <stddef.h>
#include <stdint.h>

/* The lists name x86_64 system calls, and the programs check for that ABI. */
#if !defined(__x86_64__)
#error "the seccomp lists describe the x86_64 system call ABI only"
#endif
#define SECCOMP_AUDIT_ARCH AUDIT_ARCH_X86_64

enum vmm_seccomp_class {
	VMM_SECCOMP_BASE,   /* process-wide: the union, plus setup and thread starts */
	VMM_SECCOMP_MAIN,   /* the caller's thread, waiting in vmm_run for the end */
	VMM_SECCOMP_VCPU,   /* KVM_RUN loops and the MMIO/PIO exits they serve */
	VMM_SECCOMP_EVLOOP, /* device event loop: console, balloon, vsock muxer, TSI, net */
	VMM_SECCOMP_FS,     /* virtio-fs workers: the FUSE server's ops */
	VMM_SECCOMP_BLK,    /* virtio-blk workers: reads, writes, syncs of the images */
	VMM_SECCOMP_NCLASSES,
};

/* One rule of an allow-list (seccomp_lists.c). */
enum seccomp_rule_kind {
	SECCOMP_RULE_ANY,   /* allowed with any arguments */
	SECCOMP_RULE_IN,    /* allowed when argument arg is one of vals */
	SECCOMP_RULE_MASK,  /* allowed when (argument arg & vals[0]) == vals[1] */
	SECCOMP_RULE_ERRNO, /* answered with -vals[0], not run */
};

struct seccomp_rule {
	int nr;
	enum seccomp_rule_kind kind;
	unsigned int arg;   /* 0..5 */
	unsigned int nvals;
	/* Compared with the argument's low 32 bits, all that the kernel reads of
	 * every argument checked here: an int or unsigned int in its prototype
	 * (ioctl's cmd, socket's domain, prctl's option), lower_32_bits() of
	 * clone's flags, or a word whose high bits are refused (mprotect's prot)
	 * or never looked at (mmap's prot). */
	const uint32_t *vals;
};

/* Rules that go together: what glibc itself calls, what the vsock muxer
 * calls (on the loop, and on the caller's thread for the last packets). */
struct seccomp_group {
	const char *name;
	const struct seccomp_rule *rules;
	size_t nrules;
};

#define SECCOMP_MAX_GROUPS 4

/* A class's list: its groups, NULL after the last. The base's own list holds
 * what only setup and thread starts need; its filter adds every class's. */
struct seccomp_list {
	const struct seccomp_group *groups[SECCOMP_MAX_GROUPS + 1];
};

extern const struct seccomp_list seccomp_lists[VMM_SECCOMP_NCLASSES];

/*
 * The filter program for cls (seccomp_bpf.c): the architecture check
 * (SECCOMP_AUDIT_ARCH; x32 syscall numbers refused), then the class's rules,
 * each syscall number once (the base merges every list). deny is the action
 * for everything else (SECCOMP_RET_TRAP, or SECCOMP_RET_LOG). *prog gets a
 * malloc'ed program of *len instructions. 0, -ENOMEM, or -E2BIG past
 * BPF_MAXINSNS.
 */
int seccomp_build(enum vmm_seccomp_class cls, uint32_t deny, struct sock_filter **prog,
		  size_t *len);

/*
 * Reads LIBKRUN_SECCOMP, and unless it is "off": sets PR_SET_NO_NEW_PRIVS,
 * the SIGSYS handler, and installs the base filter on every thread of the
 * process (TSYNC). Call once, before the VMM starts a thread. 0 (filtering
 * on, or off by request), or -errno, logged: a kernel without seccomp
 * filters, a thread of the caller under a filter of its own.
 */
int seccomp_start(void);

/*
 * Adds cls's filter to the calling thread and unblocks SIGSYS there, when
 * seccomp_start turned filtering on; nothing otherwise (unit tests drive the
 * devices without it). 0 or -errno, logged.
 */
int seccomp_enter(enum vmm_seccomp_class cls);

/* Runs in the thread that made a forbidden call, before the process ends
 * (async-signal-safe calls only, within that thread's list). */
void seccomp_on_fatal(void (*fn)(void));

#endif
