/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Packets from the guest: the connection state machine of virtio 1.2 §5.10.6.
 * Every packet is parsed once (pkt.c) into a local header; what does not fit
 * is counted, logged at debug level, and answered with RST (§5.10.6.4: a
 * packet for no connection gets RST) or dropped when it has no usable address.
 */
#include <errno.h>
#include <string.h>

#include "util/log.h"
#include "vsock/mux_priv.h"

static void log_pkt(const char *why, const struct vsock_hdr *h)
{
	char opbuf[16];

	log_debug("vsock: %s: %s %u:%u -> %llu:%u len %u", why, vsock_op_name(h->op, opbuf),
		  (unsigned int)h->src_cid, h->src_port, (unsigned long long)h->dst_cid,
		  h->dst_port, h->len);
}

static const struct mux_service *find_service(const struct vsock_mux *m, uint32_t port)
{
	for (unsigned int i = 0; i < m->nservices; i++)
		if (m->services[i].port == port)
			return &m->services[i];
	return NULL;
}

/* A guest connect() to (host CID, dst_port). */
static void guest_request(struct vsock_mux *m, const struct vsock_hdr *h)
{
	const struct mux_service *s = find_service(m, h->dst_port);
	struct vsock_conn *c = NULL;
	bool in_progress = false;
	enum mux_admit admit;
	int fd = -1;

	if (!s || m->nconns >= VSOCK_MUX_MAX_CONNS) {
		log_pkt(s ? "connection table full" : "no service on that port", h);
		goto refuse;
	}
	if ((h->type == VSOCK_TYPE_SEQPACKET) != s->ops->seqpacket) {
		log_pkt("socket type not served on that port", h);
		goto refuse;
	}
	admit = mux_limits_admit(m, s);
	if (admit == MUX_REFUSE)
		goto refuse;
	if (s->ops->setup) {
		/* Answered at once; the header comes as the stream's first bytes. */
		c = conn_new(m, h->dst_port, h->src_port, -1, CONN_SETUP);
		if (c) {
			c->svc = s->ops;
			c->svc_arg = s->arg;
			c->type = h->type;
		}
	} else {
		fd = s->ops->connect(s->arg, h->src_port, &in_progress);
		if (fd < 0) {
			log_debug("vsock: guest port %u to host port %u: %s", h->src_port,
				  h->dst_port, strerror(-fd));
			goto refuse;
		}
		c = conn_new(m, h->dst_port, h->src_port, fd,
			     in_progress ? CONN_CONNECTING : CONN_ESTABLISHED);
	}
	if (!c)
		goto refuse;
	mux_limits_take(m, c, s, admit);
	c->peer_buf_alloc = h->buf_alloc;
	c->peer_fwd_cnt = h->fwd_cnt;
	if (!in_progress)
		c->owe |= OWE_RESPONSE;
	conn_update_work(m, c);
	return;
refuse:
	m->stats.refused++;
	mux_rst_reply(m, h);
}

/* A packet with no connection behind it. */
static void guest_unknown(struct vsock_mux *m, const struct vsock_hdr *h)
{
	if (h->op == VSOCK_OP_REQUEST) {
		guest_request(m, h);
		return;
	}
	m->stats.no_conn++;
	log_pkt("no such connection", h);
	mux_rst_reply(m, h); /* not for an RST: mux_rst_reply never answers one */
}

/*
 * §5.10.6.3: every header carries the sender's buf_alloc and fwd_cnt. fwd_cnt
 * counts bytes the guest consumed of those we sent, so it never passes our
 * tx_cnt and never goes back; a guest that says otherwise lies about credit.
 */
static bool take_credit(struct vsock_conn *c, const struct vsock_hdr *h)
{
	if ((int32_t)(c->tx_cnt - h->fwd_cnt) < 0 || (int32_t)(h->fwd_cnt - c->peer_fwd_cnt) < 0)
		return false;
	c->peer_buf_alloc = h->buf_alloc;
	c->peer_fwd_cnt = h->fwd_cnt;
	return true;
}

static void guest_rw(struct vsock_conn *c, const struct vsock_hdr *h, const struct vsock_txpkt *p)
{
	struct vsock_mux *m = c->mux;

	if ((c->state != CONN_ESTABLISHED && c->state != CONN_SETUP) ||
	    (c->guest_shut & VSOCK_SHUTDOWN_SEND)) {
		m->stats.protocol++;
		log_pkt("data on a connection not open for it", h);
		conn_reset(c);
		return;
	}
	/* §5.10.6.3: the sender keeps in flight at most the receiver's buf_alloc. */
	if ((uint64_t)(c->rx_cnt - c->fwd_cnt) + h->len > VSOCK_BUF_ALLOC) {
		m->stats.credit++;
		log_pkt("data beyond the credit given", h);
		conn_reset(c);
		return;
	}
	/* The payload is the first len bytes after the header (parse checked
	 * that the guest gave that many); trailing bytes are not data. */
	struct iovec iov[VSOCK_MAX_IOV];
	unsigned int n = 0;
	size_t left = h->len;

	for (unsigned int i = 0; i < p->niov && left; i++) {
		iov[n] = p->iov[i];
		if (iov[n].iov_len > left)
			iov[n].iov_len = left;
		left -= iov[n].iov_len;
		n++;
	}
	if (c->type == VSOCK_TYPE_SEQPACKET) {
		if (!mux_seq_rw(c, h, iov, n)) {
			m->stats.protocol++;
			log_pkt("a message that does not fit", h);
			conn_reset(c);
		}
		return;
	}
	if (c->state == CONN_SETUP) {
		if (!mux_setup_bytes(c, iov, n, h->len)) {
			m->stats.protocol++;
			log_pkt("bytes beyond the setup header", h);
			conn_reset(c);
		}
		return;
	}
	if (!conn_io_write(c, iov, n, h->len)) {
		conn_reset(c);
		return;
	}
	conn_io_credit_check(c);
}

static void guest_known(struct vsock_conn *c, const struct vsock_hdr *h,
			const struct vsock_txpkt *p)
{
	struct vsock_mux *m = c->mux;

	if (h->op == VSOCK_OP_RST) {
		/* The guest ends it: nothing to answer (§5.10.6.4). */
		conn_free(c);
		return;
	}
	if (c->state == CONN_CLOSING)
		return; /* our RST is on its way */
	if (h->type != c->type)
		goto protocol;
	if (!take_credit(c, h)) {
		m->stats.credit++;
		log_pkt("fwd_cnt outside what was sent", h);
		conn_reset(c);
		return;
	}
	switch (h->op) {
	case VSOCK_OP_RESPONSE:
		if (c->state != CONN_REQUESTING)
			goto protocol;
		c->state = CONN_ESTABLISHED;
		break;
	case VSOCK_OP_RW:
		guest_rw(c, h, p);
		return;
	case VSOCK_OP_SHUTDOWN:
		if (c->state != CONN_ESTABLISHED)
			goto protocol;
		/* §5.10.6.6: the flags are hints and cumulative; unknown bits ignored. */
		c->guest_shut |= h->flags & VSOCK_SHUTDOWN_BOTH;
		conn_io_after_guest_shutdown(c);
		break;
	case VSOCK_OP_CREDIT_REQUEST:
		if (c->state != CONN_ESTABLISHED)
			goto protocol;
		c->owe |= OWE_CREDIT;
		break;
	case VSOCK_OP_CREDIT_UPDATE:
		break; /* take_credit did it */
	default: /* REQUEST on a live connection */
		goto protocol;
	}
	if (c->state != CONN_CLOSING)
		conn_update_work(m, c);
	return;
protocol:
	m->stats.protocol++;
	log_pkt("op does not fit the connection's state", h);
	conn_reset(c);
}

void mux_guest_packet(struct vsock_mux *m, const struct vsock_txpkt *p)
{
	struct vsock_hdr h;
	enum vsock_pkt_verdict v = vsock_pkt_parse(p->hdr, p->hdr_len, p->payload_len, &h);
	struct vsock_conn *c;

	if (v != VSOCK_PKT_OK) {
		m->stats.dropped[v]++;
		if (v == VSOCK_PKT_SHORT) {
			log_debug("vsock: dropped a packet of %zu header bytes", p->hdr_len);
			return;
		}
		log_pkt(vsock_verdict_name(v), &h);
		if (v == VSOCK_PKT_SPOOFED)
			return; /* not the guest's address: nobody to answer */
		/* A malformed packet on a live connection: its stream is broken. */
		c = h.dst_cid == VSOCK_HOST_CID ? conn_find(m, h.dst_port, h.src_port) : NULL;
		if (c && c->state != CONN_CLOSING)
			conn_reset(c);
		else if (!c)
			mux_rst_reply(m, &h);
		return;
	}
	c = conn_find(m, h.dst_port, h.src_port);
	if (c)
		guest_known(c, &h, p);
	else
		guest_unknown(m, &h);
}
