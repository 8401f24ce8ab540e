/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The log rate limiter (src/util/ratelimit.h) on a clock the test drives, and
 * its use for lines a guest can repeat at will: a FUSE INIT the server
 * refuses, sent a hundred times, logs a handful of lines.
 */
#include "harness.h"
#include "fuse_req.h"
#include "logcap.h"

#include "util/ratelimit.h"

TEST(ratelimit_passes_a_burst_per_window_then_counts_what_it_held)
{
	struct ratelimit rl = RATELIMIT_INIT(1000, 3);
	uint64_t held = 99;

	for (int i = 0; i < 3; i++) {
		CHECK(ratelimit_pass_at(&rl, 5000 + (uint64_t)i, &held));
		CHECK_EQ(held, 0);
	}
	for (int i = 0; i < 10; i++)
		CHECK(!ratelimit_pass_at(&rl, 5100, &held));
	CHECK(!ratelimit_pass_at(&rl, 5999, &held)); /* the window is 1000 ms */
	CHECK(ratelimit_pass_at(&rl, 6000, &held));
	CHECK_EQ(held, 11); /* what was left out is said with the next line */
	CHECK(ratelimit_pass_at(&rl, 6001, &held));
	CHECK_EQ(held, 0);
}

TEST(ratelimit_opens_a_new_window_when_the_clock_goes_back)
{
	struct ratelimit rl = RATELIMIT_INIT(1000, 1);
	uint64_t held;

	CHECK(ratelimit_pass_at(&rl, 10000, &held));
	CHECK(!ratelimit_pass_at(&rl, 10500, &held));
	CHECK(ratelimit_pass_at(&rl, 2000, &held)); /* not held until 10000 + 1000 */
	CHECK_EQ(held, 1);
}

TEST(ratelimit_with_a_zero_burst_passes_nothing)
{
	struct ratelimit rl = RATELIMIT_INIT(1000, 0);
	uint64_t held;

	for (uint64_t t = 0; t < 5000; t += 100)
		CHECK(!ratelimit_pass_at(&rl, t, &held));
}

TEST(ratelimit_on_the_monotonic_clock_passes_the_first_burst)
{
	struct ratelimit rl = RATELIMIT_INIT(60000, 2);
	uint64_t held;

	CHECK(ratelimit_pass(&rl, &held));
	CHECK(ratelimit_pass(&rl, &held));
	CHECK(!ratelimit_pass(&rl, &held));
}

static unsigned int count(const char *text, const char *needle)
{
	unsigned int n = 0;

	for (const char *p = text; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

TEST(fs_refused_init_repeated_by_the_guest_logs_a_few_lines)
{
	struct fuse_init_in in = { .major = 7, .minor = 20 }; /* below FS_MIN_MINOR */
	struct logcap cap;
	struct fx x;
	unsigned int lines;

	fx_setup(&x);
	cap_start(&cap);
	for (int i = 0; i < 100; i++) {
		struct fr *r = fr_begin(&x, FUSE_INIT, 0);

		fr_put(r, &in, sizeof(in));
		CHECK_EQ(fx_send(&x, r), -EPROTO);
	}
	lines = count(cap_end(&cap), "guest speaks FUSE 7.20");
	fx_teardown(&x);
	if (lines == 0 || lines > 5)
		harness_fail(__FILE__, __LINE__, "%u lines for 100 refused INITs", lines);
}
