/* SPDX-License-Identifier: Apache-2.0 */
/*
 * TSI (src/tsi/) on the vsock muxer: setup headers of TCP streams, UDP
 * sockets and AF_UNIX connects, and UDP datagrams, as a hostile guest kernel
 * would send them, with real host sockets behind them.
 *
 * Network: loopback only, nothing leaves the host. At init the fuzzer enters
 * a network namespace of its own (unshare(CLONE_NEWNET), or with
 * CLONE_NEWUSER when not root) holding nothing but lo; there the policy is
 * the input's (TSI_DENY_*, allow lists, listen-on-loopback). Where no
 * namespace can be made, the policy is forced to TSI_ALLOW_LIST_ONLY with the
 * fuzzer's own loopback TCP listener and UDP socket as the only destinations,
 * and listeners to loopback (TSI_LISTEN_LOOPBACK), so no guest byte reaches
 * any other service of the host.
 *
 * The host side: the fuzzer's TCP listeners (127.0.0.1 and ::1, port 7777 in
 * the namespace), UDP socket (7778), an allow-listed UNIX socket, and clients
 * it connects to the ports the guest exposes (port map 41000:80, 41001:81,
 * 41002:53). Everything a guest opened is closed with its muxer at the end
 * of the input; the fuzzer's own sockets are drained.
 *
 * Input: a config byte (policy flags, caps), then ops: the generic ones of
 * vsock_guest.h (raw packets, RX buffers, host ends), and run_op's, which
 * build setup headers, datagrams and UNIX headers from fields (any of which
 * may be raw) and send them in pieces.
 */
#include "fuzz.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/un.h>

#include "tsi/tsi.h"
#include "tsi/wire.h"
#include "vsock_guest.h"

#define TCP_PORT 7777
#define UDP_PORT 7778

static const uint32_t svc_ports[3] = { TSI_VSOCK_PORT, TSI_UDP_VSOCK_PORT, TSI_UNIX_VSOCK_PORT };
static const char *const port_map[] = { "41000:80", "41001:81", "41002:53", NULL };
static bool netns;
static int tcp4 = -1, tcp6 = -1, udp4 = -1, unix_l = -1;
static uint16_t tcp_port = TCP_PORT, udp_port = UDP_PORT;
static char unix_path[108], unix_missing[108];
static const char *unix_paths[2] = { unix_path, unix_missing };

static bool lo_up(void)
{
	struct ifreq ifr = { 0 };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	bool ok;

	if (fd < 0)
		return false;
	strcpy(ifr.ifr_name, "lo");
	ok = ioctl(fd, SIOCGIFFLAGS, &ifr) == 0;
	ifr.ifr_flags |= IFF_UP;
	ok = ok && ioctl(fd, SIOCSIFFLAGS, &ifr) == 0;
	close(fd);
	return ok;
}

/* The port an IPv4 socket is bound to. */
static uint16_t port4(int fd)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);

	FZ_CHECK(getsockname(fd, (struct sockaddr *)&a, &len) == 0);
	return ntohs(a.sin_port);
}

/* A non-blocking socket of type on the loopback of family, at port (0: any). */
static int lo_socket(int family, int type, uint16_t port)
{
	struct sockaddr_in a4 = { .sin_family = AF_INET, .sin_port = htons(port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6, .sin6_port = htons(port),
				   .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	int fd = socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), one = 1;

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if ((family == AF_INET ? bind(fd, (struct sockaddr *)&a4, sizeof(a4))
			       : bind(fd, (struct sockaddr *)&a6, sizeof(a6))) < 0 ||
	    (type == SOCK_STREAM && listen(fd, 64) < 0)) {
		close(fd);
		return -1;
	}
	return fd;
}

static void cleanup(void)
{
	unlink(unix_path);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *tmp = getenv("TMPDIR");
	struct sockaddr_un a = { .sun_family = AF_UNIX };

	(void)argc;
	(void)argv;
	fz_log_setup();
	if (!getenv("FUZZ_TSI_NO_NETNS"))
		netns = (unshare(CLONE_NEWNET) == 0 ||
			 unshare(CLONE_NEWUSER | CLONE_NEWNET) == 0) && lo_up();
	tcp4 = lo_socket(AF_INET, SOCK_STREAM, netns ? TCP_PORT : 0);
	FZ_CHECK(tcp4 >= 0);
	tcp_port = port4(tcp4);
	tcp6 = lo_socket(AF_INET6, SOCK_STREAM, tcp_port); /* may fail: no IPv6 */
	udp4 = lo_socket(AF_INET, SOCK_DGRAM, netns ? UDP_PORT : 0);
	FZ_CHECK(udp4 >= 0);
	udp_port = port4(udp4);
	/* sun_path holds 108 bytes: a long TMPDIR falls back to /tmp. */
	if (!tmp || !*tmp || strlen(tmp) > 60)
		tmp = "/tmp";
	snprintf(unix_path, sizeof(unix_path), "%s/krun-fuzz-tsi-%d.sock", tmp, (int)getpid());
	snprintf(unix_missing, sizeof(unix_missing), "%s.missing", unix_path);
	strcpy(a.sun_path, unix_path);
	unix_l = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	FZ_CHECK(unix_l >= 0);
	(void)unlink(unix_path);
	FZ_CHECK(bind(unix_l, (struct sockaddr *)&a, sizeof(a)) == 0 && listen(unix_l, 64) == 0);
	atexit(cleanup);
	fprintf(stderr, "fuzz_tsi: %s; TCP %u, UDP %u, UNIX %s\n",
		netns ? "own network namespace (lo only)" : "no network namespace: loopback allow-list only",
		tcp_port, udp_port, unix_path);
	return 0;
}

static void rule(struct tsi_policy *p, const char *s)
{
	const char *why;

	if (p->nrules < TSI_POLICY_MAX_RULES && tsi_rule_parse(s, &p->rules[p->nrules], &why) == 0)
		p->nrules++;
}

static void config(uint8_t flags, struct tsi_config *cfg)
{
	char r[64];

	*cfg = (struct tsi_config){ .inet = true, .port_map = port_map, .port_map_set = true,
				    .unix_paths = unix_paths, .nunix_paths = 2 };
	if (netns) {
		cfg->policy.flags = flags & TSI_POLICY_FLAGS;
		cfg->port_map_set = flags & 0x20;
		if (flags & 0x40) {
			rule(&cfg->policy, "127.0.0.0/8");
			rule(&cfg->policy, "[::1]:7777");
			rule(&cfg->policy, "10.0.0.0/8:53");
		}
	} else {
		cfg->policy.flags = TSI_ALLOW_LIST_ONLY | TSI_LISTEN_LOOPBACK;
		snprintf(r, sizeof(r), "127.0.0.1:%u", tcp_port);
		rule(&cfg->policy, r);
		snprintf(r, sizeof(r), "[::1]:%u", tcp_port);
		rule(&cfg->policy, r);
		snprintf(r, sizeof(r), "127.0.0.1:%u", udp_port);
		rule(&cfg->policy, r);
	}
	if (flags & 0x80) { /* small caps */
		cfg->limits.set = 0x1f;
		for (unsigned int i = 0; i < TSI_NLIMITS; i++)
			cfg->limits.max[i] = 1 + i % 3;
	}
}

static void put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* Family, port and address at b[5], b[6..8), b[8..24), as both headers have
 * them, from the input: mostly sensible, sometimes raw. */
static void put_addr(struct fz *z, uint8_t *b, uint16_t port_default)
{
	static const uint16_t ports[] = { 0, 80, 81, 53, 1 };
	uint8_t sel = fz_u8(z);
	uint16_t port;

	b[5] = sel & 1 ? 6 : 4;
	if (sel & 0x80)
		b[5] = fz_u8(z);
	switch (sel >> 1 & 7) {
	case 0: case 1: case 2:
		port = port_default;
		break;
	case 3:
		port = fz_u16(z);
		break;
	default:
		port = ports[(sel >> 1 & 7) - 3];
		break;
	}
	port = htons(port);
	memcpy(b + 6, &port, 2);
	memset(b + 8, 0, 16);
	switch (sel >> 4 & 7) {
	case 0: case 1: /* loopback */
		if (b[5] == 6)
			b[23] = 1;
		else
			b[8] = 127, b[11] = 1;
		break;
	case 2: /* any */
		break;
	case 3: /* an address of a class the policy names */
		b[8] = (uint8_t)(fz_u8(z) & 1 ? 169 : 10), b[9] = 254, b[10] = 169, b[11] = 254;
		break;
	case 4: /* IPv4-mapped loopback */
		b[5] = 6, b[18] = 0xff, b[19] = 0xff, b[20] = 127, b[23] = 1;
		break;
	default: {
		size_t n;
		const uint8_t *p = fz_bytes(z, 16, &n);

		memcpy(b + 8, p, n);
		break;
	}
	}
}

/* Sends bytes on guest port index gp's stream (or message) to port, in pieces
 * of at most chunk bytes (0: one packet). */
static void send_rw(unsigned int gp, uint32_t port, uint16_t type, const uint8_t *b, size_t n,
		    size_t chunk, struct fz *z)
{
	size_t off = 0;

	if (!chunk || type == VSOCK_TYPE_SEQPACKET)
		chunk = n;
	do {
		size_t k = n - off < chunk ? n - off : chunk;
		struct vsock_hdr h = { .src_cid = VSOCK_GUEST_CID, .dst_cid = VSOCK_HOST_CID,
				       .src_port = fg_gports[gp], .dst_port = port, .len = (uint32_t)k,
				       .type = type, .op = VSOCK_OP_RW };

		fg_credit(z, &h, gp);
		if (type == VSOCK_TYPE_SEQPACKET && off + k == n)
			h.flags = VSOCK_SEQ_EOM;
		fg_queue(&h, b + off, k, 1 + (unsigned int)(k & 1));
		off += k;
	} while (off < n);
	vsock_mux_guest_tx(g.m);
}

static void request(unsigned int gp, uint32_t port, uint16_t type, struct fz *z)
{
	struct vsock_hdr h = { .src_cid = VSOCK_GUEST_CID, .dst_cid = VSOCK_HOST_CID,
			       .src_port = fg_gports[gp], .dst_port = port, .type = type,
			       .op = VSOCK_OP_REQUEST };

	fg_credit(z, &h, gp);
	fg_queue(&h, NULL, 0, 1);
	vsock_mux_guest_tx(g.m);
}

static void accept_all(int lfd, bool keep)
{
	int fd;

	while (lfd >= 0 && (fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		if (keep)
			fg_add_peer(fd);
		else
			close(fd);
	}
}

static void host_client(uint16_t port, bool v6)
{
	struct sockaddr_in a4 = { .sin_family = AF_INET, .sin_port = htons(port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6, .sin6_port = htons(port),
				   .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return;
	if ((v6 ? connect(fd, (struct sockaddr *)&a6, sizeof(a6))
		: connect(fd, (struct sockaddr *)&a4, sizeof(a4))) < 0 && errno != EINPROGRESS) {
		close(fd);
		return;
	}
	fg_add_peer(fd);
}

static void run_op(struct fz *z)
{
	uint8_t op = fz_u8(z), b[TSI_UNIX_SETUP_SIZE + 8];
	unsigned int gp;
	size_t n, chunk;
	const uint8_t *p;

	if (op % 17 < FG_NOPS) {
		fg_op(z, op % 17);
		return;
	}
	gp = fz_u8(z) % FG_NGPORTS;
	switch (op % 17) {
	case FG_NOPS: /* a TCP stream: REQUEST, then its setup header in pieces */
		memset(b, 0, sizeof(b));
		put_le32(b, fz_u8(z) & 0x80 ? fz_u32(z) : TSI_MAGIC);
		b[4] = fz_u8(z) % 5;
		put_addr(z, b, tcp_port);
		put_le32(b + 24, fz_u8(z) & 1 ? fz_u32(z) : fg_gports[fz_u8(z) % FG_NGPORTS]);
		put_le32(b + 28, fz_u8(z) & 1 ? fz_u32(z) : 16);
		chunk = fz_u8(z) % 40;
		request(gp, TSI_VSOCK_PORT, VSOCK_TYPE_STREAM, z);
		send_rw(gp, TSI_VSOCK_PORT, VSOCK_TYPE_STREAM, b, TSI_SETUP_SIZE, chunk, z);
		break;
	case FG_NOPS + 1: /* a UDP socket: REQUEST, then its setup message */
		memset(b, 0, sizeof(b));
		put_le32(b, TSI_MAGIC);
		b[4] = fz_u8(z) & 0x80 ? fz_u8(z) : TSI_OP_UDP;
		put_addr(z, b, 0);
		request(gp, TSI_UDP_VSOCK_PORT, VSOCK_TYPE_SEQPACKET, z);
		send_rw(gp, TSI_UDP_VSOCK_PORT, VSOCK_TYPE_SEQPACKET, b, TSI_SETUP_SIZE, 0, z);
		break;
	case FG_NOPS + 2: { /* a datagram: address header, payload */
		static uint8_t dg[TSI_UDP_MSG_MAX + 8];
		size_t len;

		memset(dg, 0, TSI_DGRAM_HDR_SIZE);
		put_le32(dg, fz_u8(z) & 0x80 ? fz_u32(z) : TSI_MAGIC);
		put_addr(z, dg, udp_port); /* the family goes to dg[4] here */
		dg[4] = dg[5];
		dg[5] = 0;
		p = fz_block(z, 2048, &n);
		memcpy(dg + TSI_DGRAM_HDR_SIZE, p, n);
		len = TSI_DGRAM_HDR_SIZE + n;
		if (fz_u8(z) == 0xff)
			len = TSI_UDP_MSG_MAX + 1 - (fz_u8(z) & 1 ? 0 : 2); /* at and past the max */
		else if (fz_u8(z) & 1)
			len = fz_u8(z) % (len + 1); /* short */
		send_rw(gp, TSI_UDP_VSOCK_PORT, VSOCK_TYPE_SEQPACKET, dg, len, 0, z);
		break;
	}
	case FG_NOPS + 3: /* an AF_UNIX stream: REQUEST, then its 128-byte header */
		memset(b, 0, sizeof(b));
		put_le32(b, TSI_MAGIC);
		b[4] = fz_u8(z) & 0x80 ? fz_u8(z) : TSI_OP_UNIX;
		switch (fz_u8(z) % 4) {
		case 0:
			strcpy((char *)b + 8, unix_path);
			break;
		case 1:
			strcpy((char *)b + 8, unix_missing);
			break;
		case 2:
			memset(b + 8, 'a', TSI_UNIX_PATH_MAX + 10);
			break;
		default:
			p = fz_bytes(z, TSI_UNIX_SETUP_SIZE - 8, &n);
			memcpy(b + 8, p, n);
			break;
		}
		chunk = fz_u8(z) % 140;
		request(gp, TSI_UNIX_VSOCK_PORT, VSOCK_TYPE_STREAM, z);
		send_rw(gp, TSI_UNIX_VSOCK_PORT, VSOCK_TYPE_STREAM, b, TSI_UNIX_SETUP_SIZE, chunk, z);
		break;
	case FG_NOPS + 4: /* the host accepts what the guest connected */
		accept_all(tcp4, true);
		accept_all(tcp6, true);
		accept_all(unix_l, true);
		fg_serve();
		break;
	case FG_NOPS + 5: /* a host client of an exposed guest port */
		host_client((uint16_t)(41000 + gp % 2), gp & 2);
		fg_serve();
		break;
	default: { /* datagrams to the guest's exposed UDP port, and back out */
		struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(41002),
					 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };

		p = fz_block(z, 2048, &n);
		(void)sendto(udp4, p, n, MSG_DONTWAIT, (struct sockaddr *)&a, sizeof(a));
		while (recv(udp4, fg_scratch, sizeof(fg_scratch), MSG_DONTWAIT) >= 0)
			;
		fg_serve();
		break;
	}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz z = { data, size };
	struct tsi_config cfg;

	config(fz_u8(&z), &cfg);
	fg_begin(svc_ports);
	FZ_CHECK(tsi_service_add(g.m, &cfg) == 0);
	vsock_mux_set_active(g.m, true);
	while (!fz_empty(&z))
		run_op(&z);
	fg_end();
	/* The fuzzer's own sockets as they were. */
	accept_all(tcp4, false);
	accept_all(tcp6, false);
	accept_all(unix_l, false);
	while (recv(udp4, fg_scratch, sizeof(fg_scratch), MSG_DONTWAIT) >= 0)
		;
	return 0;
}
