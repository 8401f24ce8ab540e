/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A stream peer for the vsock and TSI VM tests and bench. Static: it runs in
 * the guest (AF_VSOCK; busybox has no vsock) and on the host (AF_UNIX) alike,
 * and over TCP on both.
 *
 *   vsock_tool connect ADDR                 connect only: "connect ok" | "connect: ERRNO"
 *   vsock_tool gen BYTES [SEED]             BYTES of the data stream to stdout
 *   vsock_tool sum [LIMIT]                  stdin to EOF (or LIMIT bytes): "recv N sum X"
 *   vsock_tool send ADDR BYTES [SEED [STEP [PAUSE]]]
 *                                           send BYTES, half-close, print the peer's
 *                                           reply; with STEP, "progress N" each STEP
 *                                           bytes written (a stalled writer shows),
 *                                           and a sleep of PAUSE s after the first
 *                                           (the peer can act mid-stream)
 *   vsock_tool push ADDR BYTES              send BYTES and exit at once (no close)
 *   vsock_tool recv ADDR [LIMIT]            read to EOF (or LIMIT bytes, then close)
 *   vsock_tool echo ADDR K BYTES            K connections at once, each sends BYTES
 *                                           and checks that the same bytes come back
 *   vsock_tool conns ADDR N [P]             N connections, 1 byte echoed on each,
 *                                           by P processes at once (default 1, one
 *                                           after another): prints the time taken
 *   vsock_tool serve ADDR MODE COUNT [BYTES]
 *       listen, print LISTENING, serve COUNT connections (concurrently), exit.
 *       MODE echo: echo to EOF; sink: read to EOF, print and reply "recv N sum X";
 *       source: write BYTES and close; sink-close: read BYTES, print
 *       "closed after N bytes sum X" (X of what it read), then close.
 *
 *   vsock_tool udpecho ADDR COUNT    UDP: bind, print LISTENING, send COUNT
 *                                    datagrams back to their senders, exit
 *   vsock_tool udp ADDR1 ADDR2 SIZE  UDP: one socket sends SIZE bytes to each
 *                                    address and checks that each reply comes
 *                                    back whole from the address it was sent to
 *   vsock_tool udpflood ADDR COUNT SIZE  UDP: bind, print LISTENING, wait for one
 *                                    datagram, send COUNT of SIZE bytes to its sender
 *   vsock_tool udphold ADDR SECONDS  UDP: send one datagram to ADDR, read nothing
 *                                    for SECONDS, then count what was queued
 *   vsock_tool udpblast ADDR COUNT SIZE  UDP: send COUNT datagrams of SIZE to ADDR
 *   vsock_tool tcpsem ADDR           TCP semantics against an echo server at ADDR
 *                                    and a local listener: options, names,
 *                                    FIONREAD, accept4 O_NONBLOCK; "tcpsem ok"
 *   vsock_tool nbconnect ADDR [SECONDS]
 *       non-blocking connect with epoll registered first: prints
 *       "nbconnect: <connect's errno> then <events> so_error=<errno>"
 *
 * ADDR: vsock:PORT (connect: CID 2; listen: any CID), vsock:CID:PORT, unix:PATH,
 * tcp:IPV4:PORT, tcp6:IPV6:PORT (the port after the last colon; udp: and udp6:
 * are the same, for UDP commands). serve prints
 * "LISTENING port=N" (the port bound) and, for TCP, "PEER ADDR PORT LOCAL ADDR PORT"
 * per client (getpeername, getsockname of the accepted socket).
 * "sum" is a 64-bit checksum of the byte stream (order-sensitive), data is a
 * seeded xorshift stream, so two ends compare lines instead of files. Timings
 * ("in N.NNN s") are for the bench. Exit: 0 ok, 1 data mismatch, 2 connect
 * failed, 3 I/O error, 99 usage.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/vm_sockets.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/time.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CHUNK 65536
#define MAX_CONNS 256

struct addr {
	struct sockaddr_storage ss;
	socklen_t len;
};

/* A byte stream of xorshift64 words. */
struct gen {
	uint64_t s;
	uint8_t word[8];
	unsigned int pos; /* bytes of word already given */
};

/* An order-sensitive checksum over 8-byte words, tail included at the end. */
struct sum {
	uint64_t h, n;
	uint8_t word[8];
	unsigned int fill;
};

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t xs_next(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void gen_init(struct gen *g, uint64_t seed)
{
	g->s = seed * 0x9e3779b97f4a7c15ULL + 1;
	g->pos = 8;
}

static void gen_fill(struct gen *g, uint8_t *p, size_t n)
{
	while (n && g->pos < 8) {
		*p++ = g->word[g->pos++];
		n--;
	}
	for (; n >= 8; n -= 8, p += 8) {
		uint64_t w = xs_next(&g->s);
		memcpy(p, &w, 8);
	}
	if (n) {
		uint64_t w = xs_next(&g->s);
		memcpy(g->word, &w, 8);
		memcpy(p, g->word, n);
		g->pos = (unsigned int)n;
	}
}

static void mix(struct sum *s, uint64_t w)
{
	s->h = (s->h ^ w) * 0x100000001b3ULL;
	s->h ^= s->h >> 29;
}

static void sum_update(struct sum *s, const uint8_t *p, size_t n)
{
	s->n += n;
	while (n && s->fill) {
		s->word[s->fill++] = *p++;
		n--;
		if (s->fill == 8) {
			uint64_t w;
			memcpy(&w, s->word, 8);
			mix(s, w);
			s->fill = 0;
		}
	}
	for (; n >= 8; n -= 8, p += 8) {
		uint64_t w;
		memcpy(&w, p, 8);
		mix(s, w);
	}
	memcpy(s->word, p, n);
	s->fill = (unsigned int)n;
}

static uint64_t sum_final(const struct sum *s)
{
	struct sum t = *s;
	uint64_t w = 0;

	memcpy(&w, t.word, t.fill);
	mix(&t, w ^ (uint64_t)t.fill << 56);
	mix(&t, t.n);
	return t.h;
}

static const char *errname(int e)
{
	switch (e) {
	case ECONNRESET: return "ECONNRESET";
	case ECONNREFUSED: return "ECONNREFUSED";
	case EPIPE: return "EPIPE";
	case ETIMEDOUT: return "ETIMEDOUT";
	case ENOTCONN: return "ENOTCONN";
	case ENODEV: return "ENODEV";
	case ENOENT: return "ENOENT";
	case ESHUTDOWN: return "ESHUTDOWN";
	default: return strerror(e);
	}
}

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fflush(stdout);
}

static int parse_addr(const char *s, bool listening, struct addr *a)
{
	memset(a, 0, sizeof(*a));
	if (!strncmp(s, "unix:", 5)) {
		struct sockaddr_un *un = (struct sockaddr_un *)&a->ss;
		if (strlen(s + 5) >= sizeof(un->sun_path))
			return -1;
		un->sun_family = AF_UNIX;
		strcpy(un->sun_path, s + 5);
		a->len = sizeof(*un);
		return 0;
	}
	if (!strncmp(s, "tcp:", 4) || !strncmp(s, "tcp6:", 5) || !strncmp(s, "udp:", 4) ||
	    !strncmp(s, "udp6:", 5)) {
		bool v6 = s[3] == '6';
		char host[64];
		const char *p = s + (v6 ? 5 : 4), *colon = strrchr(p, ':');
		if (!colon || (size_t)(colon - p) >= sizeof(host))
			return -1;
		memcpy(host, p, (size_t)(colon - p));
		host[colon - p] = 0;
		if (v6) {
			struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&a->ss;
			in6->sin6_family = AF_INET6;
			in6->sin6_port = htons((uint16_t)atoi(colon + 1));
			a->len = sizeof(*in6);
			return inet_pton(AF_INET6, host, &in6->sin6_addr) == 1 ? 0 : -1;
		}
		struct sockaddr_in *in = (struct sockaddr_in *)&a->ss;
		in->sin_family = AF_INET;
		in->sin_port = htons((uint16_t)atoi(colon + 1));
		a->len = sizeof(*in);
		return inet_pton(AF_INET, host, &in->sin_addr) == 1 ? 0 : -1;
	}
	if (!strncmp(s, "vsock:", 6)) {
		struct sockaddr_vm *vm = (struct sockaddr_vm *)&a->ss;
		const char *colon = strchr(s + 6, ':');
		vm->svm_family = AF_VSOCK;
		vm->svm_cid = listening ? VMADDR_CID_ANY : VMADDR_CID_HOST;
		if (colon)
			vm->svm_cid = (unsigned int)strtoul(s + 6, NULL, 10);
		vm->svm_port = (unsigned int)strtoul(colon ? colon + 1 : s + 6, NULL, 10);
		a->len = sizeof(*vm);
		return 0;
	}
	return -1;
}

static int dial(const struct addr *a)
{
	int fd = socket(a->ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	if (connect(fd, (const struct sockaddr *)&a->ss, a->len) < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	return fd;
}

static int write_all(int fd, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static void set_nonblock(int fd)
{
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

static int cmd_connect(const struct addr *a)
{
	int fd = dial(a);

	if (fd < 0) {
		say("connect: %s\n", errname(-fd));
		return 2;
	}
	say("connect ok\n");
	close(fd);
	return 0;
}

/* An address and port as text. */
static const char *addr_text(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN] = "?";
	unsigned int port = 0;

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)ss;
		inet_ntop(AF_INET, &in->sin_addr, ip, sizeof(ip));
		port = ntohs(in->sin_port);
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)ss;
		inet_ntop(AF_INET6, &in6->sin6_addr, ip, sizeof(ip));
		port = ntohs(in6->sin6_port);
	}
	snprintf(buf, len, "%s %u", ip, port);
	return buf;
}

static const char *events_text(uint32_t ev, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s%s", ev & EPOLLOUT ? "EPOLLOUT" : "",
		 ev & EPOLLIN ? "|EPOLLIN" : "", ev & EPOLLERR ? "|EPOLLERR" : "",
		 ev & EPOLLHUP ? "|EPOLLHUP" : "");
	return buf[0] ? buf : "none";
}

/* Non-blocking connect, epoll registered before it (edge-triggered, as event
 * loops do), then the outcome as epoll and SO_ERROR tell it. */
static int cmd_nbconnect(const struct addr *a, int seconds)
{
	int fd = socket(a->ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	int ep = epoll_create1(EPOLL_CLOEXEC), r, err = 0;
	struct epoll_event ev = { .events = EPOLLOUT | EPOLLET };
	socklen_t elen = sizeof(err);
	char evbuf[64];

	if (fd < 0 || ep < 0)
		return 3;
	epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
	r = connect(fd, (const struct sockaddr *)&a->ss, a->len) < 0 ? errno : 0;
	if (r && r != EINPROGRESS) {
		say("nbconnect: %s\n", errname(r));
		return 2;
	}
	memset(&ev, 0, sizeof(ev));
	if (epoll_wait(ep, &ev, 1, seconds * 1000) < 1) {
		say("nbconnect: %s then no event in %d s\n", r ? "EINPROGRESS" : "0", seconds);
		return 2;
	}
	getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen);
	say("nbconnect: %s then %s so_error=%s\n", r ? "EINPROGRESS" : "0",
	    events_text(ev.events, evbuf, sizeof(evbuf)), err ? errname(err) : "0");
	close(fd);
	close(ep);
	return err ? 2 : 0;
}

static int cmd_udpecho(const struct addr *a, unsigned int count)
{
	static uint8_t buf[65536];
	struct sockaddr_storage me, peer;
	socklen_t mlen = sizeof(me);
	int fd = socket(a->ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || bind(fd, (const struct sockaddr *)&a->ss, a->len) < 0) {
		say("udpecho: %s\n", strerror(errno));
		return 3;
	}
	getsockname(fd, (struct sockaddr *)&me, &mlen);
	say("LISTENING port=%u\n", ntohs(me.ss_family == AF_INET6
		? ((struct sockaddr_in6 *)&me)->sin6_port : ((struct sockaddr_in *)&me)->sin_port));
	for (unsigned int i = 0; i < count; i++) {
		socklen_t plen = sizeof(peer);
		ssize_t n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&peer, &plen);
		char text[80];
		if (n < 0)
			return 3;
		say("UDP %zd from %s\n", n, addr_text(&peer, text, sizeof(text)));
		sendto(fd, buf, (size_t)n, 0, (struct sockaddr *)&peer, plen);
	}
	close(fd);
	return 0;
}

static bool same_addr(const struct sockaddr_storage *x, const struct addr *y)
{
	if (x->ss_family != y->ss.ss_family)
		return false;
	if (x->ss_family == AF_INET) {
		const struct sockaddr_in *p = (const void *)x, *q = (const void *)&y->ss;
		return p->sin_port == q->sin_port && p->sin_addr.s_addr == q->sin_addr.s_addr;
	}
	const struct sockaddr_in6 *p = (const void *)x, *q = (const void *)&y->ss;
	return p->sin6_port == q->sin6_port && !memcmp(&p->sin6_addr, &q->sin6_addr, 16);
}

static int cmd_udp(const struct addr *a1, const struct addr *a2, size_t size)
{
	static uint8_t out[65536], in[65536];
	const struct addr *to[2] = { a1, a2 };
	bool got[2] = { false, false };
	struct gen g;
	int fd = socket(a1->ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct timeval tv = { .tv_sec = 20 };

	if (fd < 0 || size > sizeof(out))
		return 3;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	gen_init(&g, 7);
	gen_fill(&g, out, size);
	for (int i = 0; i < 2; i++)
		if (sendto(fd, out, size, 0, (const struct sockaddr *)&to[i]->ss, to[i]->len) !=
		    (ssize_t)size) {
			say("udp: sendto: %s\n", strerror(errno));
			return 3;
		}
	for (int n = 0; n < 2; n++) {
		struct sockaddr_storage from;
		socklen_t flen = sizeof(from);
		ssize_t r = recvfrom(fd, in, sizeof(in), 0, (struct sockaddr *)&from, &flen);
		char text[80];
		if (r < 0) {
			say("udp: recvfrom: %s\n", strerror(errno));
			return 3;
		}
		int i = same_addr(&from, to[0]) ? 0 : same_addr(&from, to[1]) ? 1 : -1;
		if (i < 0 || got[i] || (size_t)r != size || memcmp(in, out, size)) {
			say("udp: unexpected reply of %zd bytes from %s\n", r,
			    addr_text(&from, text, sizeof(text)));
			return 1;
		}
		got[i] = true;
	}
	say("udp ok: 2 peers, %zu bytes\n", size);
	close(fd);
	return 0;
}

/* Host side of a flood: waits for one datagram, then sends count datagrams of
 * size to its sender as fast as the socket takes them; never reads again. */
static int cmd_udpflood(const struct addr *a, unsigned int count, size_t size)
{
	static uint8_t buf[65536];
	struct sockaddr_storage peer;
	socklen_t plen = sizeof(peer);
	unsigned int sent = 0;
	int fd = socket(a->ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || size > sizeof(buf) || bind(fd, (const struct sockaddr *)&a->ss, a->len) < 0) {
		say("udpflood: %s\n", strerror(errno));
		return 3;
	}
	say("LISTENING\n");
	if (recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&peer, &plen) < 0)
		return 3;
	memset(buf, 'f', size);
	for (unsigned int i = 0; i < count; i++)
		if (sendto(fd, buf, size, 0, (struct sockaddr *)&peer, plen) == (ssize_t)size)
			sent++;
	say("flooded %u of %u datagrams of %zu bytes\n", sent, count, size);
	close(fd);
	return 0;
}

/* Guest side: sends one datagram to a, then reads nothing for seconds while the
 * peer floods; then counts what was queued for it. */
static int cmd_udphold(const struct addr *a, unsigned int seconds)
{
	static uint8_t buf[65536];
	unsigned int queued = 0;
	int fd = socket(a->ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || sendto(fd, "go", 2, 0, (const struct sockaddr *)&a->ss, a->len) != 2) {
		say("udphold: %s\n", strerror(errno));
		return 3;
	}
	sleep(seconds);
	set_nonblock(fd);
	while (recv(fd, buf, sizeof(buf), 0) >= 0)
		queued++;
	say("udphold: %u datagrams queued\n", queued);
	close(fd);
	return queued ? 0 : 1;
}

/* Sends count datagrams of size to a (nobody need read them). */
static int cmd_udpblast(const struct addr *a, unsigned int count, size_t size)
{
	static uint8_t buf[65536];
	unsigned int sent = 0;
	int fd = socket(a->ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || size > sizeof(buf))
		return 3;
	memset(buf, 'b', size);
	for (unsigned int i = 0; i < count; i++)
		if (sendto(fd, buf, size, 0, (const struct sockaddr *)&a->ss, a->len) ==
		    (ssize_t)size)
			sent++;
	say("udpblast: sent %u of %u\n", sent, count);
	close(fd);
	return 0;
}

#define SEM(cond)                                                           \
	do {                                                                \
		if (!(cond)) {                                              \
			say("tcpsem: failed: %s (errno %s)\n", #cond, strerror(errno)); \
			return 1;                                           \
		}                                                           \
	} while (0)

static int cmd_tcpsem(const struct addr *a)
{
	struct sockaddr_storage me, peer, lme;
	socklen_t len;
	struct sockaddr_in lo = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct pollfd p;
	char buf[16];
	int fd, lfd, cfd, afd, v, n;
	struct timespec t0, t1;

	fd = socket(a->ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	SEM(fd >= 0);
	v = 1;
	SEM(setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &v, sizeof(v)) == 0);
	len = sizeof(v);
	SEM(getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &v, &len) == 0 && v == 1);
	len = sizeof(v);
	SEM(getsockopt(fd, SOL_SOCKET, SO_TYPE, &v, &len) == 0 && v == SOCK_STREAM);
	len = sizeof(v);
	SEM(getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &v, &len) == 0 && v == a->ss.ss_family);
	len = sizeof(v);
	SEM(getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &v, &len) == 0 && v == IPPROTO_TCP);
	v = 65536;
	SEM(setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v)) == 0);
	SEM(connect(fd, (const struct sockaddr *)&a->ss, a->len) == 0);
	len = sizeof(peer);
	SEM(getpeername(fd, (struct sockaddr *)&peer, &len) == 0 && len == a->len &&
	    !memcmp(&peer, &a->ss, a->len));
	len = sizeof(me);
	SEM(getsockname(fd, (struct sockaddr *)&me, &len) == 0 && me.ss_family == a->ss.ss_family);
	len = sizeof(v);
	SEM(getsockopt(fd, SOL_SOCKET, SO_ERROR, &v, &len) == 0 && v == 0);
	len = sizeof(v);
	SEM(getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &v, &len) == 0 && v == a->ss.ss_family);
	SEM(write(fd, "hello", 5) == 5);
	p = (struct pollfd){ .fd = fd, .events = POLLIN };
	SEM(poll(&p, 1, 10000) == 1 && (p.revents & POLLIN));
	for (int i = 0; i < 100 && (ioctl(fd, FIONREAD, &n) < 0 || n < 5); i++)
		usleep(10000);
	SEM(ioctl(fd, FIONREAD, &n) == 0 && n == 5);
	SEM(read(fd, buf, sizeof(buf)) == 5 && !memcmp(buf, "hello", 5));
	SEM(shutdown(fd, SHUT_WR) == 0);
	SEM(read(fd, buf, sizeof(buf)) == 0); /* the echo server closes after EOF */
	close(fd);

	/* A guest listener: bind(0) gives a port; accept4(O_NONBLOCK) never
	 * blocks; a guest-local client is named on both ends. */
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	SEM(lfd >= 0 && bind(lfd, (struct sockaddr *)&lo, sizeof(lo)) == 0 && listen(lfd, 4) == 0);
	len = sizeof(lme);
	SEM(getsockname(lfd, (struct sockaddr *)&lme, &len) == 0 &&
	    ((struct sockaddr_in *)&lme)->sin_port != 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	fcntl(lfd, F_SETFL, O_NONBLOCK);
	SEM(accept4(lfd, NULL, NULL, SOCK_NONBLOCK) < 0 && (errno == EAGAIN || errno == EWOULDBLOCK));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	SEM(t1.tv_sec - t0.tv_sec < 2);
	cfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	SEM(connect(cfd, (struct sockaddr *)&lme, sizeof(struct sockaddr_in)) == 0);
	p = (struct pollfd){ .fd = lfd, .events = POLLIN };
	SEM(poll(&p, 1, 10000) == 1);
	len = sizeof(peer);
	afd = accept4(lfd, (struct sockaddr *)&peer, &len, SOCK_NONBLOCK);
	SEM(afd >= 0 && (fcntl(afd, F_GETFL) & O_NONBLOCK));
	len = sizeof(me);
	SEM(getsockname(cfd, (struct sockaddr *)&me, &len) == 0 &&
	    ((struct sockaddr_in *)&me)->sin_port == ((struct sockaddr_in *)&peer)->sin_port);
	SEM(write(cfd, "x", 1) == 1);
	p = (struct pollfd){ .fd = afd, .events = POLLIN };
	SEM(poll(&p, 1, 10000) == 1 && read(afd, buf, 1) == 1 && buf[0] == 'x');
	close(afd);
	close(cfd);
	close(lfd);
	say("tcpsem ok\n");
	return 0;
}

static int cmd_send(const struct addr *a, uint64_t bytes, uint64_t seed, uint64_t step,
		    unsigned int pause)
{
	static uint8_t buf[CHUNK];
	struct gen g;
	struct sum s = { 0 };
	uint64_t done = 0, next = step;
	double t0 = now();
	char reply[256];
	ssize_t n;
	size_t rlen = 0;
	int fd = dial(a), r;

	if (fd < 0) {
		say("connect: %s\n", errname(-fd));
		return 2;
	}
	gen_init(&g, seed);
	while (done < bytes) {
		size_t len = bytes - done < CHUNK ? (size_t)(bytes - done) : CHUNK;
		gen_fill(&g, buf, len);
		sum_update(&s, buf, len);
		r = write_all(fd, buf, len);
		if (r < 0) {
			say("send: %s after %llu bytes\n", errname(-r), (unsigned long long)done);
			return 3;
		}
		done += len;
		if (step && done >= next) {
			say("progress %llu\n", (unsigned long long)done);
			if (next == step)
				sleep(pause);
			next = done + step;
		}
	}
	shutdown(fd, SHUT_WR);
	say("sent %llu sum %016llx in %.3f s\n", (unsigned long long)done,
	    (unsigned long long)sum_final(&s), now() - t0);
	/* The peer's verdict, which also says every byte arrived before we exit. */
	while (rlen < sizeof(reply) - 1 && (n = read(fd, reply + rlen, sizeof(reply) - 1 - rlen)) > 0)
		rlen += (size_t)n;
	reply[rlen] = '\0';
	say("peer: %s", rlen ? reply : "(nothing)\n");
	close(fd);
	return 0;
}

/* Reads fd to EOF (or limit bytes): "recv N sum X in T s". */
static int read_sum(int fd, uint64_t limit)
{
	static uint8_t buf[CHUNK];
	struct sum s = { 0 };
	double t0 = now();
	ssize_t n;

	while (!limit || s.n < limit) {
		size_t want = limit && limit - s.n < CHUNK ? (size_t)(limit - s.n) : CHUNK;
		n = read(fd, buf, want);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			say("recv: %s after %llu bytes\n", errname(errno), (unsigned long long)s.n);
			return 3;
		}
		if (n == 0)
			break;
		sum_update(&s, buf, (size_t)n);
	}
	say("recv %llu sum %016llx in %.3f s\n", (unsigned long long)s.n,
	    (unsigned long long)sum_final(&s), now() - t0);
	return 0;
}

static int cmd_recv(const struct addr *a, uint64_t limit)
{
	int fd = dial(a), r;

	if (fd < 0) {
		say("connect: %s\n", errname(-fd));
		return 2;
	}
	r = read_sum(fd, limit);
	close(fd);
	return r;
}

/* One connection of echo (client) or serve (server). */
struct peer {
	int fd;
	struct gen g;
	struct sum out, in; /* what we sent / what we got */
	uint64_t want;      /* bytes to send (client, source) or to read (sink-close) */
	uint8_t buf[CHUNK];
	size_t blen, boff;
	bool in_eof, out_done;
};

static int cmd_echo(const struct addr *a, unsigned int k, uint64_t bytes)
{
	static struct peer p[MAX_CONNS];
	struct pollfd pfd[MAX_CONNS];
	unsigned int left = k, bad = 0;
	double t0 = now();

	for (unsigned int i = 0; i < k; i++) {
		p[i].fd = dial(a);
		if (p[i].fd < 0) {
			say("connect %u: %s\n", i, errname(-p[i].fd));
			return 2;
		}
		set_nonblock(p[i].fd);
		gen_init(&p[i].g, i + 1);
		p[i].want = bytes;
	}
	while (left) {
		for (unsigned int i = 0; i < k; i++) {
			pfd[i].fd = p[i].in_eof ? -1 : p[i].fd;
			pfd[i].events = POLLIN | (p[i].out_done ? 0 : POLLOUT);
		}
		if (poll(pfd, k, 60000) <= 0) {
			say("echo: stalled (poll)\n");
			return 3;
		}
		for (unsigned int i = 0; i < k; i++) {
			struct peer *c = &p[i];
			if (c->in_eof)
				continue;
			if (!c->out_done && (pfd[i].revents & POLLOUT)) {
				if (c->blen == c->boff) {
					size_t len = c->want - c->out.n < CHUNK
							     ? (size_t)(c->want - c->out.n) : CHUNK;
					gen_fill(&c->g, c->buf, len);
					sum_update(&c->out, c->buf, len);
					c->blen = len;
					c->boff = 0;
				}
				ssize_t w = write(c->fd, c->buf + c->boff, c->blen - c->boff);
				if (w < 0 && errno != EAGAIN) {
					say("echo %u: write: %s\n", i, errname(errno));
					return 3;
				}
				if (w > 0)
					c->boff += (size_t)w;
				if (c->boff == c->blen && c->out.n == c->want) {
					c->out_done = true;
					shutdown(c->fd, SHUT_WR);
				}
			}
			if (pfd[i].revents & (POLLIN | POLLHUP | POLLERR)) {
				uint8_t in[CHUNK];
				ssize_t n = read(c->fd, in, sizeof(in));
				if (n < 0 && errno != EAGAIN) {
					say("echo %u: read: %s\n", i, errname(errno));
					return 3;
				}
				if (n > 0)
					sum_update(&c->in, in, (size_t)n);
				if (n == 0) {
					c->in_eof = true;
					left--;
					if (c->in.n != c->want ||
					    sum_final(&c->in) != sum_final(&c->out)) {
						say("echo %u: got %llu bytes back of %llu, %s\n", i,
						    (unsigned long long)c->in.n,
						    (unsigned long long)c->want,
						    c->in.n == c->want ? "content differs" : "short");
						bad++;
					}
					close(c->fd);
				}
			}
		}
	}
	if (bad)
		return 1;
	say("echo ok: %u connections x %llu bytes in %.3f s\n", k, (unsigned long long)bytes,
	    now() - t0);
	return 0;
}

/* Writes bytes (the seeded stream) and exits at once: no shutdown, no wait
 * for the peer, so the last bytes may still be in flight when it returns. */
static int cmd_push(const struct addr *a, uint64_t bytes)
{
	static uint8_t buf[CHUNK];
	struct gen g;
	int fd = dial(a);

	if (fd < 0) {
		say("connect: %s\n", errname(-fd));
		return 2;
	}
	gen_init(&g, 1);
	for (uint64_t left = bytes; left;) {
		size_t len = left < CHUNK ? (size_t)left : CHUNK;
		gen_fill(&g, buf, len);
		for (size_t off = 0; off < len;) {
			ssize_t w = write(fd, buf + off, len - off);
			if (w < 0) {
				say("push: write: %s\n", errname(errno));
				return 3;
			}
			off += (size_t)w;
		}
		left -= len;
	}
	return 0;
}

/* n connections one after another, each connect, 1-byte echo, close. */
static int conns_serial(const struct addr *a, unsigned int n)
{
	uint8_t b = 'x';

	for (unsigned int i = 0; i < n; i++) {
		int fd = dial(a);
		if (fd < 0) {
			say("connect %u: %s\n", i, errname(-fd));
			return 2;
		}
		if (write(fd, &b, 1) != 1 || read(fd, &b, 1) != 1) {
			say("conns %u: no echo\n", i);
			return 3;
		}
		close(fd);
	}
	return 0;
}

/* n connections shared by p processes working at once; the worst exit wins. */
static int cmd_conns(const struct addr *a, unsigned int n, unsigned int p)
{
	double t0 = now();
	int rc = 0;

	if (p <= 1) {
		rc = conns_serial(a, n);
	} else {
		for (unsigned int i = 0; i < p; i++) {
			pid_t pid = fork();
			if (pid < 0)
				return 3;
			if (pid == 0)
				_exit(conns_serial(a, n / p + (i < n % p)));
		}
		for (unsigned int i = 0; i < p; i++) {
			int st;
			if (wait(&st) < 0)
				return 3;
			int r = WIFEXITED(st) ? WEXITSTATUS(st) : 3;
			rc = r > rc ? r : rc;
		}
	}
	if (rc == 0)
		say("conns %u in %.3f s\n", n, now() - t0);
	return rc;
}

enum mode { ECHO, SINK, SOURCE, SINK_CLOSE };

/* One step of a served connection; true when it is finished. */
static bool serve_step(struct peer *c, enum mode mode, short revents)
{
	char line[128];
	ssize_t n;

	if (mode == SOURCE) {
		if (!(revents & (POLLOUT | POLLERR | POLLHUP)))
			return false;
		if (c->blen == c->boff) {
			size_t len = c->want - c->out.n < CHUNK ? (size_t)(c->want - c->out.n) : CHUNK;
			gen_fill(&c->g, c->buf, len);
			sum_update(&c->out, c->buf, len);
			c->blen = len;
			c->boff = 0;
		}
		n = write(c->fd, c->buf + c->boff, c->blen - c->boff);
		if (n < 0 && errno != EAGAIN) {
			say("source: %s after %llu bytes\n", errname(errno),
			    (unsigned long long)(c->out.n - (c->blen - c->boff)));
			return true;
		}
		if (n > 0)
			c->boff += (size_t)n;
		if (c->boff == c->blen && c->out.n == c->want) {
			say("sent %llu sum %016llx\n", (unsigned long long)c->out.n,
			    (unsigned long long)sum_final(&c->out));
			return true;
		}
		return false;
	}
	if (mode == ECHO && c->blen > c->boff) {
		if (!(revents & (POLLOUT | POLLERR | POLLHUP)))
			return false;
		n = write(c->fd, c->buf + c->boff, c->blen - c->boff);
		if (n < 0 && errno != EAGAIN)
			return true;
		if (n > 0)
			c->boff += (size_t)n;
		return c->in_eof && c->boff == c->blen;
	}
	if (!(revents & (POLLIN | POLLERR | POLLHUP)))
		return false;
	n = read(c->fd, c->buf, CHUNK);
	if (n < 0 && errno == EAGAIN)
		return false;
	if (n < 0) {
		say("serve: read: %s after %llu bytes\n", errname(errno), (unsigned long long)c->in.n);
		return true;
	}
	if (n > 0) {
		sum_update(&c->in, c->buf, (size_t)n);
		c->blen = mode == ECHO ? (size_t)n : 0;
		c->boff = 0;
		if (mode == SINK_CLOSE && c->in.n >= c->want) {
			say("closed after %llu bytes sum %016llx\n", (unsigned long long)c->in.n,
			    (unsigned long long)sum_final(&c->in));
			return true;
		}
		return false;
	}
	c->in_eof = true;
	if (mode == SINK) {
		snprintf(line, sizeof(line), "recv %llu sum %016llx\n", (unsigned long long)c->in.n,
			 (unsigned long long)sum_final(&c->in));
		say("%s", line);
		int fl = fcntl(c->fd, F_GETFL);
		fcntl(c->fd, F_SETFL, fl & ~O_NONBLOCK);
		write_all(c->fd, (const uint8_t *)line, strlen(line));
	}
	return true;
}

static int cmd_serve(const struct addr *a, const char *how, unsigned int count, uint64_t bytes)
{
	static struct peer p[MAX_CONNS];
	struct pollfd pfd[MAX_CONNS + 1];
	enum mode mode;
	unsigned int accepted = 0, finished = 0, live = 0;
	int lfd, one = 1;

	if (!strcmp(how, "echo")) mode = ECHO;
	else if (!strcmp(how, "sink")) mode = SINK;
	else if (!strcmp(how, "source")) mode = SOURCE;
	else if (!strcmp(how, "sink-close")) mode = SINK_CLOSE;
	else return 99;
	lfd = socket(a->ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0)
		return 3;
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, (const struct sockaddr *)&a->ss, a->len) < 0 || listen(lfd, 128) < 0) {
		say("serve: %s\n", strerror(errno));
		return 3;
	}
	{
		struct sockaddr_storage me;
		socklen_t mlen = sizeof(me);
		getsockname(lfd, (struct sockaddr *)&me, &mlen);
		say("LISTENING port=%u\n", me.ss_family == AF_INET6
			? ntohs(((struct sockaddr_in6 *)&me)->sin6_port)
			: me.ss_family == AF_INET ? ntohs(((struct sockaddr_in *)&me)->sin_port) : 0);
	}
	while (finished < count) {
		unsigned int n = 0;
		pfd[n++] = (struct pollfd){ .fd = accepted < count ? lfd : -1, .events = POLLIN };
		for (unsigned int i = 0; i < live; i++) {
			bool out = mode == SOURCE || (mode == ECHO && p[i].blen > p[i].boff);
			pfd[n++] = (struct pollfd){ .fd = p[i].fd, .events = out ? POLLOUT : POLLIN };
		}
		if (poll(pfd, n, -1) < 0 && errno != EINTR)
			return 3;
		for (unsigned int i = live; i-- > 0;) {
			if (!serve_step(&p[i], mode, pfd[i + 1].revents))
				continue;
			close(p[i].fd);
			p[i] = p[--live];
			finished++;
		}
		if ((pfd[0].revents & POLLIN) && live < MAX_CONNS) {
			struct sockaddr_storage peer;
			socklen_t plen = sizeof(peer);
			char text[80];
			int fd = accept4(lfd, (struct sockaddr *)&peer, &plen,
					 SOCK_CLOEXEC | SOCK_NONBLOCK);
			if (fd < 0)
				continue;
			if (peer.ss_family == AF_INET || peer.ss_family == AF_INET6) {
				struct sockaddr_storage me;
				socklen_t mlen = sizeof(me);
				char mtext[80] = "?";
				if (getsockname(fd, (struct sockaddr *)&me, &mlen) == 0)
					addr_text(&me, mtext, sizeof(mtext));
				say("PEER %s LOCAL %s\n", addr_text(&peer, text, sizeof(text)), mtext);
			}
			struct peer *c = &p[live++];
			memset(c, 0, sizeof(*c));
			c->fd = fd;
			c->want = bytes;
			gen_init(&c->g, accepted + 1);
			accepted++;
		}
	}
	close(lfd);
	return 0;
}

/* gen N [SEED]: N bytes of the data stream on stdout (test input made in
 * user space: 100 MiB from /dev/urandom is where the emulated machine froze). */
static int cmd_gen(uint64_t n, uint64_t seed)
{
	static uint8_t buf[1 << 16];
	struct gen g;

	gen_init(&g, seed);
	while (n) {
		size_t k = n < sizeof(buf) ? (size_t)n : sizeof(buf);

		gen_fill(&g, buf, k);
		if (write_all(STDOUT_FILENO, buf, k) < 0)
			return 3;
		n -= k;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct addr a;
	const char *cmd = argc > 1 ? argv[1] : "";
	bool listening = !strcmp(cmd, "serve");

	/* A peer that went away is EPIPE for the caller to print, not a signal. */
	signal(SIGPIPE, SIG_IGN);

	if (!strcmp(cmd, "sum"))
		return read_sum(STDIN_FILENO, argc > 2 ? strtoull(argv[2], NULL, 0) : 0);
	if (!strcmp(cmd, "gen") && argc > 2)
		return cmd_gen(strtoull(argv[2], NULL, 0), argc > 3 ? strtoull(argv[3], NULL, 0) : 1);
	if (argc < 3 || parse_addr(argv[2], listening, &a) < 0) {
		fprintf(stderr, "usage: see tests/vm/guest/vsock_tool.c\n");
		return 99;
	}
	if (!strcmp(cmd, "connect"))
		return cmd_connect(&a);
	if (!strcmp(cmd, "send") && argc > 3)
		return cmd_send(&a, strtoull(argv[3], NULL, 0),
				argc > 4 ? strtoull(argv[4], NULL, 0) : 1,
				argc > 5 ? strtoull(argv[5], NULL, 0) : 0,
				argc > 6 ? (unsigned int)atoi(argv[6]) : 0);
	if (!strcmp(cmd, "push") && argc > 3)
		return cmd_push(&a, strtoull(argv[3], NULL, 0));
	if (!strcmp(cmd, "recv"))
		return cmd_recv(&a, argc > 3 ? strtoull(argv[3], NULL, 0) : 0);
	if (!strcmp(cmd, "echo") && argc > 4) {
		unsigned int k = (unsigned int)atoi(argv[3]);
		return k && k <= MAX_CONNS ? cmd_echo(&a, k, strtoull(argv[4], NULL, 0)) : 99;
	}
	if (!strcmp(cmd, "udpecho") && argc > 3)
		return cmd_udpecho(&a, (unsigned int)atoi(argv[3]));
	if (!strcmp(cmd, "udp") && argc > 4) {
		struct addr a2;
		if (parse_addr(argv[3], false, &a2) < 0)
			return 99;
		return cmd_udp(&a, &a2, strtoull(argv[4], NULL, 0));
	}
	if (!strcmp(cmd, "udpflood") && argc > 4)
		return cmd_udpflood(&a, (unsigned int)atoi(argv[3]), strtoull(argv[4], NULL, 0));
	if (!strcmp(cmd, "udphold") && argc > 3)
		return cmd_udphold(&a, (unsigned int)atoi(argv[3]));
	if (!strcmp(cmd, "udpblast") && argc > 4)
		return cmd_udpblast(&a, (unsigned int)atoi(argv[3]), strtoull(argv[4], NULL, 0));
	if (!strcmp(cmd, "tcpsem"))
		return cmd_tcpsem(&a);
	if (!strcmp(cmd, "nbconnect"))
		return cmd_nbconnect(&a, argc > 3 ? atoi(argv[3]) : 30);
	if (!strcmp(cmd, "conns") && argc > 3)
		return cmd_conns(&a, (unsigned int)atoi(argv[3]),
				 argc > 4 ? (unsigned int)atoi(argv[4]) : 1);
	if (listening && argc > 4) {
		unsigned int count = (unsigned int)atoi(argv[4]);
		return count ? cmd_serve(&a, argv[3], count,
					 argc > 5 ? strtoull(argv[5], NULL, 0) : 0) : 99;
	}
	fprintf(stderr, "usage: see tests/vm/guest/vsock_tool.c\n");
	return 99;
}
