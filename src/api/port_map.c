/* SPDX-License-Identifier: Apache-2.0 */
/*
 * krun_set_port_map: "HOST:GUEST" pairs for TSI, validated here and stored;
 * the TSI service (src/tsi/service.c) exposes guest listeners by them.
 *
 * Upstream's rules (src/libkrun/src/lib.rs): a port is any u16, 0 included,
 * and each host port and each guest port appears at most once, since a guest
 * listener can be exposed on one host port only.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "api/ctx.h"
#include "api/export.h"
#include "libkrun.h"
#include "util/log.h"

#define MAX_PORT_MAPS 1024

/* A decimal port 0..65535 ending at *end. */
static int parse_port(const char *s, const char **end)
{
	unsigned long v = 0;
	const char *p = s;

	while (*p >= '0' && *p <= '9' && p - s < 6)
		v = v * 10 + (unsigned long)(*p++ - '0');
	*end = p;
	return p == s || v > 65535 ? -1 : (int)v;
}

/* Checks one "HOST:GUEST". 0 or -1. */
static int parse_map(const char *s, int *host, int *guest)
{
	const char *end;

	*host = parse_port(s, &end);
	if (*host < 0 || *end != ':')
		return -1;
	*guest = parse_port(end + 1, &end);
	return *guest < 0 || *end ? -1 : 0;
}

KRUN_API int32_t krun_set_port_map(uint32_t ctx_id, const char *const port_map[])
{
	CTX_HOLD(ctx, ctx_id);
	struct strv copy = { 0 };
	uint8_t *used; /* bit 0: a host port, bit 1: a guest port */
	size_t n = 0;
	int r = 0, host, guest;

	if (ctx->nnets) {
		/* Upstream's rule: a proxy's own options map its ports. */
		log_error("%s: not with a network interface (map ports with the proxy)", __func__);
		return -ENOTSUP;
	}
	if (!port_map) {
		/* NULL: as if never called (every guest listener exposed, issue 8). */
		strv_free(&ctx->port_map);
		return 0;
	}
	used = calloc(65536, 1);
	if (!used)
		return -ENOMEM;
	for (; port_map[n]; n++) {
		if (n >= MAX_PORT_MAPS || parse_map(port_map[n], &host, &guest) < 0) {
			log_error("%s: entry %zu \"%s\" is not HOST:GUEST with ports 0-65535 "
				  "(or over %d entries)", __func__, n, port_map[n], MAX_PORT_MAPS);
			r = -EINVAL;
			goto out;
		}
		if ((used[host] & 1) || (used[guest] & 2)) {
			log_error("%s: entry %zu \"%s\": %s port %d is mapped twice", __func__, n,
				  port_map[n], used[host] & 1 ? "host" : "guest",
				  used[host] & 1 ? host : guest);
			r = -EINVAL;
			goto out;
		}
		used[host] |= 1;
		used[guest] |= 2;
	}
	r = strv_dup(port_map, &copy);
	if (r == 0)
		strv_move(&ctx->port_map, &copy);
out:
	free(used);
	return r;
}
