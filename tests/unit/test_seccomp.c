/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The VMM's seccomp filters (src/vmm/seccomp*.c): each class's program run
 * by a small classic-BPF interpreter on made-up seccomp_data (what it allows,
 * refuses, and that the base allows whatever any class does), then the real
 * thing in forked children: the kernel accepts the programs, an allowed call
 * runs, a forbidden one ends the process through the SIGSYS handler with its
 * log line, LIBKRUN_SECCOMP=log lets it through, =off installs nothing. The
 * children make raw system calls only once filtered, and leave by _exit.
 */
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/kvm.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "libkrun.h"
#include "vmm/seccomp.h"

#define TRAP SECCOMP_RET_TRAP
#define ALLOW SECCOMP_RET_ALLOW

struct prog {
	struct sock_filter *insn;
	size_t n;
};

static struct prog build(enum vmm_seccomp_class cls, uint32_t deny)
{
	struct prog p;

	CHECK_EQ(seccomp_build(cls, deny, &p.insn, &p.n), 0);
	CHECK(p.n > 6 && p.n <= BPF_MAXINSNS);
	return p;
}

/* Classic BPF as seccomp runs it, for the instructions our builder emits;
 * anything else fails the test. */
static uint32_t run(const struct prog *p, const struct seccomp_data *d)
{
	uint32_t a = 0;

	for (size_t pc = 0; pc < p->n; pc++) {
		const struct sock_filter *f = &p->insn[pc];

		switch (f->code) {
		case BPF_LD | BPF_W | BPF_ABS:
			CHECK(f->k % 4 == 0 && f->k + 4 <= sizeof(*d));
			memcpy(&a, (const char *)d + f->k, 4);
			break;
		case BPF_JMP | BPF_JEQ | BPF_K:
			pc += a == f->k ? f->jt : f->jf;
			break;
		case BPF_JMP | BPF_JGE | BPF_K:
			pc += a >= f->k ? f->jt : f->jf;
			break;
		case BPF_ALU | BPF_AND | BPF_K:
			a &= f->k;
			break;
		case BPF_RET | BPF_K:
			return f->k;
		default:
			harness_fail(__FILE__, __LINE__, "instruction %zu: code %#x", pc, f->code);
		}
		CHECK(pc + 1 < p->n); /* a jump never leaves the program */
	}
	harness_fail(__FILE__, __LINE__, "fell off the end of the program");
}

static uint32_t call(const struct prog *p, long nr, uint64_t a0, uint64_t a1, uint64_t a2)
{
	struct seccomp_data d = { .nr = (int)nr, .arch = AUDIT_ARCH_X86_64,
				  .args = { a0, a1, a2 } };

	return run(p, &d);
}

static const enum vmm_seccomp_class classes[] = {
	VMM_SECCOMP_MAIN, VMM_SECCOMP_VCPU, VMM_SECCOMP_EVLOOP, VMM_SECCOMP_FS,
};

TEST(seccomp_every_class_refuses_other_abis_and_new_programs)
{
	for (size_t c = 0; c <= sizeof(classes) / sizeof(classes[0]); c++) {
		enum vmm_seccomp_class cls = c ? classes[c - 1] : VMM_SECCOMP_BASE;
		struct prog p = build(cls, TRAP);
		struct seccomp_data i386_write = { .nr = 4, .arch = AUDIT_ARCH_I386 };

		CHECK_EQ(call(&p, SYS_futex, 0, 0, 0), ALLOW);
		CHECK_EQ(call(&p, SYS_write, 2, 0, 0), ALLOW);
		CHECK_EQ(call(&p, SYS_exit_group, 0, 0, 0), ALLOW);
		CHECK_EQ(run(&p, &i386_write), TRAP);
		CHECK_EQ(call(&p, 0x40000000 | SYS_write, 2, 0, 0), TRAP); /* x32 */
		CHECK_EQ(call(&p, -1, 0, 0, 0), TRAP);
		CHECK_EQ(call(&p, 1000, 0, 0, 0), TRAP);
		CHECK_EQ(call(&p, SYS_execve, 0, 0, 0), TRAP);
		CHECK_EQ(call(&p, SYS_execveat, 0, 0, 0), TRAP);
		CHECK_EQ(call(&p, SYS_fork, 0, 0, 0), TRAP);
		CHECK_EQ(call(&p, SYS_vfork, 0, 0, 0), TRAP);
		CHECK_EQ(call(&p, SYS_clone, SIGCHLD, 0, 0), TRAP); /* fork by clone */
		CHECK_EQ(call(&p, SYS_ptrace, 0, 0, 0), TRAP);
		CHECK_EQ(call(&p, SYS_process_vm_writev, 0, 0, 0), TRAP);
		CHECK_EQ(call(&p, SYS_mount, 0, 0, 0), TRAP);
		CHECK_EQ(call(&p, SYS_bpf, 0, 0, 0), TRAP);
		CHECK_EQ(call(&p, SYS_unshare, CLONE_NEWUSER, 0, 0), TRAP);
		CHECK_EQ(call(&p, SYS_ioctl, 0, TIOCSTI, 0), TRAP);
		CHECK_EQ(call(&p, SYS_ioctl, 0, TCSETSF, 0), ALLOW); /* the fatal hook */
		CHECK_EQ(call(&p, SYS_prctl, PR_GET_NAME, 0, 0), ALLOW);
		CHECK_EQ(call(&p, SYS_prctl, PR_SET_DUMPABLE, 1, 0), TRAP);
		CHECK_EQ(call(&p, SYS_mmap, 0, 4096, PROT_READ | PROT_WRITE), ALLOW);
		CHECK_EQ(call(&p, SYS_socket, AF_PACKET, SOCK_RAW, 0), TRAP);
		if (cls != VMM_SECCOMP_BASE) {
			/* No new code once the setup is done. */
			CHECK_EQ(call(&p, SYS_mmap, 0, 4096, PROT_READ | PROT_EXEC), TRAP);
			CHECK_EQ(call(&p, SYS_mprotect, 0, 4096, PROT_EXEC), TRAP);
			CHECK_EQ(call(&p, SYS_clone3, 0, 0, 0), TRAP);
			CHECK_EQ(call(&p, SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, 0), TRAP);
		}
		free(p.insn);
	}
}

TEST(seccomp_base_starts_threads_only_as_threads)
{
	struct prog p = build(VMM_SECCOMP_BASE, TRAP);
	const uint64_t glibc_thread = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND |
				      CLONE_THREAD | CLONE_SYSVSEM | CLONE_SETTLS |
				      CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID;

	CHECK_EQ(call(&p, SYS_clone, glibc_thread, 0, 0), ALLOW);
	CHECK_EQ(call(&p, SYS_clone, glibc_thread & ~(uint64_t)CLONE_THREAD, 0, 0), TRAP);
	CHECK_EQ(call(&p, SYS_clone, CLONE_VM | CLONE_VFORK | SIGCHLD, 0, 0), TRAP);
	/* clone3's flags are in memory, out of a filter's sight: ENOSYS makes
	 * glibc fall back to clone. */
	CHECK_EQ(call(&p, SYS_clone3, 0, 0, 0), SECCOMP_RET_ERRNO | ENOSYS);
	/* virtio-fs workers took their own fs context before the filters. */
	CHECK_EQ(call(&p, SYS_unshare, CLONE_FS, 0, 0), TRAP);
	CHECK_EQ(call(&p, SYS_prctl, PR_SET_NAME, 0, 0), ALLOW);
	CHECK_EQ(call(&p, SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, 0), ALLOW);
	CHECK_EQ(call(&p, SYS_seccomp, SECCOMP_SET_MODE_STRICT, 0, 0), TRAP);
	CHECK_EQ(call(&p, SYS_mmap, 0, 4096, PROT_READ | PROT_EXEC), ALLOW); /* exec stacks */
	free(p.insn);
}

TEST(seccomp_each_class_gets_its_own_calls_and_not_the_others)
{
	struct prog vcpu = build(VMM_SECCOMP_VCPU, TRAP), loop = build(VMM_SECCOMP_EVLOOP, TRAP);
	struct prog fs = build(VMM_SECCOMP_FS, TRAP), main_ = build(VMM_SECCOMP_MAIN, TRAP);

	/* vCPUs: KVM_RUN and what the exit report reads, nothing of a file. The
	 * kernel reads ioctl's cmd as 32 bits: high bits change nothing. */
	CHECK_EQ(call(&vcpu, SYS_ioctl, 5, KVM_RUN, 0), ALLOW);
	CHECK_EQ(call(&vcpu, SYS_ioctl, 5, 0xffffffff00000000ull | KVM_RUN, 0), ALLOW);
	CHECK_EQ(call(&vcpu, SYS_ioctl, 5, KVM_GET_SREGS, 0), ALLOW);
	CHECK_EQ(call(&vcpu, SYS_ioctl, 5, KVM_SET_SREGS, 0), TRAP);
	CHECK_EQ(call(&vcpu, SYS_ioctl, 5, KVM_SET_GSI_ROUTING, 0), ALLOW); /* split irqchip */
	CHECK_EQ(call(&vcpu, SYS_ioctl, 5, KVM_IRQFD, 0), TRAP);
	CHECK_EQ(call(&vcpu, SYS_ioctl, 5, KVM_SET_USER_MEMORY_REGION, 0), TRAP);
	/* No file by name: openat is answered EACCES (glibc's malloc asks for
	 * /proc/sys/vm/overcommit_memory once: seccomp_lists.c), open traps. */
	CHECK_EQ(call(&vcpu, SYS_openat, 0, 0, 0), SECCOMP_RET_ERRNO | EACCES);
	CHECK_EQ(call(&vcpu, SYS_open, 0, 0, 0), TRAP);
	CHECK_EQ(call(&vcpu, SYS_socket, AF_INET, SOCK_STREAM, 0), TRAP);
	CHECK_EQ(call(&vcpu, SYS_clone, CLONE_VM | CLONE_THREAD | CLONE_SIGHAND, 0, 0), TRAP);
	/* The loop: sockets of the four families TSI and vsock use, epoll. */
	CHECK_EQ(call(&loop, SYS_epoll_wait, 0, 0, 0), ALLOW);
	CHECK_EQ(call(&loop, SYS_socket, AF_INET6, SOCK_STREAM, 0), ALLOW);
	CHECK_EQ(call(&loop, SYS_socket, AF_NETLINK, SOCK_RAW, 0), ALLOW);
	CHECK_EQ(call(&loop, SYS_socket, AF_VSOCK, SOCK_STREAM, 0), TRAP);
	CHECK_EQ(call(&loop, SYS_ioctl, 0, TIOCGWINSZ, 0), ALLOW);
	CHECK_EQ(call(&loop, SYS_ioctl, 0, KVM_RUN, 0), TRAP);
	CHECK_EQ(call(&loop, SYS_openat, 0, 0, 0), SECCOMP_RET_ERRNO | EACCES);
	CHECK_EQ(call(&loop, SYS_openat2, 0, 0, 0), TRAP);
	CHECK_EQ(call(&loop, SYS_unlinkat, 0, 0, 0), TRAP);
	/* virtio-fs workers: files, never a socket or KVM. */
	CHECK_EQ(call(&fs, SYS_openat2, 0, 0, 0), ALLOW);
	CHECK_EQ(call(&fs, SYS_openat, 0, 0, 0), ALLOW);
	CHECK_EQ(call(&fs, SYS_renameat2, 0, 0, 0), ALLOW);
	CHECK_EQ(call(&fs, SYS_fsetxattr, 0, 0, 0), ALLOW);
	CHECK_EQ(call(&fs, SYS_socket, AF_UNIX, SOCK_STREAM, 0), TRAP);
	CHECK_EQ(call(&fs, SYS_connect, 0, 0, 0), TRAP);
	CHECK_EQ(call(&fs, SYS_ioctl, 0, KVM_RUN, 0), TRAP);
	/* The caller's thread: vsock's last packets, no file by name, no KVM. */
	CHECK_EQ(call(&main_, SYS_sendmsg, 0, 0, 0), ALLOW);
	CHECK_EQ(call(&main_, SYS_openat, 0, 0, 0), SECCOMP_RET_ERRNO | EACCES);
	CHECK_EQ(call(&main_, SYS_ioctl, 0, KVM_RUN, 0), TRAP);
	free(vcpu.insn);
	free(loop.insn);
	free(fs.insn);
	free(main_.insn);
}

/* Whatever one class allows, the base allows: for every syscall number and
 * every argument value a rule names (and a few others). */
TEST(seccomp_base_allows_whatever_a_class_allows)
{
	struct prog base = build(VMM_SECCOMP_BASE, TRAP);
	uint32_t samples[256] = { 0, 1, 0xffffffffu, PROT_EXEC };
	size_t ns = 4;

	for (int c = 0; c < VMM_SECCOMP_NCLASSES; c++)
		for (const struct seccomp_group *const *g = seccomp_lists[c].groups; *g; g++)
			for (size_t i = 0; i < (*g)->nrules; i++)
				for (unsigned int v = 0; v < (*g)->rules[i].nvals && ns < 256; v++)
					samples[ns++] = (*g)->rules[i].vals[v];
	for (size_t c = 0; c < sizeof(classes) / sizeof(classes[0]); c++) {
		struct prog p = build(classes[c], TRAP);

		for (long nr = 0; nr < 512; nr++)
			for (size_t s = 0; s < ns; s++)
				for (int arg = 0; arg < 3; arg++) {
					uint64_t a[3] = { 0, 0, 0 };
					uint32_t got;

					a[arg] = samples[s];
					got = call(&p, nr, a[0], a[1], a[2]);
					if (got == ALLOW && call(&base, nr, a[0], a[1], a[2]) != ALLOW)
						harness_fail(__FILE__, __LINE__,
							     "class %zu allows %ld arg%d=%#x, "
							     "the base does not", c, nr, arg,
							     samples[s]);
				}
		free(p.insn);
	}
	free(base.insn);
}

TEST(seccomp_log_mode_logs_instead_of_trapping)
{
	struct prog p = build(VMM_SECCOMP_VCPU, SECCOMP_RET_LOG);

	CHECK_EQ(call(&p, SYS_execve, 0, 0, 0), SECCOMP_RET_LOG);
	CHECK_EQ(call(&p, SYS_ioctl, 0, TIOCSTI, 0), SECCOMP_RET_LOG);
	CHECK_EQ(call(&p, SYS_ioctl, 0, KVM_RUN, 0), ALLOW);
	free(p.insn);
}

/* A child: f runs with stderr into a pipe; returns the wait status and what
 * it wrote in out. */
static int in_child(void (*f)(void), char *out, size_t cap)
{
	int fd[2], status;
	ssize_t n, got = 0;
	pid_t pid;

	CHECK(pipe(fd) == 0);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		dup2(fd[1], STDERR_FILENO);
		close(fd[0]);
		f();
		_exit(0);
	}
	close(fd[1]);
	while ((n = read(fd[0], out + got, cap - 1 - (size_t)got)) > 0)
		got += n;
	out[got] = '\0';
	close(fd[0]);
	CHECK(waitpid(pid, &status, 0) == pid);
	return status;
}

static void child_raw_filter(void)
{
	struct sock_filter *insn;
	size_t n;

	if (seccomp_build(VMM_SECCOMP_VCPU, SECCOMP_RET_TRAP, &insn, &n) < 0)
		_exit(10);
	struct sock_fprog fp = { .len = (unsigned short)n, .filter = insn };
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fp) < 0)
		_exit(11);
	syscall(SYS_getpid);   /* allowed */
	syscall(SYS_getppid);  /* in no list: SIGSYS, no handler here */
	_exit(12);
}

TEST(seccomp_kernel_takes_the_program_and_traps_a_forbidden_call)
{
	char out[64];
	int st = in_child(child_raw_filter, out, sizeof(out));

	CHECK(WIFSIGNALED(st));
	CHECK_EQ(WTERMSIG(st), SIGSYS);
}

static void child_start_then(enum vmm_seccomp_class cls, const char *mode)
{
	if (mode)
		setenv("LIBKRUN_SECCOMP", mode, 1);
	unsetenv("LIBKRUN_SECCOMP_SELFTEST");
	if (seccomp_start() < 0 || seccomp_enter(cls) < 0)
		_exit(20);
	if (syscall(SYS_getppid) < 0)
		_exit(21);
	_exit(0);
}

static void child_enforce(void)
{
	child_start_then(VMM_SECCOMP_FS, NULL);
}

TEST(seccomp_forbidden_call_ends_the_process_with_status_1_and_says_which)
{
	char out[2048], want[64];
	int st = in_child(child_enforce, out, sizeof(out));

	if (!WIFEXITED(st))
		harness_fail(__FILE__, __LINE__, "status %#x, log: %s", st, out);
	CHECK_EQ(WEXITSTATUS(st), 1);
	snprintf(want, sizeof(want), "made system call %d,", (int)SYS_getppid);
	if (!strstr(out, want) || !strstr(out, "LIBKRUN_SECCOMP=log"))
		harness_fail(__FILE__, __LINE__, "log: %s", out);
}

static void child_log(void)
{
	child_start_then(VMM_SECCOMP_VCPU, "log");
}

static void child_off(void)
{
	setenv("LIBKRUN_SECCOMP", "off", 1);
	if (seccomp_start() < 0 || seccomp_enter(VMM_SECCOMP_VCPU) < 0)
		_exit(20);
	/* No filter at all: a call in no list runs. */
	if (prctl(PR_GET_SECCOMP, 0, 0, 0, 0) != 0 || syscall(SYS_getppid) < 0)
		_exit(21);
	_exit(0);
}

TEST(seccomp_log_mode_lets_calls_through_and_off_installs_nothing)
{
	char out[2048];
	int st = in_child(child_log, out, sizeof(out));

	CHECK(WIFEXITED(st));
	CHECK_EQ(WEXITSTATUS(st), 0);
	st = in_child(child_off, out, sizeof(out));
	CHECK(WIFEXITED(st));
	CHECK_EQ(WEXITSTATUS(st), 0);
	CHECK(strstr(out, "LIBKRUN_SECCOMP=off") != NULL);
}

static void child_selftest(void)
{
	setenv("LIBKRUN_SECCOMP_SELFTEST", "evloop", 1);
	unsetenv("LIBKRUN_SECCOMP");
	if (seccomp_start() < 0)
		_exit(20);
	seccomp_enter(VMM_SECCOMP_EVLOOP); /* tries execve: ends here */
	_exit(22);
}

TEST(seccomp_selftest_tries_execve_in_the_named_class)
{
	char out[2048], want[64];
	int st = in_child(child_selftest, out, sizeof(out));

	CHECK(WIFEXITED(st));
	CHECK_EQ(WEXITSTATUS(st), 1);
	snprintf(want, sizeof(want), "made system call %d,", (int)SYS_execve);
	if (!strstr(out, want))
		harness_fail(__FILE__, __LINE__, "log: %s", out);
}
