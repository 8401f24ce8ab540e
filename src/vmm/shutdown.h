/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Orderly shutdown: SIGTERM to the VMM process, or a write to the eventfd of
 * krun_get_shutdown_eventfd, asks the guest's init to stop the workload
 * (guest_abi.h, KRUN_VSOCK_SHUTDOWN_PORT: SIGTERM to it, SIGKILL after a grace
 * period), so the VM still ends through init's exit report with the
 * workload's own status.
 *
 * The request travels as a vsock connection from the host to that guest port;
 * init's watcher accepts it and answers one byte. Without a vsock device, or
 * when the guest refuses or closes the connection without that byte, or on a
 * second SIGTERM, the VM ends at once with status 128 + SIGTERM (143), which
 * is what the signal's default action would have given.
 */
#ifndef LIBKRUN_VMM_SHUTDOWN_H
#define LIBKRUN_VMM_SHUTDOWN_H

struct vm;
struct vm_shutdown;
struct vsock_mux;

/*
 * Watches SIGTERM (the caller blocked it in every thread, before any VM thread
 * existed) and request_fd (an eventfd; -1: none) on vm's loop. mux may be
 * NULL (no vsock device). Everything it needs later is made here, before the
 * seccomp filters: the loop thread then only reads and hands fds over.
 * 0 or -errno (logged).
 */
int vm_shutdown_setup(struct vm *vm, struct vsock_mux *mux, int request_fd,
		      struct vm_shutdown **out);
/* For a VM that never ran, after its loop is gone: closes what setup made
 * (not request_fd, the caller's). NULL is fine. */
void vm_shutdown_free(struct vm_shutdown *s);

#endif
