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
 * Egress policy: every connect's destination passes tsi_policy_allows; the
 * policy's allow_loopback (default true) decides whether a guest may reach
 * the host's own loopback addresses (127.0.0.0/8, ::1, v4-mapped loopback).
 * That is the hook for further rules (address ranges, ports).
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

struct vsock_mux;

struct tsi_policy {
	bool allow_loopback;
};

struct tsi_config {
	bool inet;                   /* TCP and UDP (KRUN_TSI_HIJACK_INET) */
	const char *const *port_map; /* "HOST:GUEST" (checked by the API); NULL: same ports */
	bool port_map_set;           /* false: every guest port on its own host port */
	struct tsi_policy policy;
	const char *const *unix_paths; /* allow-listed host UNIX sockets (absolute) */
	unsigned int nunix_paths;
};

/* Adds the TSI services cfg asks for to m. 0 or -errno (logged). */
int tsi_service_add(struct vsock_mux *m, const struct tsi_config *cfg);
/* The AF_UNIX service (unix.c): guest connects to exactly these host paths. */
int tsi_unix_service_add(struct vsock_mux *m, const char *const *paths, unsigned int n);

/* Whether policy lets a guest connect to addr. */
bool tsi_policy_allows(const struct tsi_policy *policy, const struct sockaddr *addr);

#endif
