/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The muxer's last act when its VM ended: what the guest sent must reach the
 * host. The guest's init waits for its packets to reach the device before it
 * reports its exit (a vsock connect queued behind them, init/main.c), but the
 * VM then ends at once: TX packets may still wait in the queue, and bytes a full
 * host socket did not take wait in their connection's ring. Both go out here,
 * within a deadline for host readers that do not read.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <time.h>

#include "util/clock.h"
#include "util/log.h"
#include "vsock/mux_priv.h"

static long long now_ms(void)
{
	return (long long)(monotonic_ns() / 1000000u);
}

/* Flushes every established connection; pollfds for those still holding
 * bytes in pfd (at most max), their count returned. */
static unsigned int flush_all(struct vsock_mux *m, struct pollfd *pfd, unsigned int max)
{
	unsigned int n = 0;

	for (unsigned int b = 0; b < MUX_HASH_SIZE; b++) {
		for (struct vsock_conn *c = m->hash[b]; c; c = c->hnext) {
			if (c->state != CONN_ESTABLISHED || c->fd < 0)
				continue;
			if (conn_io_buffered(c)) {
				c->writable = true; /* poll said so, or we try once */
				if (!conn_io_flush(c))
					continue; /* the peer is gone: nothing to deliver */
			}
			if (conn_io_buffered(c) && n < max)
				pfd[n++] = (struct pollfd){ .fd = c->fd, .events = POLLOUT };
			else
				conn_io_after_guest_shutdown(c);
		}
	}
	return n;
}

void vsock_mux_drain(struct vsock_mux *m, int timeout_ms)
{
	struct pollfd pfd[VSOCK_MUX_MAX_CONNS];
	long long end = now_ms() + timeout_ms;
	unsigned int taken = 0;

	pthread_mutex_lock(&m->lock);
	if (!m->active)
		goto out; /* a reset already ended every connection */
	while (m->ops->tx_pop(m->opaque, &m->txpkt)) {
		mux_guest_packet(m, &m->txpkt);
		m->ops->tx_done(m->opaque);
		taken++;
	}
	for (;;) {
		unsigned int n = flush_all(m, pfd, VSOCK_MUX_MAX_CONNS);
		long long left = end - now_ms();

		if (n == 0)
			break;
		if (left <= 0) {
			log_debug("vsock: %u host sockets did not take the guest's last bytes", n);
			break;
		}
		if (poll(pfd, n, (int)left) < 0 && errno != EINTR)
			break;
	}
	if (taken)
		log_debug("vsock: %u packets taken after the VM ended", taken);
	m->active = false;
out:
	pthread_mutex_unlock(&m->lock);
}
