/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A tiny unit-test harness. Each tests/unit/test_*.c file is one program:
 *
 *   TEST(fs_lookup_rejects_dotdot) { CHECK_EQ(fuse_lookup(...), -EPERM); }
 *
 * Tests register themselves at load time and run in file order. Output, one line each:
 *   PASS name | FAIL name: file:line: message | SKIP name: reason
 * and a closing "N passed, N failed, N skipped". The exit status is 1 if any test
 * failed. `prog NAME...` runs only the named tests (substring match).
 *
 * A failed CHECK ends the current test (longjmp), so a test body can assume that
 * every CHECK before the current line held. Tests must not share state.
 */
#ifndef LIBKRUN_TEST_HARNESS_H
#define LIBKRUN_TEST_HARNESS_H

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

typedef void (*harness_fn)(void);

void harness_register(const char *name, harness_fn fn);
void harness_fail(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4), noreturn));
void harness_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#define TEST(name)                                                             \
	static void name(void);                                                \
	__attribute__((constructor)) static void harness_reg_##name(void)      \
	{                                                                      \
		harness_register(#name, name);                                 \
	}                                                                      \
	static void name(void)

#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond))                                                   \
			harness_fail(__FILE__, __LINE__, "CHECK(%s)", #cond);  \
	} while (0)

#define CHECK_EQ(a, b)                                                         \
	do {                                                                   \
		long long harness_a_ = (long long)(a);                         \
		long long harness_b_ = (long long)(b);                         \
		if (harness_a_ != harness_b_)                                  \
			harness_fail(__FILE__, __LINE__,                       \
				     "%s == %lld, expected %s == %lld", #a,    \
				     harness_a_, #b, harness_b_);              \
	} while (0)

#define CHECK_STR_EQ(a, b)                                                     \
	do {                                                                   \
		const char *harness_a_ = (a), *harness_b_ = (b);               \
		if (!harness_a_ || !harness_b_ ||                              \
		    strcmp(harness_a_, harness_b_) != 0)                       \
			harness_fail(__FILE__, __LINE__,                       \
				     "%s == \"%s\", expected \"%s\"", #a,      \
				     harness_a_ ? harness_a_ : "(null)",       \
				     harness_b_ ? harness_b_ : "(null)");      \
	} while (0)

#define SKIP(...) harness_skip(__VA_ARGS__)

#endif
