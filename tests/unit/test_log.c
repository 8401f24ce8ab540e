/* SPDX-License-Identifier: Apache-2.0 */
#include "harness.h"

#include <unistd.h>

#include "util/log.h"

static size_t capture(enum log_level level, enum log_level msg_level, char *buf, size_t len)
{
	int p[2];
	CHECK(pipe(p) == 0);
	log_configure(level, p[1]);
	log_write(msg_level, "value=%d %s", 42, "x");
	log_configure(LOG_WARN, -1);
	close(p[1]);
	ssize_t n = read(p[0], buf, len - 1);
	close(p[0]);
	buf[n < 0 ? 0 : n] = '\0';
	return n < 0 ? 0 : (size_t)n;
}

TEST(log_writes_one_prefixed_line_at_or_below_the_level)
{
	char buf[256];
	capture(LOG_INFO, LOG_WARN, buf, sizeof(buf));
	CHECK_STR_EQ(buf, "libkrun: warn: value=42 x\n");
}

TEST(log_drops_messages_above_the_level)
{
	char buf[256];
	CHECK_EQ(capture(LOG_WARN, LOG_DEBUG, buf, sizeof(buf)), 0);
	CHECK_EQ(capture(LOG_OFF, LOG_ERROR, buf, sizeof(buf)), 0);
}

TEST(log_truncates_long_lines_but_keeps_the_newline)
{
	int p[2];
	char big[4096], buf[4096];
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	CHECK(pipe(p) == 0);
	log_configure(LOG_ERROR, p[1]);
	log_error("%s", big);
	log_configure(LOG_WARN, -1);
	close(p[1]);
	ssize_t n = read(p[0], buf, sizeof(buf));
	close(p[0]);
	CHECK(n > 100 && n <= 1024);
	CHECK_EQ(buf[n - 1], '\n');
}

TEST(log_clamps_levels_above_trace)
{
	log_configure((enum log_level)99, -1);
	CHECK_EQ(log_get_level(), LOG_TRACE);
	log_configure(LOG_WARN, -1);
}
