/* SPDX-License-Identifier: Apache-2.0 */
/* The harness's runner; see harness.h for the contract. */
#include "harness.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdlib.h>

#define HARNESS_MAX_TESTS 512

struct harness_test {
	const char *name;
	harness_fn fn;
};

static struct harness_test tests[HARNESS_MAX_TESTS];
static unsigned int ntests;
static jmp_buf test_jmp;

enum { OUTCOME_FAIL = 1, OUTCOME_SKIP = 2 };

void harness_register(const char *name, harness_fn fn)
{
	if (ntests == HARNESS_MAX_TESTS) {
		fprintf(stderr, "harness: more than %d tests\n", HARNESS_MAX_TESTS);
		abort();
	}
	tests[ntests].name = name;
	tests[ntests].fn = fn;
	ntests++;
}

void harness_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	printf("  %s:%d: ", file, line);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	longjmp(test_jmp, OUTCOME_FAIL);
}

void harness_skip(const char *fmt, ...)
{
	va_list ap;

	printf("  skipped: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	longjmp(test_jmp, OUTCOME_SKIP);
}

static int selected(const char *name, int argc, char **argv)
{
	if (argc < 2)
		return 1;
	for (int i = 1; i < argc; i++)
		if (strstr(name, argv[i]))
			return 1;
	return 0;
}

/* Kept apart from main so that no local of main lives across setjmp. */
static int run_one(harness_fn fn)
{
	int outcome = setjmp(test_jmp);
	if (outcome == 0)
		fn();
	return outcome;
}

int main(int argc, char **argv)
{
	unsigned int passed = 0, failed = 0, skipped = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (unsigned int i = 0; i < ntests; i++) {
		if (!selected(tests[i].name, argc, argv))
			continue;
		int outcome = run_one(tests[i].fn);
		if (outcome == 0) {
			printf("PASS %s\n", tests[i].name);
			passed++;
		} else if (outcome == OUTCOME_SKIP) {
			printf("SKIP %s\n", tests[i].name);
			skipped++;
		} else {
			printf("FAIL %s\n", tests[i].name);
			failed++;
		}
	}
	printf("%u passed, %u failed, %u skipped\n", passed, failed, skipped);
	return failed ? 1 : 0;
}
