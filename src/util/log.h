/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Logging. One line per event, "libkrun: LEVEL: message", to the log fd (stderr
 * unless krun_init_log chose another). Levels follow the public API's
 * KRUN_LOG_LEVEL_* values. Safe from any thread; never allocates.
 *
 * The level and fd live in the library's one global state (src/api/state.c).
 */
#ifndef LIBKRUN_UTIL_LOG_H
#define LIBKRUN_UTIL_LOG_H

enum log_level {
	LOG_OFF = 0,
	LOG_ERROR = 1,
	LOG_WARN = 2,
	LOG_INFO = 3,
	LOG_DEBUG = 4,
	LOG_TRACE = 5,
};

/* Sets where log lines go. level > LOG_TRACE is clamped; fd < 0 means stderr. */
void log_configure(enum log_level level, int fd);
enum log_level log_get_level(void);

void log_write(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define log_error(...) log_write(LOG_ERROR, __VA_ARGS__)
#define log_warn(...) log_write(LOG_WARN, __VA_ARGS__)
#define log_info(...) log_write(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_write(LOG_DEBUG, __VA_ARGS__)
#define log_trace(...) log_write(LOG_TRACE, __VA_ARGS__)

#endif
