/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Host input -> guest RX buffers (ports 0 and 1), on the event loop thread.
 *
 * Host bytes are read only into a buffer the driver made available, so the host
 * fd is the only buffer: with no RX chain the fd is not watched, and the next
 * kick of the RX queue resumes. The fd keeps its flags: poll() with a zero
 * timeout says a read will not block (a regular file or /dev/null, which epoll
 * refuses, always polls readable and is read till EOF).
 *
 * Linux (drivers/char/virtio_console.c, in_intr) discards data arriving on a
 * port the guest has not opened, so input waits for the driver's PORT_OPEN.
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/uio.h>
#include <unistd.h>

#include "devices/console/console_priv.h"
#include "util/log.h"
#include "vmm/evloop.h"

/* Reads per call while a watchable fd stays readable; epoll calls again for
 * the rest, so one busy input cannot keep the loop from the other devices. */
#define RX_BUDGET 64

static void on_input(void *arg, uint32_t events)
{
	struct console_port *p = arg;
	struct console *c = p->con;

	(void)events;
	pthread_mutex_lock(&c->lock);
	console_rx_pump(c, p->id);
	pthread_mutex_unlock(&c->lock);
}

/* 0, or -errno when the fd cannot be watched. */
static int rx_watch(struct console *c, struct console_port *p, bool on)
{
	int r = 0;

	if (on && !p->in_watched) {
		r = evloop_add(c->loop, p->in_fd, EPOLLIN, on_input, p);
		p->in_watched = r == 0;
	} else if (!on && p->in_watched) {
		evloop_del(c->loop, p->in_fd);
		p->in_watched = false;
	}
	return r;
}

static void rx_eof(struct console *c, struct console_port *p, int err)
{
	if (err)
		log_warn("console: reading the input of port %u: %s; treating it as EOF",
			 p->id, strerror(err));
	else
		log_debug("console: EOF on the input of port %u", p->id);
	p->in_eof = true;
	rx_watch(c, p, false);
	/* Every byte read was pushed already, so the guest reads them all before
	 * port_fops_read returns 0 for !host_connected. The console port is an hvc
	 * terminal, which has no EOF. */
	if (p->id != 0 && p->host_open) {
		p->host_open = false;
		console_ctrl_send(c, p->id, VIRTIO_CONSOLE_PORT_OPEN, 0, NULL, 0);
	}
}

static bool rx_ready(const struct console_port *p)
{
	struct pollfd pfd = { .fd = p->in_fd, .events = POLLIN };

	/* POLLHUP/POLLERR/POLLNVAL too: the read then reports EOF or the error. */
	return poll(&pfd, 1, 0) > 0;
}

static ssize_t rx_read(const struct console_port *p)
{
	struct iovec iov[VQ_MAX_SEGS];
	const struct vq_chain *ch = &p->rx;
	unsigned int n = 0;
	ssize_t r;

	for (unsigned int i = 0; i < ch->nin; i++) {
		iov[n].iov_base = ch->seg[ch->nout + i].host;
		iov[n].iov_len = ch->seg[ch->nout + i].len;
		n++;
	}
	do
		r = readv(p->in_fd, iov, (int)n);
	while (r < 0 && errno == EINTR);
	return r < 0 ? -errno : r;
}

void console_rx_pump(struct console *c, unsigned int id)
{
	struct console_port *p = &c->port[id];
	uint16_t qidx = console_rxq(id);
	struct vq *q = &c->dev->vq[qidx];
	bool signal = false;
	unsigned int budget = RX_BUDGET;
	ssize_t n;

	while (c->active && p->guest_open && p->in_fd >= 0 && !p->in_eof) {
		if (!p->rx_held) {
			if (!vq_pop(q, &p->rx, &signal))
				break; /* wait for the driver's kick */
			p->rx_held = true;
		}
		if (p->rx.in_bytes == 0) {
			vq_push(q, p->rx.head, 0); /* nothing writable: completed empty */
			p->rx_held = false;
			signal = true;
			continue;
		}
		if (!rx_ready(p) || (!p->in_unwatchable && budget-- == 0)) {
			n = rx_watch(c, p, true);
			if (n == -EPERM) {
				/* epoll refuses regular files and /dev/null, which never block. */
				p->in_unwatchable = true;
				if (rx_ready(p))
					continue;
			}
			if (n < 0)
				rx_eof(c, p, (int)-n);
			goto out;
		}
		n = rx_read(p);
		if (n > 0) {
			vq_push(q, p->rx.head, (uint32_t)n);
			p->rx_held = false;
			signal = true;
		} else if (n == -EAGAIN || n == -EWOULDBLOCK) {
			continue; /* a non-blocking fd raced another reader: poll again */
		} else {
			rx_eof(c, p, n == 0 ? 0 : (int)-n);
		}
	}
	rx_watch(c, p, false);
out:
	if (signal)
		console_signal(c, qidx);
}

void console_rx_unwatch_all(struct console *c)
{
	for (unsigned int i = 0; i < CONSOLE_MAX_PORTS; i++) {
		pthread_mutex_lock(&c->lock);
		bool watched = c->port[i].in_watched;
		c->port[i].in_watched = false;
		pthread_mutex_unlock(&c->lock);
		/* Without the lock: evloop_del waits for a running handler. */
		if (watched)
			evloop_del(c->loop, c->port[i].in_fd);
	}
}
