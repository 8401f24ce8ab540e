/* SPDX-License-Identifier: Apache-2.0 */
/* What the TSI services (TCP: service.c, UDP: udp.c) share. */
#ifndef LIBKRUN_TSI_PRIV_H
#define LIBKRUN_TSI_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tsi/tsi.h"
#include "util/ratelimit.h"
#include "vsock/mux.h"

/* Denials logged: at most TSI_DENY_LOG_BURST lines per TSI_DENY_LOG_MS each
 * service, then a count of those left out (util/ratelimit.h). */
#define TSI_DENY_LOG_MS 10000
#define TSI_DENY_LOG_BURST 5

struct tsi_map_entry {
	uint16_t guest, host;
};

/* One service's arg: the policy and the port map. Used under its muxer's
 * lock (the service ops are called with it held). */
struct tsi_service {
	struct tsi_policy policy;
	struct ratelimit deny_log;
	bool mapped; /* a port map was given (maybe empty) */
	unsigned int nmap;
	struct tsi_map_entry map[];
};

/* The host port exposing guest port guest, 0 for none. */
uint16_t tsi_host_port(const struct tsi_service *s, uint16_t guest);
/* Every TSI service's release: its setup argument is one heap block. */
void tsi_release(void *arg);
/* "ADDR port N" for logs. */
char *tsi_sa_str(const struct sockaddr *sa, char *buf, size_t len);
/* The policy's verdict on a guest's what ("connect", "datagram") to sa: 0
 * or -EPERM, a denial logged within s's rate limit. */
int tsi_egress_check(struct tsi_service *s, const char *what, const struct sockaddr *sa);

extern const struct vsock_service_ops tsi_udp_ops;

#endif
