/* SPDX-License-Identifier: Apache-2.0 */
#include "api/term.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "api/state.h"
#include "util/log.h"

static const int fatal_signals[] = { SIGHUP, SIGINT, SIGQUIT, SIGTERM,
				     SIGABRT, SIGSEGV, SIGBUS, SIGFPE, SIGILL };

void term_restore(void)
{
	struct krun_state *st = krun_state();
	int fd = atomic_exchange(&st->term_fd, -1);

	if (fd >= 0)
		tcsetattr(fd, TCSAFLUSH, &st->term_saved);
}

static void on_fatal_signal(int sig)
{
	term_restore();
	signal(sig, SIG_DFL);
	raise(sig);
}

int term_enter_raw(int fd)
{
	struct krun_state *st = krun_state();
	struct termios raw;
	struct sigaction sa;

	if (tcgetattr(fd, &st->term_saved) < 0)
		return -errno;
	raw = st->term_saved;
	cfmakeraw(&raw);
	atomic_store(&st->term_fd, fd);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_fatal_signal;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(fatal_signals) / sizeof(fatal_signals[0]); i++)
		sigaction(fatal_signals[i], &sa, NULL);
	if (tcsetattr(fd, TCSAFLUSH, &raw) < 0) {
		int r = -errno;
		atomic_store(&st->term_fd, -1);
		log_error("cannot put the terminal in raw mode: %s", strerror(-r));
		return r;
	}
	return 0;
}
