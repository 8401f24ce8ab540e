/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Checksums: the 8-bit one of firmware tables (MP spec 1.4 §4, SMBIOS
 * DSP0134 §5.2: a structure is valid when all its bytes sum to 0 modulo 256,
 * so its checksum byte is the negated sum of the others), and the Internet
 * checksum of IP, TCP and UDP headers (RFC 1071).
 */
#ifndef LIBKRUN_UTIL_CHECKSUM_H
#define LIBKRUN_UTIL_CHECKSUM_H

#include <endian.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* The sum of n bytes at p, modulo 256. */
static inline uint8_t byte_sum(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint8_t s = 0;

	while (n--)
		s = (uint8_t)(s + *b++);
	return s;
}

/* RFC 1071: a 64-bit sum of 16-bit words folded to 16 bits, end-around carry. */
static inline uint16_t inet_fold(uint64_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/*
 * RFC 1071: sum plus the ones' complement sum of the n bytes at p read as
 * big-endian 16-bit words, an odd last byte padded with a zero. Not folded,
 * so calls chain (a pseudo-header, a header, a payload) as long as each piece
 * but the last has an even length. The words are added in host order, 32 bits
 * at a time, and swapped once at the end: the sum does not depend on the byte
 * order (RFC 1071 §2(B)).
 */
static inline uint32_t inet_sum(const void *p, size_t n, uint32_t sum)
{
	const uint8_t *b = p;
	uint64_t acc = 0;
	uint32_t w;
	uint16_t h;

	for (; n >= 4; n -= 4, b += 4) {
		memcpy(&w, b, 4);
		acc += w;
	}
	if (n >= 2) {
		memcpy(&h, b, 2);
		acc += h;
		b += 2;
		n -= 2;
	}
	if (n) {
		const uint8_t last[2] = { *b, 0 };

		memcpy(&h, last, 2);
		acc += h;
	}
	return sum + be16toh(inet_fold(acc));
}

/* The checksum field's value for a sum: folded and inverted. */
static inline uint16_t inet_csum(uint32_t sum)
{
	return (uint16_t)~inet_fold(sum);
}

#endif
