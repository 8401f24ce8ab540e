/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The muxer's caps (mux.h): what one kind of connection may hold of the
 * table of VSOCK_MUX_MAX_CONNS, so that a guest opening sockets, or peers
 * connecting to its listeners from anywhere on the network, cannot take
 * every slot and starve the rest (issue 16). Each connection remembers what
 * it was counted in and gives it back in conn_free, whatever its state.
 */
#include <errno.h>
#include <limits.h>

#include "util/log.h"
#include "vsock/mux_priv.h"

int vsock_mux_limit_service(struct vsock_mux *m, uint32_t port, unsigned int max)
{
	int r = -ENOENT;

	pthread_mutex_lock(&m->lock);
	for (unsigned int i = 0; i < m->nservices; i++) {
		if (m->services[i].port == port) {
			m->services[i].max_live = max;
			r = 0;
		}
	}
	pthread_mutex_unlock(&m->lock);
	return r;
}

void vsock_mux_set_limits(struct vsock_mux *m, const struct vsock_mux_limits *l)
{
	pthread_mutex_lock(&m->lock);
	m->limits = *l;
	m->limited = true;
	mux_listeners_update(m);
	pthread_mutex_unlock(&m->lock);
}

enum mux_admit mux_limits_admit(struct vsock_mux *m, const struct mux_service *s)
{
	if (s->live < s->max_live)
		return MUX_ADMIT;
	m->stats.over_limit++;
	log_debug("vsock: service on host port %u has its %u streams; refusing another",
		  s->port, s->max_live);
	/* A status needs the header first: only a setup service can say why. */
	return s->ops->setup && m->nover < VSOCK_MUX_OVER_LIMIT ? MUX_ADMIT_OVER : MUX_REFUSE;
}

void mux_limits_take(struct vsock_mux *m, struct vsock_conn *c, const struct mux_service *s,
		     enum mux_admit a)
{
	if (a == MUX_ADMIT_OVER) {
		c->over_limit = true;
		m->nover++;
		return;
	}
	c->svc_index = (unsigned int)(s - m->services) + 1;
	m->services[c->svc_index - 1].live++;
}

void mux_limits_release(struct vsock_mux *m, struct vsock_conn *c)
{
	if (c->svc_index)
		m->services[c->svc_index - 1].live--;
	if (c->over_limit)
		m->nover--;
	if (c->inbound)
		m->ninbound--;
	if (c->from)
		c->from->clients--;
	c->svc_index = 0;
	c->over_limit = c->inbound = false;
	c->from = NULL;
}

bool mux_limits_listener_allowed(struct vsock_mux *m)
{
	if (!m->limited || m->nowned < m->limits.listeners)
		return true;
	m->stats.over_limit++;
	log_debug("vsock: %u guest listeners already; refusing another", m->nowned);
	return false;
}

void mux_limits_listener_added(struct vsock_mux *m, struct mux_listener *l)
{
	l->capped = true;
	m->nowned++;
}

void mux_limits_listener_gone(struct vsock_mux *m, struct mux_listener *l)
{
	if (!l->capped)
		return;
	m->nowned--;
	/* Its clients live on; only the pointer to the listener must go. */
	for (unsigned int b = 0; b < MUX_HASH_SIZE && l->clients; b++)
		for (struct vsock_conn *c = m->hash[b]; c; c = c->hnext)
			if (c->from == l) {
				c->from = NULL;
				l->clients--;
			}
}

bool mux_limits_inbound_room(const struct vsock_mux *m, const struct mux_listener *l)
{
	return !l->capped || !m->limited ||
	       (m->ninbound < m->limits.inbound && l->clients < m->limits.inbound_per_listener);
}

void mux_limits_accepted(struct vsock_mux *m, struct mux_listener *l, struct vsock_conn *c)
{
	if (!l->capped)
		return;
	c->inbound = true;
	c->from = l;
	m->ninbound++;
	l->clients++;
}
