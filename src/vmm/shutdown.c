/* SPDX-License-Identifier: Apache-2.0 */
#include "vmm/shutdown.h"

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util/log.h"
#include "vmm/evloop.h"
#include "vmm/guest_abi.h"
#include "vmm/vm.h"
#include "vsock/mux.h"

#define STATUS_TERMINATED (128 + SIGTERM)

/* Lives until the process ends once the VM runs: the loop may call in until
 * then (vm_shutdown_free is for a VM that never ran). */
struct vm_shutdown {
	struct vm *vm;
	struct vsock_mux *mux;
	int sig_fd;     /* signalfd for SIGTERM */
	int request_fd; /* the caller's eventfd, or -1 */
	int ours, theirs; /* the socketpair: ours watched, theirs to the muxer */
	bool asked;     /* the guest was asked */
	bool acked;     /* and answered */
};

static void end_now(struct vm_shutdown *s, const char *why)
{
	log_info("shutdown: %s; stopping the VM", why);
	vm_request_end(s->vm, VM_END_EXIT_REPORT, STATUS_TERMINATED);
}

/* The guest's answer: one byte once its watcher took the request; EOF or an
 * error before that means nobody will stop the workload. */
static void on_answer(void *arg, uint32_t events)
{
	struct vm_shutdown *s = arg;
	char b;
	ssize_t n = read(s->ours, &b, 1);

	if (n == 1) {
		s->acked = true;
		log_debug("shutdown: the guest's init took the request");
	} else if (n < 0 && errno == EAGAIN) {
		return;
	}
	if (n <= 0 || (events & (EPOLLHUP | EPOLLERR))) {
		evloop_del(s->vm->loop, s->ours);
		if (!s->acked)
			end_now(s, "the guest did not take the request");
	}
}

static void ask_guest(struct vm_shutdown *s, const char *why)
{
	int fd;

	if (s->asked) {
		end_now(s, "asked again");
		return;
	}
	s->asked = true;
	if (!s->mux) {
		end_now(s, "no vsock device to ask the guest with");
		return;
	}
	log_info("shutdown: %s; asking the guest's init to stop the workload", why);
	fd = s->theirs;
	s->theirs = -1;
	if (evloop_add(s->vm->loop, s->ours, EPOLLIN | EPOLLRDHUP, on_answer, s) < 0 ||
	    vsock_mux_connect_guest(s->mux, fd, KRUN_VSOCK_SHUTDOWN_PORT) < 0)
		end_now(s, "the request could not be sent");
}

static void on_signal(void *arg, uint32_t events)
{
	struct vm_shutdown *s = arg;
	struct signalfd_siginfo si;

	(void)events;
	while (read(s->sig_fd, &si, sizeof(si)) == sizeof(si))
		ask_guest(s, "SIGTERM");
}

static void on_request(void *arg, uint32_t events)
{
	struct vm_shutdown *s = arg;
	uint64_t v;

	(void)events;
	if (read(s->request_fd, &v, sizeof(v)) == sizeof(v))
		ask_guest(s, "the shutdown eventfd was written");
}

void vm_shutdown_free(struct vm_shutdown *s)
{
	if (!s)
		return;
	close(s->sig_fd);
	close(s->ours);
	if (s->theirs >= 0)
		close(s->theirs);
	free(s);
}

int vm_shutdown_setup(struct vm *vm, struct vsock_mux *mux, int request_fd,
		      struct vm_shutdown **out)
{
	struct vm_shutdown *s = calloc(1, sizeof(*s));
	int sv[2] = { -1, -1 };
	sigset_t term;
	int r;

	if (!s)
		return -ENOMEM;
	s->vm = vm;
	s->mux = mux;
	s->request_fd = request_fd;
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	s->sig_fd = signalfd(-1, &term, SFD_NONBLOCK | SFD_CLOEXEC);
	if (s->sig_fd < 0 ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) < 0) {
		r = -errno;
		log_error("shutdown: cannot set up: %s", strerror(-r));
		goto err;
	}
	s->ours = sv[0];
	s->theirs = sv[1];
	r = evloop_add(vm->loop, s->sig_fd, EPOLLIN, on_signal, s);
	if (r < 0)
		goto err_log;
	if (request_fd >= 0) {
		r = evloop_add(vm->loop, request_fd, EPOLLIN, on_request, s);
		if (r < 0) {
			evloop_del(vm->loop, s->sig_fd);
			goto err_log;
		}
	}
	*out = s;
	return 0;
err_log:
	log_error("shutdown: cannot watch its fds: %s", strerror(-r));
err:
	if (s->sig_fd >= 0)
		close(s->sig_fd);
	if (sv[0] >= 0) {
		close(sv[0]);
		close(sv[1]);
	}
	free(s);
	return r;
}
