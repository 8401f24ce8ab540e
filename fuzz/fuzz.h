/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the libFuzzer targets (fuzz/fuzz_*.c) share: a reader that turns the
 * input into small integers and byte blocks (running dry yields zeroes, so
 * every input is a valid program), a check that aborts with a message (the
 * fuzzer then keeps the input as a crash), and the library's log set up once.
 *
 * Logging: the library logs at debug level into /dev/null by default, so every
 * log_* call's format and arguments run (ASan checks %s arguments) without
 * filling the fuzzer's output; FUZZ_LOG=stderr shows the lines (to debug one
 * input), FUZZ_LOG=off skips them.
 */
#ifndef LIBKRUN_FUZZ_H
#define LIBKRUN_FUZZ_H

#include <fcntl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

struct fz {
	const uint8_t *p;
	size_t n;
};

static inline bool fz_empty(const struct fz *z)
{
	return z->n == 0;
}

static inline uint8_t fz_u8(struct fz *z)
{
	uint8_t v = 0;

	if (z->n) {
		v = *z->p++;
		z->n--;
	}
	return v;
}

/* Little endian; each byte read in its own statement (operand order is unspecified). */
static inline uint16_t fz_u16(struct fz *z)
{
	uint16_t lo = fz_u8(z);

	return (uint16_t)(lo | fz_u8(z) << 8);
}

static inline uint32_t fz_u32(struct fz *z)
{
	uint32_t lo = fz_u16(z);

	return lo | (uint32_t)fz_u16(z) << 16;
}

static inline uint64_t fz_u64(struct fz *z)
{
	uint64_t lo = fz_u32(z);

	return lo | (uint64_t)fz_u32(z) << 32;
}

/* Up to n bytes of the input in place; *got says how many there were. */
static inline const uint8_t *fz_bytes(struct fz *z, size_t n, size_t *got)
{
	const uint8_t *p = z->p;

	if (n > z->n)
		n = z->n;
	z->p += n;
	z->n -= n;
	*got = n;
	return p;
}

/* A block of the input with a 16-bit length in front (capped at max). */
static inline const uint8_t *fz_block(struct fz *z, size_t max, size_t *got)
{
	size_t n = fz_u16(z);

	return fz_bytes(z, n < max ? n : max, got);
}

/* For the harness's own checking code: no coverage feedback from it (it
 * would reward inputs for exercising the checker, and costs time). */
#define FZ_NOCOV __attribute__((no_sanitize("coverage")))

#define FZ_CHECK(cond)                                                                   \
	do {                                                                             \
		if (!(cond)) {                                                           \
			fprintf(stderr, "fuzz check failed: %s (%s:%d)\n", #cond, __FILE__, \
				__LINE__);                                               \
			abort();                                                         \
		}                                                                        \
	} while (0)

/* The library's log as the header comment says; call from LLVMFuzzerInitialize. */
static inline void fz_log_setup(void)
{
	const char *how = getenv("FUZZ_LOG");

	if (how && !strcmp(how, "off"))
		log_configure(LOG_OFF, -1);
	else if (how && !strcmp(how, "stderr"))
		log_configure(LOG_TRACE, -1);
	else
		log_configure(LOG_TRACE, open("/dev/null", O_WRONLY | O_CLOEXEC));
}

#endif
