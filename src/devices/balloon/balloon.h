/* SPDX-License-Identifier: Apache-2.0 */
/*
 * virtio-balloon (virtio 1.2 §5.5, device id 5) used only for free page
 * reporting: the guest hands over ranges of its free memory and the host drops
 * their backing pages, so memory the guest freed stops costing the host RSS.
 *
 * Offered: VIRTIO_BALLOON_F_FREE_PAGE_REPORTING (and VERSION_1), nothing else.
 * The balloon itself never moves: num_pages reads 0, so a driver has no reason
 * to inflate; buffers it puts on inflateq/deflateq anyway are completed unused.
 *
 * Reported ranges arrive as the chain's device-writable segments (vq_pop has
 * checked each against guest RAM); each is trimmed inward to whole host pages
 * and released with gmem_discard (MADV_DONTNEED on private RAM, MADV_REMOVE on
 * the shared RAM vhost-user needs: src/vmm/gmem.h), so a released page costs
 * nothing until the guest touches it again, and then reads back as zero.
 *
 * Threads: queue work runs on the event-loop thread (ops->queue_notify) under
 * the device's own lock; config space, activate and reset on vCPU threads.
 */
#ifndef LIBKRUN_DEVICES_BALLOON_H
#define LIBKRUN_DEVICES_BALLOON_H

#include "virtio/mmio.h"

#define VIRTIO_BALLOON_F_FREE_PAGE_REPORTING 5 /* §5.5.3 */

/* Queue indexes with only FREE_PAGE_REPORTING negotiated (balloon.c says why). */
#define BALLOON_INFLATEQ 0
#define BALLOON_DEFLATEQ 1
#define BALLOON_REPORTINGQ 2
#define BALLOON_NUM_QUEUES 3
#define BALLOON_QUEUE_SIZE 128 /* Linux needs >= 32 (PAGE_REPORTING_CAPACITY) */

/* Creates the device (transport fields zeroed, ops/priv set). NULL on error (logged). */
struct virtio_dev *balloon_create(void);

#endif
