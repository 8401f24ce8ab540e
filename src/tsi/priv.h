/* SPDX-License-Identifier: Apache-2.0 */
/* What the TSI services (TCP: service.c, UDP: udp.c) share. */
#ifndef LIBKRUN_TSI_PRIV_H
#define LIBKRUN_TSI_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tsi/tsi.h"
#include "vsock/mux.h"

struct tsi_map_entry {
	uint16_t guest, host;
};

/* One service's arg: the policy and the port map. */
struct tsi_service {
	struct tsi_policy policy;
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

extern const struct vsock_service_ops tsi_udp_ops;

#endif
