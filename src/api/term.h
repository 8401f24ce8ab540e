/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The caller's terminal while the guest owns it: raw mode (the guest's own tty
 * layer does line editing and echo), restored on every way out: normal exit,
 * and the signals that end a process by default (handlers restore, then
 * re-raise with the default action).
 */
#ifndef LIBKRUN_API_TERM_H
#define LIBKRUN_API_TERM_H

/* Puts fd in raw mode and installs the restoring signal handlers. 0 or -errno. */
int term_enter_raw(int fd);
/* Restores the saved mode, if any. Async-signal-safe. */
void term_restore(void);

#endif
