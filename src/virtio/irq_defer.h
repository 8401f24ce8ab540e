/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A used-buffer interrupt that may wait a little: a device whose completions
 * the driver does not need at once (virtio-net's pure ACKs, vsock's
 * header-only packets) owes the interrupt instead of sending it; the next
 * interrupt the device sends anyway pays it (one interrupt line per device,
 * virtio 1.2 §4.2.3.4: the used-buffer bit covers every queue), or a timer
 * on the event loop does, within the delay given.
 *
 * owe and paid may be called from any thread; the timer runs on the loop.
 * Without a timer (none could be made) owe interrupts at once.
 */
#ifndef LIBKRUN_VIRTIO_IRQ_DEFER_H
#define LIBKRUN_VIRTIO_IRQ_DEFER_H

#include <stdatomic.h>

#include "virtio/mmio.h"
#include "vmm/evloop.h"

struct irq_defer {
	struct virtio_dev *dev;
	struct evloop *loop;
	int timer; /* timerfd on the loop; -1: none */
	long delay_ns;
	atomic_bool owed;
};

/* Sets d up for dev; 0 always: a missing timer only means no deferring. */
void irq_defer_init(struct irq_defer *d, struct virtio_dev *dev, struct evloop *loop,
		    long delay_ns);
void irq_defer_fini(struct irq_defer *d);
/* The interrupt is owed: sent within delay_ns unless paid before. */
void irq_defer_owe(struct irq_defer *d);
/* The device sent (or, at reset, no longer owes) an interrupt: nothing owed. */
void irq_defer_paid(struct irq_defer *d);

#endif
