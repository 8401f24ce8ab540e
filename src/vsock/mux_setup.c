/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Setup services (contract in mux.h): the guest's stream starts with a
 * fixed-size header, which the service turns into a host fd or a listener;
 * the stream back starts with a struct vsock_setup_status. Until the status
 * is out the guest has nothing to send: more bytes than the header are a
 * protocol error that resets only this stream.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <unistd.h>

#include "util/log.h"
#include "vsock/mux_priv.h"

static void put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/* Queues the status; with err, the stream is reset once it is out. */
static void setup_status(struct vsock_conn *c, int err, uint32_t value)
{
	put_le32(c->prefix, (uint32_t)err);
	put_le32(c->prefix + 4, value);
	c->prefix_len = sizeof(struct vsock_setup_status);
	c->prefix_off = 0;
	if (err) {
		c->reset_after_prefix = true;
		c->mux->stats.setup_failed++;
	}
	conn_update_work(c->mux, c);
}

/* The local port of a connected socket, 0 if unknown. */
static uint32_t local_port(int fd)
{
	struct sockaddr_storage sa;
	socklen_t len = sizeof(sa);

	if (getsockname(fd, (struct sockaddr *)&sa, &len) < 0)
		return 0;
	if (sa.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&sa)->sin_port);
	if (sa.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&sa)->sin6_port);
	return 0;
}

void mux_setup_run(struct vsock_conn *c)
{
	struct vsock_mux *m = c->mux;
	struct vsock_setup out = { .fd = -1, .listen_fd = -1 };
	int r;

	m->stats.setups++;
	if (c->over_limit) {
		setup_status(c, ENOBUFS, 0); /* mux_limits_admit: past the service's cap */
		return;
	}
	r = c->svc->setup(c->svc_arg, c->guest_port, c->setup, &out);
	if (r < 0) {
		setup_status(c, -r, 0);
		return;
	}
	if (out.listen_fd >= 0) {
		r = mux_listener_add_owned(m, out.listen_fd, out.listen_guest_port, c,
					   out.peer_prefix);
		if (r < 0) {
			setup_status(c, -r, 0);
			return;
		}
		/* A control stream from now on: no fd, no more bytes either way. */
		c->state = CONN_ESTABLISHED;
		setup_status(c, 0, out.value);
		return;
	}
	if (out.fd < 0) {
		setup_status(c, EIO, 0);
		return;
	}
	c->fd = out.fd;
	if (!conn_watch_fd(m, c)) {
		setup_status(c, EIO, 0);
		return;
	}
	if (out.in_progress && c->type == VSOCK_TYPE_SEQPACKET) {
		setup_status(c, EIO, 0); /* a datagram socket never connects later */
		return;
	}
	if (out.in_progress) {
		c->state = CONN_CONNECTING;
		c->writable = false;
		return; /* mux_setup_connected, on EPOLLOUT */
	}
	c->state = CONN_ESTABLISHED;
	c->writable = true;
	setup_status(c, 0, local_port(c->fd));
}

bool mux_setup_bytes(struct vsock_conn *c, const struct iovec *iov, unsigned int niov,
		     uint32_t len)
{
	size_t need = c->svc->setup_len - c->setup_got;

	if (len > need || c->reset_after_prefix)
		return false;
	for (unsigned int i = 0; i < niov; i++) {
		memcpy(c->setup + c->setup_got, iov[i].iov_base, iov[i].iov_len);
		c->setup_got = (uint8_t)(c->setup_got + iov[i].iov_len);
	}
	/* Consumed at once: the guest's credit is back in our next header. */
	c->rx_cnt += len;
	c->fwd_cnt += len;
	if (c->setup_got == c->svc->setup_len)
		mux_setup_run(c);
	return true;
}

void mux_setup_connected(struct vsock_conn *c, int err)
{
	if (err) {
		log_debug("vsock: setup stream of guest port %u: connect: %s", c->guest_port,
			  strerror(err));
		c->state = CONN_SETUP; /* nothing more from the guest */
		setup_status(c, err, 0);
		return;
	}
	c->state = CONN_ESTABLISHED;
	setup_status(c, 0, local_port(c->fd));
}
