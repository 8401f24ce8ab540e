/* SPDX-License-Identifier: Apache-2.0 */
/*
 * TSI's UDP: each guest UDP socket that talks to the outside is one SEQPACKET
 * connection to TSI_UDP_VSOCK_PORT. Its first message is a setup header
 * (TSI_OP_UDP, the guest socket's bound address); the VMM opens a
 * non-blocking host UDP socket, bound to the mapped host port when the guest
 * bound an exposed port, else to an ephemeral one, and answers with the
 * status {errno, host port}. Then every message is a 24-byte address header
 * and a payload: destination guest -> VMM, source VMM -> guest. So one guest
 * socket talks to many peers, each datagram with its own address.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tsi/priv.h"
#include "tsi/wire.h"
#include "util/log.h"

/* Binds fd to addr (len) with its port set to port. */
static int bind_port(int fd, struct sockaddr_storage *addr, socklen_t len, uint16_t port)
{
	if (addr->ss_family == AF_INET)
		((struct sockaddr_in *)addr)->sin_port = htons(port);
	else
		((struct sockaddr_in6 *)addr)->sin6_port = htons(port);
	return bind(fd, (struct sockaddr *)addr, len) < 0 ? -errno : 0;
}

static uint16_t bound_port(int fd)
{
	struct sockaddr_storage sa;
	socklen_t len = sizeof(sa);

	if (getsockname(fd, (struct sockaddr *)&sa, &len) < 0)
		return 0;
	return ntohs(sa.ss_family == AF_INET ? ((struct sockaddr_in *)&sa)->sin_port
					     : ((struct sockaddr_in6 *)&sa)->sin6_port);
}

static int udp_setup(void *arg, uint32_t guest_port, const uint8_t *hdr, struct vsock_setup *out)
{
	struct tsi_service *s = arg;
	struct tsi_setup req;
	uint16_t gport, hport = 0;
	char name[80];
	int fd, r = tsi_wire_parse_setup(hdr, &req);

	if (r == 0 && req.op != TSI_OP_UDP)
		r = -EPROTO;
	if (r < 0) {
		log_debug("tsi: guest port %u: bad UDP setup: %s", guest_port, strerror(-r));
		return r;
	}
	gport = ntohs(req.addr.ss_family == AF_INET
			      ? ((struct sockaddr_in *)&req.addr)->sin_port
			      : ((struct sockaddr_in6 *)&req.addr)->sin6_port);
	fd = socket(req.addr.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (gport)
		hport = tsi_host_port(s, gport);
	/* An exposed port on the guest's address (loopback with
	 * TSI_LISTEN_LOOPBACK); else any address, any port: a client's socket,
	 * which must be able to send anywhere the policy allows. */
	tsi_policy_bind_addr(&s->policy, &req.addr);
	r = hport ? bind_port(fd, &req.addr, req.addr_len, hport) : -EACCES;
	if (r < 0) {
		if (hport)
			log_warn("tsi: cannot expose guest UDP port %u on the host's %s: %s", gport,
				 tsi_sa_str((struct sockaddr *)&req.addr, name, sizeof(name)),
				 strerror(-r));
		memset(&req.addr.ss_family + 1, 0, sizeof(req.addr) - sizeof(req.addr.ss_family));
		r = bind_port(fd, &req.addr, req.addr_len, 0);
	}
	if (r < 0) {
		close(fd);
		return r;
	}
	out->fd = fd;
	out->value = bound_port(fd);
	return 0;
}

static int udp_send_msg(void *arg, int fd, const uint8_t *msg, size_t len)
{
	struct tsi_service *s = arg;
	struct sockaddr_storage sa;
	socklen_t salen;
	int r = tsi_wire_parse_dgram(msg, len, &sa, &salen);

	if (r < 0)
		return r;
	/* Each datagram names its own destination: each one is checked. */
	r = tsi_egress_check(s, "datagram", (struct sockaddr *)&sa);
	if (r < 0)
		return r;
	if (sendto(fd, msg + TSI_DGRAM_HDR_SIZE, len - TSI_DGRAM_HDR_SIZE,
		   MSG_DONTWAIT | MSG_NOSIGNAL, (struct sockaddr *)&sa, salen) < 0)
		return -errno;
	return 0;
}

static long udp_recv_msg(void *arg, int fd, uint8_t *buf, size_t cap)
{
	struct sockaddr_storage sa;
	socklen_t salen = sizeof(sa);
	ssize_t n;

	(void)arg;
	n = recvfrom(fd, buf + TSI_DGRAM_HDR_SIZE, cap - TSI_DGRAM_HDR_SIZE, MSG_DONTWAIT,
		     (struct sockaddr *)&sa, &salen);
	if (n < 0)
		return -errno;
	tsi_wire_inbound(&sa, salen, buf);
	return TSI_DGRAM_HDR_SIZE + n;
}

const struct vsock_service_ops tsi_udp_ops = {
	.setup_len = TSI_SETUP_SIZE,
	.setup = udp_setup,
	.seqpacket = true,
	.msg_max = TSI_UDP_MSG_MAX,
	.send_msg = udp_send_msg,
	.recv_msg = udp_recv_msg,
	.release = tsi_release,
};
