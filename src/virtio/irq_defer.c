/* SPDX-License-Identifier: Apache-2.0 */
/* A used-buffer interrupt that may wait (irq_defer.h says when and why). */
#include "virtio/irq_defer.h"

#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "util/log.h"

/* Event loop thread: the owed interrupt's deadline. */
static void irq_defer_on_timer(void *arg, uint32_t events)
{
	struct irq_defer *d = arg;
	uint64_t expirations;

	(void)events;
	if (read(d->timer, &expirations, sizeof(expirations)) < 0 && errno != EAGAIN)
		log_debug("virtio: deferred interrupt timer: %s", strerror(errno));
	if (atomic_exchange(&d->owed, false))
		virtio_signal_used(d->dev);
}

void irq_defer_init(struct irq_defer *d, struct virtio_dev *dev, struct evloop *loop,
		    long delay_ns)
{
	d->dev = dev;
	d->loop = loop;
	d->delay_ns = delay_ns;
	atomic_init(&d->owed, false);
	d->timer = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (d->timer >= 0 && evloop_add(loop, d->timer, EPOLLIN, irq_defer_on_timer, d) < 0) {
		close(d->timer);
		d->timer = -1;
	}
}

void irq_defer_fini(struct irq_defer *d)
{
	if (d->timer < 0)
		return;
	evloop_del(d->loop, d->timer);
	close(d->timer);
	d->timer = -1;
}

void irq_defer_owe(struct irq_defer *d)
{
	struct itimerspec its = { .it_value = { .tv_sec = d->delay_ns / 1000000000L,
						 .tv_nsec = d->delay_ns % 1000000000L } };

	/* Armed by the first debt only: later ones do not move the deadline. */
	if (atomic_exchange(&d->owed, true))
		return;
	if (d->timer >= 0 && timerfd_settime(d->timer, 0, &its, NULL) == 0)
		return;
	atomic_store(&d->owed, false);
	virtio_signal_used(d->dev);
}

void irq_defer_paid(struct irq_defer *d)
{
	atomic_store(&d->owed, false);
}
