/* SPDX-License-Identifier: Apache-2.0 */
/*
 * krun_set_tsi_policy, krun_set_tsi_limit: libkrun-c's own calls for the TSI
 * policy and caps (include/libkrun.h, docs/tsi.md "Policy"). Checked and
 * parsed here, so a bad entry fails at the call; the TSI services
 * (src/tsi/) apply them at krun_start_enter.
 */
#include <errno.h>

#include "api/ctx.h"
#include "api/export.h"
#include "libkrun.h"
#include "tsi/tsi.h"
#include "util/log.h"
#include "vsock/mux.h"

/* The public values are the internal ones, so no table maps between them. */
_Static_assert(KRUN_TSI_POLICY_DENY_HOST == TSI_DENY_HOST &&
		       KRUN_TSI_POLICY_DENY_LINK_LOCAL == TSI_DENY_LINK_LOCAL &&
		       KRUN_TSI_POLICY_DENY_PRIVATE == TSI_DENY_PRIVATE &&
		       KRUN_TSI_POLICY_ALLOW_LIST_ONLY == TSI_ALLOW_LIST_ONLY &&
		       KRUN_TSI_POLICY_LISTEN_LOOPBACK == TSI_LISTEN_LOOPBACK,
	       "policy flags");
_Static_assert(KRUN_TSI_POLICY_MAX_ALLOW == TSI_POLICY_MAX_RULES, "allow-list size");
_Static_assert(KRUN_TSI_LIMIT_CONNECTIONS == TSI_LIMIT_CONNECTIONS &&
		       KRUN_TSI_LIMIT_LISTENERS == TSI_LIMIT_LISTENERS &&
		       KRUN_TSI_LIMIT_UDP_SOCKETS == TSI_LIMIT_UDP_SOCKETS &&
		       KRUN_TSI_LIMIT_INBOUND == TSI_LIMIT_INBOUND &&
		       KRUN_TSI_LIMIT_INBOUND_PER_LISTENER == TSI_LIMIT_INBOUND_PER_LISTENER,
	       "limit numbers");
_Static_assert(KRUN_TSI_LIMIT_MAX == VSOCK_MUX_MAX_CONNS, "the muxer's table");

KRUN_API int32_t krun_set_tsi_policy(uint32_t ctx_id, uint32_t flags, const char *const allow[])
{
	CTX_HOLD(ctx, ctx_id);
	struct tsi_policy p = { .flags = flags };
	const char *why;

	if (flags & ~TSI_POLICY_FLAGS) {
		log_error("%s: unknown flags 0x%x", __func__, flags & ~TSI_POLICY_FLAGS);
		return -EINVAL;
	}
	for (size_t i = 0; allow && allow[i]; i++) {
		if (i == TSI_POLICY_MAX_RULES) {
			log_error("%s: more than %d allow entries", __func__, TSI_POLICY_MAX_RULES);
			return -EINVAL;
		}
		if (tsi_rule_parse(allow[i], &p.rules[i], &why) < 0) {
			log_error("%s: allow[%zu] \"%s\": %s", __func__, i, allow[i], why);
			return -EINVAL;
		}
		p.nrules++;
	}
	ctx->tsi_policy = p;
	return 0;
}

KRUN_API int32_t krun_set_tsi_limit(uint32_t ctx_id, uint32_t limit, uint32_t max)
{
	CTX_HOLD(ctx, ctx_id);

	if (limit >= TSI_NLIMITS || max > KRUN_TSI_LIMIT_MAX) {
		log_error("%s: want a KRUN_TSI_LIMIT_* (not %u) and at most %d (not %u)", __func__,
			  limit, KRUN_TSI_LIMIT_MAX, max);
		return -EINVAL;
	}
	ctx->tsi_limits.max[limit] = max;
	ctx->tsi_limits.set |= 1u << limit;
	return 0;
}
