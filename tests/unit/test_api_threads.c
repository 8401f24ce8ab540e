/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The API from several threads at once: krun_free_ctx racing krun_set_* on
 * the same context id (each call holds its context: no call writes into a
 * freed one, which ASan would report), and calls on one context made one at
 * a time (none of two threads' additions lost).
 */
#include "harness.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

#include "api/ctx.h"
#include "libkrun.h"

#define SETTERS 4
#define ROUNDS 200
#define BIG_ARGV 2000 /* a long copy inside krun_set_exec: a wide window for a free */

struct race {
	atomic_int id; /* the context the setters aim at, -1: between rounds */
	atomic_bool stop;
	atomic_long calls, bad;
	const char **argv;
};

static void check_rc(struct race *r, int rc)
{
	atomic_fetch_add(&r->calls, 1);
	if (rc != 0 && rc != -ENOENT)
		atomic_fetch_add(&r->bad, 1);
}

static void *setter(void *arg)
{
	struct race *r = arg;
	static const char *const env[] = { "A=1", "B=2", NULL };

	while (!atomic_load(&r->stop)) {
		int id = atomic_load(&r->id);

		if (id < 0)
			continue;
		check_rc(r, krun_set_exec((uint32_t)id, "/bin/sh", r->argv, env));
		check_rc(r, krun_set_workdir((uint32_t)id, "/tmp"));
		check_rc(r, krun_set_env((uint32_t)id, env));
		check_rc(r, krun_setuid((uint32_t)id, 1000));
		check_rc(r, krun_set_kernel_console((uint32_t)id, "ttyS0"));
	}
	return NULL;
}

TEST(api_free_ctx_racing_set_calls_never_touches_a_freed_context)
{
	struct race r = { .id = -1 };
	pthread_t t[SETTERS];

	krun_set_log_level(KRUN_LOG_LEVEL_OFF); /* thousands of "unknown context id" */
	r.argv = calloc(BIG_ARGV + 1, sizeof(*r.argv));
	CHECK(r.argv);
	for (int i = 0; i < BIG_ARGV; i++)
		r.argv[i] = "an argument of some length, copied by krun_set_exec";
	for (int i = 0; i < SETTERS; i++)
		CHECK_EQ(pthread_create(&t[i], NULL, setter, &r), 0);
	for (int round = 0; round < ROUNDS; round++) {
		int id = krun_create_ctx();
		long until = atomic_load(&r.calls) + 1 + round % 5;

		CHECK(id >= 0);
		atomic_store(&r.id, id);
		/* Free while the setters are at it: after a few of their calls. */
		while (atomic_load(&r.calls) < until)
			sched_yield();
		CHECK_EQ(krun_free_ctx((uint32_t)id), 0);
		CHECK_EQ(krun_free_ctx((uint32_t)id), -ENOENT);
		atomic_store(&r.id, -1);
	}
	atomic_store(&r.stop, true);
	for (int i = 0; i < SETTERS; i++)
		pthread_join(t[i], NULL);
	free(r.argv);
	krun_set_log_level(KRUN_LOG_LEVEL_WARN);
	CHECK_EQ(atomic_load(&r.bad), 0);
	CHECK(atomic_load(&r.calls) > 0);
}

/* A thread's job on context ctx: adding ports from first_port (n: how many
 * it added), or freeing the context (rc, and n = 1 once done). */
struct job {
	uint32_t ctx, first_port;
	atomic_int n;
	int rc;
};

static void *add_ports(void *arg)
{
	struct job *j = arg;

	for (uint32_t p = 0; p < KRUN_MAX_VSOCK_PORTS / 2; p++)
		if (krun_add_vsock_port(j->ctx, j->first_port + p, "/tmp/x.sock") == 0)
			atomic_fetch_add(&j->n, 1);
	return NULL;
}

static void *free_it(void *arg)
{
	struct job *j = arg;

	j->rc = krun_free_ctx(j->ctx);
	atomic_store(&j->n, 1);
	return NULL;
}

TEST(api_calls_on_one_context_run_one_at_a_time)
{
	int id = krun_create_ctx();
	struct job a = { .first_port = 1000 }, b = { .first_port = 2000 };
	struct krun_ctx *ctx;
	pthread_t ta, tb;

	CHECK(id >= 0);
	a.ctx = b.ctx = (uint32_t)id;
	CHECK_EQ(pthread_create(&ta, NULL, add_ports, &a), 0);
	CHECK_EQ(pthread_create(&tb, NULL, add_ports, &b), 0);
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	CHECK_EQ(a.n + b.n, KRUN_MAX_VSOCK_PORTS);
	ctx = ctx_hold((uint32_t)id);
	CHECK(ctx);
	CHECK_EQ(ctx->nvsock_ports, KRUN_MAX_VSOCK_PORTS);
	for (unsigned int i = 0; i < ctx->nvsock_ports; i++)
		CHECK(ctx->vsock_ports[i].path != NULL);
	ctx_put(ctx);
	CHECK_EQ(krun_free_ctx((uint32_t)id), 0);
}

TEST(api_free_ctx_waits_for_a_call_in_progress)
{
	int id = krun_create_ctx();
	struct job f = { 0 };
	struct krun_ctx *ctx;
	pthread_t t;

	CHECK(id >= 0);
	f.ctx = (uint32_t)id;
	ctx = ctx_hold(f.ctx); /* as a call in progress holds it */
	CHECK(ctx);
	CHECK_EQ(pthread_create(&t, NULL, free_it, &f), 0);
	usleep(200 * 1000);
	CHECK_EQ(atomic_load(&f.n), 0);
	/* Out of the table already: a new call does not find it. */
	krun_set_log_level(KRUN_LOG_LEVEL_OFF);
	CHECK_EQ(krun_set_workdir(f.ctx, "/tmp"), -ENOENT);
	krun_set_log_level(KRUN_LOG_LEVEL_WARN);
	ctx->nvcpus = 3; /* still the holder's to use */
	ctx_put(ctx);
	pthread_join(t, NULL);
	CHECK_EQ(f.rc, 0);
	CHECK_EQ(atomic_load(&f.n), 1);
}
