/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The connection table of the vsock muxer: a fixed hash of (host port, guest
 * port), bounded by VSOCK_MUX_MAX_CONNS, and the work list of connections that
 * have something to send to the guest (served round-robin by mux_rx.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "util/log.h"
#include "vsock/mux_priv.h"

static unsigned int bucket(uint32_t host_port, uint32_t guest_port)
{
	uint32_t h = host_port * 0x9e3779b1u ^ guest_port * 0x85ebca6bu;

	return (h ^ h >> 16) & (MUX_HASH_SIZE - 1);
}

struct vsock_conn *conn_find(struct vsock_mux *m, uint32_t host_port, uint32_t guest_port)
{
	struct vsock_conn *c = m->hash[bucket(host_port, guest_port)];

	while (c && (c->host_port != host_port || c->guest_port != guest_port))
		c = c->hnext;
	return c;
}

bool mux_has_service(const struct vsock_mux *m, uint32_t port)
{
	for (unsigned int i = 0; i < m->nservices; i++)
		if (m->services[i].port == port)
			return true;
	return false;
}

uint32_t conn_ephemeral_port(struct vsock_mux *m, uint32_t guest_port)
{
	/* The table holds at most VSOCK_MUX_MAX_CONNS keys and the services a
	 * few ports, so a free port is found within that many tries. */
	for (unsigned int tries = 0; tries <= VSOCK_MUX_MAX_CONNS + m->nservices; tries++) {
		uint32_t p = m->next_ephemeral++;

		/* Never VMADDR_PORT_ANY (-1U), never below the range. */
		if (m->next_ephemeral == UINT32_MAX)
			m->next_ephemeral = MUX_EPHEMERAL_FIRST;
		if (!conn_find(m, p, guest_port) && !mux_has_service(m, p))
			return p;
	}
	return 0;
}

bool conn_watch_fd(struct vsock_mux *m, struct vsock_conn *c)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
				  .data.ptr = &c->watch };

	if (epoll_ctl(m->epfd, EPOLL_CTL_ADD, c->fd, &ev) == 0)
		return true;
	log_debug("vsock: cannot watch a host fd: %s", strerror(errno));
	close(c->fd);
	c->fd = -1;
	return false;
}

/* fd may be -1: a setup stream gets its fd later, or never (a listener's). */
struct vsock_conn *conn_new(struct vsock_mux *m, uint32_t host_port, uint32_t guest_port,
			    int fd, enum conn_state state)
{
	struct vsock_conn *c;
	unsigned int b;

	if (m->nconns >= VSOCK_MUX_MAX_CONNS) {
		log_debug("vsock: %u connections already; refusing another", m->nconns);
		goto err;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		goto err;
	c->watch.kind = WATCH_CONN;
	c->mux = m;
	c->host_port = host_port;
	c->guest_port = guest_port;
	c->fd = fd;
	c->state = state;
	c->type = VSOCK_TYPE_STREAM;
	/* A connected socket takes bytes at once; a send that cannot clears
	 * this, and EPOLLOUT (edge) sets it again. A connecting one waits. */
	c->writable = state != CONN_CONNECTING;
	if (fd >= 0 && !conn_watch_fd(m, c)) {
		free(c);
		return NULL;
	}
	b = bucket(host_port, guest_port);
	c->hnext = m->hash[b];
	m->hash[b] = c;
	m->nconns++;
	m->stats.opened++;
	m->stats.live = m->nconns;
	return c;
err:
	if (fd >= 0)
		close(fd);
	return NULL;
}

static void work_remove(struct vsock_mux *m, struct vsock_conn *c)
{
	if (!c->queued)
		return;
	if (c->wprev)
		c->wprev->wnext = c->wnext;
	else
		m->work_head = c->wnext;
	if (c->wnext)
		c->wnext->wprev = c->wprev;
	else
		m->work_tail = c->wprev;
	c->wprev = c->wnext = NULL;
	c->queued = false;
}

static void work_append(struct vsock_mux *m, struct vsock_conn *c)
{
	if (c->queued)
		return;
	c->wprev = m->work_tail;
	c->wnext = NULL;
	if (m->work_tail)
		m->work_tail->wnext = c;
	else
		m->work_head = c;
	m->work_tail = c;
	c->queued = true;
}

uint32_t conn_peer_credit(const struct vsock_conn *c)
{
	uint32_t in_flight = c->tx_cnt - c->peer_fwd_cnt;

	/* A fwd_cnt ahead of what we sent is a lie (mux_guest.c resets on it);
	 * treated as no credit here, never as a huge one. */
	if ((int32_t)in_flight < 0 || in_flight >= c->peer_buf_alloc)
		return 0;
	return c->peer_buf_alloc - in_flight;
}

/* Whether host bytes can go to the guest now (RX space aside). */
static bool conn_can_read(const struct vsock_conn *c)
{
	if (c->type == VSOCK_TYPE_SEQPACKET)
		return mux_seq_can_read(c);
	return c->state == CONN_ESTABLISHED && c->readable && !c->host_eof &&
	       !(c->guest_shut & VSOCK_SHUTDOWN_RCV) && conn_peer_credit(c) > 0;
}

bool conn_prefix_pending(const struct vsock_conn *c)
{
	return c->prefix_off < c->prefix_len && c->state != CONN_REQUESTING &&
	       c->state != CONN_CLOSING && conn_peer_credit(c) > 0;
}

void conn_update_work(struct vsock_mux *m, struct vsock_conn *c)
{
	if (c->owe || conn_prefix_pending(c) || conn_can_read(c))
		work_append(m, c);
	else
		work_remove(m, c);
}

void conn_requeue(struct vsock_mux *m, struct vsock_conn *c)
{
	work_remove(m, c);
	conn_update_work(m, c);
}

static void conn_close_fd(struct vsock_mux *m, struct vsock_conn *c)
{
	if (c->listener) {
		mux_listener_remove(m, c->listener);
		c->listener = NULL;
	}
	if (c->fd < 0)
		return;
	/* Our own epoll set: removal is immediate, no handler to wait for. */
	epoll_ctl(m->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	c->fd = -1;
	free(c->buf);
	c->buf = NULL;
}

void conn_free(struct vsock_conn *c)
{
	struct vsock_mux *m = c->mux;
	struct vsock_conn **pp = &m->hash[bucket(c->host_port, c->guest_port)];

	while (*pp && *pp != c)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = c->hnext;
	work_remove(m, c);
	conn_close_fd(m, c);
	mux_seq_free(c);
	mux_limits_release(m, c);
	free(c);
	m->nconns--;
	m->stats.closed++;
	m->stats.live = m->nconns;
	mux_listeners_update(m);
}

void conn_reset(struct vsock_conn *c)
{
	conn_close_fd(c->mux, c);
	c->state = CONN_CLOSING;
	c->owe = OWE_RST; /* nothing else is worth sending now */
	conn_update_work(c->mux, c);
}

void conn_free_all(struct vsock_mux *m)
{
	for (unsigned int b = 0; b < MUX_HASH_SIZE; b++)
		while (m->hash[b])
			conn_free(m->hash[b]);
	m->work_head = m->work_tail = NULL;
}
