/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Packets to the guest, one per RX buffer it gave (virtio 1.2 §5.10.6.2):
 * first RSTs for packets of no connection, then the work list round-robin,
 * where a connection sends what it owes (RST, REQUEST, RESPONSE, SHUTDOWN,
 * CREDIT_UPDATE) or else the bytes its host fd has, read straight into the
 * guest's buffers (one readv over up to VSOCK_RX_BATCH of them: a syscall per
 * 16 KiB buffer was most of the VMM's work in a host->guest stream) and never
 * more than the guest's credit. With no buffer or no credit the host fd is
 * not read, so a slow guest throttles the host writer.
 */
#include <errno.h>
#include <string.h>
#include <sys/uio.h>

#include "util/log.h"
#include "vsock/mux_priv.h"

void mux_rst_reply(struct vsock_mux *m, const struct vsock_hdr *h)
{
	struct vsock_hdr *r;

	if (h->op == VSOCK_OP_RST)
		return; /* never answer an RST: two peers would ping-pong */
	if (m->rst_len == VSOCK_RST_RING) {
		m->stats.rst_lost++;
		return;
	}
	r = &m->rst[(m->rst_head + m->rst_len) % VSOCK_RST_RING];
	m->rst_len++;
	*r = (struct vsock_hdr){
		.src_cid = h->dst_cid, .src_port = h->dst_port,
		.dst_cid = h->src_cid, .dst_port = h->src_port,
		.type = h->type, .op = VSOCK_OP_RST,
	};
}

/* Writes len bytes of src at offset off of the buffer's segments. */
void mux_rx_copy(const struct vsock_rxbuf *b, size_t off, const void *src, size_t len)
{
	const uint8_t *s = src;

	for (unsigned int i = 0; i < b->niov && len; i++) {
		size_t seg = b->iov[i].iov_len;

		if (off >= seg) {
			off -= seg;
			continue;
		}
		size_t n = seg - off < len ? seg - off : len;
		memcpy((uint8_t *)b->iov[i].iov_base + off, s, n);
		s += n;
		len -= n;
		off = 0;
	}
}

void mux_rx_send_hdr(struct vsock_mux *m, struct vsock_rxbuf *b, const struct vsock_hdr *h)
{
	uint8_t raw[VSOCK_HDR_SIZE];

	vsock_pkt_encode(h, raw);
	mux_rx_copy(b, 0, raw, sizeof(raw));
	m->ops->rx_push(m->opaque, VSOCK_HDR_SIZE + h->len);
}

/* A header from c, carrying our credit (§5.10.6.3: in every packet). */
static struct vsock_hdr conn_hdr(struct vsock_conn *c, uint16_t op)
{
	c->fwd_told = c->fwd_cnt;
	return (struct vsock_hdr){
		.src_cid = VSOCK_HOST_CID, .src_port = c->host_port,
		.dst_cid = VSOCK_GUEST_CID, .dst_port = c->guest_port,
		.type = c->type, .op = op,
		.buf_alloc = VSOCK_BUF_ALLOC, .fwd_cnt = c->fwd_cnt,
	};
}

/* Sends the most urgent owed packet. c may be freed (after its RST). */
static void rx_send_owed(struct vsock_mux *m, struct vsock_conn *c, struct vsock_rxbuf *b)
{
	struct vsock_hdr h;

	if (c->owe & OWE_RST) {
		h = conn_hdr(c, VSOCK_OP_RST);
		mux_rx_send_hdr(m, b, &h);
		m->stats.rst_sent++;
		conn_free(c);
		return;
	}
	if (c->owe & OWE_REQUEST) {
		c->owe &= ~OWE_REQUEST;
		h = conn_hdr(c, VSOCK_OP_REQUEST);
	} else if (c->owe & OWE_RESPONSE) {
		c->owe &= ~OWE_RESPONSE;
		h = conn_hdr(c, VSOCK_OP_RESPONSE);
	} else if (c->owe & OWE_SHUTDOWN) {
		c->owe &= ~OWE_SHUTDOWN;
		h = conn_hdr(c, VSOCK_OP_SHUTDOWN);
		h.flags = c->shut_flags;
	} else {
		c->owe &= ~OWE_CREDIT;
		h = conn_hdr(c, VSOCK_OP_CREDIT_UPDATE);
	}
	/* Any header tells the credit: one pending update is now redundant. */
	c->owe &= ~OWE_CREDIT;
	mux_rx_send_hdr(m, b, &h);
}

/* The writable bytes of b from off on, at most len, as iovecs; how many. */
static unsigned int rx_slice(const struct vsock_rxbuf *b, size_t off, size_t len,
			     struct iovec *out)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < b->niov && len; i++) {
		size_t seg = b->iov[i].iov_len;

		if (off >= seg) {
			off -= seg;
			continue;
		}
		out[n].iov_base = (uint8_t *)b->iov[i].iov_base + off;
		out[n].iov_len = seg - off < len ? seg - off : len;
		len -= out[n].iov_len;
		off = 0;
		n++;
	}
	return n;
}

/* The bytes owed before the fd's own (mux.h, setup services) into b. */
static bool rx_send_prefix(struct vsock_mux *m, struct vsock_conn *c, struct vsock_rxbuf *b)
{
	size_t n = (size_t)(c->prefix_len - c->prefix_off);
	size_t room = conn_peer_credit(c);
	struct vsock_hdr h;

	if (!conn_prefix_pending(c))
		return false;
	if (n > room)
		n = room;
	if (n > b->cap - VSOCK_HDR_SIZE)
		n = b->cap - VSOCK_HDR_SIZE;
	mux_rx_copy(b, VSOCK_HDR_SIZE, c->prefix + c->prefix_off, n);
	h = conn_hdr(c, VSOCK_OP_RW);
	h.len = (uint32_t)n;
	if (c->type == VSOCK_TYPE_SEQPACKET && c->prefix_off + n == c->prefix_len)
		h.flags = VSOCK_SEQ_EOM | VSOCK_SEQ_EOR; /* the prefix is one message */
	mux_rx_send_hdr(m, b, &h);
	c->tx_cnt += (uint32_t)n;
	c->prefix_off = (uint8_t)(c->prefix_off + n);
	if (c->prefix_off == c->prefix_len && c->reset_after_prefix)
		conn_reset(c);
	return true;
}

/*
 * A stream's host bytes into the RX buffers in line from b on, at most max of
 * them: one readv over all the buffers the credit covers, then a header on
 * each buffer it reached (the bytes of one read fill them in line order).
 * Returns the packets that went out.
 */
static unsigned int rx_send_stream(struct vsock_mux *m, struct vsock_conn *c,
				   struct vsock_rxbuf *b, unsigned int max)
{
	struct iovec iov[VSOCK_RX_BATCH * VSOCK_RX_MAX_IOV];
	struct vsock_rxbuf *bufs[VSOCK_RX_BATCH];
	size_t want[VSOCK_RX_BATCH], room = conn_peer_credit(c), left;
	unsigned int nbuf = 0, niov = 0, sent = 0;
	struct vsock_hdr h;
	ssize_t r;

	if (max > VSOCK_RX_BATCH)
		max = VSOCK_RX_BATCH;
	while (room && nbuf < max) {
		size_t n;

		if (nbuf && !m->ops->rx_peek(m->opaque, nbuf, &b))
			break;
		n = b->cap - VSOCK_HDR_SIZE;
		if (n > room)
			n = room;
		if (n > VSOCK_MAX_PAYLOAD)
			n = VSOCK_MAX_PAYLOAD;
		if (n == 0)
			break; /* a header-only buffer: rx_send_data's, on its turn */
		niov += rx_slice(b, VSOCK_HDR_SIZE, n, iov + niov);
		bufs[nbuf] = b;
		want[nbuf++] = n;
		room -= n;
	}
	if (nbuf == 0)
		return 0;
	r = readv(c->fd, iov, (int)niov);
	if (r > 0) {
		c->tx_cnt += (uint32_t)r;
		m->stats.to_guest += (uint64_t)r;
		for (left = (size_t)r; left; sent++) {
			h = conn_hdr(c, VSOCK_OP_RW);
			h.len = (uint32_t)(left < want[sent] ? left : want[sent]);
			left -= h.len;
			mux_rx_send_hdr(m, bufs[sent], &h);
		}
		c->owe &= ~OWE_CREDIT;
		return sent;
	}
	if (r == 0) {
		/* §5.10.6.6: no more data from us; with the peer gone both ways,
		 * nothing from the guest can be taken either. */
		c->host_eof = true;
		c->owe |= OWE_SHUTDOWN;
		c->shut_flags = VSOCK_SHUTDOWN_SEND | (c->hup ? VSOCK_SHUTDOWN_RCV : 0);
	} else if (errno == EAGAIN || errno == EWOULDBLOCK) {
		c->readable = false;
	} else if (errno != EINTR) {
		log_debug("vsock: reading the host socket of port %u: %s", c->host_port,
			  strerror(errno));
		conn_reset(c);
	}
	return 0;
}

/* Host bytes into b and, for a stream, the buffers in line after it (at most
 * max packets); returns the packets that went out. */
static unsigned int rx_send_data(struct vsock_mux *m, struct vsock_conn *c,
				 struct vsock_rxbuf *b, unsigned int max)
{
	struct vsock_hdr h;

	/* A buffer with room for a header only (Linux never gives one; a
	 * hostile driver may) takes a credit update rather than an empty RW:
	 * it is used up, and the buffers behind it come next. */
	if (b->cap == VSOCK_HDR_SIZE) {
		h = conn_hdr(c, VSOCK_OP_CREDIT_UPDATE);
		c->owe &= ~OWE_CREDIT;
		mux_rx_send_hdr(m, b, &h);
		return 1;
	}
	if (c->prefix_off < c->prefix_len)
		return rx_send_prefix(m, c, b);
	if (c->type == VSOCK_TYPE_SEQPACKET)
		return mux_seq_send(m, c, b);
	return rx_send_stream(m, c, b, max);
}

unsigned int mux_rx_pump(struct vsock_mux *m, unsigned int budget)
{
	unsigned int sent = 0, steps = 0;
	struct vsock_rxbuf *b;

	while (m->active && sent < budget && steps++ < 4 * budget &&
	       (m->rst_len || m->work_head)) {
		if (!m->ops->rx_peek(m->opaque, 0, &b))
			break; /* the guest's next RX kick resumes */
		if (m->rst_len) {
			mux_rx_send_hdr(m, b, &m->rst[m->rst_head]);
			m->rst_head = (m->rst_head + 1) % VSOCK_RST_RING;
			m->rst_len--;
			m->stats.rst_sent++;
			sent++;
			continue;
		}
		struct vsock_conn *c = m->work_head;
		if (c->owe) {
			bool last = c->owe & OWE_RST;
			rx_send_owed(m, c, b);
			sent++;
			if (last)
				continue; /* freed */
		} else {
			sent += rx_send_data(m, c, b, budget - sent);
		}
		/* To the back of the list if it still has work: round-robin. */
		conn_requeue(m, c);
	}
	return sent;
}
