/* SPDX-License-Identifier: Apache-2.0 */
/* virtio-balloon free page reporting (virtio 1.2 §5.5); the contract is in balloon.h. */
#include "devices/balloon/balloon.h"

#include <endian.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "util/log.h"
#include "vmm/gmem.h"

/*
 * §5.5.2 names the queues 0 inflateq, 1 deflateq, 2 statsq, 3 free_page_vq,
 * 4 reporting_vq, where statsq, free_page_vq and reporting_vq exist only with
 * their feature. The ones that exist are numbered consecutively on the transport
 * (Linux 6.1 init_vqs passes a NULL name for a missing queue and vm_find_vqs
 * skips it without using an index; QEMU creates only the existing ones), so with
 * neither STATS_VQ nor FREE_PAGE_HINT offered the reporting queue is queue 2.
 */

/* §5.5.4: struct virtio_balloon_config { le32 num_pages; le32 actual; }, the
 * later fields belonging to features not offered. */
#define BALLOON_CONFIG_SIZE 8
#define BALLOON_CFG_ACTUAL 4

struct balloon {
	struct virtio_dev *dev;
	pthread_mutex_t lock; /* queue work against activate/reset */
	bool active;
	uint32_t actual;      /* under dev->lock: only config access touches it */
	uintptr_t host_page;  /* host page size, a power of two */
	struct vq_chain chain; /* scratch for queue_notify (too big for a stack) */
	uint64_t released;     /* bytes given back, for the debug log */
};

static uint64_t balloon_features(struct virtio_dev *d)
{
	(void)d;
	return 1ULL << VIRTIO_BALLOON_F_FREE_PAGE_REPORTING;
}

/* dev->lock held (the transport's config access). */
static void balloon_config_read(struct virtio_dev *d, uint32_t off, void *data, uint32_t len)
{
	struct balloon *b = d->priv;
	uint8_t cfg[BALLOON_CONFIG_SIZE] = { 0 }; /* num_pages 0: never inflate */
	uint32_t actual = htole32(b->actual);

	memcpy(cfg + BALLOON_CFG_ACTUAL, &actual, sizeof(actual));
	memcpy(data, cfg + off, len);
}

/* §5.5.6: the driver writes `actual` after (de)flating; num_pages is the device's. */
static void balloon_config_write(struct virtio_dev *d, uint32_t off, const void *data,
				 uint32_t len)
{
	struct balloon *b = d->priv;
	uint32_t actual = htole32(b->actual);

	if (off < BALLOON_CFG_ACTUAL) {
		log_debug("virtio balloon: config write of %u bytes at %u ignored", len, off);
		return;
	}
	/* The transport checked off + len <= BALLOON_CONFIG_SIZE. */
	memcpy((uint8_t *)&actual + (off - BALLOON_CFG_ACTUAL), data, len);
	b->actual = le32toh(actual);
}

/* DRIVER_OK; dev->lock held, vCPU thread. */
static int balloon_activate(struct virtio_dev *d)
{
	struct balloon *b = d->priv;

	pthread_mutex_lock(&b->lock);
	b->active = true;
	pthread_mutex_unlock(&b->lock);
	if (!virtio_has_feature(d, VIRTIO_BALLOON_F_FREE_PAGE_REPORTING))
		log_debug("virtio balloon: driver did not take free page reporting");
	return 0;
}

/* Status 0; dev->lock held, vCPU thread. Once this returns no queue work is in
 * flight, and the transport resets the queues next. */
static void balloon_reset(struct virtio_dev *d)
{
	struct balloon *b = d->priv;

	pthread_mutex_lock(&b->lock);
	b->active = false;
	b->actual = 0;
	pthread_mutex_unlock(&b->lock);
}

/*
 * Releases the whole host pages inside one reported range. seg->host was checked
 * by vq_pop to lie inside guest RAM for seg->len bytes; trimming inward keeps
 * every byte outside the range untouched (a partial page is not the guest's to
 * give back). Returns the bytes released.
 */
static uint64_t balloon_release(struct balloon *b, const struct vq_seg *seg)
{
	uintptr_t start = (uintptr_t)seg->host, end = start + seg->len;
	uintptr_t first = (start + b->host_page - 1) & ~(b->host_page - 1);
	uintptr_t last = end & ~(b->host_page - 1);

	if (first < start || last <= first) {
		log_debug("virtio balloon: reported range of %u bytes holds no whole page",
			  seg->len);
		return 0;
	}
	if (first != start || last != end)
		log_debug("virtio balloon: reported range of %u bytes not page-aligned; trimmed",
			  seg->len);
	int r = gmem_discard(b->dev->mem, (void *)first, last - first);
	if (r < 0) {
		log_debug("virtio balloon: discarding %lu bytes: %s",
			  (unsigned long)(last - first), strerror(-r));
		return 0;
	}
	return last - first;
}

/*
 * §5.5.6.6 (Free Page Reporting): each buffer is a range of free guest memory,
 * given device-writable; its content need not be kept (PAGE_POISON is not
 * offered), and the buffer goes back used with length 0 when done. Device-readable
 * segments are never written (§2.7.4), so they are not released.
 */
static void balloon_report(struct balloon *b, const struct vq_chain *c)
{
	uint64_t done = 0;

	if (c->nout)
		log_debug("virtio balloon: %u device-readable report segments skipped", c->nout);
	for (unsigned int i = c->nout; i < (unsigned int)c->nout + c->nin; i++)
		done += balloon_release(b, &c->seg[i]);
	b->released += done;
	log_debug("virtio balloon: released %llu KiB (%llu KiB in all)",
		  (unsigned long long)(done >> 10), (unsigned long long)(b->released >> 10));
}

/* Event loop thread. */
static void balloon_queue_notify(struct virtio_dev *d, uint16_t qidx)
{
	struct balloon *b = d->priv;
	struct vq *q = &d->vq[qidx];
	bool pushed = false;

	pthread_mutex_lock(&b->lock);
	if (!b->active || qidx >= BALLOON_NUM_QUEUES)
		goto out;
	while (vq_pop(q, &b->chain, &pushed) == 1) {
		if (qidx == BALLOON_REPORTINGQ)
			balloon_report(b, &b->chain);
		else
			/* num_pages is 0: nothing was asked for; §5.5.6 lets the device
			 * ignore pages without VIRTIO_BALLOON_F_MUST_TELL_HOST. */
			log_debug("virtio balloon: %s buffer completed unused",
				  qidx == BALLOON_INFLATEQ ? "inflate" : "deflate");
		vq_push(q, b->chain.head, 0);
		pushed = true;
	}
	if (pushed && vq_needs_signal(q))
		virtio_signal_used(d);
out:
	pthread_mutex_unlock(&b->lock);
}

static void balloon_destroy(struct virtio_dev *d)
{
	struct balloon *b = d->priv;

	pthread_mutex_destroy(&b->lock);
	free(b);
	d->priv = NULL;
}

static const struct virtio_dev_ops balloon_ops = {
	.name = "balloon",
	.device_id = 5,
	.num_queues = BALLOON_NUM_QUEUES,
	.queue_max_size = BALLOON_QUEUE_SIZE,
	.features = balloon_features,
	.config_size = BALLOON_CONFIG_SIZE,
	.config_read = balloon_config_read,
	.config_write = balloon_config_write,
	.activate = balloon_activate,
	.queue_notify = balloon_queue_notify,
	.reset = balloon_reset,
	.destroy = balloon_destroy,
};

struct virtio_dev *balloon_create(void)
{
	struct virtio_dev *d = calloc(1, sizeof(*d));
	struct balloon *b = calloc(1, sizeof(*b));
	long page = sysconf(_SC_PAGESIZE);

	if (!d || !b || page <= 0 || (page & (page - 1))) {
		log_error("balloon: cannot create the device: %s",
			  !d || !b ? strerror(ENOMEM) : "bad host page size");
		free(b);
		free(d);
		return NULL;
	}
	/* The transport part stays zeroed for the bus to set up (src/vmm/virtio_bus.c). */
	d->ops = &balloon_ops;
	d->priv = b;
	d->irqfd = -1;
	for (unsigned int i = 0; i < VIRTIO_MAX_QUEUES; i++)
		d->notify_fd[i] = -1;
	b->dev = d;
	b->host_page = (uintptr_t)page;
	pthread_mutex_init(&b->lock, NULL);
	return d;
}
