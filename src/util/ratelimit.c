/* SPDX-License-Identifier: Apache-2.0 */
/* A fixed-window rate limiter for log lines; contract in ratelimit.h. */
#include "util/ratelimit.h"

#include "util/clock.h"

bool ratelimit_pass_at(struct ratelimit *rl, uint64_t now_ms, uint64_t *held)
{
	/* A clock that went back (it cannot for CLOCK_MONOTONIC, but a caller's
	 * could) opens a new window rather than closing every later one. */
	if (!rl->started || now_ms - rl->window_start_ms >= rl->interval_ms ||
	    now_ms < rl->window_start_ms) {
		rl->started = true;
		rl->window_start_ms = now_ms;
		rl->passed = 0;
	}
	if (rl->passed >= rl->burst) {
		rl->held++;
		return false;
	}
	rl->passed++;
	*held = rl->held;
	rl->held = 0;
	return true;
}

bool ratelimit_pass(struct ratelimit *rl, uint64_t *held)
{
	return ratelimit_pass_at(rl, monotonic_ns() / 1000000u, held);
}
