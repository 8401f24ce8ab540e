/* SPDX-License-Identifier: Apache-2.0 */
/* The TSI service on the vsock muxer; contract in tsi.h. */
#include "tsi/tsi.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tsi/priv.h"
#include "tsi/wire.h"
#include "util/log.h"
#include "vsock/mux.h"

/* tsi.h's defaults: the guest's own sockets (TCP streams and UDP sockets)
 * and its listeners' host clients together stay under the table's 512, so
 * neither side can starve the other, and krun_add_vsock_port keeps 64. */
static const uint32_t limit_default[TSI_NLIMITS] = {
	[TSI_LIMIT_CONNECTIONS] = 256,
	[TSI_LIMIT_LISTENERS] = 32,
	[TSI_LIMIT_UDP_SOCKETS] = 64,
	[TSI_LIMIT_INBOUND] = 128,
	[TSI_LIMIT_INBOUND_PER_LISTENER] = 64,
};

uint32_t tsi_limit_get(const struct tsi_limits *l, enum tsi_limit which)
{
	return l->set & (1u << which) ? l->max[which] : limit_default[which];
}

int tsi_egress_check(struct tsi_service *s, const char *what, const struct sockaddr *sa)
{
	char name[80];
	uint64_t held;
	int r = tsi_policy_check(&s->policy, sa);

	/* A guest can ask for denied destinations as fast as it likes. */
	if (r < 0 && ratelimit_pass(&s->deny_log, &held))
		log_warn("tsi: a guest %s to %s denied by the TSI policy (and %llu more "
			 "before this one, not logged)", what, tsi_sa_str(sa, name, sizeof(name)),
			 (unsigned long long)held);
	return r;
}

char *tsi_sa_str(const struct sockaddr *sa, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN] = "?";
	unsigned int port = 0;

	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const void *)sa;
		inet_ntop(AF_INET, &sin->sin_addr, ip, sizeof(ip));
		port = ntohs(sin->sin_port);
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const void *)sa;
		inet_ntop(AF_INET6, &sin6->sin6_addr, ip, sizeof(ip));
		port = ntohs(sin6->sin6_port);
	}
	snprintf(buf, len, "%s port %u", ip, port);
	return buf;
}

static int tsi_connect(struct tsi_service *s, uint32_t guest_port, const struct tsi_setup *req,
		       struct vsock_setup *out)
{
	const struct sockaddr *sa = (const struct sockaddr *)&req->addr;
	char name[80];
	int fd, one = 1, r;

	r = tsi_egress_check(s, "connect", sa);
	if (r < 0)
		return r;
	fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* The guest's writes arrive already coalesced by vsock: no Nagle here. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, sa, req->addr_len) == 0) {
		out->fd = fd;
		return 0;
	}
	if (errno == EINPROGRESS) {
		out->fd = fd;
		out->in_progress = true;
		return 0;
	}
	r = -errno;
	log_debug("tsi: guest port %u: connect to %s: %s", guest_port,
		  tsi_sa_str(sa, name, sizeof(name)), strerror(-r));
	close(fd);
	return r;
}

static int tsi_listen(struct tsi_service *s, const struct tsi_setup *req, struct vsock_setup *out)
{
	struct sockaddr_storage addr = req->addr;
	struct sockaddr_in *sin = (struct sockaddr_in *)&addr;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&addr;
	uint16_t *portp = addr.ss_family == AF_INET ? &sin->sin_port : &sin6->sin6_port;
	uint16_t guest = ntohs(*portp), host = guest;
	socklen_t len = req->addr_len;
	int fd, one = 1, r;
	char name[80];

	if (guest == 0)
		return -EINVAL;
	host = tsi_host_port(s, guest);
	if (host == 0)
		return -EACCES; /* not in the port map */
	*portp = htons(host);
	tsi_policy_bind_addr(&s->policy, &addr);
	fd = socket(addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&addr, len) < 0 || listen(fd, (int)req->backlog) < 0 ||
	    getsockname(fd, (struct sockaddr *)&addr, &len) < 0) {
		r = -errno;
		log_warn("tsi: cannot expose guest port %u on the host's %s: %s", guest,
			 tsi_sa_str((struct sockaddr *)&addr, name, sizeof(name)), strerror(-r));
		close(fd);
		return r;
	}
	log_debug("tsi: guest port %u listens on the host's %s", guest,
		  tsi_sa_str((struct sockaddr *)&addr, name, sizeof(name)));
	out->listen_fd = fd;
	out->listen_guest_port = req->vsock_port;
	out->value = ntohs(*portp);
	out->peer_prefix = tsi_wire_inbound;
	return 0;
}

static int tsi_setup(void *arg, uint32_t guest_port, const uint8_t *hdr, struct vsock_setup *out)
{
	struct tsi_service *s = arg;
	struct tsi_setup req;
	int r = tsi_wire_parse_setup(hdr, &req);

	if (r == 0 && req.op == TSI_OP_UDP)
		r = -EPROTO; /* UDP comes on its own port, as SEQPACKET */
	if (r < 0) {
		log_debug("tsi: guest port %u: bad setup header: %s", guest_port, strerror(-r));
		return r;
	}
	return req.op == TSI_OP_CONNECT ? tsi_connect(s, guest_port, &req, out)
					: tsi_listen(s, &req, out);
}

void tsi_release(void *arg)
{
	free(arg);
}

static const struct vsock_service_ops tsi_tcp_ops = {
	.setup_len = TSI_SETUP_SIZE,
	.setup = tsi_setup,
	.release = tsi_release,
};

uint16_t tsi_host_port(const struct tsi_service *s, uint16_t guest)
{
	if (!s->mapped)
		return guest;
	/* The last entry for a guest port wins (tsi.h). */
	for (unsigned int i = s->nmap; i-- > 0;)
		if (s->map[i].guest == guest)
			return s->map[i].host;
	return 0;
}

/* A service's state: the policy and the parsed port map. */
static struct tsi_service *service_new(const struct tsi_config *cfg)
{
	size_t n = 0;
	struct tsi_service *s;

	while (cfg->port_map_set && cfg->port_map && cfg->port_map[n])
		n++;
	s = calloc(1, sizeof(*s) + n * sizeof(s->map[0]));
	if (!s)
		return NULL;
	s->policy = cfg->policy;
	s->deny_log = (struct ratelimit)RATELIMIT_INIT(TSI_DENY_LOG_MS, TSI_DENY_LOG_BURST);
	s->mapped = cfg->port_map_set;
	for (size_t i = 0; i < n; i++) {
		unsigned int host, guest;

		/* Checked by krun_set_port_map: "HOST:GUEST", both 1-65535. */
		if (sscanf(cfg->port_map[i], "%u:%u", &host, &guest) == 2 && host &&
		    host < 65536 && guest && guest < 65536)
			s->map[s->nmap++] = (struct tsi_map_entry){ (uint16_t)guest, (uint16_t)host };
	}
	return s;
}

int tsi_service_add(struct vsock_mux *m, const struct tsi_config *cfg)
{
	struct tsi_service *tcp, *udp;
	int r;

	if (cfg->nunix_paths) {
		r = tsi_unix_service_add(m, cfg->unix_paths, cfg->nunix_paths);
		if (r < 0) {
			log_error("tsi: cannot add the UNIX service: %s", strerror(-r));
			return r;
		}
	}
	if (!cfg->inet)
		return 0;
	tcp = service_new(cfg);
	udp = service_new(cfg);

	if (!tcp || !udp) {
		free(tcp);
		free(udp);
		return -ENOMEM;
	}
	r = vsock_mux_add_service(m, TSI_VSOCK_PORT, &tsi_tcp_ops, tcp);
	if (r == 0)
		r = vsock_mux_add_service(m, TSI_UDP_VSOCK_PORT, &tsi_udp_ops, udp);
	else
		free(udp);
	if (r < 0) {
		log_error("tsi: cannot add the TSI services: %s", strerror(-r));
		return r;
	}
	/* Both services exist now: -ENOENT cannot come back. */
	vsock_mux_limit_service(m, TSI_VSOCK_PORT, tsi_limit_get(&cfg->limits, TSI_LIMIT_CONNECTIONS));
	vsock_mux_limit_service(m, TSI_UDP_VSOCK_PORT,
				tsi_limit_get(&cfg->limits, TSI_LIMIT_UDP_SOCKETS));
	vsock_mux_set_limits(m, &(struct vsock_mux_limits){
		.listeners = tsi_limit_get(&cfg->limits, TSI_LIMIT_LISTENERS),
		.inbound = tsi_limit_get(&cfg->limits, TSI_LIMIT_INBOUND),
		.inbound_per_listener = tsi_limit_get(&cfg->limits, TSI_LIMIT_INBOUND_PER_LISTENER),
	});
	return 0;
}
