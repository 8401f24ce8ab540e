/* SPDX-License-Identifier: Apache-2.0 */
/*
 * virtio/irq_defer.h through a real event loop and an eventfd as the irqfd: an
 * owed interrupt arrives within its delay and not before, several debts make
 * one interrupt, a paid debt makes none, and the used-buffer bit is set.
 */
#include "harness.h"

#include <poll.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "virtio/irq_defer.h"

#define DELAY_NS 50000000L /* 50 ms: long enough to see "not yet" reliably */

static const struct virtio_dev_ops ops = { .name = "irq-defer-test" };

/* Interrupts counted on the irqfd within ms (0: none came). */
static uint64_t irqs_within(int irqfd, int ms)
{
	struct pollfd p = { .fd = irqfd, .events = POLLIN };
	uint64_t n = 0;

	if (poll(&p, 1, ms) == 1)
		CHECK_EQ(read(irqfd, &n, sizeof(n)), (ssize_t)sizeof(n));
	return n;
}

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

TEST(irq_defer_owed_interrupt_comes_once_after_its_delay_and_a_paid_one_never)
{
	struct virtio_dev dev = { .ops = &ops };
	struct evloop *loop = evloop_create();
	struct irq_defer d;
	double t0;

	CHECK(loop);
	dev.irqfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	CHECK(dev.irqfd >= 0);
	irq_defer_init(&d, &dev, loop, DELAY_NS);
	CHECK(d.timer >= 0);
	CHECK_EQ(evloop_start(loop), 0);

	/* Three debts: one interrupt, at the first one's deadline, not before. */
	t0 = now_ms();
	irq_defer_owe(&d);
	irq_defer_owe(&d);
	irq_defer_owe(&d);
	CHECK_EQ(irqs_within(dev.irqfd, 10), 0);
	CHECK_EQ(irqs_within(dev.irqfd, 5000), 1);
	CHECK(now_ms() - t0 >= DELAY_NS / 1e6 - 1);
	CHECK(__atomic_load_n(&dev.interrupt_status, __ATOMIC_SEQ_CST) & VIRTIO_INT_USED_RING);
	CHECK_EQ(irqs_within(dev.irqfd, 150), 0);

	/* Paid before the deadline (another interrupt went out): none at all. */
	irq_defer_owe(&d);
	irq_defer_paid(&d);
	CHECK_EQ(irqs_within(dev.irqfd, 150), 0);

	/* And a debt after that is owed afresh. */
	irq_defer_owe(&d);
	CHECK_EQ(irqs_within(dev.irqfd, 5000), 1);

	evloop_stop(loop);
	irq_defer_fini(&d);
	CHECK_EQ(d.timer, -1);
	evloop_destroy(loop);
	close(dev.irqfd);
}

TEST(irq_defer_without_a_timer_interrupts_at_once)
{
	struct virtio_dev dev = { .ops = &ops };
	struct irq_defer d = { .dev = &dev, .timer = -1, .delay_ns = DELAY_NS };

	dev.irqfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	CHECK(dev.irqfd >= 0);
	atomic_init(&d.owed, false);
	irq_defer_owe(&d);
	CHECK_EQ(irqs_within(dev.irqfd, 0), 1);
	CHECK(!atomic_load(&d.owed));
	close(dev.irqfd);
}
