/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The seccomp filters at run time: reading the knobs, installing the programs
 * seccomp_bpf.c builds, the SIGSYS handler, the selftest; the contract is in
 * seccomp.h.
 */
#include "vmm/seccomp.h"

#include <errno.h>
#include <linux/seccomp.h>
#include <malloc.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util/log.h"

enum sc_mode { SC_NOT_STARTED, SC_ENFORCE, SC_LOG, SC_OFF };

/*
 * Process-wide, as the base filter itself is (TSYNC): written once by
 * seccomp_start before the VMM starts any thread, read by the threads that
 * seccomp_enter after it.
 */
static struct {
	atomic_int mode;
	struct sock_fprog prog[VMM_SECCOMP_NCLASSES];
	char selftest[16]; /* the class named by LIBKRUN_SECCOMP_SELFTEST */
	void (*_Atomic on_fatal)(void);
} sc = { .mode = SC_NOT_STARTED };

static const char *const class_names[VMM_SECCOMP_NCLASSES] = {
	[VMM_SECCOMP_BASE] = "base", [VMM_SECCOMP_MAIN] = "main", [VMM_SECCOMP_VCPU] = "vcpu",
	[VMM_SECCOMP_EVLOOP] = "evloop", [VMM_SECCOMP_FS] = "fs",
	[VMM_SECCOMP_BLK] = "blk",
};

/* Async-signal context: the thread is ending the process, so log_write's
 * snprintf is acceptable here (it takes no lock and allocates nothing). */
static void on_sigsys(int sig, siginfo_t *si, void *uc)
{
	char name[16] = "?";
	void (*fatal)(void) = atomic_load(&sc.on_fatal);

	(void)sig, (void)uc;
	prctl(PR_GET_NAME, name, 0, 0, 0);
	log_error("seccomp: thread %s made system call %d%s, which its filter does not allow: "
		  "the VMM stops (LIBKRUN_SECCOMP=log lets such calls through and the kernel's "
		  "audit log names them; docs/security.md)", name, si->si_syscall,
		  si->si_arch == SECCOMP_AUDIT_ARCH ? "" : " of another architecture");
	if (fatal)
		fatal();
	syscall(SYS_exit_group, 1); /* not _exit: nothing of a sanitizer's on the way */
}

static int install(const struct sock_fprog *prog, unsigned int flags)
{
	long r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, prog);

	if (r < 0)
		return -errno;
	/* TSYNC: r is a thread that could not be synchronized, being under a
	 * filter that is not an ancestor of ours. */
	if (r > 0) {
		log_error("seccomp: thread %ld of this process runs under a seccomp filter of its "
			  "own, so the VMM's cannot cover it (LIBKRUN_SECCOMP=off runs without)", r);
		return -EBUSY;
	}
	return 0;
}

static void unblock_sigsys(void)
{
	sigset_t s;

	sigemptyset(&s);
	sigaddset(&s, SIGSYS);
	pthread_sigmask(SIG_UNBLOCK, &s, NULL);
}

/* LIBKRUN_SECCOMP_SELFTEST: a call no list has, harmless if let through
 * (execve of a directory fails with EACCES). */
static void selftest(enum vmm_seccomp_class cls)
{
	static const char *const argv[] = { "/", NULL };
	long r;

	if (strcmp(sc.selftest, class_names[cls]) != 0)
		return;
	log_warn("seccomp selftest: the %s thread tries execve", class_names[cls]);
	r = syscall(SYS_execve, "/", argv, argv + 1);
	log_warn("seccomp selftest: execve returned %ld (%s): let through, as "
		 "LIBKRUN_SECCOMP=log does", r, r < 0 ? strerror(errno) : "?");
}

static enum sc_mode mode_from_env(void)
{
	const char *v = getenv("LIBKRUN_SECCOMP");

	if (!v || !*v || !strcmp(v, "on"))
		return SC_ENFORCE;
	if (!strcmp(v, "log"))
		return SC_LOG;
	if (!strcmp(v, "off"))
		return SC_OFF;
	log_warn("LIBKRUN_SECCOMP=%s is not on, log or off: the filters stay on", v);
	return SC_ENFORCE;
}

/* What glibc would otherwise do late, in whatever thread gets there first,
 * with calls most classes may not make. */
static void prepare_glibc(void)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	const char *tun = getenv("GLIBC_TUNABLES");

	/* strerror loads its message catalog at the first call under a
	 * translated locale: files. */
	(void)strerror(EINVAL);
	/* malloc counts the CPUs when a thread first needs a ninth arena
	 * (sched_getaffinity; /sys in later glibc): the same limit, 8 arenas per
	 * CPU, set now, unless the caller chose its own. */
	if (ncpu > 0 && !getenv("MALLOC_ARENA_MAX") && !(tun && strstr(tun, "arena_max")))
		mallopt(M_ARENA_MAX, (int)(8 * ncpu));
}

static int build_all(uint32_t deny)
{
	for (int c = 0; c < VMM_SECCOMP_NCLASSES; c++) {
		struct sock_filter *insn;
		size_t n;
		int r = seccomp_build((enum vmm_seccomp_class)c, deny, &insn, &n);

		if (r < 0) {
			log_error("seccomp: cannot build the %s filter: %s", class_names[c],
				  strerror(-r));
			return r;
		}
		free(sc.prog[c].filter);
		sc.prog[c] = (struct sock_fprog){ .len = (unsigned short)n, .filter = insn };
	}
	return 0;
}

int seccomp_start(void)
{
	enum sc_mode mode = mode_from_env();
	uint32_t deny = mode == SC_LOG ? SECCOMP_RET_LOG : SECCOMP_RET_TRAP;
	const char *st = getenv("LIBKRUN_SECCOMP_SELFTEST");
	struct sigaction sa = { .sa_sigaction = on_sigsys, .sa_flags = SA_SIGINFO };
	int r;

	if (atomic_load(&sc.mode) != SC_NOT_STARTED)
		return 0; /* a second VM of the process: the base is in already */
	if (mode == SC_OFF) {
		log_warn("LIBKRUN_SECCOMP=off: the VMM runs without its seccomp filters");
		atomic_store(&sc.mode, SC_OFF);
		return 0;
	}
	if (syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &deny) < 0) {
		r = -errno;
		log_error("seccomp: the kernel does not offer filters with action %#x: %s "
			  "(LIBKRUN_SECCOMP=off runs without)", deny, strerror(-r));
		return r;
	}
	r = build_all(deny);
	if (r < 0)
		return r;
	prepare_glibc();
	snprintf(sc.selftest, sizeof(sc.selftest), "%s", st ? st : "");
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSYS, &sa, NULL) < 0 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		r = -errno;
		log_error("seccomp: SIGSYS handler or no_new_privs: %s", strerror(-r));
		return r;
	}
	unblock_sigsys();
	r = install(&sc.prog[VMM_SECCOMP_BASE], SECCOMP_FILTER_FLAG_TSYNC);
	if (r < 0) {
		if (r != -EBUSY)
			log_error("seccomp: cannot install the base filter: %s", strerror(-r));
		return r;
	}
	atomic_store(&sc.mode, mode);
	log_debug("seccomp: filters on (%s), base filter of %u instructions",
		  mode == SC_LOG ? "log" : "enforcing", sc.prog[VMM_SECCOMP_BASE].len);
	return 0;
}

int seccomp_enter(enum vmm_seccomp_class cls)
{
	int mode = atomic_load(&sc.mode), r;

	if (mode != SC_ENFORCE && mode != SC_LOG)
		return 0;
	if (cls == VMM_SECCOMP_BASE || cls >= VMM_SECCOMP_NCLASSES)
		return -EINVAL;
	unblock_sigsys();
	r = install(&sc.prog[cls], 0);
	if (r < 0) {
		log_error("seccomp: cannot install the %s filter: %s", class_names[cls],
			  strerror(-r));
		return r;
	}
	if (sc.selftest[0])
		selftest(cls);
	return 0;
}

void seccomp_on_fatal(void (*fn)(void))
{
	atomic_store(&sc.on_fatal, fn);
}
