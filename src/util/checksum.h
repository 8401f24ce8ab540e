/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The 8-bit checksum of firmware tables (MP spec 1.4 §4, SMBIOS DSP0134
 * §5.2): a structure is valid when all its bytes sum to 0 modulo 256, so its
 * checksum byte is the negated sum of the others.
 */
#ifndef LIBKRUN_UTIL_CHECKSUM_H
#define LIBKRUN_UTIL_CHECKSUM_H

#include <stddef.h>
#include <stdint.h>

/* The sum of n bytes at p, modulo 256. */
static inline uint8_t byte_sum(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint8_t s = 0;

	while (n--)
		s = (uint8_t)(s + *b++);
	return s;
}

#endif
