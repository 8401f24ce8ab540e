/* SPDX-License-Identifier: Apache-2.0 */
#include "vmm/evloop.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "util/log.h"
#include "vmm/seccomp.h"

#define EVLOOP_BATCH 32
#define EVLOOP_STOP_KEY UINT64_MAX

/*
 * epoll data is (generation << 32 | slot). A slot's generation changes when it
 * is deleted, so an event already fetched for a deleted (or deleted and re-added)
 * fd no longer matches and is dropped instead of calling a stale handler.
 */
struct evloop_entry {
	int fd; /* -1: free slot */
	uint32_t gen;
	evloop_fn fn;
	void *arg;
};

struct evloop {
	int epfd, stopfd;
	pthread_t thread;
	bool running;
	pthread_mutex_t lock; /* guards everything below and the entries */
	pthread_cond_t idle;  /* signalled when a handler returns, or the thread is set up */
	bool stopping;
	bool thread_ready; /* the thread is under its filter (or failed: thread_err) */
	int thread_err;
	long current; /* slot whose handler runs now, or -1 */
	struct evloop_entry *entry;
	size_t nentries;
};

struct evloop *evloop_create(void)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = EVLOOP_STOP_KEY };
	struct evloop *l = calloc(1, sizeof(*l));

	if (!l)
		goto err;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0)
		goto err_free;
	l->stopfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (l->stopfd < 0)
		goto err_epoll;
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, l->stopfd, &ev) < 0)
		goto err_stopfd;
	pthread_mutex_init(&l->lock, NULL);
	pthread_cond_init(&l->idle, NULL);
	l->current = -1;
	return l;

err_stopfd:
	close(l->stopfd);
err_epoll:
	close(l->epfd);
err_free:
	free(l);
err:
	log_error("evloop: cannot create the event loop: %s", strerror(errno));
	return NULL;
}

void evloop_destroy(struct evloop *l)
{
	if (!l)
		return;
	evloop_stop(l);
	close(l->stopfd);
	close(l->epfd);
	pthread_cond_destroy(&l->idle);
	pthread_mutex_destroy(&l->lock);
	free(l->entry);
	free(l);
}

/* The slot holding fd (-1 finds a free one), or -ENOENT. */
static long find_slot(const struct evloop *l, int fd)
{
	for (size_t i = 0; i < l->nentries; i++)
		if (l->entry[i].fd == fd)
			return (long)i;
	return -ENOENT;
}

/* The slot of a registered fd, under the lock that the caller then holds. */
static long lock_slot(struct evloop *l, int fd)
{
	pthread_mutex_lock(&l->lock);
	return fd < 0 ? -ENOENT : find_slot(l, fd);
}

static uint64_t slot_key(const struct evloop *l, long slot)
{
	return (uint64_t)l->entry[slot].gen << 32 | (uint64_t)slot;
}

/* A free slot, growing the table if needed; -ENOMEM. Lock held. */
static long alloc_slot(struct evloop *l)
{
	long slot = find_slot(l, -1);
	struct evloop_entry *grown;
	size_t n;

	if (slot >= 0)
		return slot;
	n = l->nentries ? 2 * l->nentries : 8;
	grown = realloc(l->entry, n * sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	for (size_t i = l->nentries; i < n; i++)
		grown[i] = (struct evloop_entry){ .fd = -1 };
	slot = (long)l->nentries;
	l->entry = grown;
	l->nentries = n;
	return slot;
}

int evloop_add(struct evloop *l, int fd, uint32_t events, evloop_fn fn, void *arg)
{
	struct epoll_event ev = { .events = events };
	long slot;
	int r = 0;

	if (fd < 0 || !fn)
		return -EINVAL;
	pthread_mutex_lock(&l->lock);
	if (find_slot(l, fd) >= 0) {
		r = -EEXIST;
		goto out;
	}
	slot = alloc_slot(l);
	if (slot < 0) {
		r = (int)slot;
		goto out;
	}
	ev.data.u64 = slot_key(l, slot);
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		r = -errno;
		goto out;
	}
	l->entry[slot].fd = fd;
	l->entry[slot].fn = fn;
	l->entry[slot].arg = arg;
out:
	pthread_mutex_unlock(&l->lock);
	return r;
}

int evloop_mod(struct evloop *l, int fd, uint32_t events)
{
	struct epoll_event ev = { .events = events };
	long slot;
	int r = 0;

	slot = lock_slot(l, fd);
	if (slot < 0) {
		r = (int)slot;
		goto out;
	}
	ev.data.u64 = slot_key(l, slot);
	if (epoll_ctl(l->epfd, EPOLL_CTL_MOD, fd, &ev) < 0)
		r = -errno;
out:
	pthread_mutex_unlock(&l->lock);
	return r;
}

int evloop_del(struct evloop *l, int fd)
{
	long slot;
	int r = 0;

	slot = lock_slot(l, fd);
	if (slot < 0) {
		r = (int)slot;
		goto out;
	}
	if (epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL) < 0)
		r = -errno; /* e.g. fd already closed: forget it all the same */
	l->entry[slot] = (struct evloop_entry){ .fd = -1, .gen = l->entry[slot].gen + 1 };
	/* From another thread: once del returns, the handler is not running, so
	 * the caller may free its argument. */
	while (l->running && l->current == slot && !pthread_equal(pthread_self(), l->thread))
		pthread_cond_wait(&l->idle, &l->lock);
out:
	pthread_mutex_unlock(&l->lock);
	return r;
}

/* Runs the handler behind key if it is still registered under that key. Returns
 * false when the loop is asked to stop. */
static bool dispatch(struct evloop *l, uint64_t key, uint32_t events)
{
	long slot = (long)(uint32_t)key;
	evloop_fn fn;
	void *arg;

	pthread_mutex_lock(&l->lock);
	if (l->stopping) {
		pthread_mutex_unlock(&l->lock);
		return false;
	}
	if (key == EVLOOP_STOP_KEY || (size_t)slot >= l->nentries || l->entry[slot].fd < 0 ||
	    slot_key(l, slot) != key) {
		pthread_mutex_unlock(&l->lock);
		return true;
	}
	fn = l->entry[slot].fn;
	arg = l->entry[slot].arg;
	l->current = slot;
	pthread_mutex_unlock(&l->lock);

	fn(arg, events);

	pthread_mutex_lock(&l->lock);
	l->current = -1;
	pthread_cond_broadcast(&l->idle);
	pthread_mutex_unlock(&l->lock);
	return true;
}

static void *evloop_thread(void *opaque)
{
	struct evloop *l = opaque;
	struct epoll_event ev[EVLOOP_BATCH];
	int r;

	pthread_setname_np(pthread_self(), "krun-evloop");
	/* Before the first event: every handler serves what the guest sent. */
	r = seccomp_enter(VMM_SECCOMP_EVLOOP);
	pthread_mutex_lock(&l->lock);
	l->thread_ready = true;
	l->thread_err = r;
	pthread_cond_broadcast(&l->idle);
	pthread_mutex_unlock(&l->lock);
	if (r < 0)
		return NULL;
	for (;;) {
		int n = epoll_wait(l->epfd, ev, EVLOOP_BATCH, -1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			log_error("evloop: epoll_wait: %s", strerror(errno));
			return NULL;
		}
		for (int i = 0; i < n; i++)
			if (!dispatch(l, ev[i].data.u64, ev[i].events))
				return NULL;
	}
}

int evloop_start(struct evloop *l)
{
	int r;

	pthread_mutex_lock(&l->lock);
	if (l->running) {
		pthread_mutex_unlock(&l->lock);
		return -EBUSY;
	}
	l->stopping = false;
	l->thread_ready = false;
	r = -pthread_create(&l->thread, NULL, evloop_thread, l);
	if (r < 0) {
		pthread_mutex_unlock(&l->lock);
		log_error("evloop: cannot start its thread: %s", strerror(-r));
		return r;
	}
	while (!l->thread_ready)
		pthread_cond_wait(&l->idle, &l->lock);
	r = l->thread_err;
	l->running = r == 0;
	pthread_mutex_unlock(&l->lock);
	if (r < 0)
		pthread_join(l->thread, NULL); /* it returned: logged there */
	return r;
}

void evloop_stop(struct evloop *l)
{
	uint64_t one = 1, drained;

	pthread_mutex_lock(&l->lock);
	if (!l->running) {
		pthread_mutex_unlock(&l->lock);
		return;
	}
	l->stopping = true;
	pthread_mutex_unlock(&l->lock);
	/* A full counter (EAGAIN) still wakes the loop. */
	if (write(l->stopfd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		log_error("evloop: cannot wake the loop: %s", strerror(errno));
	pthread_join(l->thread, NULL);
	if (read(l->stopfd, &drained, sizeof(drained)) < 0 && errno != EAGAIN)
		log_debug("evloop: draining the stop eventfd: %s", strerror(errno));
	pthread_mutex_lock(&l->lock);
	l->running = false;
	pthread_mutex_unlock(&l->lock);
}
