/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The vsock muxer's frame: its epoll set of host fds, services, and the run
 * loop that moves packets both ways within a budget (listeners: mux_listen.c).
 * Contract in mux.h.
 *
 * The muxer keeps its host fds in an epoll set of its own, registered as one
 * fd in the VMM's event loop. Adding and removing a connection's fd is then an
 * epoll_ctl on that set, never an evloop call that would wait for the loop
 * thread, so a device reset on a vCPU thread can close everything at once, and
 * the muxer runs without a loop at all in unit tests.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util/log.h"
#include "vmm/evloop.h"
#include "vsock/mux_priv.h"

#define POLL_BATCH 64

static void on_ready(void *arg, uint32_t events)
{
	(void)events;
	vsock_mux_poll(arg);
}

struct vsock_mux *vsock_mux_create(struct evloop *loop, const struct vsock_guest_ops *ops,
				   void *opaque)
{
	struct vsock_mux *m = calloc(1, sizeof(*m));
	struct epoll_event ev = { .events = EPOLLIN };
	int r;

	if (!m) {
		log_error("vsock: cannot create the muxer: %s", strerror(ENOMEM));
		return NULL;
	}
	pthread_mutex_init(&m->lock, NULL);
	m->ops = ops;
	m->opaque = opaque;
	m->next_ephemeral = MUX_EPHEMERAL_FIRST;
	m->kick_watch.kind = WATCH_KICK;
	m->kickfd = -1;
	m->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (m->epfd < 0)
		goto err;
	m->kickfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (m->kickfd < 0)
		goto err;
	ev.data.ptr = &m->kick_watch;
	if (epoll_ctl(m->epfd, EPOLL_CTL_ADD, m->kickfd, &ev) < 0)
		goto err;
	if (loop) {
		r = evloop_add(loop, m->epfd, EPOLLIN, on_ready, m);
		if (r < 0) {
			errno = -r;
			goto err;
		}
		m->loop = loop;
	}
	return m;
err:
	log_error("vsock: cannot create the muxer: %s", strerror(errno));
	vsock_mux_destroy(m);
	return NULL;
}

void vsock_mux_destroy(struct vsock_mux *m)
{
	if (!m)
		return;
	if (m->loop)
		evloop_del(m->loop, m->epfd); /* waits for a run of vsock_mux_poll */
	pthread_mutex_lock(&m->lock);
	conn_free_all(m);
	for (unsigned int i = 0; i < m->nlisteners; i++) {
		if (m->listeners[i]->fd >= 0)
			close(m->listeners[i]->fd);
		free(m->listeners[i]);
	}
	free(m->listeners);
	for (unsigned int i = 0; i < m->nservices; i++)
		if (m->services[i].ops->release)
			m->services[i].ops->release(m->services[i].arg);
	free(m->services);
	pthread_mutex_unlock(&m->lock);
	if (m->kickfd >= 0)
		close(m->kickfd);
	if (m->epfd >= 0)
		close(m->epfd);
	pthread_mutex_destroy(&m->lock);
	free(m);
}

int vsock_mux_add_service(struct vsock_mux *m, uint32_t port, const struct vsock_service_ops *ops,
			  void *arg)
{
	struct mux_service *grown;
	int r = 0;

	pthread_mutex_lock(&m->lock);
	if (ops->setup && (ops->setup_len == 0 || ops->setup_len > VSOCK_SETUP_MAX)) {
		r = -EINVAL;
		goto out;
	}
	if (mux_has_service(m, port)) {
		r = -EEXIST;
		goto out;
	}
	grown = realloc(m->services, (m->nservices + 1) * sizeof(*grown));
	if (!grown) {
		r = -ENOMEM;
		goto out;
	}
	m->services = grown;
	m->services[m->nservices++] = (struct mux_service){ .port = port, .ops = ops, .arg = arg,
							     .max_live = UINT_MAX };
out:
	pthread_mutex_unlock(&m->lock);
	if (r < 0 && ops->release)
		ops->release(arg);
	return r;
}

/* The service's connect finished (§5.10.6.4: only now the RESPONSE). */
static void conn_connected(struct vsock_mux *m, struct vsock_conn *c)
{
	int err = 0;
	socklen_t len = sizeof(err);

	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno;
	if (err == EINPROGRESS || err == EALREADY)
		return;
	if (c->svc && c->svc->setup) {
		mux_setup_connected(c, err);
		return;
	}
	if (err) {
		log_debug("vsock: connecting host port %u for guest port %u: %s", c->host_port,
			  c->guest_port, strerror(err));
		m->stats.refused++;
		conn_reset(c);
		return;
	}
	c->state = CONN_ESTABLISHED;
	c->owe |= OWE_RESPONSE;
}

static void conn_event(struct vsock_mux *m, struct vsock_conn *c, uint32_t events)
{
	if (c->fd < 0)
		return;
	if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
		c->readable = true;
	if (events & (EPOLLOUT | EPOLLHUP | EPOLLERR))
		c->writable = true;
	if (events & EPOLLHUP)
		c->hup = true;
	if (c->state == CONN_CONNECTING) {
		if (c->writable)
			conn_connected(m, c);
	} else if (c->state == CONN_ESTABLISHED && c->writable && c->rx_cnt != c->fwd_cnt) {
		if (!conn_io_flush(c)) {
			conn_reset(c);
			return;
		}
		conn_io_credit_check(c);
		conn_io_after_guest_shutdown(c);
	}
	if (c->state != CONN_CLOSING)
		conn_update_work(m, c);
}

/* Moves packets both ways until nothing moves or the budget is spent; then
 * the loop gets its turn (the kick brings us back). Lock held. */
static void mux_run(struct vsock_mux *m)
{
	unsigned int tx = 0, rx = 0;
	uint64_t one = 1;
	bool moved = true;

	while (m->active && moved && tx < MUX_BUDGET && rx < MUX_BUDGET) {
		moved = false;
		/* A full RST ring stops the TX queue until the guest takes RSTs. */
		while (m->tx_pending && m->rst_len < VSOCK_RST_RING && tx < MUX_BUDGET) {
			if (!m->ops->tx_pop(m->opaque, &m->txpkt)) {
				m->tx_pending = false;
				break;
			}
			mux_guest_packet(m, &m->txpkt);
			m->ops->tx_done(m->opaque);
			tx++;
			moved = true;
		}
		unsigned int n = mux_rx_pump(m, MUX_BUDGET - rx);
		rx += n;
		moved |= n > 0;
	}
	if (m->active && (tx >= MUX_BUDGET || rx >= MUX_BUDGET) &&
	    write(m->kickfd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		log_debug("vsock: kick: %s", strerror(errno));
	m->ops->notify(m->opaque);
	mux_listeners_sweep(m);
}

void vsock_mux_poll(struct vsock_mux *m)
{
	struct epoll_event ev[POLL_BATCH];
	uint64_t v;
	int n;

	pthread_mutex_lock(&m->lock);
	/* Fetched and served under the lock: no connection can go in between. */
	n = epoll_wait(m->epfd, ev, POLL_BATCH, 0);
	for (int i = 0; i < n; i++) {
		struct mux_watch *w = ev[i].data.ptr;

		switch (w->kind) {
		case WATCH_KICK:
			if (read(m->kickfd, &v, sizeof(v)) < 0 && errno != EAGAIN)
				log_debug("vsock: kick: %s", strerror(errno));
			break;
		case WATCH_LISTENER:
			mux_listener_accept(m, (struct mux_listener *)w);
			break;
		case WATCH_CONN:
			conn_event(m, (struct vsock_conn *)w, ev[i].events);
			break;
		}
	}
	mux_run(m);
	pthread_mutex_unlock(&m->lock);
}

void vsock_mux_set_active(struct vsock_mux *m, bool active)
{
	pthread_mutex_lock(&m->lock);
	if (!active) {
		/* §5.10.6: a reset ends every connection; host peers see EOF. */
		conn_free_all(m);
		m->rst_head = m->rst_len = 0;
	}
	m->active = active;
	m->tx_pending = active;
	mux_listeners_update(m);
	pthread_mutex_unlock(&m->lock);
}

void vsock_mux_guest_tx(struct vsock_mux *m)
{
	pthread_mutex_lock(&m->lock);
	m->tx_pending = true;
	mux_run(m);
	pthread_mutex_unlock(&m->lock);
}

void vsock_mux_guest_rx(struct vsock_mux *m)
{
	pthread_mutex_lock(&m->lock);
	mux_run(m);
	pthread_mutex_unlock(&m->lock);
}

int vsock_mux_fd(const struct vsock_mux *m)
{
	return m->epfd;
}

void vsock_mux_get_stats(struct vsock_mux *m, struct vsock_mux_stats *s)
{
	pthread_mutex_lock(&m->lock);
	*s = m->stats;
	pthread_mutex_unlock(&m->lock);
}
