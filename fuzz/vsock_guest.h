/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A fake guest for the vsock muxer (src/vsock/mux.h), shared by fuzz_vsock.c
 * and fuzz_tsi.c: the device's queues as the muxer sees them (tx_pop,
 * rx_peek, rx_push), fed from the fuzzer's input, and host ends kept as
 * peers. Every packet the muxer gives the guest is checked (header well
 * formed, from the host, inside the buffer). Include after fuzz.h.
 *
 *   fg_begin(svc_ports)   a new muxer (g.m) for one input; the target adds its
 *                         services, then calls vsock_mux_set_active
 *   fg_op(z, op)          one of the FG_NOPS generic ops (packets, RX buffers,
 *                         host ends reading, writing, closing, the loop's
 *                         turn, device reset, stats)
 *   fg_end()              destroys the muxer, frees packets, closes host ends
 */
#ifndef LIBKRUN_FUZZ_VSOCK_GUEST_H
#define LIBKRUN_FUZZ_VSOCK_GUEST_H

#include <errno.h>
#include <poll.h>
#include <sys/socket.h>

#include "vsock/mux.h"
#include "vsock/pkt.h"

#define FG_TXQ 256
#define FG_PEERS 1100
#define FG_NGPORTS 6
#define FG_NO_SERVICE 4444
#define FG_NOPS 10

struct fg_txq {
	uint8_t *buf;
	size_t hdr_len, len;
	unsigned int nseg;
};

struct fg_guest {
	struct vsock_mux *m;
	const uint32_t *svc_ports; /* 3 host ports the target serves */
	struct fg_txq q[FG_TXQ];
	unsigned int qhead, qn;
	unsigned int rx_avail, rx_nseg;
	size_t rx_cap;
	/* Buffers the muxer peeked at, in line from rx_first; all share rxmem,
	 * as only the one pushed is read back. */
	struct vsock_rxbuf rxb[VSOCK_RX_BATCH];
	unsigned int rx_first, rx_nheld;
	uint32_t host_ports[8]; /* src ports of host REQUESTs, for the guest's answers */
	unsigned int nhost_ports;
	uint32_t rx_bytes[FG_NGPORTS]; /* RW bytes per guest port, for fwd_cnt */
	int peers[FG_PEERS];
	unsigned int npeers;
	uint8_t rxmem[VSOCK_HDR_SIZE + VSOCK_MAX_PAYLOAD]; /* last: not cleared per input */
};

static struct fg_guest g;
static uint8_t fg_scratch[1 << 16];
static const uint32_t fg_gports[FG_NGPORTS] = { 1024, 1025, 1026, 1027, 40000, 0xffffffffu };

/* Keeps a host end, to be closed at the input's end. */
static inline void fg_add_peer(int fd)
{
	if (g.npeers < FG_PEERS)
		g.peers[g.npeers++] = fd;
	else
		close(fd);
}

static int fg_tx_pop(void *opaque, struct vsock_txpkt *p)
{
	struct fg_txq *t;
	size_t rest, off;

	(void)opaque;
	if (!g.qn)
		return 0;
	t = &g.q[g.qhead];
	memcpy(p->hdr, t->buf, t->hdr_len);
	p->hdr_len = t->hdr_len;
	rest = t->len - t->hdr_len;
	off = t->hdr_len;
	p->niov = 0;
	for (unsigned int i = 0; i < t->nseg && rest; i++) {
		size_t n = i + 1 == t->nseg ? rest : rest / (t->nseg - i);

		if (!n)
			continue;
		p->iov[p->niov++] = (struct iovec){ t->buf + off, n };
		off += n;
		rest -= n;
	}
	p->payload_len = t->len - t->hdr_len;
	return 1;
}

static void fg_tx_done(void *opaque)
{
	(void)opaque;
	FZ_CHECK(g.qn);
	free(g.q[g.qhead].buf);
	g.q[g.qhead].buf = NULL;
	g.qhead = (g.qhead + 1) % FG_TXQ;
	g.qn--;
}

static int fg_rx_peek(void *opaque, unsigned int nth, struct vsock_rxbuf **b)
{
	(void)opaque;
	FZ_CHECK(nth < VSOCK_RX_BATCH);
	while (g.rx_nheld <= nth) {
		struct vsock_rxbuf *r = &g.rxb[(g.rx_first + g.rx_nheld) % VSOCK_RX_BATCH];
		size_t off = 0;

		if (!g.rx_avail)
			return 0;
		g.rx_avail--;
		g.rx_nheld++;
		/* Header and data apart, as Linux gives them, or cut in more pieces. */
		r->niov = 0;
		for (unsigned int i = 0; i < g.rx_nseg && off < g.rx_cap; i++) {
			size_t n = i == 0 ? (g.rx_cap < VSOCK_HDR_SIZE ? g.rx_cap : VSOCK_HDR_SIZE)
				   : i + 1 == g.rx_nseg ? g.rx_cap - off
				   : (g.rx_cap - off) / 2;

			if (!n)
				continue;
			r->iov[r->niov++] = (struct iovec){ g.rxmem + off, n };
			off += n;
		}
		if (off < g.rx_cap)
			r->iov[r->niov++] = (struct iovec){ g.rxmem + off, g.rx_cap - off };
		r->cap = g.rx_cap;
	}
	*b = &g.rxb[(g.rx_first + nth) % VSOCK_RX_BATCH];
	return 1;
}

FZ_NOCOV static void fg_rx_push(void *opaque, uint32_t len)
{
	struct vsock_hdr h;

	(void)opaque;
	FZ_CHECK(g.rx_nheld && len >= VSOCK_HDR_SIZE && len <= g.rxb[g.rx_first].cap);
	vsock_pkt_decode(g.rxmem, &h);
	FZ_CHECK(h.len == len - VSOCK_HDR_SIZE);
	FZ_CHECK(h.src_cid == VSOCK_HOST_CID || h.op == VSOCK_OP_RST);
	FZ_CHECK(h.dst_cid == VSOCK_GUEST_CID);
	FZ_CHECK(h.op >= VSOCK_OP_REQUEST && h.op <= VSOCK_OP_CREDIT_REQUEST);
	/* An RST answers in the type the guest used, as Linux does. */
	FZ_CHECK(h.op == VSOCK_OP_RST || h.type == VSOCK_TYPE_STREAM ||
		 h.type == VSOCK_TYPE_SEQPACKET);
	FZ_CHECK(h.op == VSOCK_OP_RW || h.len == 0);
	if (h.op == VSOCK_OP_REQUEST)
		g.host_ports[g.nhost_ports++ % 8] = h.src_port;
	for (unsigned int i = 0; i < FG_NGPORTS; i++) {
		if (h.op == VSOCK_OP_RW && h.dst_port == fg_gports[i])
			g.rx_bytes[i] += h.len;
		if (h.op == VSOCK_OP_REQUEST && h.dst_port == fg_gports[i])
			g.rx_bytes[i] = 0; /* a new stream: its own count */
	}
	g.rx_first = (g.rx_first + 1) % VSOCK_RX_BATCH;
	g.rx_nheld--;
}

static void fg_notify(void *opaque)
{
	(void)opaque;
}

static const struct vsock_guest_ops fg_ops = {
	.tx_pop = fg_tx_pop, .tx_done = fg_tx_done, .rx_peek = fg_rx_peek,
	.rx_push = fg_rx_push, .notify = fg_notify,
};

static inline void fg_begin(const uint32_t *svc_ports)
{
	memset(&g, 0, offsetof(struct fg_guest, rxmem));
	g.svc_ports = svc_ports;
	g.rx_cap = VSOCK_HDR_SIZE + 4096;
	g.rx_nseg = 2;
	g.m = vsock_mux_create(NULL, &fg_ops, NULL);
	FZ_CHECK(g.m);
}

static inline void fg_end(void)
{
	vsock_mux_destroy(g.m);
	for (; g.qn; g.qn--, g.qhead = (g.qhead + 1) % FG_TXQ)
		free(g.q[g.qhead].buf);
	for (unsigned int i = 0; i < g.npeers; i++)
		close(g.peers[i]);
	g.npeers = 0;
}

static inline uint32_t fg_port(struct fz *z, uint8_t sel)
{
	switch (sel % 10) {
	case 0: case 1: case 2:
		return g.svc_ports[sel % 10];
	case 3: case 4: case 5: case 6:
		return g.host_ports[(sel >> 4) % 8];
	case 7:
		return fz_u32(z);
	default:
		return FG_NO_SERVICE;
	}
}

/* Queues one packet (not kicked). */
static inline void fg_queue(const struct vsock_hdr *h, const uint8_t *payload, size_t n,
			    unsigned int nseg)
{
	struct fg_txq *t;

	if (g.qn == FG_TXQ)
		return;
	for (unsigned int i = 0; i < FG_NGPORTS; i++)
		if (h->op == VSOCK_OP_REQUEST && h->src_port == fg_gports[i])
			g.rx_bytes[i] = 0; /* a new stream: its own count */
	t = &g.q[(g.qhead + g.qn) % FG_TXQ];
	t->buf = malloc(VSOCK_HDR_SIZE + n);
	FZ_CHECK(t->buf);
	vsock_pkt_encode(h, t->buf);
	if (n)
		memcpy(t->buf + VSOCK_HDR_SIZE, payload, n);
	t->hdr_len = VSOCK_HDR_SIZE;
	t->len = VSOCK_HDR_SIZE + n;
	t->nseg = nseg;
	g.qn++;
}

/* The credit fields of a guest at guest port index gp, as the input likes. */
static inline void fg_credit(struct fz *z, struct vsock_hdr *h, unsigned int gp)
{
	switch (fz_u8(z) % 4) {
	case 0: /* a guest with a window that keeps up */
		h->buf_alloc = 262144;
		h->fwd_cnt = g.rx_bytes[gp];
		break;
	case 1:
		h->buf_alloc = fz_u16(z);
		h->fwd_cnt = g.rx_bytes[gp] - fz_u8(z);
		break;
	default:
		h->buf_alloc = fz_u32(z);
		h->fwd_cnt = fz_u32(z);
		break;
	}
}

static inline void fg_queue_packet(struct fz *z, bool raw)
{
	struct vsock_hdr h;
	uint8_t sel, gp;
	size_t n;
	const uint8_t *p;
	struct fg_txq *t;

	if (raw) {
		if (g.qn == FG_TXQ)
			return;
		t = &g.q[(g.qhead + g.qn) % FG_TXQ];
		p = fz_block(z, VSOCK_HDR_SIZE + 4096, &n);
		t->hdr_len = n < VSOCK_HDR_SIZE ? n : VSOCK_HDR_SIZE;
		t->buf = malloc(n ? n : 1);
		FZ_CHECK(t->buf);
		memcpy(t->buf, p, n);
		t->len = n;
		t->nseg = 1 + fz_u8(z) % 4;
		g.qn++;
		return;
	}
	sel = fz_u8(z);
	gp = fz_u8(z) % FG_NGPORTS;
	/* One input read per statement: initializers are evaluated in no set order. */
	h = (struct vsock_hdr){
		.src_cid = VSOCK_GUEST_CID, .dst_cid = VSOCK_HOST_CID, .src_port = fg_gports[gp],
		.type = sel & 0x80 ? VSOCK_TYPE_SEQPACKET : VSOCK_TYPE_STREAM,
	};
	h.dst_port = fg_port(z, sel);
	h.op = fz_u8(z) % 9;
	fg_credit(z, &h, gp);
	h.flags = fz_u8(z) & 1 ? fz_u32(z) : fz_u8(z) & 3;
	p = fz_block(z, VSOCK_MAX_PAYLOAD + 1, &n);
	if ((sel & 0x20) && n) {
		/* The block repeated up to (k + 1) KiB: a bulk packet from a small input. */
		size_t want = 1024u * (1 + fz_u8(z)), k;

		want = want < VSOCK_MAX_PAYLOAD ? want : VSOCK_MAX_PAYLOAD;
		for (k = 0; k < want; k += n)
			memcpy(fg_scratch + k, p, want - k < n ? want - k : n);
		p = fg_scratch;
		n = want;
	}
	h.len = h.op == VSOCK_OP_RW ? (uint32_t)n : 0;
	if (sel & 0x40)
		h.len = fz_u32(z); /* a lie */
	fg_queue(&h, p, n, 1 + fz_u8(z) % 4);
}

static inline int fg_peer(struct fz *z)
{
	uint8_t k = fz_u8(z);

	if (!g.npeers)
		return -1;
	return g.peers[k & 0x80 ? g.npeers - 1 - (k & 0x7f) % g.npeers : k % g.npeers];
}

/* The loop's turn: host fds that are ready. */
static inline void fg_serve(void)
{
	struct pollfd p = { .fd = vsock_mux_fd(g.m), .events = POLLIN };

	for (int i = 0; i < 8 && poll(&p, 1, 0) > 0; i++)
		vsock_mux_poll(g.m);
}

static inline void fg_op(struct fz *z, unsigned int op)
{
	static const size_t caps[] = { VSOCK_HDR_SIZE + 4096, VSOCK_HDR_SIZE, VSOCK_HDR_SIZE + 1,
				       VSOCK_HDR_SIZE + 8, 100, VSOCK_HDR_SIZE + VSOCK_MAX_PAYLOAD,
				       VSOCK_HDR_SIZE + 24, VSOCK_HDR_SIZE + 1024 };
	const uint8_t *p;
	size_t n;
	int fd;

	switch (op % FG_NOPS) {
	case 0: case 1:
		fg_queue_packet(z, false);
		vsock_mux_guest_tx(g.m);
		break;
	case 2:
		fg_queue_packet(z, true);
		vsock_mux_guest_tx(g.m);
		break;
	case 3: /* RX buffers of one size */
		g.rx_avail += 1 + fz_u8(z) % 16;
		g.rx_cap = caps[fz_u8(z) % 8];
		g.rx_nseg = 1 + fz_u8(z) % 3;
		vsock_mux_guest_rx(g.m);
		break;
	case 4: /* a host end writes */
		fd = fg_peer(z);
		p = fz_block(z, 8192, &n);
		if (fd >= 0 && fz_u8(z) & 1)
			(void)send(fd, p, n, MSG_DONTWAIT | MSG_NOSIGNAL);
		else if (fd >= 0) /* bulk: past the guest's credit */
			for (int i = 0; i < 8; i++)
				(void)send(fd, fg_scratch, sizeof(fg_scratch), MSG_DONTWAIT | MSG_NOSIGNAL);
		fg_serve();
		break;
	case 5: /* a host end reads what it has */
		fd = fg_peer(z);
		while (fd >= 0 && recv(fd, fg_scratch, sizeof(fg_scratch), MSG_DONTWAIT) > 0)
			;
		fg_serve();
		break;
	case 6: /* a host end half-closes or closes */
		fd = fg_peer(z);
		if (fd >= 0)
			(void)shutdown(fd, fz_u8(z) % 3);
		fg_serve();
		break;
	case 7:
		fg_serve();
		break;
	case 8: /* the driver resets the device, or comes back */
		vsock_mux_set_active(g.m, fz_u8(z) & 1);
		break;
	default: { /* stats hold together */
		struct vsock_mux_stats st;

		vsock_mux_get_stats(g.m, &st);
		FZ_CHECK(st.live <= VSOCK_MUX_MAX_CONNS);
		FZ_CHECK(st.live == st.opened - st.closed);
		break;
	}
	}
}

#endif
