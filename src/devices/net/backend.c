/* SPDX-License-Identifier: Apache-2.0 */
/* Frames to and from a network proxy's socket or a tap; backend.h has the contract. */
#include "devices/net/backend.h"

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int netbe_open(struct netbe *b, int fd, enum netbe_kind kind)
{
	int fl = fcntl(fd, F_GETFL);

	memset(b, 0, sizeof(*b));
	b->fd = fd;
	b->kind = kind;
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) {
		int r = -errno;
		netbe_close(b);
		return r;
	}
	b->rx_buf = malloc(NETBE_RX_BUF);
	b->tx_buf = malloc(NETBE_TX_BUF);
	if (!b->rx_buf || !b->tx_buf) {
		netbe_close(b);
		return -ENOMEM;
	}
	return 0;
}

void netbe_close(struct netbe *b)
{
	if (b->fd >= 0)
		close(b->fd);
	b->fd = -1;
	free(b->rx_buf);
	free(b->tx_buf);
	b->rx_buf = b->tx_buf = NULL;
}

static bool frame_len_ok(uint64_t len)
{
	return len >= NETBE_ETH_HLEN && len <= NETBE_FRAME_MAX;
}

/* One read into the free end of rx_buf: 1 with bytes, 0 would block, -errno. */
static int rx_fill(struct netbe *b)
{
	ssize_t n;

	/* Unparsed bytes move to the front once the end has no room for a whole
	 * frame: NETBE_RX_BUF is two frames, so after the move it has. */
	if (NETBE_RX_BUF - b->rx_tail < NETBE_FRAME_MAX + NETBE_LEN_BYTES) {
		memmove(b->rx_buf, b->rx_buf + b->rx_head, b->rx_tail - b->rx_head);
		b->rx_tail -= b->rx_head;
		b->rx_head = 0;
	}
	do
		n = read(b->fd, b->rx_buf + b->rx_tail, NETBE_RX_BUF - b->rx_tail);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -errno;
	if (n == 0)
		return -EPIPE;
	b->rx_tail += (size_t)n;
	return 1;
}

static int recv_stream(struct netbe *b, const uint8_t **frame, size_t *len)
{
	for (;;) {
		size_t have = b->rx_tail - b->rx_head;
		uint32_t be;
		int r;

		if (b->rx_skip) {
			size_t n = have < b->rx_skip ? have : (size_t)b->rx_skip;
			b->rx_head += n;
			b->rx_skip -= n;
			have -= n;
		}
		if (!b->rx_skip && have >= NETBE_LEN_BYTES) {
			memcpy(&be, b->rx_buf + b->rx_head, sizeof(be));
			uint32_t flen = be32toh(be);
			if (!frame_len_ok(flen)) {
				b->rx_refused++;
				b->rx_head += NETBE_LEN_BYTES;
				b->rx_skip = flen;
				continue;
			}
			if (have >= NETBE_LEN_BYTES + (size_t)flen) {
				*frame = b->rx_buf + b->rx_head + NETBE_LEN_BYTES;
				*len = flen;
				b->rx_head += NETBE_LEN_BYTES + flen;
				return 1;
			}
		}
		if (b->rx_head == b->rx_tail)
			b->rx_head = b->rx_tail = 0;
		r = rx_fill(b);
		if (r <= 0)
			return r;
	}
}

static int recv_dgram(struct netbe *b, const uint8_t **frame, size_t *len)
{
	for (;;) {
		/* One byte more than a frame: a datagram that fills it was longer. */
		ssize_t n = read(b->fd, b->rx_buf, NETBE_FRAME_MAX + 1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -errno;
		if (!frame_len_ok((uint64_t)n)) {
			b->rx_refused++;
			continue;
		}
		*frame = b->rx_buf;
		*len = (size_t)n;
		return 1;
	}
}

int netbe_recv(struct netbe *b, const uint8_t **frame, size_t *len)
{
	if (b->fd < 0)
		return -EBADF;
	return b->kind == NETBE_STREAM ? recv_stream(b, frame, len) : recv_dgram(b, frame, len);
}

uint8_t *netbe_tx_frame(struct netbe *b)
{
	return b->tx_buf + NETBE_LEN_BYTES;
}

bool netbe_tx_pending(const struct netbe *b)
{
	return b->tx_done < b->tx_len;
}

int netbe_tx_flush(struct netbe *b)
{
	while (b->tx_done < b->tx_len) {
		const uint8_t *p = b->tx_buf + b->tx_done;
		size_t left = b->tx_len - b->tx_done;
		/* A datagram goes whole or not at all; a stream takes what fits.
		 * send's MSG_NOSIGNAL: a closed peer is EPIPE, never SIGPIPE. */
		ssize_t n = b->kind == NETBE_STREAM ? send(b->fd, p, left, MSG_NOSIGNAL)
						     : write(b->fd, p, left);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS))
			return -EAGAIN;
		if (n < 0) {
			int r = -errno;
			b->tx_done = b->tx_len = 0;
			return r;
		}
		b->tx_done += b->kind == NETBE_STREAM ? (size_t)n : left;
	}
	b->tx_done = b->tx_len = 0;
	return 0;
}

int netbe_tx_send(struct netbe *b, size_t len)
{
	uint32_t be = htobe32((uint32_t)len);

	if (b->fd < 0)
		return -EBADF;
	if (netbe_tx_pending(b) || !frame_len_ok(len))
		return -EINVAL;
	memcpy(b->tx_buf, &be, sizeof(be));
	b->tx_done = b->kind == NETBE_STREAM ? 0 : NETBE_LEN_BYTES;
	b->tx_len = NETBE_LEN_BYTES + len;
	return netbe_tx_flush(b);
}
