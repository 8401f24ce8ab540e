/* SPDX-License-Identifier: Apache-2.0 */
/* Captures what the library logs during some API calls, for the API tests. */
#ifndef LIBKRUN_TEST_LOGCAP_H
#define LIBKRUN_TEST_LOGCAP_H

#include "harness.h"

#include <fcntl.h>
#include <unistd.h>

#include "libkrun.h"

struct logcap {
	int fd[2];
	char text[8192];
};

/* From here the log (level error and above) goes into a pipe. */
static inline void cap_start(struct logcap *c)
{
	CHECK(pipe2(c->fd, O_NONBLOCK) == 0);
	CHECK_EQ(krun_init_log(c->fd[1], KRUN_LOG_LEVEL_ERROR, KRUN_LOG_STYLE_NEVER,
			       KRUN_LOG_OPTION_NO_ENV), 0);
}

/* Puts the log back to the default and returns what was logged. */
static inline const char *cap_end(struct logcap *c)
{
	ssize_t n = read(c->fd[0], c->text, sizeof(c->text) - 1);
	c->text[n < 0 ? 0 : n] = '\0';
	krun_init_log(KRUN_LOG_TARGET_DEFAULT, KRUN_LOG_LEVEL_WARN, 0, KRUN_LOG_OPTION_NO_ENV);
	close(c->fd[0]);
	close(c->fd[1]);
	return c->text;
}

static inline uint32_t new_ctx(void)
{
	int ctx = krun_create_ctx();
	if (ctx < 0)
		harness_fail(__FILE__, __LINE__,
			     "krun_create_ctx: %d (is build/libkrunfw.so.5 built?)", ctx);
	return (uint32_t)ctx;
}

#endif
