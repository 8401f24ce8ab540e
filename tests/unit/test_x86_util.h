/* SPDX-License-Identifier: Apache-2.0 */
/* Helpers shared by the x86 arch unit tests (tests/unit/test_x86_*.c). */
#ifndef LIBKRUN_TEST_X86_UTIL_H
#define LIBKRUN_TEST_X86_UTIL_H

#include <stdint.h>
#include <string.h>

#include "arch/x86_64/layout.h"
#include "arch/x86_64/x86.h"
#include "harness.h"
#include "vmm/gmem.h"

/* Guest RAM laid out as the VMM does it (MAP_NORESERVE: untouched pages cost nothing). */
static inline void x86_test_mem(struct gmem *m, uint64_t ram)
{
	struct gmem_region r[GMEM_MAX_REGIONS];
	unsigned int n = 0;

	CHECK_EQ(arch_ram_layout(ram, r, &n), 0);
	CHECK_EQ(gmem_create(m, r, n), 0);
}

static inline uint8_t *x86_test_at(const struct gmem *m, uint64_t gpa, uint64_t len)
{
	uint8_t *p = gmem_ptr(m, gpa, len);

	CHECK(p != NULL);
	return p;
}

static inline uint64_t x86_test_u64(const struct gmem *m, uint64_t gpa)
{
	uint64_t v;

	memcpy(&v, x86_test_at(m, gpa, sizeof(v)), sizeof(v));
	return v;
}

static inline uint8_t x86_test_sum(const uint8_t *p, size_t n)
{
	uint8_t s = 0;

	while (n--)
		s = (uint8_t)(s + *p++);
	return s;
}

#endif
