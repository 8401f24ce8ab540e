/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A fake guest for the vsock muxer (src/vsock/mux.h), shared by the muxer's
 * and TSI's unit tests: it queues raw packets, hands out RX buffers of the
 * size Linux gives and records what comes back; host ends of its test service
 * (SVC_PORT) are socketpairs. Host readiness is served by calling
 * vsock_mux_poll when the muxer's epoll fd is readable, as the loop would.
 * Include after harness.h.
 */
#ifndef LIBKRUN_TESTS_VSOCK_FAKE_GUEST_H
#define LIBKRUN_TESTS_VSOCK_FAKE_GUEST_H

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vsock/mux.h"

#define MAX_TX 4096
#define MAX_GOT 1024
#define RX_CAP (VSOCK_HDR_SIZE + 4096) /* what Linux 6.1 gives */
#define SVC_PORT 5000

struct got {
	struct vsock_hdr h;
	uint8_t data[4096];
};

struct fake {
	struct vsock_mux *m;
	uint8_t *tx[MAX_TX];
	size_t tx_len[MAX_TX];
	unsigned int tx_n, tx_next;
	unsigned int rx_avail; /* RX buffers the "guest" gave */
	size_t rx_cap;         /* their size; 0: RX_CAP */
	/* Buffers the muxer peeked at, in line from rx_first, each its own memory. */
	uint8_t rxmem[VSOCK_RX_BATCH][RX_CAP];
	struct vsock_rxbuf rxb[VSOCK_RX_BATCH];
	unsigned int rx_first, rx_nheld, max_peeked;
	struct got *got;
	unsigned int ngot, notifies;
	int peer[VSOCK_MUX_MAX_CONNS + 8]; /* host ends handed out by the service */
	unsigned int npeer;
	bool in_progress; /* the service's connects complete later */
	bool small_sndbuf; /* the muxer's end of new socketpairs takes little */
	int refuse;       /* the service fails with this errno */
};

static inline int f_tx_pop(void *opaque, struct vsock_txpkt *p)
{
	struct fake *f = opaque;
	uint8_t *b;
	size_t len, h;

	if (f->tx_next == f->tx_n)
		return 0;
	b = f->tx[f->tx_next];
	len = f->tx_len[f->tx_next];
	h = len < VSOCK_HDR_SIZE ? len : VSOCK_HDR_SIZE;
	memcpy(p->hdr, b, h);
	p->hdr_len = h;
	/* The payload in two segments, to cross a boundary. */
	size_t rest = len - h, first = rest / 2;
	p->niov = 0;
	if (first)
		p->iov[p->niov++] = (struct iovec){ b + h, first };
	if (rest - first)
		p->iov[p->niov++] = (struct iovec){ b + h + first, rest - first };
	p->payload_len = rest;
	return 1;
}

static inline void f_tx_done(void *opaque)
{
	struct fake *f = opaque;

	free(f->tx[f->tx_next]);
	f->tx[f->tx_next++] = NULL;
}

static inline int f_rx_peek(void *opaque, unsigned int nth, struct vsock_rxbuf **b)
{
	struct fake *f = opaque;

	CHECK(nth < VSOCK_RX_BATCH);
	while (f->rx_nheld <= nth) {
		unsigned int i = (f->rx_first + f->rx_nheld) % VSOCK_RX_BATCH;
		size_t cap = f->rx_cap ? f->rx_cap : RX_CAP;

		if (!f->rx_avail)
			return 0;
		f->rx_avail--;
		f->rx_nheld++;
		/* Header and data in separate segments, as Linux 6.1 lays them out. */
		f->rxb[i].iov[0] = (struct iovec){ f->rxmem[i], VSOCK_HDR_SIZE };
		f->rxb[i].iov[1] = (struct iovec){ f->rxmem[i] + VSOCK_HDR_SIZE,
						   cap - VSOCK_HDR_SIZE };
		f->rxb[i].niov = cap > VSOCK_HDR_SIZE ? 2 : 1;
		f->rxb[i].cap = cap;
	}
	if (nth + 1 > f->max_peeked)
		f->max_peeked = nth + 1;
	*b = &f->rxb[(f->rx_first + nth) % VSOCK_RX_BATCH];
	return 1;
}

static inline void f_rx_push(void *opaque, uint32_t len)
{
	struct fake *f = opaque;
	struct got *g = &f->got[f->ngot % MAX_GOT];
	unsigned int i = f->rx_first;

	CHECK(f->rx_nheld && len >= VSOCK_HDR_SIZE && len <= f->rxb[i].cap);
	vsock_pkt_decode(f->rxmem[i], &g->h);
	CHECK_EQ(g->h.len, len - VSOCK_HDR_SIZE);
	/* From the host, but an RST answers from whatever CID was addressed. */
	CHECK(g->h.src_cid == VSOCK_HOST_CID || g->h.op == VSOCK_OP_RST);
	CHECK_EQ(g->h.dst_cid, VSOCK_GUEST_CID);
	memcpy(g->data, f->rxmem[i] + VSOCK_HDR_SIZE, g->h.len);
	f->ngot++;
	f->rx_first = (i + 1) % VSOCK_RX_BATCH;
	f->rx_nheld--;
}

static inline void f_notify(void *opaque)
{
	struct fake *f = opaque;
	f->notifies++;
}

static const struct vsock_guest_ops fake_ops = {
	.tx_pop = f_tx_pop, .tx_done = f_tx_done, .rx_peek = f_rx_peek,
	.rx_push = f_rx_push, .notify = f_notify,
};

/* The test service: each connect hands the muxer one end of a socketpair. */
static inline int svc_connect(void *arg, uint32_t guest_port, bool *in_progress)
{
	struct fake *f = arg;
	int sv[2];

	(void)guest_port;
	if (f->refuse)
		return -f->refuse;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	f->peer[f->npeer++] = sv[1];
	if (f->small_sndbuf) {
		int sz = 4096;
		setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	}
	*in_progress = f->in_progress;
	return sv[0];
}

static const struct vsock_service_ops svc_ops = { .connect = svc_connect };

static inline struct fake *fake_new(void)
{
	struct fake *f = calloc(1, sizeof(*f));

	CHECK(f);
	f->got = calloc(MAX_GOT, sizeof(*f->got));
	CHECK(f->got);
	f->m = vsock_mux_create(NULL, &fake_ops, f);
	CHECK(f->m);
	CHECK_EQ(vsock_mux_add_service(f->m, SVC_PORT, &svc_ops, f), 0);
	vsock_mux_set_active(f->m, true);
	return f;
}

static inline void fake_free(struct fake *f)
{
	vsock_mux_destroy(f->m);
	for (unsigned int i = 0; i < f->npeer; i++)
		close(f->peer[i]);
	for (unsigned int i = f->tx_next; i < f->tx_n; i++)
		free(f->tx[i]);
	free(f->got);
	free(f);
}

/* Queues raw bytes as one TX packet (not kicked). */
static inline void queue_raw(struct fake *f, const void *b, size_t len)
{
	CHECK(f->tx_n < MAX_TX);
	f->tx[f->tx_n] = malloc(len ? len : 1);
	CHECK(f->tx[f->tx_n]);
	memcpy(f->tx[f->tx_n], b, len);
	f->tx_len[f->tx_n++] = len;
}

struct pkt {
	uint16_t op;
	uint32_t src_port, dst_port, flags, buf_alloc, fwd_cnt;
	uint32_t len;        /* header's len field */
	const void *data;
	size_t data_len;     /* bytes actually given */
	uint16_t type;       /* 0: STREAM */
};

static inline void queue_pkt(struct fake *f, const struct pkt *p)
{
	struct vsock_hdr h = {
		.src_cid = VSOCK_GUEST_CID, .dst_cid = VSOCK_HOST_CID,
		.src_port = p->src_port, .dst_port = p->dst_port, .len = p->len,
		.type = p->type ? p->type : VSOCK_TYPE_STREAM, .op = p->op, .flags = p->flags,
		.buf_alloc = p->buf_alloc, .fwd_cnt = p->fwd_cnt,
	};
	uint8_t *b = malloc(VSOCK_HDR_SIZE + p->data_len);

	CHECK(b);
	vsock_pkt_encode(&h, b);
	if (p->data_len)
		memcpy(b + VSOCK_HDR_SIZE, p->data, p->data_len);
	queue_raw(f, b, VSOCK_HDR_SIZE + p->data_len);
	free(b);
}

static inline void send_pkt(struct fake *f, const struct pkt *p)
{
	queue_pkt(f, p);
	vsock_mux_guest_tx(f->m);
}

static inline void give_rx(struct fake *f, unsigned int n)
{
	f->rx_avail += n;
	vsock_mux_guest_rx(f->m);
}

/* Serves host readiness for up to ms milliseconds or until the muxer is idle. */
static inline void serve(struct fake *f, int ms)
{
	struct pollfd p = { .fd = vsock_mux_fd(f->m), .events = POLLIN };

	while (poll(&p, 1, ms) > 0) {
		vsock_mux_poll(f->m);
		ms = 20;
	}
}

static inline const struct got *last(const struct fake *f)
{
	CHECK(f->ngot > 0);
	return &f->got[(f->ngot - 1) % MAX_GOT];
}

static inline unsigned int count_op(const struct fake *f, unsigned int from, uint16_t op)
{
	unsigned int n = 0;
	for (unsigned int i = from; i < f->ngot; i++)
		n += f->got[i % MAX_GOT].h.op == op;
	return n;
}

/* A connection from guest port gport to SVC_PORT, established. Its host end is
 * f->peer[f->npeer - 1]. */
static inline void connect_guest(struct fake *f, uint32_t gport, uint32_t buf_alloc)
{
	unsigned int before = f->ngot;

	send_pkt(f, &(struct pkt){ .op = VSOCK_OP_REQUEST, .src_port = gport,
				   .dst_port = SVC_PORT, .buf_alloc = buf_alloc });
	give_rx(f, 1);
	CHECK_EQ(f->ngot, before + 1);
	CHECK_EQ(last(f)->h.op, VSOCK_OP_RESPONSE);
	CHECK_EQ(last(f)->h.dst_port, gport);
	CHECK_EQ(last(f)->h.src_port, SVC_PORT);
	CHECK_EQ(last(f)->h.buf_alloc, VSOCK_BUF_ALLOC);
}

/* Reads what the host end has now; -1 on EOF/error with nothing read. */
static inline ssize_t host_read(int fd, void *buf, size_t len)
{
	ssize_t n = read(fd, buf, len);
	return n < 0 && errno == EAGAIN ? 0 : n == 0 ? -1 : n;
}

#endif
