/* SPDX-License-Identifier: Apache-2.0 */
/* The VMM's one clock for intervals and deadlines: CLOCK_MONOTONIC (never set
 * back, vDSO-served, so allowed in every seccomp class). */
#ifndef LIBKRUN_UTIL_CLOCK_H
#define LIBKRUN_UTIL_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

#endif
