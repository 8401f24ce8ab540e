/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Guest bytes to a connection's host fd. Bytes go straight from guest memory
 * to the fd; what the fd does not take now waits in the connection's ring,
 * which never holds more than VSOCK_BUF_ALLOC: that is the buf_alloc we
 * advertise, and fwd_cnt (§5.10.6.3) counts only bytes the fd took, so a guest
 * that keeps to its credit always fits, and one that does not was reset before
 * it got here (mux_guest.c). A slow host reader thus throttles the guest.
 *
 * Host fds are sockets: sendmsg with MSG_NOSIGNAL, so a closed peer is EPIPE,
 * not a signal.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "util/log.h"
#include "vsock/mux_priv.h"

uint32_t conn_io_buffered(const struct vsock_conn *c)
{
	return c->rx_cnt - c->fwd_cnt;
}

/* Bytes written, or -errno (-EAGAIN when the socket is full). */
static ssize_t send_iov(int fd, const struct iovec *iov, unsigned int niov)
{
	struct msghdr msg = { .msg_iov = (struct iovec *)iov, .msg_iovlen = niov };
	ssize_t n;

	do
		n = sendmsg(fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : n;
}

/* Copies len bytes of iov, from offset skip on, to the ring's end. The caller
 * has already counted them in rx_cnt and checked that they fit. */
static void ring_append(struct vsock_conn *c, const struct iovec *iov, unsigned int niov,
			size_t skip, size_t len)
{
	uint32_t pos = (c->buf_off + conn_io_buffered(c) - (uint32_t)len) % VSOCK_BUF_ALLOC;

	for (unsigned int i = 0; i < niov && len; i++) {
		const uint8_t *src = iov[i].iov_base;
		size_t seg = iov[i].iov_len;

		if (skip >= seg) {
			skip -= seg;
			continue;
		}
		src += skip;
		seg -= skip;
		skip = 0;
		if (seg > len)
			seg = len;
		len -= seg;
		while (seg) {
			size_t run = VSOCK_BUF_ALLOC - pos;

			if (run > seg)
				run = seg;
			memcpy(c->buf + pos, src, run);
			pos = (uint32_t)((pos + run) % VSOCK_BUF_ALLOC);
			src += run;
			seg -= run;
		}
	}
}

bool conn_io_write(struct vsock_conn *c, const struct iovec *iov, unsigned int niov,
		   uint32_t len)
{
	ssize_t done = 0;

	if (len == 0)
		return true;
	if (conn_io_buffered(c) == 0 && c->writable) {
		done = send_iov(c->fd, iov, niov);
		if (done == -EAGAIN) {
			done = 0;
		} else if (done < 0) {
			log_debug("vsock: writing to the host socket of port %u: %s", c->host_port,
				  strerror((int)-done));
			return false;
		}
		/* Short: the socket is full, and EPOLLOUT (edge) says when it is not. */
		if ((uint32_t)done < len)
			c->writable = false;
		c->mux->stats.to_host += (uint64_t)done;
	}
	c->rx_cnt += len;
	c->fwd_cnt += (uint32_t)done;
	if ((uint32_t)done == len)
		return true;
	if (!c->buf) {
		c->buf = malloc(VSOCK_BUF_ALLOC);
		if (!c->buf) {
			log_debug("vsock: no memory to buffer port %u", c->host_port);
			return false;
		}
	}
	ring_append(c, iov, niov, (size_t)done, len - (uint32_t)done);
	return true;
}

bool conn_io_flush(struct vsock_conn *c)
{
	while (conn_io_buffered(c) && c->writable) {
		uint32_t len = conn_io_buffered(c);
		uint32_t first = VSOCK_BUF_ALLOC - c->buf_off;
		struct iovec iov[2] = { { c->buf + c->buf_off, first < len ? first : len },
					{ c->buf, first < len ? len - first : 0 } };
		ssize_t n = send_iov(c->fd, iov, first < len ? 2 : 1);

		if (n == -EAGAIN) {
			c->writable = false;
			break;
		}
		if (n < 0) {
			log_debug("vsock: flushing to the host socket of port %u: %s", c->host_port,
				  strerror((int)-n));
			return false;
		}
		c->fwd_cnt += (uint32_t)n;
		c->buf_off = (uint32_t)((c->buf_off + (uint32_t)n) % VSOCK_BUF_ALLOC);
		c->mux->stats.to_host += (uint64_t)n;
		if ((uint32_t)n < len)
			c->writable = false;
	}
	if (!conn_io_buffered(c))
		c->buf_off = 0;
	return true;
}

void conn_io_after_guest_shutdown(struct vsock_conn *c)
{
	if (c->state != CONN_ESTABLISHED || conn_io_buffered(c))
		return;
	/* §5.10.6.6: SEND means no more bytes come: the host reader sees EOF once
	 * every byte before it was written. */
	if ((c->guest_shut & VSOCK_SHUTDOWN_SEND) && !c->wr_shut) {
		if (c->fd >= 0 && shutdown(c->fd, SHUT_WR) < 0)
			log_debug("vsock: shutdown of the host socket of port %u: %s",
				  c->host_port, strerror(errno));
		c->wr_shut = true;
	}
	/* Both directions shut: a clean close, which the peer answers with RST. */
	if ((c->guest_shut & VSOCK_SHUTDOWN_BOTH) == VSOCK_SHUTDOWN_BOTH)
		conn_reset(c);
}

void conn_io_credit_check(struct vsock_conn *c)
{
	if (c->state == CONN_ESTABLISHED && c->fwd_cnt - c->fwd_told >= MUX_CREDIT_LAG) {
		c->owe |= OWE_CREDIT;
		conn_update_work(c->mux, c);
	}
}
