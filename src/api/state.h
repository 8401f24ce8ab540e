/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The library's only mutable global: the table of configuration contexts and the
 * logging settings. Everything else hangs off a context.
 */
#ifndef LIBKRUN_API_STATE_H
#define LIBKRUN_API_STATE_H

#include <pthread.h>
#include <stdatomic.h>
#include <termios.h>

#include "vmm/krunfw.h"

#define KRUN_MAX_CTX 64

struct krun_ctx;

struct krun_state {
	pthread_mutex_t lock;            /* guards ctx[] */
	struct krun_ctx *ctx[KRUN_MAX_CTX]; /* id = index; NULL = free */
	atomic_int log_level;            /* enum log_level */
	atomic_int log_fd;
	/* The caller's terminal while krun_start_enter holds it in raw mode, so
	 * that a fatal signal can restore it (src/api/term.c). */
	atomic_int term_fd; /* -1: none */
	struct termios term_saved;
	/* The guest kernel bundle, opened while the library was being loaded
	 * (src/api/bundle.c) and read-only from then on; image NULL: not there,
	 * for the reason in krunfw_why. */
	struct krunfw krunfw;
	char krunfw_why[256];
};

struct krun_state *krun_state(void);

/* The bundle, or NULL with *why saying why it is not available. */
const struct krunfw *krun_bundle(const char **why);

#endif
