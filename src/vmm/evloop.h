/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The device event loop: one epoll set served by one thread. Handlers run on that
 * thread, one at a time, and must not block.
 */
#ifndef LIBKRUN_VMM_EVLOOP_H
#define LIBKRUN_VMM_EVLOOP_H

#include <stdbool.h>
#include <stdint.h>

typedef void (*evloop_fn)(void *arg, uint32_t events);

struct evloop;

/* Returns NULL (and logs) on failure. */
struct evloop *evloop_create(void);
/* Stops and joins the thread if running, then frees. Handlers are not called after. */
void evloop_destroy(struct evloop *l);

/* Watches fd for events (EPOLLIN, EPOLLOUT, ...). One registration per fd. May be
 * called from any thread, also from a handler. 0 or -errno. */
int evloop_add(struct evloop *l, int fd, uint32_t events, evloop_fn fn, void *arg);
int evloop_mod(struct evloop *l, int fd, uint32_t events);
/* After evloop_del returns, fd's handler is not called again; called from another
 * thread, it first waits for a run of that handler in progress to return (so do
 * not hold a lock that handler takes). */
int evloop_del(struct evloop *l, int fd);

/* Starts the loop thread. 0 or -errno. */
int evloop_start(struct evloop *l);
/* Asks the loop to stop after the current handler and waits for it. Not from a handler. */
void evloop_stop(struct evloop *l);

#endif
