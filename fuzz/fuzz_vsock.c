/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The vsock muxer (src/vsock/) fed packets as a hostile guest's driver would
 * queue them, with the host side moving too.
 *
 * A fake guest (the device's queues: tx_pop, rx_peek, rx_push) hands the
 * muxer the packets the input describes and RX buffers of the sizes it
 * chooses, and checks every packet the muxer gives back (header well formed,
 * from the host, within the buffer). Host ends are socketpairs and UNIX
 * sockets in the abstract namespace: nothing reaches a network. Services:
 *   5000  a connect service (a socketpair whose small send buffer fills fast;
 *         refusing or "in progress" at will)
 *   5001  a setup service (16-byte header: a stream fd, a listener whose
 *         clients get a prefix, an error, or a connect in progress)
 *   5002  a SEQPACKET setup service (8-byte header, messages of <= 1000 bytes
 *         over a SOCK_SEQPACKET socketpair)
 * plus a listener added with vsock_mux_add_listener, reached by host clients.
 *
 * Input: a flags byte, then ops (op byte, then arguments; the generic ones
 * in vsock_guest.h, then run_op's). A new muxer for every input; every host
 * end is closed at its end, so leaks show per input.
 */
#include "fuzz.h"

#include <sys/un.h>

#include "vsock_guest.h"

#define SEQ_MSG_MAX 1000

static const uint32_t svc_ports[3] = { 5000, 5001, 5002 };
static char lname[64];
static int refuse;
static bool connect_later;
static unsigned int nlisteners;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fz_log_setup();
	snprintf(lname, sizeof(lname), "krun-fuzz-vsock-%d", (int)getpid());
	return 0;
}

/* A non-blocking socketpair: one end for the muxer, the other a peer. */
static int pair(int type)
{
	int sv[2];

	if (socketpair(AF_UNIX, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	fg_add_peer(sv[1]);
	return sv[0];
}

/* The abstract UNIX address lname-n. */
static socklen_t addr_of(unsigned int n, struct sockaddr_un *a)
{
	*a = (struct sockaddr_un){ .sun_family = AF_UNIX };
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
			   (size_t)snprintf(a->sun_path + 1, sizeof(a->sun_path) - 1, "%s-%u",
					    lname, n));
}

static int listener(unsigned int n)
{
	struct sockaddr_un a;
	socklen_t len = addr_of(n, &a);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&a, len) < 0 || listen(fd, 4) < 0) {
		close(fd);
		return -errno;
	}
	return fd;
}

static void connect_listener(unsigned int n)
{
	struct sockaddr_un a;
	socklen_t len = addr_of(n, &a);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return;
	if (connect(fd, (struct sockaddr *)&a, len) < 0) {
		close(fd);
		return;
	}
	fg_add_peer(fd);
}

/* --- services ----------------------------------------------------------- */

static int svc_connect(void *arg, uint32_t guest_port, bool *in_progress)
{
	int fd, small = 4096;

	(void)arg;
	(void)guest_port;
	if (refuse)
		return -refuse;
	*in_progress = connect_later;
	/* A host socket that fills fast: the muxer buffers the guest's bytes. */
	fd = pair(SOCK_STREAM);
	if (fd >= 0)
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
	return fd;
}

static const struct vsock_service_ops connect_ops = { .connect = svc_connect };

/* A client's prefix: the first bytes of its address, at most 32. */
static size_t prefix(const void *sockaddr, uint32_t len, uint8_t *out)
{
	size_t n = len < VSOCK_PREFIX_MAX ? len : VSOCK_PREFIX_MAX;

	memcpy(out, sockaddr, n);
	return n;
}

static int svc_setup(void *arg, uint32_t guest_port, const uint8_t *hdr, struct vsock_setup *out)
{
	int fd;

	(void)arg;
	(void)guest_port;
	switch (hdr[0] % 5) {
	case 0:
		fd = pair(SOCK_STREAM);
		if (fd < 0)
			return fd;
		out->fd = fd;
		out->in_progress = hdr[1] & 1;
		return 0;
	case 1:
		fd = listener(100 + nlisteners++);
		if (fd < 0)
			return fd;
		out->listen_fd = fd;
		memcpy(&out->listen_guest_port, hdr + 4, 4);
		memcpy(&out->value, hdr + 8, 4);
		out->peer_prefix = hdr[2] & 1 ? prefix : NULL;
		return 0;
	case 2:
		return -(int)(1 + hdr[3] % 130);
	case 3:
		return 0; /* neither fd nor listener: the muxer's EIO */
	default:
		fd = pair(SOCK_STREAM);
		if (fd >= 0)
			close(fd); /* the host end gone: EOF for the guest */
		return -EPIPE;
	}
}

static const struct vsock_service_ops setup_ops = { .setup_len = 16, .setup = svc_setup };

static int seq_setup(void *arg, uint32_t guest_port, const uint8_t *hdr, struct vsock_setup *out)
{
	int fd;

	(void)arg;
	(void)guest_port;
	if (hdr[0] & 1)
		return -EPROTO;
	fd = pair(SOCK_SEQPACKET);
	if (fd < 0)
		return fd;
	out->fd = fd;
	out->in_progress = hdr[1] == 0xff;
	return 0;
}

static int seq_send(void *arg, int fd, const uint8_t *msg, size_t len)
{
	(void)arg;
	FZ_CHECK(len <= SEQ_MSG_MAX);
	return send(fd, msg, len, MSG_DONTWAIT | MSG_NOSIGNAL) < 0 ? -errno : 0;
}

static long seq_recv(void *arg, int fd, uint8_t *buf, size_t cap)
{
	ssize_t n;

	(void)arg;
	FZ_CHECK(cap >= SEQ_MSG_MAX);
	n = recv(fd, buf, cap, MSG_DONTWAIT);
	return n < 0 ? -errno : n;
}

static const struct vsock_service_ops seq_ops = {
	.setup_len = 8, .setup = seq_setup, .seqpacket = true, .msg_max = SEQ_MSG_MAX,
	.send_msg = seq_send, .recv_msg = seq_recv,
};

/* --- the program ---------------------------------------------------------- */

static void run_op(struct fz *z)
{
	uint8_t op = fz_u8(z);

	if (op % 14 < FG_NOPS) {
		fg_op(z, op % 14);
		return;
	}
	switch (op % 14) {
	case FG_NOPS: /* a host client of a listener */
		connect_listener(fz_u8(z) & 1 ? 0 : 100 + fz_u8(z) % 4);
		fg_serve();
		break;
	case FG_NOPS + 1:
		refuse = fz_u8(z) & 1 ? ECONNREFUSED : 0;
		connect_later = fz_u8(z) & 1;
		break;
	case FG_NOPS + 2: { /* caps */
		struct vsock_mux_limits l;

		l.listeners = fz_u8(z) % 8;
		l.inbound = fz_u8(z) % 8;
		l.inbound_per_listener = fz_u8(z) % 4;

		if (fz_u8(z) & 1) {
			vsock_mux_set_limits(g.m, &l);
		} else {
			uint32_t port = 5000 + fz_u8(z) % 4;

			(void)vsock_mux_limit_service(g.m, port, fz_u8(z) % 6);
		}
		break;
	}
	default: /* the VM ends: the muxer takes what is queued, then is inactive */
		vsock_mux_drain(g.m, 0);
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz z = { data, size };
	uint8_t flags = fz_u8(&z);
	int fd;

	refuse = 0;
	connect_later = false;
	nlisteners = 0;
	fg_begin(svc_ports);
	FZ_CHECK(vsock_mux_add_service(g.m, 5000, &connect_ops, NULL) == 0);
	FZ_CHECK(vsock_mux_add_service(g.m, 5001, &setup_ops, NULL) == 0);
	FZ_CHECK(vsock_mux_add_service(g.m, 5002, &seq_ops, NULL) == 0);
	FZ_CHECK(vsock_mux_add_service(g.m, 5000, &connect_ops, NULL) == -EEXIST);
	fd = listener(0);
	if (fd >= 0)
		FZ_CHECK(vsock_mux_add_listener(g.m, fd, fg_gports[flags & 3]) == 0);
	vsock_mux_set_active(g.m, true);
	while (!fz_empty(&z))
		run_op(&z);
	fg_end();
	return 0;
}
