/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The muxer's listeners (mux.h): host listening sockets whose clients become
 * REQUESTs to a guest port. Those of setup services (TSI's guest listeners)
 * belong to the stream that asked for them and obey the muxer's caps
 * (mux_limits.c): a listener at its cap, or whose caps are all taken, stops
 * being watched, and its clients wait in the host's backlog as they do while
 * the table is full.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util/log.h"
#include "vsock/mux_priv.h"

/* Adds a listener; closes fd on error. Lock held. */
static int listener_add(struct vsock_mux *m, int fd, uint32_t guest_port, struct mux_listener **out)
{
	struct mux_listener *l = NULL, **grown = NULL;
	struct epoll_event ev = { .events = 0 }; /* mux_listeners_update turns it on */
	int r = -ENOBUFS;

	if (m->nlisteners >= VSOCK_MUX_MAX_LISTENERS)
		goto err;
	r = -ENOMEM;
	l = calloc(1, sizeof(*l));
	grown = l ? realloc(m->listeners, (m->nlisteners + 1) * sizeof(*grown)) : NULL;
	if (!grown)
		goto err;
	m->listeners = grown;
	l->watch.kind = WATCH_LISTENER;
	l->mux = m;
	l->fd = fd;
	l->guest_port = guest_port;
	ev.data.ptr = &l->watch;
	if (epoll_ctl(m->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		r = -errno;
		goto err;
	}
	m->listeners[m->nlisteners++] = l;
	*out = l;
	return 0;
err:
	log_error("vsock: cannot add a listener for guest port %u: %s", guest_port, strerror(-r));
	free(l);
	close(fd);
	return r;
}

int vsock_mux_add_listener(struct vsock_mux *m, int fd, uint32_t guest_port)
{
	struct mux_listener *l;
	int r;

	pthread_mutex_lock(&m->lock);
	r = listener_add(m, fd, guest_port, &l);
	if (r == 0)
		mux_listeners_update(m);
	pthread_mutex_unlock(&m->lock);
	return r;
}

int vsock_mux_connect_guest(struct vsock_mux *m, int fd, uint32_t guest_port)
{
	uint64_t one = 1;
	struct vsock_conn *c = NULL;
	uint32_t port = 0;

	pthread_mutex_lock(&m->lock);
	if (m->active && m->nconns < VSOCK_MUX_MAX_CONNS)
		port = conn_ephemeral_port(m, guest_port);
	if (port)
		c = conn_new(m, port, guest_port, fd, CONN_REQUESTING); /* closes fd if not */
	else
		close(fd);
	if (c) {
		c->owe = OWE_REQUEST;
		conn_update_work(m, c);
		/* The REQUEST goes out from the loop thread's next mux_run. */
		if (write(m->kickfd, &one, sizeof(one)) < 0 && errno != EAGAIN)
			log_debug("vsock: kick: %s", strerror(errno));
	}
	pthread_mutex_unlock(&m->lock);
	if (!c) {
		log_error("vsock: cannot connect to guest port %u now", guest_port);
		return -EBUSY;
	}
	return 0;
}

int mux_listener_add_owned(struct vsock_mux *m, int fd, uint32_t guest_port,
			   struct vsock_conn *c,
			   size_t (*peer_prefix)(const void *sockaddr, uint32_t len, uint8_t *out))
{
	struct mux_listener *l;
	int r;

	if (!mux_limits_listener_allowed(m)) {
		close(fd);
		return -ENOBUFS;
	}
	r = listener_add(m, fd, guest_port, &l);
	if (r < 0)
		return r;
	l->owner = c;
	l->peer_prefix = peer_prefix;
	c->listener = l;
	mux_limits_listener_added(m, l);
	mux_listeners_update(m);
	return 0;
}

/* Closed now, freed by mux_listeners_sweep: the epoll batch being served may
 * still hold a pointer to it. */
void mux_listener_remove(struct vsock_mux *m, struct mux_listener *l)
{
	epoll_ctl(m->epfd, EPOLL_CTL_DEL, l->fd, NULL);
	close(l->fd);
	l->fd = -1;
	l->owner = NULL;
	mux_limits_listener_gone(m, l);
	m->listeners_dead = true;
}

void mux_listeners_sweep(struct vsock_mux *m)
{
	unsigned int n = 0;

	if (!m->listeners_dead)
		return;
	for (unsigned int i = 0; i < m->nlisteners; i++) {
		if (m->listeners[i]->fd < 0)
			free(m->listeners[i]);
		else
			m->listeners[n++] = m->listeners[i];
	}
	m->nlisteners = n;
	m->listeners_dead = false;
}

/* Whether l may take another client now. */
static bool listener_open(const struct vsock_mux *m, const struct mux_listener *l)
{
	return m->active && m->nconns < VSOCK_MUX_MAX_CONNS && mux_limits_inbound_room(m, l);
}

void mux_listeners_update(struct vsock_mux *m)
{
	for (unsigned int i = 0; i < m->nlisteners; i++) {
		struct mux_listener *l = m->listeners[i];
		bool want = listener_open(m, l);
		struct epoll_event ev = { .events = want ? EPOLLIN : 0, .data.ptr = &l->watch };

		if (l->watched == want || l->fd < 0)
			continue;
		/* Level-triggered: clients left in the backlog show up again. */
		if (epoll_ctl(m->epfd, EPOLL_CTL_MOD, l->fd, &ev) == 0)
			l->watched = want;
	}
}

void mux_listener_accept(struct vsock_mux *m, struct mux_listener *l)
{
	if (l->fd < 0)
		return; /* removed in this batch */
	while (listener_open(m, l)) {
		struct sockaddr_storage sa;
		socklen_t salen = sizeof(sa);
		int fd = accept4(l->fd, (struct sockaddr *)&sa, &salen, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct vsock_conn *c;
		uint32_t port;

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				log_debug("vsock: accept for guest port %u: %s", l->guest_port,
					  strerror(errno));
			break;
		}
		port = conn_ephemeral_port(m, l->guest_port);
		c = port ? conn_new(m, port, l->guest_port, fd, CONN_REQUESTING) : NULL;
		if (!c) {
			if (!port)
				close(fd);
			break;
		}
		mux_limits_accepted(m, l, c);
		c->owe = OWE_REQUEST;
		if (l->peer_prefix)
			c->prefix_len = (uint8_t)l->peer_prefix(&sa, salen, c->prefix);
		conn_update_work(m, c);
	}
	mux_listeners_update(m);
}
