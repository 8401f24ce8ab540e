/* SPDX-License-Identifier: Apache-2.0 */
#include "util/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

#include "api/state.h"

static const char *const level_names[] = {
	[LOG_ERROR] = "error", [LOG_WARN] = "warn", [LOG_INFO] = "info",
	[LOG_DEBUG] = "debug", [LOG_TRACE] = "trace",
};

void log_configure(enum log_level level, int fd)
{
	struct krun_state *st = krun_state();

	if (level > LOG_TRACE)
		level = LOG_TRACE;
	atomic_store(&st->log_level, (int)level);
	atomic_store(&st->log_fd, fd < 0 ? STDERR_FILENO : fd);
}

enum log_level log_get_level(void)
{
	return (enum log_level)atomic_load(&krun_state()->log_level);
}

void log_write(enum log_level level, const char *fmt, ...)
{
	struct krun_state *st = krun_state();
	char line[1024];
	va_list ap;
	int n, m;

	if (level == LOG_OFF || (int)level > atomic_load(&st->log_level))
		return;
	n = snprintf(line, sizeof(line), "libkrun: %s: ", level_names[level]);
	va_start(ap, fmt);
	m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (m < 0)
		return;
	n += m;
	if ((size_t)n > sizeof(line) - 2)
		n = sizeof(line) - 2; /* truncated: keep the newline */
	line[n++] = '\n';
	/* One write per line so that lines from several threads do not interleave. */
	if (write(atomic_load(&st->log_fd), line, (size_t)n) < 0)
		return;
}
