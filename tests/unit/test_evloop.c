/* SPDX-License-Identifier: Apache-2.0 */
#include "harness.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "vmm/evloop.h"

/* A watched eventfd and what its handler saw. */
struct watch {
	struct evloop *loop;
	int fd;
	atomic_int calls;
	pthread_t ran_on;
	int done_fd;         /* written once per call, for the test to wait on */
	struct watch *other; /* deleted by this handler, if set */
	int add_fd;          /* registered by this handler, if >= 0 */
	struct watch *add_watch;
};

static void on_event(void *arg, uint32_t events)
{
	struct watch *w = arg;
	uint64_t v, one = 1;

	(void)events;
	if (read(w->fd, &v, sizeof(v)) < 0)
		return;
	w->ran_on = pthread_self();
	if (w->other)
		evloop_del(w->loop, w->other->fd);
	if (w->add_fd >= 0)
		evloop_add(w->loop, w->add_fd, EPOLLIN, on_event, w->add_watch);
	atomic_fetch_add(&w->calls, 1);
	if (write(w->done_fd, &one, sizeof(one)) < 0)
		return;
}

static void watch_init(struct watch *w, struct evloop *l, int done_fd)
{
	memset(w, 0, sizeof(*w));
	w->loop = l;
	w->fd = eventfd(0, EFD_NONBLOCK);
	w->done_fd = done_fd;
	w->add_fd = -1;
	CHECK(w->fd >= 0);
}

static struct evloop *two_watches(struct watch *a, struct watch *b, int *done)
{
	struct evloop *l = evloop_create();

	*done = eventfd(0, 0);
	CHECK(l && *done >= 0);
	watch_init(a, l, *done);
	watch_init(b, l, *done);
	return l;
}

static void kick(int fd)
{
	uint64_t one = 1;
	CHECK_EQ(write(fd, &one, sizeof(one)), 8);
}

/* Waits up to 5 s for the done eventfd to count n calls. */
static void wait_done(int done_fd, uint64_t n)
{
	uint64_t total = 0, v;
	while (total < n) {
		struct pollfd p = { .fd = done_fd, .events = POLLIN };
		CHECK_EQ(poll(&p, 1, 5000), 1);
		CHECK_EQ(read(done_fd, &v, sizeof(v)), 8);
		total += v;
	}
}

TEST(evloop_runs_handlers_on_its_own_thread_until_stopped)
{
	struct evloop *l = evloop_create();
	int done = eventfd(0, 0);
	struct watch w;
	CHECK(l && done >= 0);
	watch_init(&w, l, done);
	CHECK_EQ(evloop_add(l, w.fd, EPOLLIN, on_event, &w), 0);
	CHECK_EQ(evloop_start(l), 0);
	CHECK_EQ(evloop_start(l), -EBUSY);
	kick(w.fd);
	wait_done(done, 1);
	CHECK(!pthread_equal(w.ran_on, pthread_self()));
	evloop_stop(l);
	kick(w.fd); /* stopped: nobody handles it */
	usleep(20000);
	CHECK_EQ(atomic_load(&w.calls), 1);
	CHECK_EQ(evloop_start(l), 0); /* restartable; the pending event is handled */
	wait_done(done, 1);
	CHECK_EQ(atomic_load(&w.calls), 2);
	evloop_destroy(l);
	close(w.fd);
	close(done);
}

TEST(evloop_rejects_duplicate_and_unknown_fds)
{
	struct evloop *l = evloop_create();
	struct watch w;
	CHECK(l);
	watch_init(&w, l, -1);
	CHECK_EQ(evloop_add(l, w.fd, EPOLLIN, on_event, &w), 0);
	CHECK_EQ(evloop_add(l, w.fd, EPOLLIN, on_event, &w), -EEXIST);
	CHECK_EQ(evloop_add(l, -1, EPOLLIN, on_event, &w), -EINVAL);
	CHECK_EQ(evloop_mod(l, w.fd, EPOLLIN | EPOLLOUT), 0);
	CHECK_EQ(evloop_del(l, w.fd), 0);
	CHECK_EQ(evloop_del(l, w.fd), -ENOENT);
	CHECK_EQ(evloop_mod(l, w.fd, EPOLLIN), -ENOENT);
	CHECK_EQ(evloop_add(l, w.fd, EPOLLIN, on_event, &w), 0); /* re-adding works */
	evloop_destroy(l);
	close(w.fd);
}

TEST(evloop_never_calls_a_handler_deleted_earlier_in_the_same_batch)
{
	struct watch a, b;
	int done;
	struct evloop *l = two_watches(&a, &b, &done);
	a.other = &b;
	b.other = &a;
	CHECK_EQ(evloop_add(l, a.fd, EPOLLIN, on_event, &a), 0);
	CHECK_EQ(evloop_add(l, b.fd, EPOLLIN, on_event, &b), 0);
	/* Both ready before the loop starts: one epoll_wait returns both. */
	kick(a.fd);
	kick(b.fd);
	CHECK_EQ(evloop_start(l), 0);
	wait_done(done, 1);
	usleep(20000);
	evloop_stop(l);
	CHECK_EQ(atomic_load(&a.calls) + atomic_load(&b.calls), 1);
	evloop_destroy(l);
	close(a.fd);
	close(b.fd);
	close(done);
}

TEST(evloop_handler_can_add_a_new_fd)
{
	struct watch a, b;
	int done;
	struct evloop *l = two_watches(&a, &b, &done);
	a.add_fd = b.fd;
	a.add_watch = &b;
	CHECK_EQ(evloop_add(l, a.fd, EPOLLIN, on_event, &a), 0);
	CHECK_EQ(evloop_start(l), 0);
	kick(a.fd);
	wait_done(done, 1);
	kick(b.fd);
	wait_done(done, 1);
	CHECK_EQ(atomic_load(&b.calls), 1);
	evloop_destroy(l);
	close(a.fd);
	close(b.fd);
	close(done);
}

/* A handler that blocks until released, to catch evloop_del mid-call. */
struct slow {
	int fd, entered_fd, release_fd;
	atomic_int finished;
};

static void on_slow(void *arg, uint32_t events)
{
	struct slow *s = arg;
	uint64_t v, one = 1;
	struct pollfd p = { .fd = s->release_fd, .events = POLLIN };

	(void)events;
	if (read(s->fd, &v, sizeof(v)) < 0 || write(s->entered_fd, &one, sizeof(one)) < 0)
		return;
	poll(&p, 1, 5000);
	atomic_store(&s->finished, 1);
}

static void *release_later(void *arg)
{
	struct slow *s = arg;
	uint64_t one = 1;

	usleep(50000);
	if (write(s->release_fd, &one, sizeof(one)) < 0)
		return NULL;
	return NULL;
}

TEST(evloop_del_from_another_thread_waits_for_the_running_handler)
{
	struct evloop *l = evloop_create();
	struct slow s = { .fd = eventfd(0, EFD_NONBLOCK), .entered_fd = eventfd(0, 0),
			  .release_fd = eventfd(0, 0) };
	pthread_t t;
	CHECK(l && s.fd >= 0 && s.entered_fd >= 0 && s.release_fd >= 0);
	CHECK_EQ(evloop_add(l, s.fd, EPOLLIN, on_slow, &s), 0);
	CHECK_EQ(evloop_start(l), 0);
	kick(s.fd);
	wait_done(s.entered_fd, 1);
	CHECK_EQ(pthread_create(&t, NULL, release_later, &s), 0);
	CHECK_EQ(evloop_del(l, s.fd), 0);
	CHECK_EQ(atomic_load(&s.finished), 1);
	pthread_join(t, NULL);
	evloop_destroy(l);
	close(s.fd);
	close(s.entered_fd);
	close(s.release_fd);
}

TEST(evloop_destroy_without_start_is_clean)
{
	struct evloop *l = evloop_create();
	CHECK(l);
	evloop_stop(l);
	evloop_destroy(l);
	evloop_destroy(NULL);
}
