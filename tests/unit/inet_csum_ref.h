/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Internet checksum the slow way (RFC 1071: big-endian 16-bit words, an
 * odd last byte padded), for tests to check the device's fast one
 * (util/checksum.h) against something written independently.
 */
#ifndef LIBKRUN_TEST_INET_CSUM_REF_H
#define LIBKRUN_TEST_INET_CSUM_REF_H

#include <stddef.h>
#include <stdint.h>

/* s plus the sum of the n bytes at p, not folded. */
static inline uint32_t sum16(const uint8_t *p, size_t n, uint32_t s)
{
	for (size_t i = 0; i < n; i += 2)
		s += (uint32_t)p[i] << 8 | (i + 1 < n ? p[i + 1] : 0);
	return s;
}

static inline uint16_t fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

#endif
