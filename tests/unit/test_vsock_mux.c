/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The vsock muxer (src/vsock/mux.h) without a VM: a fake guest queues raw
 * packets and hands out RX buffers; host ends are socketpairs (a test service)
 * or a real UNIX listener. Host readiness is served by calling vsock_mux_poll
 * when the muxer's epoll fd is readable, as the event loop would.
 */
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "vsock/mux.h"
#include "vsock_fake_guest.h"

TEST(mux_request_to_unmapped_port_gets_rst)
{
	struct fake *f = fake_new();
	struct vsock_mux_stats st;

	send_pkt(f, &(struct pkt){ .op = VSOCK_OP_REQUEST, .src_port = 1025, .dst_port = 4444 });
	CHECK_EQ(f->ngot, 0); /* no RX buffer yet: the RST waits */
	give_rx(f, 4);
	CHECK_EQ(f->ngot, 1);
	CHECK_EQ(last(f)->h.op, VSOCK_OP_RST);
	CHECK_EQ(last(f)->h.src_port, 4444);
	CHECK_EQ(last(f)->h.dst_port, 1025);
	CHECK_EQ(last(f)->h.dst_cid, VSOCK_GUEST_CID);
	vsock_mux_get_stats(f->m, &st);
	CHECK_EQ(st.refused, 1);
	CHECK_EQ(st.live, 0);
	fake_free(f);
}

TEST(mux_failed_host_connect_gets_rst)
{
	struct fake *f = fake_new();

	f->refuse = ECONNREFUSED;
	give_rx(f, 4);
	send_pkt(f, &(struct pkt){ .op = VSOCK_OP_REQUEST, .src_port = 1025, .dst_port = SVC_PORT });
	CHECK_EQ(f->ngot, 1);
	CHECK_EQ(last(f)->h.op, VSOCK_OP_RST);
	fake_free(f);
}

TEST(mux_packets_for_no_connection_get_rst_but_an_rst_gets_nothing)
{
	struct fake *f = fake_new();
	struct vsock_mux_stats st;
	static const uint16_t ops[] = { VSOCK_OP_RESPONSE, VSOCK_OP_SHUTDOWN, VSOCK_OP_RW,
					VSOCK_OP_CREDIT_UPDATE, VSOCK_OP_CREDIT_REQUEST };

	give_rx(f, 16);
	for (unsigned int i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		send_pkt(f, &(struct pkt){ .op = ops[i], .src_port = 2000 + i, .dst_port = SVC_PORT });
	CHECK_EQ(count_op(f, 0, VSOCK_OP_RST), 5);
	send_pkt(f, &(struct pkt){ .op = VSOCK_OP_RST, .src_port = 3000, .dst_port = SVC_PORT });
	CHECK_EQ(f->ngot, 5); /* never an RST for an RST */
	vsock_mux_get_stats(f->m, &st);
	CHECK_EQ(st.no_conn, 6);
	fake_free(f);
}

TEST(mux_malformed_packets_are_dropped_or_answered_with_rst)
{
	struct fake *f = fake_new();
	struct vsock_mux_stats st;
	struct vsock_hdr h = { .src_cid = VSOCK_HOST_CID, .dst_cid = VSOCK_HOST_CID,
			       .src_port = 1, .dst_port = SVC_PORT, .type = VSOCK_TYPE_STREAM,
			       .op = VSOCK_OP_REQUEST };
	uint8_t raw[VSOCK_HDR_SIZE];

	give_rx(f, 16);
	queue_raw(f, "short", 5);                       /* dropped: no address */
	vsock_pkt_encode(&h, raw);
	queue_raw(f, raw, sizeof(raw));                 /* spoofed: dropped */
	send_pkt(f, &(struct pkt){ .op = 42, .src_port = 7, .dst_port = SVC_PORT });
	send_pkt(f, &(struct pkt){ .op = VSOCK_OP_RW, .src_port = 8, .dst_port = SVC_PORT,
				   .len = 100, .data = "x", .data_len = 1 }); /* len > given */
	CHECK_EQ(f->tx_next, f->tx_n);
	CHECK_EQ(count_op(f, 0, VSOCK_OP_RST), 2);
	CHECK_EQ(f->ngot, 2);
	vsock_mux_get_stats(f->m, &st);
	CHECK_EQ(st.dropped[VSOCK_PKT_SHORT], 1);
	CHECK_EQ(st.dropped[VSOCK_PKT_SPOOFED], 1);
	CHECK_EQ(st.dropped[VSOCK_PKT_BAD_OP], 1);
	CHECK_EQ(st.dropped[VSOCK_PKT_BAD_LEN], 1);
	CHECK_EQ(st.live, 0);
	fake_free(f);
}

TEST(mux_stream_both_ways_within_credit)
{
	struct fake *f = fake_new();
	uint8_t buf[8192];
	int peer;

	connect_guest(f, 1100, 1000);
	peer = f->peer[0];
	send_pkt(f, &(struct pkt){ .op = VSOCK_OP_RW, .src_port = 1100, .dst_port = SVC_PORT,
				   .buf_alloc = 1000, .len = 11, .data = "hello host\n",
				   .data_len = 11 });
	CHECK_EQ(host_read(peer, buf, sizeof(buf)), 11);
	CHECK(!memcmp(buf, "hello host\n", 11));

	/* 3000 host bytes, the guest's buf_alloc is 1000: only 1000 go. */
	memset(buf, 'h', 3000);
	CHECK_EQ(write(peer, buf, 3000), 3000);
	give_rx(f, 8);
	serve(f, 200);
	unsigned int n = f->ngot;
	CHECK_EQ(last(f)->h.op, VSOCK_OP_RW);
	uint32_t total = 0;
	for (unsigned int i = 1; i < n; i++)
		if (f->got[i].h.op == VSOCK_OP_RW)
			total += f->got[i].h.len;
	CHECK_EQ(total, 1000);
	/* The guest consumed 600: exactly 600 more may come. */
	send_pkt(f, &(struct pkt){ .op = VSOCK_OP_CREDIT_UPDATE, .src_port = 1100,
				   .dst_port = SVC_PORT, .buf_alloc = 1000, .fwd_cnt = 600 });
	serve(f, 100);
	for (unsigned int i = n; i < f->ngot; i++)
		total += f->got[i].h.op == VSOCK_OP_RW ? f->got[i].h.len : 0;
	CHECK_EQ(total, 1600);
	fake_free(f);
}

/* The RW packets from index from on, in order, as one byte stream into out;
 * returns how many bytes, and each packet's length checked against cap. */
static size_t rw_bytes(const struct fake *f, unsigned int from, uint8_t *out, size_t cap)
{
	size_t n = 0;

	for (unsigned int i = from; i < f->ngot; i++) {
		const struct got *g = &f->got[i % MAX_GOT];

		if (g->h.op != VSOCK_OP_RW)
			continue;
		CHECK(g->h.len > 0 && g->h.len <= 4096 && n + g->h.len <= cap);
		memcpy(out + n, g->data, g->h.len);
		n += g->h.len;
	}
	return n;
}

/* The host end writes len bytes, then the guest gives nbuf RX buffers and the
 * muxer runs; returns the index of the first packet that came of it. */
static unsigned int host_writes_guest_reads(struct fake *f, int peer, const void *data,
					    size_t len, unsigned int nbuf)
{
	unsigned int before = f->ngot;

	CHECK_EQ(write(peer, data, len), (ssize_t)len);
	give_rx(f, nbuf);
	serve(f, 100);
	return before;
}

TEST(mux_one_host_read_fills_several_rx_buffers_in_order_within_credit)
{
	struct fake *f = fake_new();
	static uint8_t data[80000], back[sizeof(data)];
	unsigned int before;
	int peer;

	connect_guest(f, 1150, 1u << 20);
	peer = f->peer[0];
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 31 + i / 4093);
	/* 5000 bytes and 16 buffers: two packets, 14 buffers kept for later. */
	before = host_writes_guest_reads(f, peer, data, 5000, 16);
	CHECK_EQ(f->ngot, before + 2);
	CHECK_EQ(f->got[before % MAX_GOT].h.len, 4096);
	CHECK_EQ(f->got[(before + 1) % MAX_GOT].h.len, 904);
	CHECK(f->max_peeked >= 2); /* both filled by one read */
	CHECK_EQ(f->rx_nheld, 14);
	/* 19 packets more: the 14 kept buffers are filled first, in line, then
	 * new ones; the bytes stay in order. */
	host_writes_guest_reads(f, peer, data + 5000, sizeof(data) - 5000, 16);
	CHECK_EQ(rw_bytes(f, before, back, sizeof(back)), sizeof(data));
	CHECK(!memcmp(back, data, sizeof(data)));
	CHECK(f->max_peeked > 8);
	CHECK_EQ(f->rx_nheld, 16 - 5);

	/* A second stream whose guest has room for 10000 bytes of 30000: three
	 * packets, the last short, and nothing past the credit. */
	connect_guest(f, 1160, 10000);
	before = host_writes_guest_reads(f, f->peer[1], data, 30000, 16);
	CHECK_EQ(rw_bytes(f, before, back, sizeof(back)), 10000);
	CHECK_EQ(f->ngot, before + 3);
	CHECK_EQ(last(f)->h.len, 10000 - 2 * 4096);
	CHECK_EQ(last(f)->h.dst_port, 1160);
	fake_free(f);
}

TEST(mux_guest_sending_past_its_credit_is_reset)
{
	struct fake *f = fake_new();
	struct vsock_mux_stats st;
	static uint8_t data[VSOCK_MAX_PAYLOAD];
	uint8_t buf[4096];
	int peer;

	connect_guest(f, 1200, 65536);
	peer = f->peer[0];
	/* The host end never reads: the socket fills, then the ring, then the
	 * guest has used its VSOCK_BUF_ALLOC and one packet more is a lie. */
	unsigned int packets = VSOCK_BUF_ALLOC / sizeof(data) + 8;
	for (unsigned int i = 0; i < packets; i++)
		queue_pkt(f, &(struct pkt){ .op = VSOCK_OP_RW, .src_port = 1200,
					    .dst_port = SVC_PORT, .buf_alloc = 65536,
					    .len = sizeof(data), .data = data,
					    .data_len = sizeof(data) });
	give_rx(f, 4);
	vsock_mux_guest_tx(f->m);
	vsock_mux_get_stats(f->m, &st);
	CHECK_EQ(st.credit, 1);
	CHECK_EQ(count_op(f, 1, VSOCK_OP_RST), 1);
	CHECK_EQ(st.live, 0);
	/* Packets after the reset are consumed, not buffered. */
	CHECK_EQ(f->tx_next, f->tx_n);
	/* The host end sees its data, then EOF. */
	ssize_t r;
	size_t got = 0;
	while ((r = host_read(peer, buf, sizeof(buf))) > 0)
		got += (size_t)r;
	CHECK_EQ(r, -1);
	CHECK(got < (size_t)packets * sizeof(data));
	fake_free(f);
}

TEST(mux_fwd_cnt_beyond_what_was_sent_is_reset)
{
	struct fake *f = fake_new();
	struct vsock_mux_stats st;

	connect_guest(f, 1300, 4096);
	give_rx(f, 4);
	send_pkt(f, &(struct pkt){ .op = VSOCK_OP_CREDIT_UPDATE, .src_port = 1300,
				   .dst_port = SVC_PORT, .buf_alloc = 4096, .fwd_cnt = 1 });
	vsock_mux_get_stats(f->m, &st);
	CHECK_EQ(st.credit, 1);
	CHECK_EQ(last(f)->h.op, VSOCK_OP_RST);
	CHECK_EQ(st.live, 0);
	fake_free(f);
}

TEST(mux_slow_host_reader_throttles_the_guest_with_bounded_buffering)
{
	struct fake *f = fake_new();
	static uint8_t data[VSOCK_MAX_PAYLOAD], back[VSOCK_BUF_ALLOC];
	uint32_t sent = 0, fwd_seen = 0;
	size_t got = 0;
	int peer;

	f->small_sndbuf = true;
	connect_guest(f, 1400, 65536);
	peer = f->peer[0];
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7 + i / 251);
	give_rx(f, 64);
	/* The guest sends exactly its credit while the host does not read: all
	 * of it is taken (most into the ring), and no credit comes back. */
	for (unsigned int i = 0; i < VSOCK_BUF_ALLOC / sizeof(data); i++) {
		send_pkt(f, &(struct pkt){ .op = VSOCK_OP_RW, .src_port = 1400,
					   .dst_port = SVC_PORT, .buf_alloc = 65536,
					   .len = sizeof(data), .data = data,
					   .data_len = sizeof(data) });
		sent += sizeof(data);
	}
	unsigned int before = f->ngot;
	CHECK_EQ(count_op(f, 1, VSOCK_OP_RST), 0);
	/* Now the host reads; the ring drains and credit updates tell the guest. */
	while (got < sent) {
		ssize_t n = host_read(peer, back, sizeof(back));
		CHECK(n >= 0);
		for (ssize_t i = 0; i < n; i++)
			CHECK_EQ(back[i], data[(got + (size_t)i) % sizeof(data)]);
		got += (size_t)n;
		serve(f, 10);
	}
	for (unsigned int i = before; i < f->ngot; i++)
		if (f->got[i % MAX_GOT].h.op == VSOCK_OP_CREDIT_UPDATE)
			fwd_seen = f->got[i % MAX_GOT].h.fwd_cnt;
	/* Most of it waited in the ring, and each quarter window flushed was told. */
	CHECK(count_op(f, before, VSOCK_OP_CREDIT_UPDATE) >= 3);
	CHECK(sent - fwd_seen < VSOCK_BUF_ALLOC / 4);
	fake_free(f);
}

struct drain_reader {
	int fd;
	size_t got;
	bool eof;
	uint8_t buf[2 * VSOCK_BUF_ALLOC];
};

/* The host reader that starts late: sleeps, then reads to EOF. */
static void *drain_read(void *arg)
{
	struct drain_reader *r = arg;
	struct pollfd p = { .fd = r->fd, .events = POLLIN };

	usleep(200 * 1000);
	while (poll(&p, 1, 5000) > 0) {
		ssize_t n = read(r->fd, r->buf + r->got, sizeof(r->buf) - r->got);
		if (n == 0) {
			r->eof = true;
			break;
		}
		if (n > 0)
			r->got += (size_t)n;
	}
	return NULL;
}

TEST(mux_drain_after_the_vm_ended_delivers_queued_and_buffered_bytes)
{
	struct fake *f = fake_new();
	static uint8_t data[VSOCK_MAX_PAYLOAD], junk[VSOCK_HDR_SIZE - 3];
	static struct drain_reader r;
	uint32_t sent = 0;
	pthread_t t;

	f->small_sndbuf = true;
	connect_guest(f, 1450, 65536);
	r.fd = f->peer[0];
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 13 + 1);
	give_rx(f, 64);
	/* Most of the credit waits in the ring: the host reads nothing yet. */
	for (unsigned int i = 0; i < VSOCK_BUF_ALLOC / sizeof(data) - 1; i++) {
		send_pkt(f, &(struct pkt){ .op = VSOCK_OP_RW, .src_port = 1450,
					   .dst_port = SVC_PORT, .buf_alloc = 65536,
					   .len = sizeof(data), .data = data,
					   .data_len = sizeof(data) });
		sent += sizeof(data);
	}
	/* The guest's last packets, queued but never kicked: one more RW, a
	 * truncated header (garbage) and its half-close. */
	queue_pkt(f, &(struct pkt){ .op = VSOCK_OP_RW, .src_port = 1450, .dst_port = SVC_PORT,
				    .buf_alloc = 65536, .len = sizeof(data), .data = data,
				    .data_len = sizeof(data) });
	sent += sizeof(data);
	memset(junk, 0xa5, sizeof(junk));
	queue_raw(f, junk, sizeof(junk));
	queue_pkt(f, &(struct pkt){ .op = VSOCK_OP_SHUTDOWN, .src_port = 1450,
				    .dst_port = SVC_PORT, .buf_alloc = 65536,
				    .flags = VSOCK_SHUTDOWN_SEND });
	CHECK_EQ(pthread_create(&t, NULL, drain_read, &r), 0);
	vsock_mux_drain(f->m, 5000);
	CHECK_EQ(pthread_join(t, NULL), 0);
	/* Every byte, in order, then EOF: the half-close was passed on. */
	CHECK_EQ(r.got, sent);
	for (size_t i = 0; i < r.got; i++)
		CHECK_EQ(r.buf[i], data[i % sizeof(data)]);
	CHECK(r.eof);
	fake_free(f);
}

TEST(mux_guest_shutdown_both_delivers_the_data_then_rst)
{
	struct fake *f = fake_new();
	uint8_t buf[64];
	int peer;

	connect_guest(f, 1500, 4096);
	peer = f->peer[0];
	give_rx(f, 4);
	queue_pkt(f, &(struct pkt){ .op = VSOCK_OP_RW, .src_port = 1500, .dst_port = SVC_PORT,
				    .buf_alloc = 4096, .len = 5, .data = "bye!\n", .data_len = 5 });
	send_pkt(f, &(struct pkt){ .op = VSOCK_OP_SHUTDOWN, .src_port = 1500, .dst_port = SVC_PORT,
				   .buf_alloc = 4096, .flags = VSOCK_SHUTDOWN_BOTH });
	CHECK_EQ(last(f)->h.op, VSOCK_OP_RST); /* §5.10.6.6: clean close answered */
	CHECK_EQ(host_read(peer, buf, sizeof(buf)), 5);
	CHECK_EQ(host_read(peer, buf, sizeof(buf)), -1);
	fake_free(f);
}

TEST(mux_guest_shutdown_send_half_closes_the_host_socket)
{
	struct fake *f = fake_new();
	uint8_t buf[64];
	int peer;

	connect_guest(f, 1510, 4096);
	peer = f->peer[0];
	give_rx(f, 8);
	send_pkt(f, &(struct pkt){ .op = VSOCK_OP_SHUTDOWN, .src_port = 1510, .dst_port = SVC_PORT,
				   .buf_alloc = 4096, .flags = VSOCK_SHUTDOWN_SEND });
	CHECK_EQ(host_read(peer, buf, sizeof(buf)), -1); /* EOF */
	/* The other way still works. */
	CHECK_EQ(write(peer, "late", 4), 4);
	serve(f, 200);
	CHECK_EQ(last(f)->h.op, VSOCK_OP_RW);
	CHECK_EQ(last(f)->h.len, 4);
	fake_free(f);
}

TEST(mux_host_close_reaches_the_guest_as_shutdown_after_the_data)
{
	struct fake *f = fake_new();

	connect_guest(f, 1600, 65536);
	CHECK_EQ(write(f->peer[0], "last words", 10), 10);
	close(f->peer[0]);
	f->peer[0] = -1;
	give_rx(f, 8);
	serve(f, 200);
	CHECK_EQ(f->ngot, 3);
	CHECK_EQ(f->got[1].h.op, VSOCK_OP_RW);
	CHECK(!memcmp(f->got[1].data, "last words", 10));
	CHECK_EQ(f->got[2].h.op, VSOCK_OP_SHUTDOWN);
	CHECK_EQ(f->got[2].h.flags, VSOCK_SHUTDOWN_BOTH);
	/* The guest closes too: RST ends it, the connection is gone. */
	send_pkt(f, &(struct pkt){ .op = VSOCK_OP_RST, .src_port = 1600, .dst_port = SVC_PORT });
	struct vsock_mux_stats st;
	vsock_mux_get_stats(f->m, &st);
	CHECK_EQ(st.live, 0);
	fake_free(f);
}

TEST(mux_ops_out_of_state_reset_the_connection)
{
	struct fake *f = fake_new();
	struct vsock_mux_stats st;
	uint8_t buf[8];

	connect_guest(f, 1700, 4096);
	give_rx(f, 4);
	/* A second REQUEST on a live connection. */
	send_pkt(f, &(struct pkt){ .op = VSOCK_OP_REQUEST, .src_port = 1700, .dst_port = SVC_PORT,
				   .buf_alloc = 4096 });
	CHECK_EQ(last(f)->h.op, VSOCK_OP_RST);
	CHECK_EQ(host_read(f->peer[0], buf, sizeof(buf)), -1);
	vsock_mux_get_stats(f->m, &st);
	CHECK_EQ(st.protocol, 1);
	CHECK_EQ(st.live, 0);
	fake_free(f);
}

TEST(mux_request_flood_is_bounded_and_throttles_the_tx_queue)
{
	struct fake *f = fake_new();
	struct vsock_mux_stats st;
	unsigned int flood = VSOCK_MUX_MAX_CONNS + 1000;

	/* No RX buffers: RESPONSEs stay owed per connection, RSTs fill the ring
	 * and then the TX queue is left alone. */
	for (unsigned int i = 0; i < flood; i++)
		queue_pkt(f, &(struct pkt){ .op = VSOCK_OP_REQUEST, .src_port = 10000 + i,
					    .dst_port = SVC_PORT, .buf_alloc = 4096 });
	vsock_mux_guest_tx(f->m);
	serve(f, 50); /* the rest of the flood after each run's budget */
	vsock_mux_get_stats(f->m, &st);
	CHECK_EQ(st.live, VSOCK_MUX_MAX_CONNS);
	CHECK_EQ(f->tx_next, VSOCK_MUX_MAX_CONNS + VSOCK_RST_RING);
	CHECK_EQ(st.rst_lost, 0);
	/* RX buffers drain the ring, and the rest of the flood is answered. */
	for (int round = 0; round < 100 && f->tx_next < f->tx_n; round++) {
		give_rx(f, 256);
		serve(f, 10);
	}
	CHECK_EQ(f->tx_next, f->tx_n);
	give_rx(f, 256);
	vsock_mux_get_stats(f->m, &st);
	CHECK_EQ(st.refused, flood - VSOCK_MUX_MAX_CONNS);
	CHECK_EQ(st.live, VSOCK_MUX_MAX_CONNS);
	CHECK_EQ(f->ngot, flood); /* one answer each: RESPONSE or RST */
	fake_free(f);
}

TEST(mux_connect_in_progress_responds_once_connected)
{
	struct fake *f = fake_new();

	f->in_progress = true;
	give_rx(f, 4);
	send_pkt(f, &(struct pkt){ .op = VSOCK_OP_REQUEST, .src_port = 1800, .dst_port = SVC_PORT,
				   .buf_alloc = 4096 });
	CHECK_EQ(f->ngot, 0);
	serve(f, 200); /* EPOLLOUT: SO_ERROR is 0 */
	CHECK_EQ(f->ngot, 1);
	CHECK_EQ(last(f)->h.op, VSOCK_OP_RESPONSE);
	fake_free(f);
}

TEST(mux_listener_client_arrives_as_request_and_streams)
{
	struct fake *f = fake_new();
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char dir[] = "/tmp/vsock-mux-XXXXXX";
	uint8_t buf[64];
	int lfd, cfd;

	CHECK(mkdtemp(dir));
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/l.sock", dir);
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	CHECK(lfd >= 0);
	CHECK_EQ(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	CHECK_EQ(listen(lfd, 8), 0);
	CHECK_EQ(vsock_mux_add_listener(f->m, lfd, 6000), 0);
	cfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CHECK_EQ(connect(cfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	CHECK_EQ(write(cfd, "early", 5), 5); /* before the guest accepted: held */
	give_rx(f, 8);
	serve(f, 200);
	CHECK_EQ(f->ngot, 1);
	const struct vsock_hdr req = last(f)->h;
	CHECK_EQ(req.op, VSOCK_OP_REQUEST);
	CHECK_EQ(req.dst_port, 6000);
	CHECK_EQ(req.dst_cid, VSOCK_GUEST_CID);
	send_pkt(f, &(struct pkt){ .op = VSOCK_OP_RESPONSE, .src_port = 6000,
				   .dst_port = req.src_port, .buf_alloc = 4096 });
	serve(f, 100);
	CHECK_EQ(last(f)->h.op, VSOCK_OP_RW);
	CHECK(!memcmp(last(f)->data, "early", 5));
	send_pkt(f, &(struct pkt){ .op = VSOCK_OP_RW, .src_port = 6000, .dst_port = req.src_port,
				   .buf_alloc = 4096, .len = 3, .data = "yes", .data_len = 3 });
	CHECK_EQ(read(cfd, buf, sizeof(buf)), 3);
	/* The guest resets: the host client sees EOF. */
	send_pkt(f, &(struct pkt){ .op = VSOCK_OP_RST, .src_port = 6000, .dst_port = req.src_port });
	CHECK_EQ(read(cfd, buf, sizeof(buf)), 0);
	close(cfd);
	unlink(sa.sun_path);
	rmdir(dir);
	fake_free(f);
}

TEST(mux_device_reset_closes_every_connection)
{
	struct fake *f = fake_new();
	uint8_t buf[8];

	connect_guest(f, 1900, 4096);
	connect_guest(f, 1901, 4096);
	vsock_mux_set_active(f->m, false);
	CHECK_EQ(host_read(f->peer[0], buf, sizeof(buf)), -1);
	CHECK_EQ(host_read(f->peer[1], buf, sizeof(buf)), -1);
	unsigned int n = f->ngot;
	queue_pkt(f, &(struct pkt){ .op = VSOCK_OP_REQUEST, .src_port = 1902, .dst_port = SVC_PORT });
	vsock_mux_guest_tx(f->m);
	give_rx(f, 4);
	CHECK_EQ(f->ngot, n);          /* inactive: the queues are not touched */
	CHECK_EQ(f->tx_next, f->tx_n - 1);
	vsock_mux_set_active(f->m, true);
	vsock_mux_guest_tx(f->m);
	CHECK_EQ(last(f)->h.op, VSOCK_OP_RESPONSE);
	fake_free(f);
}

TEST(mux_random_packets_neither_crash_nor_grow_without_bound)
{
	struct fake *f = fake_new();
	struct vsock_mux_stats st;
	uint8_t raw[VSOCK_HDR_SIZE + 256];

	srand(11);
	for (int round = 0; round < 50; round++) {
		for (int i = 0; i < 200; i++) {
			size_t len = (size_t)rand() % sizeof(raw);
			for (size_t j = 0; j < len; j++)
				raw[j] = (uint8_t)rand();
			if (len >= VSOCK_HDR_SIZE && rand() % 4) {
				/* Plausible: guest CID, host CID, stream, ports in a small
				 * range so packets meet live connections. */
				struct vsock_hdr h;
				vsock_pkt_decode(raw, &h);
				h.src_cid = VSOCK_GUEST_CID;
				h.dst_cid = rand() % 8 ? VSOCK_HOST_CID : h.dst_cid;
				h.type = VSOCK_TYPE_STREAM;
				h.src_port = 100 + (uint32_t)rand() % 8;
				h.dst_port = rand() % 2 ? SVC_PORT : (uint32_t)rand() % 3;
				h.op = (uint16_t)(1 + rand() % 8);
				h.len = rand() % 2 ? (uint32_t)(len - VSOCK_HDR_SIZE) : h.len;
				vsock_pkt_encode(&h, raw);
			}
			queue_raw(f, raw, len);
		}
		give_rx(f, 300);
		vsock_mux_guest_tx(f->m);
		serve(f, 1);
		/* Keep the fake's arrays from filling up. */
		CHECK_EQ(f->tx_next, f->tx_n);
		f->tx_n = f->tx_next = 0;
		for (unsigned int i = 0; i < f->npeer; i++)
			close(f->peer[i]);
		f->npeer = 0;
	}
	vsock_mux_get_stats(f->m, &st);
	CHECK(st.live <= VSOCK_MUX_MAX_CONNS);
	CHECK(st.opened > 0);
	fake_free(f);
}
