/* SPDX-License-Identifier: Apache-2.0 */
/* UNIX-socket endpoints for the vsock muxer; contract in unix.h. */
#include "vsock/unix.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "util/log.h"
#include "vsock/mux.h"

#define LISTEN_BACKLOG 128

/* A non-blocking stream socket and the address of path; the fd or -errno. */
static int unix_socket(const char *path, struct sockaddr_un *sa)
{
	size_t len = strlen(path);
	int fd;

	if (len == 0 || len >= sizeof(sa->sun_path))
		return -ENAMETOOLONG;
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	memcpy(sa->sun_path, path, len + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	return fd < 0 ? -errno : fd;
}

/* The service's connect: arg is the path. Runs on the loop thread, so the
 * socket is non-blocking; a UNIX connect completes or fails at once (a full
 * backlog is EAGAIN, which refuses the guest like a missing listener). */
static int unix_connect(void *arg, uint32_t guest_port, bool *in_progress)
{
	const char *path = arg;
	struct sockaddr_un sa;
	int fd, r;

	fd = unix_socket(path, &sa);
	if (fd < 0)
		return fd;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
		*in_progress = false;
		return fd;
	}
	r = errno;
	if (r == EINPROGRESS) {
		*in_progress = true;
		return fd;
	}
	close(fd);
	log_debug("vsock: guest port %u: connecting %s: %s", guest_port, path, strerror(r));
	return r == EAGAIN ? -ECONNREFUSED : -r;
}

static void unix_release(void *arg)
{
	free(arg);
}

static const struct vsock_service_ops unix_service_ops = {
	.connect = unix_connect,
	.release = unix_release,
};

static int unix_listen(const char *path)
{
	struct sockaddr_un sa;
	int fd, r;

	fd = unix_socket(path, &sa);
	if (fd < 0)
		return fd;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, LISTEN_BACKLOG) < 0) {
		r = errno == EADDRINUSE ? -EEXIST : -errno;
		close(fd);
		return r;
	}
	return fd;
}

int vsock_unix_add_ports(struct vsock_mux *m, const struct vsock_port_cfg *ports, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		const struct vsock_port_cfg *p = &ports[i];
		int r;

		if (p->listen) {
			r = unix_listen(p->path);
			if (r >= 0)
				r = vsock_mux_add_listener(m, r, p->port);
		} else {
			char *path = strdup(p->path);
			r = path ? vsock_mux_add_service(m, p->port, &unix_service_ops, path)
				 : -ENOMEM;
		}
		if (r < 0) {
			log_error("vsock: port %u %s %s: %s", p->port,
				  p->listen ? "listening on" : "connecting to", p->path,
				  strerror(-r));
			return r;
		}
	}
	return 0;
}
