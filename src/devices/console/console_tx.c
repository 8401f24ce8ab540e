/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Guest TX chains -> host fds (ports 0, 2, 3): one writer thread per output fd.
 *
 * Why threads and not O_NONBLOCK plus EPOLLOUT: the fds are the caller's, and
 * O_NONBLOCK lives in the open file description, shared with every process and
 * fd holding it. A terminal's stdin, stdout and stderr are usually one
 * description, so making it non-blocking would make our own log writes (and the
 * shell's, should we die before restoring it) fail with EAGAIN. A blocking write
 * on a thread of its own changes nothing, works the same for terminals, pipes,
 * sockets and regular files, and needs no restoring on any path.
 *
 * Each writer pops one chain, writes all of it, and only then completes it and
 * pops the next: at most one chain per port is out of the ring, bytes keep
 * their order, and a slow reader stalls the guest's queue (back-pressure). A
 * write error (EPIPE, EIO, ...) is logged once; later chains of that port are
 * completed unwritten, so the guest never hangs on a dead reader.
 *
 * Writers block every signal: SIGPIPE from a closed pipe stays pending on the
 * writer (and is consumed), not delivered to the process; other signals go to
 * the caller's threads.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>

#include "devices/console/console_priv.h"
#include "util/log.h"

static void tx_fail(struct console_port *p, int err)
{
	sigset_t pipe_set;
	const struct timespec zero = { 0 };

	log_warn("console: writing the output of port %u: %s; discarding the rest",
		 p->id, strerror(err));
	p->w.dead = true;
	if (err == EPIPE) {
		sigemptyset(&pipe_set);
		sigaddset(&pipe_set, SIGPIPE);
		sigtimedwait(&pipe_set, NULL, &zero);
	}
}

/* Writes the chain's readable bytes, all of them, unless the fd fails. */
static void tx_write(struct console_port *p, const struct vq_chain *ch)
{
	struct iovec iov[VQ_MAX_SEGS];
	uint64_t done = 0;

	while (done < ch->out_bytes) {
		uint64_t skip = done;
		unsigned int n = 0;
		ssize_t r;

		for (unsigned int i = 0; i < ch->nout; i++) {
			if (skip >= ch->seg[i].len) {
				skip -= ch->seg[i].len;
				continue;
			}
			iov[n].iov_base = ch->seg[i].host + skip;
			iov[n].iov_len = ch->seg[i].len - skip;
			skip = 0;
			n++;
		}
		r = writev(p->out_fd, iov, (int)n);
		if (r > 0) {
			done += (uint64_t)r;
		} else if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			/* The caller handed us a non-blocking fd: wait for room. */
			struct pollfd pfd = { .fd = p->out_fd, .events = POLLOUT };

			poll(&pfd, 1, -1);
		} else if (!(r < 0 && errno == EINTR)) {
			tx_fail(p, r < 0 ? errno : EIO);
			return;
		}
	}
}

static void *tx_thread(void *arg)
{
	struct console_port *p = arg;
	struct console *c = p->con;
	struct console_writer *w = &p->w;
	uint16_t qidx = console_txq(p->id);
	struct vq_chain ch;
	char name[16];

	/* Named like the VMM's other threads, so ps and /proc/PID/task say what
	 * each one is (PR_SET_NAME is in every thread's seccomp list). */
	snprintf(name, sizeof(name), "krun-con%u", p->id);
	pthread_setname_np(pthread_self(), name);
	pthread_mutex_lock(&c->lock);
	while (!w->stop) {
		struct vq *q = &c->dev->vq[qidx];
		bool signal = false;
		uint64_t gen;

		if (!w->kick) {
			pthread_cond_broadcast(&c->idle);
			pthread_cond_wait(&w->wake, &c->lock);
			continue;
		}
		if (!c->active || !vq_pop(q, &ch, &signal)) {
			w->kick = false;
			if (signal)
				console_signal(c, qidx);
			continue;
		}
		gen = w->gen;
		w->busy = true;
		pthread_mutex_unlock(&c->lock);
		if (!w->dead)
			tx_write(p, &ch);
		pthread_mutex_lock(&c->lock);
		w->busy = false;
		if (gen == w->gen) { /* else the device was reset meanwhile */
			vq_push(q, ch.head, 0);
			console_signal(c, qidx);
		}
	}
	pthread_mutex_unlock(&c->lock);
	return NULL;
}

int console_tx_start(struct console *c)
{
	sigset_t all, old;
	int r = 0;

	for (unsigned int i = 0; i < CONSOLE_MAX_PORTS; i++)
		pthread_cond_init(&c->port[i].w.wake, NULL);
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (unsigned int i = 0; i < CONSOLE_MAX_PORTS && r == 0; i++) {
		struct console_port *p = &c->port[i];

		if (p->out_fd < 0)
			continue;
		r = -pthread_create(&p->w.thread, NULL, tx_thread, p);
		p->w.started = r == 0;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r < 0)
		log_error("console: cannot start a writer thread: %s", strerror(-r));
	return r;
}

/* A writer blocked on an fd nobody reads cannot be stopped: destroy the device
 * only after console_flush returned, or before the guest ran. */
void console_tx_stop(struct console *c)
{
	pthread_mutex_lock(&c->lock);
	for (unsigned int i = 0; i < CONSOLE_MAX_PORTS; i++) {
		c->port[i].w.stop = true;
		pthread_cond_signal(&c->port[i].w.wake);
	}
	pthread_mutex_unlock(&c->lock);
	for (unsigned int i = 0; i < CONSOLE_MAX_PORTS; i++) {
		if (c->port[i].w.started)
			pthread_join(c->port[i].w.thread, NULL);
		c->port[i].w.started = false;
		pthread_cond_destroy(&c->port[i].w.wake);
	}
}

void console_tx_kick(struct console *c, unsigned int id)
{
	struct console_port *p = &c->port[id];
	uint16_t qidx = console_txq(id);
	struct vq_chain ch;
	bool signal = false;

	if (p->w.started) {
		p->w.kick = true;
		pthread_cond_signal(&p->w.wake);
		return;
	}
	/* No output behind this queue (console to nowhere, the stdin port, a port
	 * that does not exist): complete the chains unwritten. */
	while (c->active && vq_pop(&c->dev->vq[qidx], &ch, &signal)) {
		vq_push(&c->dev->vq[qidx], ch.head, 0);
		signal = true;
	}
	if (signal)
		console_signal(c, qidx);
}

void console_tx_reset(struct console *c)
{
	for (unsigned int i = 0; i < CONSOLE_MAX_PORTS; i++) {
		c->port[i].w.gen++;
		c->port[i].w.kick = false;
	}
}

void console_tx_drain(struct console *c)
{
	bool pending;

	for (unsigned int i = 0; i < CONSOLE_MAX_PORTS; i++)
		console_tx_kick(c, i);
	do {
		pending = false;
		for (unsigned int i = 0; i < CONSOLE_MAX_PORTS; i++) {
			const struct console_writer *w = &c->port[i].w;

			pending |= w->started && (w->kick || w->busy);
		}
		if (pending)
			pthread_cond_wait(&c->idle, &c->lock);
	} while (pending);
}
