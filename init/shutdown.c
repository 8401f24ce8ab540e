/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The shutdown watcher (guest_abi.h, KRUN_VSOCK_SHUTDOWN_PORT): a child of
 * init that waits for the VMM's connection on that vsock port, then sends the
 * workload SIGTERM, answers one byte so that the VMM knows someone acts, and
 * sends SIGKILL if the workload is still there after the grace period. Init
 * goes on reaping as usual, so the status it reports is the workload's own;
 * the watcher dies with everything else once the workload has exited.
 *
 * A process of its own rather than a poll in init's reaping loop: init stays
 * a plain waitpid loop, and a watcher that fails only loses the orderly path
 * (the VMM then ends the VM itself, vmm/shutdown.h).
 */
#include "init.h"

#include <errno.h>
#include <signal.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <linux/vm_sockets.h>

#include "vmm/guest_abi.h"

static void sleep_s(unsigned int s)
{
	struct timespec left = { (time_t)s, 0 };

	while (nanosleep(&left, &left) < 0 && errno == EINTR) {
	}
}

__attribute__((noreturn)) static void watch(pid_t workload)
{
	struct sockaddr_vm any = {
		.svm_family = AF_VSOCK, .svm_cid = VMADDR_CID_ANY,
		.svm_port = KRUN_VSOCK_SHUTDOWN_PORT,
	};
	int fd = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0), c;

	/* No vsock device: nobody can ask; the VMM knows it has no device. */
	if (fd < 0)
		_exit(0);
	if (bind(fd, (struct sockaddr *)&any, sizeof(any)) < 0 || listen(fd, 1) < 0) {
		init_log("shutdown watcher: cannot listen on vsock port %#x: %m",
			 KRUN_VSOCK_SHUTDOWN_PORT);
		_exit(1);
	}
	do
		c = accept(fd, NULL, NULL);
	while (c < 0 && errno == EINTR);
	if (c < 0) {
		init_log("shutdown watcher: accept: %m");
		_exit(1);
	}
	kill(workload, SIGTERM);
	if (write(c, "1", 1) != 1)
		init_log("shutdown watcher: cannot answer the VMM: %m");
	sleep_s(KRUN_SHUTDOWN_GRACE_S);
	init_log("the workload did not stop within %d s of SIGTERM: SIGKILL",
		 KRUN_SHUTDOWN_GRACE_S);
	kill(workload, SIGKILL);
	_exit(0);
}

void shutdown_watch_start(pid_t workload)
{
	pid_t pid = fork();

	if (pid == 0)
		watch(workload);
	if (pid < 0)
		init_log("no shutdown watcher (fork: %m): a shutdown request ends the VM at once");
}
