/* SPDX-License-Identifier: Apache-2.0 */
/* virtio-blk device (virtio 1.2 §5.2): config space, queue and workers; blk.h has the contract. */
#include "devices/blk/blk.h"

#include <endian.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/log.h"
#include "vmm/seccomp.h"

#define BLK_RESET_WAIT_MS 1000

/* §5.2.4 struct virtio_blk_config, as named offsets; fields after
 * write_zeroes_may_unmap belong to features not offered. */
#define CFG_CAPACITY 0
#define CFG_SIZE_MAX 8
#define CFG_SEG_MAX 12
#define CFG_BLK_SIZE 20
#define CFG_PHYS_BLOCK_EXP 24
#define CFG_MIN_IO_SIZE 26
#define CFG_NUM_QUEUES 34
#define CFG_MAX_DISCARD_SECTORS 36
#define CFG_MAX_DISCARD_SEG 40
#define CFG_DISCARD_ALIGNMENT 44
#define CFG_MAX_WZ_SECTORS 48
#define CFG_MAX_WZ_SEG 52
#define CFG_WZ_MAY_UNMAP 56
#define BLK_CONFIG_SIZE 60

struct blk_worker {
	struct blk *blk;
	pthread_t thread;
	struct vq_chain chain;
	uint16_t q; /* the chain's queue */
	uint64_t gen;
	bool filtered;
	struct iovec iov[VQ_MAX_SEGS];
};

struct blk {
	struct virtio_dev *dev;
	struct blk_params params;
	uint64_t features;
	uint8_t config[BLK_CONFIG_SIZE];

	pthread_mutex_t lock; /* the queue's pop/push and everything below */
	pthread_cond_t work;  /* the queue may have chains, or stopping */
	pthread_cond_t idle;  /* inflight fell to 0 */
	bool active, stopping;
	unsigned int inflight;
	uint64_t gen; /* resets so far: a reply of an older one is dropped */
	uint16_t next_q; /* where the next pop starts looking: no queue starves */

	unsigned int nworkers, started;
	struct blk_worker *workers;
};

static void put16(uint8_t *p, uint16_t v)
{
	v = htole16(v);
	memcpy(p, &v, 2);
}

static void put32(uint8_t *p, uint32_t v)
{
	v = htole32(v);
	memcpy(p, &v, 4);
}

static void put64(uint8_t *p, uint64_t v)
{
	v = htole64(v);
	memcpy(p, &v, 8);
}

static uint64_t blk_features(struct virtio_dev *d)
{
	return ((struct blk *)d->priv)->features;
}

static void blk_config_read(struct virtio_dev *d, uint32_t off, void *data, uint32_t len)
{
	struct blk *b = d->priv;

	memcpy(data, b->config + off, len); /* the transport bounded off + len */
}

static void blk_config_write(struct virtio_dev *d, uint32_t off, const void *data, uint32_t len)
{
	(void)d, (void)data;
	/* §5.2.4: only writeback is the driver's, with CONFIG_WCE, not offered. */
	log_debug("virtio-blk: config write of %u bytes at %u ignored", len, off);
}

static int blk_activate(struct virtio_dev *d)
{
	struct blk *b = d->priv;

	pthread_mutex_lock(&b->lock);
	b->active = true;
	pthread_cond_broadcast(&b->work);
	pthread_mutex_unlock(&b->lock);
	return 0;
}

/* Status 0; dev->lock held, vCPU thread. Waits for the requests in flight,
 * then gives up on them (their replies are dropped): §2.4 wants no buffer
 * used after a reset, and a host read on a hung mount may never return. */
static void blk_reset(struct virtio_dev *d)
{
	struct blk *b = d->priv;
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	t.tv_sec += BLK_RESET_WAIT_MS / 1000;
	pthread_mutex_lock(&b->lock);
	b->active = false;
	while (b->inflight && pthread_cond_timedwait(&b->idle, &b->lock, &t) != ETIMEDOUT)
		;
	if (b->inflight)
		log_warn("virtio-blk: reset with %u requests still in the host; their replies "
			 "will be dropped", b->inflight);
	b->inflight = 0;
	b->gen++;
	pthread_mutex_unlock(&b->lock);
}

/* Event loop thread: never blocks beyond the short queue lock. */
static void blk_queue_notify(struct virtio_dev *d, uint16_t qidx)
{
	struct blk *b = d->priv;

	(void)qidx;
	pthread_mutex_lock(&b->lock);
	pthread_cond_signal(&b->work);
	pthread_mutex_unlock(&b->lock);
}

/*
 * b->lock held. 1 with a chain in w->chain (its queue in w->q), 0 when every
 * queue is empty. A driver may set up any of the transport's queues, also
 * past the announced num_queues: each one it made ready is served.
 */
static int blk_pop(struct blk *b, struct blk_worker *w)
{
	for (unsigned int i = 0; i < BLK_MAX_QUEUES; i++) {
		uint16_t qi = (uint16_t)((b->next_q + i) % BLK_MAX_QUEUES);
		struct vq *q = &b->dev->vq[qi];
		bool pushed = false;
		int got = vq_pop(q, &w->chain, &pushed);

		if (pushed && vq_needs_signal(q))
			virtio_signal_used(b->dev);
		if (got == 1) {
			w->q = qi;
			b->next_q = (uint16_t)((qi + 1) % BLK_MAX_QUEUES);
			return 1;
		}
	}
	return 0;
}

static void *blk_worker_main(void *arg)
{
	struct blk_worker *w = arg;
	struct blk *b = w->blk;

	pthread_setname_np(pthread_self(), "krun-blk");
	pthread_mutex_lock(&b->lock);
	b->started++;
	pthread_cond_broadcast(&b->idle);
	while (!b->stopping) {
		uint32_t len;

		/* The first request comes once the guest runs, when the VMM's
		 * filters are in (vm.c): this worker's own goes on first. */
		if (b->active && !w->filtered) {
			w->filtered = true;
			if (seccomp_enter(VMM_SECCOMP_BLK) < 0)
				break; /* logged; the other workers serve */
		}
		if (!b->active || blk_pop(b, w) != 1) {
			pthread_cond_wait(&b->work, &b->lock);
			continue;
		}
		w->gen = b->gen;
		b->inflight++;
		pthread_cond_signal(&b->work); /* more may wait: another worker looks */
		pthread_mutex_unlock(&b->lock);

		len = blk_request(&b->params, &w->chain, w->iov);

		pthread_mutex_lock(&b->lock);
		if (w->gen != b->gen)
			continue; /* a reset gave up on it: the queue is not its own any more */
		vq_push(&b->dev->vq[w->q], w->chain.head, len);
		if (vq_needs_signal(&b->dev->vq[w->q]))
			virtio_signal_used(b->dev);
		if (--b->inflight == 0)
			pthread_cond_broadcast(&b->idle);
	}
	pthread_mutex_unlock(&b->lock);
	return NULL;
}

static void blk_stop_workers(struct blk *b, unsigned int n)
{
	pthread_mutex_lock(&b->lock);
	b->stopping = true;
	pthread_cond_broadcast(&b->work);
	pthread_mutex_unlock(&b->lock);
	for (unsigned int i = 0; i < n; i++)
		pthread_join(b->workers[i].thread, NULL);
}

static void blk_free(struct blk *b)
{
	disk_close(b->params.disk);
	pthread_cond_destroy(&b->work);
	pthread_cond_destroy(&b->idle);
	pthread_mutex_destroy(&b->lock);
	free(b->workers);
	free(b);
}

static void blk_destroy(struct virtio_dev *d)
{
	struct blk *b = d->priv;

	blk_stop_workers(b, b->nworkers);
	blk_free(b);
	d->priv = NULL;
}

static const struct virtio_dev_ops blk_ops = {
	.name = "blk",
	.device_id = 2,
	.num_queues = BLK_MAX_QUEUES,
	.queue_max_size = BLK_QUEUE_SIZE,
	.features = blk_features,
	.config_size = BLK_CONFIG_SIZE,
	.config_read = blk_config_read,
	.config_write = blk_config_write,
	.activate = blk_activate,
	.queue_notify = blk_queue_notify,
	.reset = blk_reset,
	.destroy = blk_destroy,
};

/* Features and config space from the disk and the caller's choices (§5.2.3, §5.2.4). */
static void blk_describe(struct blk *b, const struct blk_config *cfg)
{
	const struct disk *dk = b->params.disk;
	uint8_t *c = b->config;

	b->features = 1ULL << VIRTIO_BLK_F_SIZE_MAX | 1ULL << VIRTIO_BLK_F_SEG_MAX |
		      1ULL << VIRTIO_BLK_F_BLK_SIZE | 1ULL << VIRTIO_BLK_F_TOPOLOGY |
		      1ULL << VIRTIO_BLK_F_MQ;
	if (cfg->flush)
		b->features |= 1ULL << VIRTIO_BLK_F_FLUSH;
	if (dk->read_only)
		b->features |= 1ULL << VIRTIO_BLK_F_RO;
	else
		b->features |= 1ULL << VIRTIO_BLK_F_DISCARD | 1ULL << VIRTIO_BLK_F_WRITE_ZEROES;
	/* A tail shorter than a sector cannot be addressed: it is not shown. */
	put64(c + CFG_CAPACITY, dk->size / BLK_SECTOR);
	put32(c + CFG_SIZE_MAX, BLK_SIZE_MAX);
	put32(c + CFG_SEG_MAX, BLK_SEG_MAX);
	put32(c + CFG_BLK_SIZE, BLK_SECTOR);
	/* 4 KiB physical blocks: the host page, the unit a host file system and
	 * direct I/O work in; smaller I/O still works, at a read-modify-write. */
	c[CFG_PHYS_BLOCK_EXP] = 3;
	put16(c + CFG_MIN_IO_SIZE, 8);
	put16(c + CFG_NUM_QUEUES, (uint16_t)cfg->nqueues);
	put32(c + CFG_MAX_DISCARD_SECTORS, BLK_MAX_DISCARD_SECTORS);
	put32(c + CFG_MAX_DISCARD_SEG, BLK_MAX_DISCARD_SEG);
	put32(c + CFG_DISCARD_ALIGNMENT, 8);
	put32(c + CFG_MAX_WZ_SECTORS, BLK_MAX_DISCARD_SECTORS);
	put32(c + CFG_MAX_WZ_SEG, BLK_MAX_DISCARD_SEG);
	c[CFG_WZ_MAY_UNMAP] = 1;
}

static int blk_start_workers(struct blk *b)
{
	unsigned int i;
	int r = 0;

	for (i = 0; i < b->nworkers; i++) {
		b->workers[i].blk = b;
		r = -pthread_create(&b->workers[i].thread, NULL, blk_worker_main, &b->workers[i]);
		if (r < 0) {
			log_error("virtio-blk: cannot start a worker thread: %s", strerror(-r));
			break;
		}
	}
	pthread_mutex_lock(&b->lock);
	while (b->started < i)
		pthread_cond_wait(&b->idle, &b->lock);
	pthread_mutex_unlock(&b->lock);
	if (r < 0)
		blk_stop_workers(b, i);
	return r;
}

int blk_create(struct disk *dk, const struct blk_config *cfg, struct virtio_dev **out)
{
	struct virtio_dev *d = calloc(1, sizeof(*d));
	struct blk *b = calloc(1, sizeof(*b));
	pthread_condattr_t ca;
	int r;

	if (!dk || cfg->nworkers == 0 || cfg->nworkers > BLK_MAX_WORKERS || cfg->nqueues == 0 ||
	    cfg->nqueues > BLK_MAX_QUEUES) {
		log_error("virtio-blk: no disk, or a bad worker or queue count");
		r = -EINVAL;
		goto fail_alloc;
	}
	if (!d || !b || !(b->workers = calloc(cfg->nworkers, sizeof(*b->workers)))) {
		log_error("virtio-blk: out of memory");
		r = -ENOMEM;
		goto fail_alloc;
	}
	pthread_mutex_init(&b->lock, NULL);
	pthread_cond_init(&b->work, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC); /* blk_reset's deadline */
	pthread_cond_init(&b->idle, &ca);
	pthread_condattr_destroy(&ca);
	b->dev = d;
	b->nworkers = cfg->nworkers;
	b->params.disk = dk;
	b->params.flush = cfg->flush;
	if (cfg->id) /* NUL-padded by calloc */
		memcpy(b->params.id, cfg->id, strnlen(cfg->id, VIRTIO_BLK_ID_BYTES));
	blk_describe(b, cfg);
	r = blk_start_workers(b);
	if (r < 0) {
		blk_free(b);
		free(d);
		return r;
	}
	/* The transport part stays zeroed for the bus to set up (src/vmm/virtio_bus.c). */
	d->ops = &blk_ops;
	d->priv = b;
	d->irqfd = -1;
	for (unsigned int i = 0; i < VIRTIO_MAX_QUEUES; i++)
		d->notify_fd[i] = -1;
	*out = d;
	return 0;
fail_alloc:
	if (b)
		free(b->workers);
	free(b);
	free(d);
	disk_close(dk);
	return r;
}
