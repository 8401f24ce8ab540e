/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A rate limiter for log lines that a guest can trigger at will (a denied
 * connect, say): at most burst events pass per window of interval_ms; the
 * ones in between are only counted, and the next event that passes reports
 * how many were held back, so the log says that something was left out.
 *
 * Not locked: the caller serializes the calls on one limiter (TSI's services
 * run under their muxer's lock).
 */
#ifndef LIBKRUN_UTIL_RATELIMIT_H
#define LIBKRUN_UTIL_RATELIMIT_H

#include <stdbool.h>
#include <stdint.h>

struct ratelimit {
	uint32_t interval_ms, burst;
	uint64_t window_start_ms; /* of the current window */
	bool started;             /* a window was opened */
	uint32_t passed;          /* events passed in the current window */
	uint64_t held;            /* events held back since the last one passed */
};

#define RATELIMIT_INIT(interval_ms_, burst_) \
	{ .interval_ms = (interval_ms_), .burst = (burst_) }

/* Whether an event at now_ms (a monotonic clock) passes; when it does,
 * *held gets the number held back since the previous one that passed. */
bool ratelimit_pass_at(struct ratelimit *rl, uint64_t now_ms, uint64_t *held);
/* The same at CLOCK_MONOTONIC's now. */
bool ratelimit_pass(struct ratelimit *rl, uint64_t *held);

#endif
