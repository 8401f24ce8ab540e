/* SPDX-License-Identifier: Apache-2.0 */
/*
 * TSI, transparent socket impersonation (issue 8): the VMM side. The guest
 * kernel (kernel/patches, vsock.tsi=1) carries each user TCP socket of the
 * guest on a vsock stream to TSI_VSOCK_PORT; this service opens the real
 * socket on the host, connecting or listening as the stream's setup header
 * says (src/tsi/wire.h, docs/tsi.md), and the vsock muxer then moves the bytes.
 *
 * Host sockets are non-blocking; a connect in progress is finished by the
 * muxer on EPOLLOUT before the guest hears the outcome.
 *
 * Policy (krun_set_tsi_policy, policy.h): every connect's destination and
 * every UDP datagram's passes tsi_policy_check; a denied connect fails in the
 * guest with EPERM (as a host firewall rule would make it), a denied
 * datagram is dropped (as UDP would). Denials are logged, at most a few lines
 * per TSI_DENY_LOG_MS. With TSI_LISTEN_LOOPBACK, host listeners and exposed
 * UDP ports are bound to loopback whatever address the guest bound.
 *
 * Caps (krun_set_tsi_limit, struct tsi_limits): what the guest's TCP streams,
 * UDP sockets, listeners and its listeners' host clients may hold of the
 * vsock muxer's table (VSOCK_MUX_MAX_CONNS), applied with vsock_mux_limit_*;
 * past a cap the guest's call fails with ENOBUFS and a host client waits in
 * the listener's backlog.
 *
 * AF_UNIX (krun_allow_tsi_unix_path): a guest stream connect to one of the
 * caller's host paths reaches the host UNIX socket there; the VMM checks the
 * path again. No paths: no service.
 *
 * Port map (krun_set_port_map): a guest listen on GUEST is exposed on host
 * port HOST for each "HOST:GUEST"; with no map at all (NULL) every guest
 * listener is exposed on its own port; an empty map exposes none (the guest
 * listener still works inside the guest).
 */
#ifndef LIBKRUN_TSI_H
#define LIBKRUN_TSI_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "tsi/policy.h"

struct vsock_mux;

/* The caps; values of the public KRUN_TSI_LIMIT_* (src/api/tsi_policy.c). */
enum tsi_limit {
	TSI_LIMIT_CONNECTIONS,   /* TCP streams: connections, listening sockets */
	TSI_LIMIT_LISTENERS,     /* listening sockets exposed on the host */
	TSI_LIMIT_UDP_SOCKETS,   /* UDP sockets with a host socket */
	TSI_LIMIT_INBOUND,       /* host clients' connections, all listeners */
	TSI_LIMIT_INBOUND_PER_LISTENER,
	TSI_NLIMITS,
};

/* Zero: every cap at its default. */
struct tsi_limits {
	uint32_t set; /* bit 1 << limit for each value given */
	uint32_t max[TSI_NLIMITS];
};

/* A cap: the value set, else its default (service.c: 256 TCP streams, 32
 * listeners, 64 UDP sockets, 128 host clients, 64 per listener; 448 of the
 * table's 512 in all, leaving room for krun_add_vsock_port's streams). */
uint32_t tsi_limit_get(const struct tsi_limits *l, enum tsi_limit which);

struct tsi_config {
	bool inet;                   /* TCP and UDP (KRUN_TSI_HIJACK_INET) */
	const char *const *port_map; /* "HOST:GUEST" (checked by the API); NULL: same ports */
	bool port_map_set;           /* false: every guest port on its own host port */
	struct tsi_policy policy;    /* zero: everything allowed, as upstream */
	struct tsi_limits limits;
	const char *const *unix_paths; /* allow-listed host UNIX sockets (absolute) */
	unsigned int nunix_paths;
};

/* Adds the TSI services cfg asks for to m. 0 or -errno (logged). */
int tsi_service_add(struct vsock_mux *m, const struct tsi_config *cfg);
/* The AF_UNIX service (unix.c): guest connects to exactly these host paths. */
int tsi_unix_service_add(struct vsock_mux *m, const char *const *paths, unsigned int n);

#endif
