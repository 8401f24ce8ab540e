/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What each VMM thread may call (seccomp.h says how the lists are used).
 * Made from what each thread was seen calling under `strace -f` during the
 * VM tests that drive its devices (fs_*, vsock_*, tsi_*, balloon, blk_*, vmm_*),
 * then checked against the code for paths no test takes (a device reset,
 * an error). glibc's own calls are in the common group: malloc (mmap,
 * mprotect for arena growth, munmap, madvise, brk, mremap for realloc),
 * futex for every lock, clock_gettime, gettimeofday and time where the vDSO
 * cannot serve them, rt_sigprocmask; and the fatal paths: the SIGSYS
 * handler's thread name (prctl PR_GET_NAME), the terminal restored (ioctl
 * TCSETSF), a fatal signal re-raised (rt_sigaction, tgkill), exit_group.
 * One glibc call is answered, not allowed: the first time a thread's malloc
 * arena shrinks, glibc reads /proc/sys/vm/overcommit_memory (malloc/arena.c,
 * check_may_shrink_heap) by openat; EACCES leaves it at "not mode 2", which
 * only chooses how the freed tail goes back (MADV_DONTNEED rather than a new
 * mapping), and glibc keeps that answer. A thread whose class opens files
 * (virtio-fs) gets openat itself: the merged rule is "any".
 *
 * Never allowed anywhere: new programs (execve, execveat), new processes
 * (fork, vfork, clone without CLONE_THREAD), tracing, module and kexec
 * loading, mounts, namespaces (unshare), bpf, perf_event_open, keyrings,
 * userfaultfd, new executable memory past the setup, sockets of families
 * other than unix, IPv4, IPv6 and netlink, and every ioctl not named here
 * (TIOCSTI, which types into the caller's terminal, among them).
 */
#include "vmm/seccomp.h"

#include <errno.h>
#include <linux/kvm.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define ANY(name) { .nr = SYS_##name, .kind = SECCOMP_RULE_ANY }
#define IN(name, argi, v) \
	{ .nr = SYS_##name, .kind = SECCOMP_RULE_IN, .arg = (argi), .nvals = N(v), .vals = (v) }
#define MASK(name, argi, mv) \
	{ .nr = SYS_##name, .kind = SECCOMP_RULE_MASK, .arg = (argi), .nvals = 2, .vals = (mv) }
#define ERRNO(name, ev) \
	{ .nr = SYS_##name, .kind = SECCOMP_RULE_ERRNO, .nvals = 1, .vals = (ev) }
#define GROUP(id, rules) \
	static const struct seccomp_group id = { #id, rules, N(rules) }

/* mmap and mprotect without PROT_EXEC: no new code once the setup is done. */
static const uint32_t no_exec[] = { PROT_EXEC, 0 };
static const uint32_t ioctl_common[] = { TCSETSF };
static const uint32_t prctl_common[] = { PR_GET_NAME };
static const uint32_t eacces[] = { EACCES };

static const struct seccomp_rule common_rules[] = {
	ANY(futex), ANY(sched_yield), ANY(restart_syscall),
	ANY(clock_gettime), ANY(clock_nanosleep), ANY(gettimeofday), ANY(time), ANY(nanosleep),
	MASK(mmap, 2, no_exec), MASK(mprotect, 2, no_exec), ANY(munmap), ANY(madvise),
	ANY(brk), ANY(mremap),
	ANY(write), ANY(rt_sigprocmask), ANY(rt_sigreturn), ANY(rt_sigaction),
	ANY(getpid), ANY(gettid), ANY(tgkill),
	IN(ioctl, 1, ioctl_common), IN(prctl, 0, prctl_common),
	ANY(exit), ANY(exit_group), ERRNO(openat, eacces),
};
GROUP(common, common_rules);

/* The vsock muxer and TSI, on the event loop and, for the guest's last
 * packets (vsock_mux_drain), on the caller's thread: every socket call a
 * guest connection, listener or datagram maps to, the unix ports' sockets,
 * and the netlink route lookups of TSI's policy; a deferred interrupt's
 * timer (timerfd_settime: virtio/irq_defer.h, vsock and virtio-net). */
static const uint32_t socket_domains[] = { AF_UNIX, AF_INET, AF_INET6, AF_NETLINK };

static const struct seccomp_rule vsock_rules[] = {
	IN(socket, 0, socket_domains), ANY(connect), ANY(bind), ANY(listen), ANY(accept4),
	ANY(accept), ANY(getsockopt), ANY(setsockopt), ANY(getsockname), ANY(getpeername),
	ANY(shutdown), ANY(sendmsg), ANY(recvmsg), ANY(sendto), ANY(recvfrom),
	ANY(read), ANY(readv), ANY(writev), ANY(close), ANY(fcntl),
	ANY(poll), ANY(ppoll), ANY(epoll_ctl), ANY(timerfd_settime),
};
GROUP(vsock, vsock_rules);

/* The caller's thread from the vCPUs' start to the end: it waits, stops the
 * loop (its eventfd), drains vsock, flushes the console and stdio, restores
 * the terminal (TCGETS: stdio may ask isatty first) and exits. */
static const uint32_t ioctl_main[] = { TCGETS };

static const struct seccomp_rule main_rules[] = {
	IN(ioctl, 1, ioctl_main), ANY(newfstatat), ANY(fstat),
};
GROUP(main_own, main_rules);

/* vCPUs: KVM_RUN, the registers and address translation a fatal exit's
 * report reads (vcpu_exit.c), and what MMIO register writes do on this
 * thread: queue notifies without an ioeventfd (an eventfd write), device
 * activation and reset (the console reads the window size when its driver
 * comes up, vsock closes its connections, virtio-fs waits for its workers),
 * interrupts (irqfd writes), the exit report; with a split irqchip, the
 * IOAPIC's route rewrites (arch/x86_64/ioapic.h); a vhost-user device's
 * messages to its backend at activation, reset and config access (sendmsg
 * with the memfd and eventfds, recv, poll for the bounded wait:
 * devices/vhost_user/vu_conn.h). */
static const uint32_t ioctl_vcpu[] = {
	KVM_RUN, KVM_GET_REGS, KVM_GET_SREGS, KVM_TRANSLATE, KVM_SET_GSI_ROUTING, TIOCGWINSZ,
};

static const struct seccomp_rule vcpu_rules[] = {
	IN(ioctl, 1, ioctl_vcpu), ANY(close), ANY(epoll_ctl), ANY(read),
	ANY(sendmsg), ANY(recvfrom), ANY(poll), ANY(ppoll),
};
GROUP(vcpu_own, vcpu_rules);

/* The device loop: epoll, eventfds (queue kicks, irqfds), the console's
 * input (its fds as given: poll says whether a read would block), output
 * and SIGWINCH signalfd with the window size, the balloon's madvise;
 * virtio-net's backend and its deferred TX interrupt (read, send, write,
 * timerfd_settime: the vsock group and common). */
static const uint32_t ioctl_evloop[] = { TIOCGWINSZ };

static const struct seccomp_rule evloop_rules[] = {
	ANY(epoll_wait), ANY(epoll_pwait), IN(ioctl, 1, ioctl_evloop),
	ANY(newfstatat), ANY(fstat),
};
GROUP(evloop_own, evloop_rules);

/* virtio-fs workers: the FUSE ops of src/fs/ (ops_*.c), as glibc makes
 * them: every name through openat2 or an *at call relative to an O_PATH fd,
 * the xattr and chown calls with no *at form on /proc/self/fd/N paths, the
 * credentials of passthrough_privileges (setfsuid/setfsgid), the used-ring
 * interrupt (an irqfd write). */
static const struct seccomp_rule fs_rules[] = {
	ANY(openat), ANY(openat2), ANY(open), ANY(close), ANY(newfstatat), ANY(fstat),
	ANY(statx), ANY(statfs), ANY(fstatfs), ANY(getdents64), ANY(lseek),
	ANY(read), ANY(pread64), ANY(preadv), ANY(preadv2), ANY(pwrite64), ANY(pwritev),
	ANY(pwritev2), ANY(fsync), ANY(fdatasync), ANY(fallocate), ANY(ftruncate),
	ANY(copy_file_range), ANY(rename), ANY(renameat), ANY(renameat2), ANY(linkat),
	ANY(symlinkat), ANY(unlinkat), ANY(mkdirat), ANY(mknodat), ANY(readlinkat),
	ANY(readlink), ANY(fchmod), ANY(fchmodat), ANY(fchown), ANY(fchownat), ANY(chown),
	ANY(lchown), ANY(utimensat), ANY(faccessat), ANY(faccessat2),
	ANY(getxattr), ANY(lgetxattr), ANY(fgetxattr), ANY(setxattr), ANY(lsetxattr),
	ANY(fsetxattr), ANY(listxattr), ANY(llistxattr), ANY(flistxattr), ANY(removexattr),
	ANY(lremovexattr), ANY(fremovexattr), ANY(fcntl), ANY(umask),
	ANY(setfsuid), ANY(setfsgid), ANY(geteuid),
};
GROUP(fs_own, fs_rules);

/* virtio-blk workers: the image formats' I/O (devices/blk/disk.h): vectored
 * reads and writes, fdatasync for FLUSH, fallocate for DISCARD and
 * WRITE_ZEROES, the used-ring interrupt (an irqfd write). */
static const struct seccomp_rule blk_rules[] = {
	ANY(preadv), ANY(pwritev), ANY(pread64), ANY(pwrite64), ANY(fdatasync), ANY(fsync),
	ANY(fallocate),
};
GROUP(blk_own, blk_rules);

/*
 * Only in the base: starting the loop's and the vCPUs' threads after it is in
 * (glibc's pthread_create: clone3 answered ENOSYS so that glibc falls back to
 * clone, whose flags a filter can see, and only as a thread; the stack's
 * mapping, executable where a loaded library asks for executable stacks;
 * set_robust_list, rseq and the name in the new thread), and each thread's
 * own filter on top of the base (seccomp, SECCOMP_SET_MODE_FILTER only).
 */
static const uint32_t clone_thread[] = {
	CLONE_VM | CLONE_THREAD | CLONE_SIGHAND, CLONE_VM | CLONE_THREAD | CLONE_SIGHAND,
};
static const uint32_t enosys[] = { ENOSYS };
static const uint32_t prctl_base[] = { PR_SET_NAME, PR_GET_NAME };
static const uint32_t seccomp_ops[] = { SECCOMP_SET_MODE_FILTER };

static const struct seccomp_rule base_rules[] = {
	MASK(clone, 0, clone_thread), ERRNO(clone3, enosys), ANY(mmap), ANY(mprotect),
	ANY(set_robust_list), ANY(rseq), IN(prctl, 0, prctl_base), IN(seccomp, 0, seccomp_ops),
};
GROUP(base_own, base_rules);

const struct seccomp_list seccomp_lists[VMM_SECCOMP_NCLASSES] = {
	[VMM_SECCOMP_BASE] = { { &common, &base_own } },
	[VMM_SECCOMP_MAIN] = { { &common, &vsock, &main_own } },
	[VMM_SECCOMP_VCPU] = { { &common, &vcpu_own } },
	[VMM_SECCOMP_EVLOOP] = { { &common, &vsock, &evloop_own } },
	[VMM_SECCOMP_FS] = { { &common, &fs_own } },
	[VMM_SECCOMP_BLK] = { { &common, &blk_own } },
};
