/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The TSI service (src/tsi/) on the vsock muxer, without a VM: the fake guest
 * of vsock_fake_guest.h speaks the guest kernel's side of the protocol (setup
 * header, status, inbound header) to real TCP sockets on 127.0.0.1 and ::1,
 * and sends headers that are wrong, split, followed by bytes it must not
 * send yet, or random.
 */
#include "harness.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/un.h>

#include "tsi/priv.h"
#include "tsi/tsi.h"
#include "tsi/wire.h"
#include "util/log.h"
#include "vsock_fake_guest.h"

#define GPORT 1500

static void put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* A setup header; addr is 4 or 16 bytes by family. */
static void mk_setup(uint8_t *h, uint8_t op, uint8_t family, const void *addr, uint16_t port,
		     uint32_t vsock_port)
{
	uint16_t be = htons(port);

	memset(h, 0, TSI_SETUP_SIZE);
	put_le32(h, TSI_MAGIC);
	h[4] = op;
	h[5] = family;
	memcpy(h + 6, &be, 2);
	memcpy(h + 8, addr, family == 4 ? 4 : 16);
	put_le32(h + 24, vsock_port);
	put_le32(h + 28, 16);
}

static struct fake *tsi_fake(const struct tsi_config *cfg)
{
	struct fake *f = fake_new();

	CHECK_EQ(tsi_service_add(f->m, cfg), 0);
	give_rx(f, 64);
	return f;
}

/* The zero policy: everything allowed, as upstream; the default caps. */
static const struct tsi_config open_cfg = { .inet = true };

/* REQUEST to the TSI port, RESPONSE back, then the header in chunks of at
 * most chunk bytes. */
static void tsi_open(struct fake *f, uint32_t gport, const uint8_t *hdr, size_t chunk)
{
	unsigned int before = f->ngot;

	send_pkt(f, &(struct pkt){ .op = VSOCK_OP_REQUEST, .src_port = gport,
				   .dst_port = TSI_VSOCK_PORT, .buf_alloc = 65536 });
	CHECK_EQ(f->ngot, before + 1);
	CHECK_EQ(last(f)->h.op, VSOCK_OP_RESPONSE);
	for (size_t off = 0; off < TSI_SETUP_SIZE; off += chunk) {
		size_t n = TSI_SETUP_SIZE - off < chunk ? TSI_SETUP_SIZE - off : chunk;
		send_pkt(f, &(struct pkt){ .op = VSOCK_OP_RW, .src_port = gport,
					   .dst_port = TSI_VSOCK_PORT, .buf_alloc = 65536,
					   .len = (uint32_t)n, .data = hdr + off, .data_len = n });
	}
}

/* The newest RW to gport: its 8-byte status, err returned, value in *value. */
static int status_of(struct fake *f, uint32_t gport, unsigned int from, uint32_t *value)
{
	for (unsigned int i = from; i < f->ngot; i++) {
		const struct got *g = &f->got[i % MAX_GOT];
		if (g->h.op == VSOCK_OP_RW && g->h.dst_port == gport) {
			CHECK_EQ(g->h.len, 8);
			if (value)
				*value = get_le32(g->data + 4);
			return (int)get_le32(g->data);
		}
	}
	harness_fail(__FILE__, __LINE__, "no status for guest port %u", gport);
}

/* A TCP listener on the loopback of family; its port in *port. */
static int tcp_listener(int family, uint16_t *port)
{
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	struct sockaddr_in a4 = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct sockaddr_storage got;
	socklen_t len = sizeof(got);
	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);

	CHECK(fd >= 0);
	if (family == AF_INET)
		CHECK_EQ(bind(fd, (struct sockaddr *)&a4, sizeof(a4)), 0);
	else
		CHECK_EQ(bind(fd, (struct sockaddr *)&a6, sizeof(a6)), 0);
	CHECK_EQ(listen(fd, 8), 0);
	CHECK_EQ(getsockname(fd, (struct sockaddr *)&got, &len), 0);
	*port = ntohs(family == AF_INET ? ((struct sockaddr_in *)&got)->sin_port
					: ((struct sockaddr_in6 *)&got)->sin6_port);
	return fd;
}

/* A port with no listener behind it on 127.0.0.1. */
static uint16_t closed_port(void)
{
	uint16_t port;
	int fd = tcp_listener(AF_INET, &port);

	close(fd);
	return port;
}

static const uint8_t lo4[4] = { 127, 0, 0, 1 };
static const uint8_t lo6[16] = { [15] = 1 };

/* The newest packet to the guest is an RW carrying exactly text. */
static void check_last_rw(const struct fake *f, const char *text)
{
	CHECK_EQ(last(f)->h.op, VSOCK_OP_RW);
	CHECK_EQ(last(f)->h.len, strlen(text));
	CHECK(!memcmp(last(f)->data, text, strlen(text)));
}

static void connect_and_stream(int family)
{
	struct fake *f = tsi_fake(&open_cfg);
	uint8_t hdr[TSI_SETUP_SIZE], buf[64];
	uint16_t port;
	uint32_t value = 0;
	int lfd = tcp_listener(family, &port), cfd;
	struct sockaddr_storage peer;
	socklen_t plen = sizeof(peer);

	mk_setup(hdr, TSI_OP_CONNECT, family == AF_INET ? 4 : 6, family == AF_INET ? lo4 : lo6,
		 port, 0);
	tsi_open(f, GPORT, hdr, TSI_SETUP_SIZE);
	serve(f, 200);
	cfd = accept(lfd, (struct sockaddr *)&peer, &plen);
	CHECK(cfd >= 0);
	serve(f, 100);
	CHECK_EQ(status_of(f, GPORT, 0, &value), 0);
	/* The status names the host socket's port: the accepted peer's. */
	CHECK_EQ(value, ntohs(family == AF_INET ? ((struct sockaddr_in *)&peer)->sin_port
					       : ((struct sockaddr_in6 *)&peer)->sin6_port));
	send_pkt(f, &(struct pkt){ .op = VSOCK_OP_RW, .src_port = GPORT, .dst_port = TSI_VSOCK_PORT,
				   .buf_alloc = 65536, .len = 5, .data = "hello", .data_len = 5 });
	CHECK_EQ(read(cfd, buf, sizeof(buf)), 5);
	CHECK(!memcmp(buf, "hello", 5));
	CHECK_EQ(write(cfd, "world", 5), 5);
	serve(f, 100);
	check_last_rw(f, "world");
	close(cfd);
	close(lfd);
	fake_free(f);
}

TEST(tsi_connect_ipv4_gets_status_then_streams_both_ways)
{
	connect_and_stream(AF_INET);
}

TEST(tsi_connect_ipv6_gets_status_then_streams_both_ways)
{
	int probe = socket(AF_INET6, SOCK_STREAM, 0);
	struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };

	if (probe < 0 || bind(probe, (struct sockaddr *)&a, sizeof(a)) < 0) {
		if (probe >= 0)
			close(probe);
		SKIP("no IPv6 loopback here");
	}
	close(probe);
	connect_and_stream(AF_INET6);
}

TEST(tsi_header_split_over_packets_is_assembled)
{
	struct fake *f = tsi_fake(&open_cfg);
	uint8_t hdr[TSI_SETUP_SIZE];
	uint16_t port;
	int lfd = tcp_listener(AF_INET, &port), cfd;

	mk_setup(hdr, TSI_OP_CONNECT, 4, lo4, port, 0);
	tsi_open(f, GPORT, hdr, 3);
	serve(f, 200);
	cfd = accept(lfd, NULL, NULL);
	CHECK(cfd >= 0);
	serve(f, 100);
	CHECK_EQ(status_of(f, GPORT, 0, NULL), 0);
	close(cfd);
	close(lfd);
	fake_free(f);
}

TEST(tsi_refused_connect_sends_the_errno_then_rst)
{
	struct fake *f = tsi_fake(&open_cfg);
	uint8_t hdr[TSI_SETUP_SIZE];
	struct vsock_mux_stats st;

	mk_setup(hdr, TSI_OP_CONNECT, 4, lo4, closed_port(), 0);
	tsi_open(f, GPORT, hdr, TSI_SETUP_SIZE);
	serve(f, 300);
	CHECK_EQ(status_of(f, GPORT, 0, NULL), ECONNREFUSED);
	CHECK_EQ(last(f)->h.op, VSOCK_OP_RST);
	vsock_mux_get_stats(f->m, &st);
	CHECK_EQ(st.setup_failed, 1);
	CHECK_EQ(st.live, 0);
	fake_free(f);
}

TEST(tsi_bad_headers_get_an_errno_status_and_rst)
{
	struct fake *f = tsi_fake(&open_cfg);
	uint8_t hdr[TSI_SETUP_SIZE];
	struct {
		int offset, value, err;
	} cases[] = {
		{ 0, 'X', EPROTO },       /* magic */
		{ 4, 0, EPROTO },         /* op */
		{ 4, 9, EPROTO },
		{ 5, 5, EAFNOSUPPORT },   /* family */
		{ 6, 0, EINVAL },         /* port 0 (both bytes below) */
		{ 20, 1, EINVAL },        /* IPv4 with bytes past its 4 */
	};

	for (unsigned int i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		unsigned int before = f->ngot;

		mk_setup(hdr, TSI_OP_CONNECT, 4, lo4, 9, 0);
		hdr[cases[i].offset] = (uint8_t)cases[i].value;
		if (cases[i].offset == 6)
			hdr[7] = 0;
		tsi_open(f, GPORT + i, hdr, TSI_SETUP_SIZE);
		CHECK_EQ(status_of(f, GPORT + i, before, NULL), cases[i].err);
		CHECK_EQ(last(f)->h.op, VSOCK_OP_RST);
		CHECK_EQ(last(f)->h.dst_port, GPORT + i);
	}
	fake_free(f);
}

TEST(tsi_bytes_before_the_status_reset_only_that_stream)
{
	struct fake *f = tsi_fake(&open_cfg);
	uint8_t hdr[TSI_SETUP_SIZE + 1];
	uint16_t port;
	int lfd = tcp_listener(AF_INET, &port);
	struct vsock_mux_stats st;

	mk_setup(hdr, TSI_OP_CONNECT, 4, lo4, port, 0);
	hdr[TSI_SETUP_SIZE] = 'x';
	send_pkt(f, &(struct pkt){ .op = VSOCK_OP_REQUEST, .src_port = GPORT,
				   .dst_port = TSI_VSOCK_PORT, .buf_alloc = 65536 });
	send_pkt(f, &(struct pkt){ .op = VSOCK_OP_RW, .src_port = GPORT, .dst_port = TSI_VSOCK_PORT,
				   .buf_alloc = 65536, .len = sizeof(hdr), .data = hdr,
				   .data_len = sizeof(hdr) });
	CHECK_EQ(last(f)->h.op, VSOCK_OP_RST);
	vsock_mux_get_stats(f->m, &st);
	CHECK_EQ(st.live, 0);
	CHECK_EQ(st.setups, 0);
	/* Another stream is unaffected. */
	mk_setup(hdr, TSI_OP_CONNECT, 4, lo4, port, 0);
	tsi_open(f, GPORT + 1, hdr, TSI_SETUP_SIZE);
	serve(f, 200);
	int cfd = accept(lfd, NULL, NULL);
	CHECK(cfd >= 0);
	serve(f, 100);
	CHECK_EQ(status_of(f, GPORT + 1, 0, NULL), 0);
	close(cfd);
	close(lfd);
	fake_free(f);
}

/* LISTEN for guest port gport_listen (exposed per cfg), control stream from
 * guest port GPORT; returns the status's errno, the host port in *host. */
static int tsi_listen(struct fake *f, uint16_t guest_listen_port, uint32_t *host)
{
	uint8_t hdr[TSI_SETUP_SIZE];
	unsigned int before = f->ngot;

	mk_setup(hdr, TSI_OP_LISTEN, 4, lo4, guest_listen_port, 7000);
	tsi_open(f, GPORT, hdr, TSI_SETUP_SIZE);
	return status_of(f, GPORT, before, host);
}

TEST(tsi_listen_exposes_the_port_and_names_each_client)
{
	struct fake *f = tsi_fake(&open_cfg);
	uint16_t port = closed_port();
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) }, me;
	socklen_t mlen = sizeof(me);
	uint32_t host = 0;
	int cfd;

	CHECK_EQ(tsi_listen(f, port, &host), 0);
	CHECK_EQ(host, port); /* no port map: the same port */
	cfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CHECK_EQ(connect(cfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	CHECK_EQ(getsockname(cfd, (struct sockaddr *)&me, &mlen), 0);
	serve(f, 200);
	const struct vsock_hdr req = last(f)->h;
	CHECK_EQ(req.op, VSOCK_OP_REQUEST);
	CHECK_EQ(req.dst_port, 7000);
	send_pkt(f, &(struct pkt){ .op = VSOCK_OP_RESPONSE, .src_port = 7000,
				   .dst_port = req.src_port, .buf_alloc = 65536 });
	serve(f, 100);
	/* The inbound header: magic, family 4, the client's port and address. */
	CHECK_EQ(last(f)->h.op, VSOCK_OP_RW);
	CHECK_EQ(last(f)->h.len, TSI_INBOUND_SIZE);
	CHECK_EQ(get_le32(last(f)->data), TSI_MAGIC);
	CHECK_EQ(last(f)->data[4], 4);
	CHECK(!memcmp(last(f)->data + 6, &me.sin_port, 2));
	CHECK(!memcmp(last(f)->data + 8, lo4, 4));
	CHECK_EQ(write(cfd, "ping", 4), 4);
	serve(f, 100);
	CHECK_EQ(last(f)->h.len, 4);
	CHECK(!memcmp(last(f)->data, "ping", 4));
	close(cfd);
	/* The guest closes its listening socket: the host listener goes too. */
	send_pkt(f, &(struct pkt){ .op = VSOCK_OP_RST, .src_port = GPORT,
				   .dst_port = TSI_VSOCK_PORT });
	serve(f, 50);
	cfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CHECK(connect(cfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 && errno == ECONNREFUSED);
	close(cfd);
	fake_free(f);
}

TEST(tsi_port_map_decides_what_is_exposed)
{
	uint16_t hp = closed_port();
	char entry[16];
	const char *map[] = { entry, NULL }, *empty[] = { NULL };
	struct tsi_config cfg = { .inet = true, .port_map = map, .port_map_set = true };
	struct fake *f;
	uint32_t host = 0;

	snprintf(entry, sizeof(entry), "%u:80", hp);
	f = tsi_fake(&cfg);
	CHECK_EQ(tsi_listen(f, 80, &host), 0);
	CHECK_EQ(host, hp);
	send_pkt(f, &(struct pkt){ .op = VSOCK_OP_RST, .src_port = GPORT,
				   .dst_port = TSI_VSOCK_PORT });
	CHECK_EQ(tsi_listen(f, 81, NULL), EACCES); /* not in the map */
	fake_free(f);

	cfg.port_map = empty;
	f = tsi_fake(&cfg);
	CHECK_EQ(tsi_listen(f, 80, NULL), EACCES);
	fake_free(f);
}

TEST(tsi_parser_random_headers_never_yield_bad_requests)
{
	uint8_t h[TSI_SETUP_SIZE];
	struct tsi_setup s;
	unsigned int ok = 0;

	srand(8);
	for (int i = 0; i < 200000; i++) {
		for (int j = 0; j < TSI_SETUP_SIZE; j++)
			h[j] = (uint8_t)rand();
		if (i % 2) { /* half with a valid magic, op and family */
			put_le32(h, TSI_MAGIC);
			h[4] = (uint8_t)(1 + i % 2);
			h[5] = i % 4 < 2 ? 4 : 6;
			if (h[5] == 4)
				memset(h + 12, 0, 12);
		}
		if (tsi_wire_parse_setup(h, &s) < 0)
			continue;
		ok++;
		CHECK(s.op == TSI_OP_CONNECT || s.op == TSI_OP_LISTEN);
		CHECK(s.addr.ss_family == AF_INET || s.addr.ss_family == AF_INET6);
		CHECK_EQ(s.addr_len, s.addr.ss_family == AF_INET ? sizeof(struct sockaddr_in)
								 : sizeof(struct sockaddr_in6));
		CHECK(s.backlog >= 1 && s.backlog <= 4096);
	}
	CHECK(ok > 50000);
}

TEST(tsi_random_bytes_on_tsi_streams_never_connect_or_crash)
{
	struct fake *f = tsi_fake(&open_cfg);
	struct vsock_mux_stats st;
	uint8_t junk[64];

	srand(9);
	for (uint32_t i = 0; i < 300; i++) {
		/* A whole header or more: each stream is answered or reset. */
		size_t n = TSI_SETUP_SIZE + (size_t)rand() % (sizeof(junk) - TSI_SETUP_SIZE + 1);
		for (size_t j = 0; j < n; j++)
			junk[j] = (uint8_t)rand();
		junk[0] = 'Z'; /* never the magic: no host socket is ever opened */
		send_pkt(f, &(struct pkt){ .op = VSOCK_OP_REQUEST, .src_port = 2000 + i,
					   .dst_port = TSI_VSOCK_PORT, .buf_alloc = 65536 });
		send_pkt(f, &(struct pkt){ .op = VSOCK_OP_RW, .src_port = 2000 + i,
					   .dst_port = TSI_VSOCK_PORT, .buf_alloc = 65536,
					   .len = (uint32_t)n, .data = junk, .data_len = n });
		give_rx(f, 4);
	}
	serve(f, 50);
	vsock_mux_get_stats(f->m, &st);
	CHECK_EQ(st.live, 0); /* every stream was answered and reset */
	CHECK_EQ(st.setups, st.setup_failed); /* and none reached a host socket */
	CHECK(st.setup_failed > 0);
	fake_free(f);
}

/* RW packets to gport since from that carry no byte. */
static unsigned int empty_rws(const struct fake *f, uint32_t gport, unsigned int from)
{
	unsigned int n = 0;

	for (unsigned int i = from; i < f->ngot; i++) {
		const struct got *g = &f->got[i % MAX_GOT];
		n += g->h.op == VSOCK_OP_RW && g->h.dst_port == gport && g->h.len == 0;
	}
	return n;
}

TEST(tsi_header_sized_rx_buffers_get_credit_updates_not_empty_packets)
{
	struct fake *f = tsi_fake(&open_cfg);
	uint8_t hdr[TSI_SETUP_SIZE];
	uint16_t port;
	int lfd = tcp_listener(AF_INET, &port), cfd;
	unsigned int from;

	mk_setup(hdr, TSI_OP_CONNECT, 4, lo4, port, 0);
	tsi_open(f, GPORT, hdr, TSI_SETUP_SIZE);
	/* From now on the guest gives buffers with no room past the header. */
	f->rx_cap = VSOCK_HDR_SIZE;
	from = f->ngot;
	give_rx(f, 8);
	serve(f, 200);
	cfd = accept(lfd, NULL, NULL);
	CHECK(cfd >= 0);
	serve(f, 100);
	CHECK_EQ(empty_rws(f, GPORT, from), 0);
	CHECK(count_op(f, from, VSOCK_OP_CREDIT_UPDATE) > 0);
	/* Real buffers again: the status, then the host's bytes. */
	f->rx_cap = 0;
	give_rx(f, 8);
	serve(f, 100);
	CHECK_EQ(status_of(f, GPORT, from, NULL), 0);
	f->rx_cap = VSOCK_HDR_SIZE;
	give_rx(f, 8);
	CHECK_EQ(write(cfd, "world", 5), 5);
	serve(f, 100);
	f->rx_cap = 0;
	give_rx(f, 8);
	serve(f, 100);
	CHECK_EQ(empty_rws(f, GPORT, from), 0);
	check_last_rw(f, "world");
	close(cfd);
	close(lfd);
	fake_free(f);
}

/* ---- UDP over SEQPACKET ---- */

#define SEQ VSOCK_TYPE_SEQPACKET

/* One guest message to the UDP service from gport, in pieces of chunk bytes. */
static void udp_msg(struct fake *f, uint32_t gport, const uint8_t *msg, size_t len, size_t chunk)
{
	for (size_t off = 0; off < len; off += chunk) {
		size_t n = len - off < chunk ? len - off : chunk;
		send_pkt(f, &(struct pkt){ .op = VSOCK_OP_RW, .type = SEQ, .src_port = gport,
					   .dst_port = TSI_UDP_VSOCK_PORT, .buf_alloc = 262144,
					   .len = (uint32_t)n, .data = msg + off, .data_len = n,
					   .flags = off + n == len ? VSOCK_SEQ_EOM : 0 });
	}
}

/* Opens a UDP channel bound to 127.0.0.1:port; returns the status errno and
 * the host port in *host. */
static int udp_open(struct fake *f, uint32_t gport, uint16_t port, uint32_t *host)
{
	uint8_t hdr[TSI_SETUP_SIZE];
	unsigned int before = f->ngot;

	send_pkt(f, &(struct pkt){ .op = VSOCK_OP_REQUEST, .type = SEQ, .src_port = gport,
				   .dst_port = TSI_UDP_VSOCK_PORT, .buf_alloc = 262144 });
	CHECK_EQ(last(f)->h.op, VSOCK_OP_RESPONSE);
	CHECK_EQ(last(f)->h.type, SEQ);
	mk_setup(hdr, TSI_OP_UDP, 4, lo4, port, 0);
	udp_msg(f, gport, hdr, sizeof(hdr), sizeof(hdr));
	int r = status_of(f, gport, before, host);
	/* The status is one message (a failed one is followed by RST). */
	CHECK(r || (last(f)->h.flags & VSOCK_SEQ_EOM));
	return r;
}

static int udp_socket(uint16_t *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	CHECK(fd >= 0);
	CHECK_EQ(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	CHECK_EQ(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	*port = ntohs(a.sin_port);
	return fd;
}

/* A datagram header + payload to 127.0.0.1:port. */
static size_t mk_dgram(uint8_t *b, uint16_t port, const void *payload, size_t len)
{
	uint16_t be = htons(port);

	memset(b, 0, TSI_DGRAM_HDR_SIZE);
	put_le32(b, TSI_MAGIC);
	b[4] = 4;
	memcpy(b + 6, &be, 2);
	memcpy(b + 8, lo4, 4);
	memcpy(b + TSI_DGRAM_HDR_SIZE, payload, len);
	return TSI_DGRAM_HDR_SIZE + len;
}

TEST(tsi_udp_one_socket_talks_to_two_peers_with_their_addresses)
{
	struct fake *f = tsi_fake(&open_cfg);
	uint16_t p1, p2;
	int s1 = udp_socket(&p1), s2 = udp_socket(&p2);
	uint8_t msg[128], buf[64];
	struct sockaddr_in from;
	socklen_t flen = sizeof(from);
	uint32_t host = 0;

	CHECK_EQ(udp_open(f, GPORT, 0, &host), 0);
	CHECK(host != 0);
	udp_msg(f, GPORT, msg, mk_dgram(msg, p1, "to-one", 6), 512);
	udp_msg(f, GPORT, msg, mk_dgram(msg, p2, "to-two", 6), 7); /* in pieces */
	CHECK_EQ(recvfrom(s1, buf, sizeof(buf), 0, (struct sockaddr *)&from, &flen), 6);
	CHECK(!memcmp(buf, "to-one", 6));
	CHECK_EQ(ntohs(from.sin_port), host); /* from the host socket the status named */
	CHECK_EQ(recv(s2, buf, sizeof(buf), 0), 6);
	CHECK(!memcmp(buf, "to-two", 6));
	/* Replies come back as messages naming their source. */
	CHECK_EQ(sendto(s2, "back2", 5, 0, (struct sockaddr *)&from, sizeof(from)), 5);
	serve(f, 100);
	CHECK_EQ(last(f)->h.type, SEQ);
	CHECK(last(f)->h.flags & VSOCK_SEQ_EOM);
	CHECK_EQ(last(f)->h.len, TSI_DGRAM_HDR_SIZE + 5);
	uint16_t be = htons(p2);
	CHECK(!memcmp(last(f)->data + 6, &be, 2));
	CHECK(!memcmp(last(f)->data + TSI_DGRAM_HDR_SIZE, "back2", 5));
	close(s1);
	close(s2);
	fake_free(f);
}

TEST(tsi_udp_64k_datagram_crosses_in_pieces_both_ways)
{
	struct fake *f = tsi_fake(&open_cfg);
	static uint8_t msg[TSI_UDP_MSG_MAX], payload[65000], got[65536];
	uint16_t port;
	int s = udp_socket(&port), sz = 1 << 20;
	struct sockaddr_in from;
	socklen_t flen = sizeof(from);
	size_t total = 0;

	setsockopt(s, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	for (size_t i = 0; i < sizeof(payload); i++)
		payload[i] = (uint8_t)(i * 7);
	CHECK_EQ(udp_open(f, GPORT, 0, NULL), 0);
	udp_msg(f, GPORT, msg, mk_dgram(msg, port, payload, sizeof(payload)), 4096);
	CHECK_EQ(recvfrom(s, got, sizeof(got), 0, (struct sockaddr *)&from, &flen),
		 (ssize_t)sizeof(payload));
	CHECK(!memcmp(got, payload, sizeof(payload)));
	CHECK_EQ(sendto(s, payload, sizeof(payload), 0, (struct sockaddr *)&from, flen),
		 (ssize_t)sizeof(payload));
	unsigned int from_i = f->ngot;
	give_rx(f, 64);
	serve(f, 100);
	for (unsigned int i = from_i; i < f->ngot; i++) {
		const struct got *g = &f->got[i % MAX_GOT];
		if (g->h.op != VSOCK_OP_RW)
			continue;
		if (total >= TSI_DGRAM_HDR_SIZE)
			CHECK(!memcmp(g->data, payload + total - TSI_DGRAM_HDR_SIZE, g->h.len));
		total += g->h.len;
		CHECK_EQ(!!(g->h.flags & VSOCK_SEQ_EOM), total == TSI_DGRAM_HDR_SIZE + sizeof(payload));
	}
	CHECK_EQ(total, TSI_DGRAM_HDR_SIZE + sizeof(payload));
	close(s);
	fake_free(f);
}

TEST(tsi_udp_flood_without_a_guest_reader_stays_in_the_host_socket)
{
	struct fake *f = tsi_fake(&open_cfg);
	uint8_t payload[1000] = { 0 };
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct vsock_mux_stats st;
	uint32_t host = 0;
	uint16_t p;
	int s = udp_socket(&p);

	CHECK_EQ(udp_open(f, GPORT, 0, &host), 0);
	to.sin_port = htons((uint16_t)host);
	for (int i = 0; i < 5000; i++)
		sendto(s, payload, sizeof(payload), MSG_DONTWAIT, (struct sockaddr *)&to, sizeof(to));
	give_rx(f, 4096);
	serve(f, 200);
	vsock_mux_get_stats(f->m, &st);
	/* The guest (buf_alloc 256 KiB, fwd_cnt never moving) has room for at
	 * most 256 KiB of messages; the rest waits in (or is dropped by) the host
	 * socket, never in the VMM. */
	CHECK(st.msgs_to_guest > 0);
	CHECK(st.msgs_to_guest * (TSI_DGRAM_HDR_SIZE + sizeof(payload)) <= 262144);
	close(s);
	fake_free(f);
}

TEST(tsi_udp_hostile_messages_are_dropped_or_reset)
{
	struct fake *f = tsi_fake(&open_cfg);
	uint8_t msg[TSI_DGRAM_HDR_SIZE + 8];
	struct vsock_mux_stats st;
	static uint8_t big[TSI_UDP_MSG_MAX + 1];

	CHECK_EQ(udp_open(f, GPORT, 0, NULL), 0);
	mk_dgram(msg, 9, "x", 1);
	msg[0] = 'Z'; /* bad magic: dropped, the socket lives on */
	udp_msg(f, GPORT, msg, TSI_DGRAM_HDR_SIZE + 1, 64);
	mk_dgram(msg, 9, "x", 1);
	msg[4] = 7; /* bad family */
	udp_msg(f, GPORT, msg, TSI_DGRAM_HDR_SIZE + 1, 64);
	udp_msg(f, GPORT, msg, 3, 64); /* shorter than a header */
	vsock_mux_get_stats(f->m, &st);
	CHECK_EQ(st.msgs_dropped, 3);
	CHECK_EQ(st.live, 1);
	/* A message over the maximum resets only that connection. */
	udp_msg(f, GPORT, big, sizeof(big), 65536);
	CHECK_EQ(last(f)->h.op, VSOCK_OP_RST);
	/* A STREAM request to the UDP port, a SEQPACKET one to the TCP port: RST. */
	send_pkt(f, &(struct pkt){ .op = VSOCK_OP_REQUEST, .src_port = 3001,
				   .dst_port = TSI_UDP_VSOCK_PORT, .buf_alloc = 4096 });
	CHECK_EQ(last(f)->h.op, VSOCK_OP_RST);
	send_pkt(f, &(struct pkt){ .op = VSOCK_OP_REQUEST, .type = SEQ, .src_port = 3002,
				   .dst_port = TSI_VSOCK_PORT, .buf_alloc = 4096 });
	CHECK_EQ(last(f)->h.op, VSOCK_OP_RST);
	vsock_mux_get_stats(f->m, &st);
	CHECK_EQ(st.live, 0);
	fake_free(f);
}

TEST(tsi_udp_bound_exposed_port_uses_the_mapped_host_port)
{
	uint16_t hp;
	int probe = udp_socket(&hp);
	char entry[16];
	const char *map[] = { entry, NULL };
	struct tsi_config cfg = { .inet = true, .port_map = map, .port_map_set = true };
	struct fake *f;
	uint32_t host = 0;

	close(probe);
	snprintf(entry, sizeof(entry), "%u:53", hp);
	f = tsi_fake(&cfg);
	CHECK_EQ(udp_open(f, GPORT, 53, &host), 0);
	CHECK_EQ(host, hp);
	CHECK_EQ(udp_open(f, GPORT + 1, 54, &host), 0); /* not mapped: an ephemeral port */
	CHECK(host != 54 && host != hp && host != 0);
	fake_free(f);
}

/* ---- AF_UNIX to allow-listed host paths ---- */

static void mk_unix_setup(uint8_t *h, const char *path)
{
	memset(h, 0, TSI_UNIX_SETUP_SIZE);
	put_le32(h, TSI_MAGIC);
	h[4] = TSI_OP_UNIX;
	strncpy((char *)h + 8, path, TSI_UNIX_SETUP_SIZE - 9);
}

/* REQUEST to the UNIX service, then the 128-byte header; the status errno. */
static int unix_open(struct fake *f, uint32_t gport, const uint8_t *hdr)
{
	unsigned int before = f->ngot;

	send_pkt(f, &(struct pkt){ .op = VSOCK_OP_REQUEST, .src_port = gport,
				   .dst_port = TSI_UNIX_VSOCK_PORT, .buf_alloc = 65536 });
	CHECK_EQ(last(f)->h.op, VSOCK_OP_RESPONSE);
	send_pkt(f, &(struct pkt){ .op = VSOCK_OP_RW, .src_port = gport,
				   .dst_port = TSI_UNIX_VSOCK_PORT, .buf_alloc = 65536,
				   .len = TSI_UNIX_SETUP_SIZE, .data = hdr,
				   .data_len = TSI_UNIX_SETUP_SIZE });
	return status_of(f, gport, before, NULL);
}

TEST(tsi_unix_reaches_only_allow_listed_paths)
{
	char dir[] = "/tmp/tsi-unix-XXXXXX", ok[128], other[128];
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	const char *paths[1] = { ok };
	struct tsi_config cfg = { .unix_paths = paths, .nunix_paths = 1 };
	uint8_t hdr[TSI_UNIX_SETUP_SIZE], buf[8];
	struct vsock_mux_stats st;
	struct fake *f;
	int l1, l2, c;

	CHECK(mkdtemp(dir));
	snprintf(ok, sizeof(ok), "%s/ok.sock", dir);
	snprintf(other, sizeof(other), "%s/other.sock", dir);
	l1 = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	l2 = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	strcpy(sa.sun_path, ok);
	CHECK_EQ(bind(l1, (struct sockaddr *)&sa, sizeof(sa)), 0);
	strcpy(sa.sun_path, other);
	CHECK_EQ(bind(l2, (struct sockaddr *)&sa, sizeof(sa)), 0);
	CHECK_EQ(listen(l1, 4), 0);
	CHECK_EQ(listen(l2, 4), 0);
	f = tsi_fake(&cfg);
	/* No TCP or UDP service without the INET feature. */
	send_pkt(f, &(struct pkt){ .op = VSOCK_OP_REQUEST, .src_port = 4000,
				   .dst_port = TSI_VSOCK_PORT, .buf_alloc = 4096 });
	CHECK_EQ(last(f)->h.op, VSOCK_OP_RST);

	mk_unix_setup(hdr, ok);
	CHECK_EQ(unix_open(f, GPORT, hdr), 0);
	c = accept(l1, NULL, NULL);
	CHECK(c >= 0);
	send_pkt(f, &(struct pkt){ .op = VSOCK_OP_RW, .src_port = GPORT,
				   .dst_port = TSI_UNIX_VSOCK_PORT, .buf_alloc = 65536, .len = 3,
				   .data = "abc", .data_len = 3 });
	CHECK_EQ(read(c, buf, sizeof(buf)), 3);
	close(c);

	mk_unix_setup(hdr, other); /* exists on the host, not allowed */
	CHECK_EQ(unix_open(f, GPORT + 1, hdr), EACCES);
	mk_unix_setup(hdr, ok);
	hdr[8 + strlen(ok)] = '/'; /* a longer path sharing the prefix */
	CHECK_EQ(unix_open(f, GPORT + 2, hdr), EACCES);
	memset(hdr + 8, 'a', TSI_UNIX_SETUP_SIZE - 8); /* no NUL within 108 bytes */
	CHECK_EQ(unix_open(f, GPORT + 3, hdr), EPROTO);
	mk_unix_setup(hdr, ok);
	hdr[4] = TSI_OP_CONNECT;
	CHECK_EQ(unix_open(f, GPORT + 4, hdr), EPROTO);
	vsock_mux_get_stats(f->m, &st);
	CHECK_EQ(st.setup_failed, 3 + 1);
	fake_free(f);
	close(l1);
	close(l2);
	unlink(ok);
	unlink(other);
	rmdir(dir);
}

/* ---- The policy and the caps (issue 16) ---- */

/* A connect setup to text (IPv4 or IPv6, mapped included):port from gport;
 * the status errno. */
static int connect_to(struct fake *f, uint32_t gport, const char *text, uint16_t port)
{
	uint8_t hdr[TSI_SETUP_SIZE], a[16];
	bool v4 = inet_pton(AF_INET, text, a) == 1;
	unsigned int before = f->ngot;

	CHECK(v4 || inet_pton(AF_INET6, text, a) == 1);
	mk_setup(hdr, TSI_OP_CONNECT, v4 ? 4 : 6, a, port, 0);
	give_rx(f, 8);
	tsi_open(f, gport, hdr, TSI_SETUP_SIZE);
	serve(f, 100);
	return status_of(f, gport, before, NULL);
}

static bool have_ipv6_loopback(void)
{
	struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	int fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool ok = fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0;

	if (fd >= 0)
		close(fd);
	return ok;
}

TEST(tsi_policy_unspecified_addresses_reach_loopback_unless_the_host_is_denied)
{
	struct tsi_config deny = { .inet = true, .policy = { .flags = TSI_DENY_HOST } };
	uint16_t port;
	int lfd = tcp_listener(AF_INET, &port); /* 127.0.0.1 only */
	struct fake *f = tsi_fake(&open_cfg);

	/* What the finding says: 0.0.0.0 and ::ffff:0.0.0.0 reach a listener
	 * that took 127.0.0.1 only. */
	CHECK_EQ(connect_to(f, GPORT, "0.0.0.0", port), 0);
	CHECK_EQ(connect_to(f, GPORT + 1, "::ffff:0.0.0.0", port), 0);
	for (int i = 0; i < 2; i++) {
		int cfd = accept(lfd, NULL, NULL);
		CHECK(cfd >= 0);
		close(cfd);
	}
	fake_free(f);

	f = tsi_fake(&deny);
	CHECK_EQ(connect_to(f, GPORT, "0.0.0.0", port), EPERM);
	CHECK_EQ(last(f)->h.op, VSOCK_OP_RST);
	CHECK_EQ(connect_to(f, GPORT + 1, "::ffff:0.0.0.0", port), EPERM);
	CHECK_EQ(connect_to(f, GPORT + 2, "::ffff:127.0.0.1", port), EPERM);
	CHECK_EQ(connect_to(f, GPORT + 3, "127.0.0.1", port), EPERM);
	CHECK_EQ(connect_to(f, GPORT + 4, "::", port), EPERM);
	CHECK_EQ(connect_to(f, GPORT + 5, "::1", port), EPERM);
	/* None reached the listener. */
	fcntl(lfd, F_SETFL, O_NONBLOCK);
	CHECK(accept(lfd, NULL, NULL) < 0 && errno == EAGAIN);
	fake_free(f);

	/* An allow entry for it is the way back in, for that port only. */
	char rule[32];
	snprintf(rule, sizeof(rule), "127.0.0.1:%u", port);
	CHECK_EQ(tsi_rule_parse(rule, &deny.policy.rules[0], &(const char *){ NULL }), 0);
	deny.policy.nrules = 1;
	f = tsi_fake(&deny);
	CHECK_EQ(connect_to(f, GPORT, "127.0.0.1", port), 0);
	CHECK_EQ(connect_to(f, GPORT + 1, "0.0.0.0", port), EPERM);
	fake_free(f);
	close(lfd);

	if (!have_ipv6_loopback())
		return;
	lfd = tcp_listener(AF_INET6, &port); /* ::1 only */
	f = tsi_fake(&open_cfg);
	CHECK_EQ(connect_to(f, GPORT, "::", port), 0);
	fake_free(f);
	close(lfd);
}

TEST(tsi_policy_link_local_metadata_address_is_refused_before_any_connect)
{
	const struct tsi_config cfg = { .inet = true, .policy = { .flags = TSI_DENY_LINK_LOCAL } };
	struct fake *f = tsi_fake(&cfg);

	CHECK_EQ(connect_to(f, GPORT, "169.254.169.254", 80), EPERM);
	CHECK_EQ(connect_to(f, GPORT + 1, "::ffff:169.254.169.254", 80), EPERM);
	CHECK_EQ(connect_to(f, GPORT + 2, "fe80::1", 80), EPERM);
	fake_free(f);
}

TEST(tsi_policy_allow_list_only_names_address_and_port)
{
	struct tsi_config cfg = { .inet = true, .policy = { .flags = TSI_ALLOW_LIST_ONLY } };
	uint16_t port;
	int lfd = tcp_listener(AF_INET, &port);
	char rule[32];
	struct fake *f;

	snprintf(rule, sizeof(rule), "127.0.0.0/8:%u", port);
	CHECK_EQ(tsi_rule_parse(rule, &cfg.policy.rules[0], &(const char *){ NULL }), 0);
	cfg.policy.nrules = 1;
	f = tsi_fake(&cfg);
	CHECK_EQ(connect_to(f, GPORT, "127.0.0.1", port), 0);
	CHECK_EQ(connect_to(f, GPORT + 1, "127.0.0.1", (uint16_t)(port + 1)), EPERM);
	CHECK_EQ(connect_to(f, GPORT + 2, "10.1.2.3", port), EPERM);
	fake_free(f);
	close(lfd);
}

TEST(tsi_policy_decides_each_udp_datagram_by_its_destination)
{
	struct tsi_config cfg = { .inet = true, .policy = { .flags = TSI_DENY_HOST } };
	uint16_t p1, p2;
	int s1 = udp_socket(&p1), s2 = udp_socket(&p2);
	uint8_t msg[128], buf[64];
	struct vsock_mux_stats st;
	char rule[32];
	struct fake *f;

	snprintf(rule, sizeof(rule), "127.0.0.1:%u", p2);
	CHECK_EQ(tsi_rule_parse(rule, &cfg.policy.rules[0], &(const char *){ NULL }), 0);
	cfg.policy.nrules = 1;
	f = tsi_fake(&cfg);
	CHECK_EQ(udp_open(f, GPORT, 0, NULL), 0);
	/* One socket, three datagrams: to 0.0.0.0:p1 (loopback, denied), to the
	 * allowed 127.0.0.1:p2, to 127.0.0.1:p1 (denied). */
	size_t n = mk_dgram(msg, p1, "zero", 4);
	memset(msg + 8, 0, 4);
	udp_msg(f, GPORT, msg, n, 512);
	udp_msg(f, GPORT, msg, mk_dgram(msg, p2, "fine", 4), 512);
	udp_msg(f, GPORT, msg, mk_dgram(msg, p1, "lo", 2), 512);
	CHECK_EQ(recv(s2, buf, sizeof(buf), 0), 4);
	CHECK(!memcmp(buf, "fine", 4));
	CHECK(recv(s1, buf, sizeof(buf), MSG_DONTWAIT) < 0 && errno == EAGAIN);
	vsock_mux_get_stats(f->m, &st);
	CHECK_EQ(st.msgs_dropped, 2);
	CHECK_EQ(st.msgs_to_host, 1);
	CHECK_EQ(st.live, 1); /* a denial drops the datagram, not the socket */
	fake_free(f);
	close(s1);
	close(s2);
}

TEST(tsi_policy_denials_are_logged_within_a_rate_limit)
{
	const struct tsi_config cfg = { .inet = true, .policy = { .flags = TSI_DENY_HOST } };
	struct fake *f = tsi_fake(&cfg);
	char text[16384], *p;
	unsigned int lines = 0;
	int fd[2];
	ssize_t n;

	CHECK_EQ(pipe2(fd, O_NONBLOCK | O_CLOEXEC), 0);
	log_configure(LOG_WARN, fd[1]);
	for (uint32_t i = 0; i < 50; i++)
		CHECK_EQ(connect_to(f, GPORT + i, "0.0.0.0", 22), EPERM);
	log_configure(LOG_WARN, -1);
	n = read(fd[0], text, sizeof(text) - 1);
	text[n < 0 ? 0 : n] = '\0';
	for (p = text; (p = strstr(p, "denied by the TSI policy")); p++)
		lines++;
	CHECK(strstr(text, "a guest connect to 0.0.0.0 port 22 denied by the TSI policy"));
	CHECK_EQ(lines, TSI_DENY_LOG_BURST);
	close(fd[0]);
	close(fd[1]);
	fake_free(f);
}

/* LISTEN of guest port lport on addr4 from control port cport; the status. */
static int listen_on(struct fake *f, uint32_t cport, const uint8_t *addr4, uint16_t lport,
		     uint32_t vport)
{
	uint8_t hdr[TSI_SETUP_SIZE];
	unsigned int before = f->ngot;

	mk_setup(hdr, TSI_OP_LISTEN, 4, addr4, lport, vport);
	give_rx(f, 8);
	tsi_open(f, cport, hdr, TSI_SETUP_SIZE);
	return status_of(f, cport, before, NULL);
}

/* Whether a TCP socket can bind 127.0.0.2:port (no listener on 0.0.0.0:port). */
static bool other_loopback_free(uint16_t port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port),
				 .sin_addr.s_addr = htonl(0x7f000002) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool ok = bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0;

	close(fd);
	return ok;
}

TEST(tsi_listen_loopback_exposes_a_guest_wildcard_listener_on_loopback_only)
{
	const struct tsi_config cfg = { .inet = true, .policy = { .flags = TSI_LISTEN_LOOPBACK } };
	static const uint8_t any4[4] = { 0 };
	uint16_t port = closed_port();
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct fake *f = tsi_fake(&open_cfg);
	int cfd;

	/* Without the flag the guest's 0.0.0.0 is the host's: every address. */
	CHECK_EQ(listen_on(f, GPORT, any4, port, 7000), 0);
	CHECK(!other_loopback_free(port));
	fake_free(f);

	f = tsi_fake(&cfg);
	CHECK_EQ(listen_on(f, GPORT, any4, port, 7000), 0);
	CHECK(other_loopback_free(port));
	cfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CHECK_EQ(connect(cfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	serve(f, 100);
	CHECK_EQ(last(f)->h.op, VSOCK_OP_REQUEST);
	CHECK_EQ(last(f)->h.dst_port, 7000);
	close(cfd);
	fake_free(f);
}

TEST(tsi_listen_loopback_binds_an_exposed_udp_port_on_loopback)
{
	uint16_t hp;
	int probe = udp_socket(&hp);
	char entry[16];
	const char *map[] = { entry, NULL };
	const struct tsi_config cfg = { .inet = true, .port_map = map, .port_map_set = true,
					.policy = { .flags = TSI_LISTEN_LOOPBACK } };
	uint8_t hdr[TSI_SETUP_SIZE];
	static const uint8_t any4[4] = { 0 };
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = 0,
				 .sin_addr.s_addr = htonl(0x7f000002) };
	struct fake *f;
	int fd;

	close(probe);
	snprintf(entry, sizeof(entry), "%u:53", hp);
	f = tsi_fake(&cfg);
	send_pkt(f, &(struct pkt){ .op = VSOCK_OP_REQUEST, .type = SEQ, .src_port = GPORT,
				   .dst_port = TSI_UDP_VSOCK_PORT, .buf_alloc = 262144 });
	mk_setup(hdr, TSI_OP_UDP, 4, any4, 53, 0);
	udp_msg(f, GPORT, hdr, sizeof(hdr), sizeof(hdr));
	CHECK_EQ(status_of(f, GPORT, 0, NULL), 0);
	/* Bound to 127.0.0.1:hp, not 0.0.0.0:hp: 127.0.0.2:hp is free. */
	a.sin_port = htons(hp);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	CHECK_EQ(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	close(fd);
	fake_free(f);
}

/* A config with one cap set. */
static struct tsi_config capped(enum tsi_limit which, uint32_t max)
{
	struct tsi_config cfg = { .inet = true };

	cfg.limits.set = 1u << which;
	cfg.limits.max[which] = max;
	return cfg;
}

TEST(tsi_cap_on_connections_answers_enobufs_and_frees_with_them)
{
	const struct tsi_config cfg = capped(TSI_LIMIT_CONNECTIONS, 2);
	uint16_t port;
	int lfd = tcp_listener(AF_INET, &port);
	struct fake *f = tsi_fake(&cfg);
	struct vsock_mux_stats st;

	CHECK_EQ(connect_to(f, GPORT, "127.0.0.1", port), 0);
	CHECK_EQ(connect_to(f, GPORT + 1, "127.0.0.1", port), 0);
	CHECK_EQ(connect_to(f, GPORT + 2, "127.0.0.1", port), ENOBUFS);
	CHECK_EQ(last(f)->h.op, VSOCK_OP_RST);
	vsock_mux_get_stats(f->m, &st);
	CHECK_EQ(st.over_limit, 1);
	CHECK_EQ(st.live, 2);
	/* The guest closes one: its slot is free again. */
	send_pkt(f, &(struct pkt){ .op = VSOCK_OP_RST, .src_port = GPORT,
				   .dst_port = TSI_VSOCK_PORT });
	CHECK_EQ(connect_to(f, GPORT + 3, "127.0.0.1", port), 0);
	/* A listening socket is a TCP stream too. */
	CHECK_EQ(listen_on(f, GPORT + 4, lo4, closed_port(), 7000), ENOBUFS);
	fake_free(f);
	close(lfd);
}

TEST(tsi_cap_streams_waiting_for_a_header_count_and_refusals_are_bounded)
{
	const struct tsi_config cfg = capped(TSI_LIMIT_CONNECTIONS, 4);
	struct fake *f = tsi_fake(&cfg);
	struct vsock_mux_stats st;
	uint32_t gport = 3000;

	/* Streams that never send their header: 4 counted, then
	 * VSOCK_MUX_OVER_LIMIT answered (ENOBUFS once a header comes), then RST. */
	for (unsigned int i = 0; i < 4 + VSOCK_MUX_OVER_LIMIT; i++, gport++) {
		send_pkt(f, &(struct pkt){ .op = VSOCK_OP_REQUEST, .src_port = gport,
					   .dst_port = TSI_VSOCK_PORT, .buf_alloc = 65536 });
		give_rx(f, 2);
		CHECK_EQ(last(f)->h.op, VSOCK_OP_RESPONSE);
	}
	send_pkt(f, &(struct pkt){ .op = VSOCK_OP_REQUEST, .src_port = gport,
				   .dst_port = TSI_VSOCK_PORT, .buf_alloc = 65536 });
	give_rx(f, 2);
	CHECK_EQ(last(f)->h.op, VSOCK_OP_RST);
	CHECK_EQ(last(f)->h.dst_port, gport);
	vsock_mux_get_stats(f->m, &st);
	CHECK_EQ(st.live, 4 + VSOCK_MUX_OVER_LIMIT);
	CHECK_EQ(st.over_limit, VSOCK_MUX_OVER_LIMIT + 1);
	fake_free(f);
}

TEST(tsi_cap_on_listeners_and_udp_sockets)
{
	struct tsi_config cfg = capped(TSI_LIMIT_LISTENERS, 1);
	struct fake *f = tsi_fake(&cfg);

	CHECK_EQ(listen_on(f, GPORT, lo4, closed_port(), 7000), 0);
	CHECK_EQ(listen_on(f, GPORT + 1, lo4, closed_port(), 7001), ENOBUFS);
	send_pkt(f, &(struct pkt){ .op = VSOCK_OP_RST, .src_port = GPORT,
				   .dst_port = TSI_VSOCK_PORT });
	CHECK_EQ(listen_on(f, GPORT + 2, lo4, closed_port(), 7001), 0);
	fake_free(f);

	cfg = capped(TSI_LIMIT_UDP_SOCKETS, 1);
	f = tsi_fake(&cfg);
	CHECK_EQ(udp_open(f, GPORT, 0, NULL), 0);
	CHECK_EQ(udp_open(f, GPORT + 1, 0, NULL), ENOBUFS);
	fake_free(f);
}

/* Host clients of 127.0.0.1:port, n of them, into fds. */
static void clients(uint16_t port, int *fds, unsigned int n)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };

	for (unsigned int i = 0; i < n; i++) {
		fds[i] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		CHECK_EQ(connect(fds[i], (struct sockaddr *)&sa, sizeof(sa)), 0);
	}
}

/* REQUESTs the muxer sent to guest port vport since from. */
static unsigned int requests_to(const struct fake *f, unsigned int from, uint32_t vport,
				uint32_t *host_port)
{
	unsigned int n = 0;

	for (unsigned int i = from; i < f->ngot; i++) {
		const struct got *g = &f->got[i % MAX_GOT];
		if (g->h.op == VSOCK_OP_REQUEST && g->h.dst_port == vport) {
			n++;
			*host_port = g->h.src_port;
		}
	}
	return n;
}

TEST(tsi_cap_inbound_clients_per_listener_and_in_all_wait_in_the_backlog)
{
	struct tsi_config cfg = capped(TSI_LIMIT_INBOUND_PER_LISTENER, 2);
	uint16_t pa = closed_port(), pb = closed_port();
	int a[3], b[2];
	uint32_t hp = 0;
	struct fake *f;
	unsigned int from;

	cfg.limits.set |= 1u << TSI_LIMIT_INBOUND;
	cfg.limits.max[TSI_LIMIT_INBOUND] = 3;
	f = tsi_fake(&cfg);
	CHECK_EQ(listen_on(f, GPORT, lo4, pa, 7000), 0);
	CHECK_EQ(listen_on(f, GPORT + 1, lo4, pb, 7001), 0);
	from = f->ngot;
	clients(pa, a, 3); /* the kernel completes them: they wait in the backlog */
	give_rx(f, 16);
	serve(f, 100);
	CHECK_EQ(requests_to(f, from, 7000, &hp), 2); /* per listener */
	clients(pb, b, 2);
	serve(f, 100);
	CHECK_EQ(requests_to(f, from, 7001, &hp), 1); /* 3 in all */
	/* The guest refuses one of the first listener's: one more gets in. */
	send_pkt(f, &(struct pkt){ .op = VSOCK_OP_RST, .src_port = 7001, .dst_port = hp });
	serve(f, 100);
	CHECK_EQ(requests_to(f, from, 7000, &hp) + requests_to(f, from, 7001, &hp), 4);
	/* A listener that closes leaves its clients counted until they end. */
	for (unsigned int i = 0; i < 3; i++)
		close(a[i]);
	for (unsigned int i = 0; i < 2; i++)
		close(b[i]);
	send_pkt(f, &(struct pkt){ .op = VSOCK_OP_RST, .src_port = GPORT,
				   .dst_port = TSI_VSOCK_PORT });
	serve(f, 50);
	fake_free(f);
}
