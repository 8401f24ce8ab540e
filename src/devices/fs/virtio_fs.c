/* SPDX-License-Identifier: Apache-2.0 */
/* virtio-fs device (virtio 1.2 §5.11); the contract is in virtio_fs.h. */
#include "devices/fs/virtio_fs.h"

#include <endian.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>

#include "fs/fuse_server.h"
#include "util/log.h"
#include "util/ratelimit.h"
#include "vmm/seccomp.h"

#define FS_HIPRIO_QUEUE 0
#define FS_NUM_REQUEST_QUEUES 1
#define FS_NUM_QUEUES (1 + FS_NUM_REQUEST_QUEUES)

/* §5.11.4: struct virtio_fs_config { u8 tag[36]; le32 num_request_queues; } (the
 * notify_buf_size field after it exists only with VIRTIO_FS_F_NOTIFICATION). */
#define FS_CONFIG_SIZE (VIRTIO_FS_TAG_MAX + 4)

/*
 * How long a reset waits for the requests in flight. A request can block in
 * the host for good: a file on a hung FUSE or NFS mount inside the share, a
 * frozen file system. Those waits are uninterruptible or killable only, so no
 * signal would end them; reset (on a vCPU thread, with the device lock held)
 * stops waiting instead, and the replies of what is still blocked are dropped
 * when it ends (fs_worker_main): virtio 1.2 §2.4 wants no buffer used after a
 * reset, and the guest's is the only memory such a late reply can reach.
 */
#define FS_RESET_WAIT_MS 1000
#define FS_LOG_INTERVAL_MS 10000
#define FS_LOG_BURST 5

struct fs_worker {
	struct virtio_fs *fs;
	pthread_t thread;
	struct vq_chain chain; /* the request being served */
	uint64_t gen;          /* the device's generation when it was popped */
	bool filtered;         /* under its seccomp filter */
	struct iovec in[VQ_MAX_SEGS], out[VQ_MAX_SEGS];
};

struct virtio_fs {
	struct virtio_dev *dev;
	struct fuse_server *server;
	uint8_t config[FS_CONFIG_SIZE];

	pthread_mutex_t lock; /* the queues' pop/push and everything below */
	pthread_cond_t work;  /* a queue may have chains, or stopping */
	pthread_cond_t idle;  /* inflight fell to 0, or a worker finished starting */
	bool active, stopping;
	unsigned int inflight; /* popped since the last reset, not pushed yet */
	uint64_t gen;          /* resets so far: a reply of an older one is dropped */
	unsigned int abandoned; /* requests a reset stopped waiting for, not ended yet */
	struct ratelimit reset_log;
	unsigned int started, start_failed; /* workers past their thread setup */

	unsigned int nworkers;
	struct fs_worker *workers;
};

static void fs_config_read(struct virtio_dev *d, uint32_t off, void *data, uint32_t len)
{
	struct virtio_fs *fs = d->priv;

	memcpy(data, fs->config + off, len); /* the transport bounded off + len */
}

static void fs_config_write(struct virtio_dev *d, uint32_t off, const void *data, uint32_t len)
{
	(void)data;
	/* §5.11.4: the whole config space is read-only for the driver. */
	log_debug("virtio-fs %s: config write of %u bytes at %u ignored", d->ops->name, len, off);
}

/* DRIVER_OK; dev->lock held, vCPU thread. */
static int fs_activate(struct virtio_dev *d)
{
	struct virtio_fs *fs = d->priv;

	pthread_mutex_lock(&fs->lock);
	fs->active = true;
	pthread_cond_broadcast(&fs->work);
	pthread_mutex_unlock(&fs->lock);
	return 0;
}

static void fs_deadline(struct timespec *t, long ms)
{
	clock_gettime(CLOCK_MONOTONIC, t);
	t->tv_sec += ms / 1000;
	t->tv_nsec += ms % 1000 * 1000000L;
	if (t->tv_nsec >= 1000000000L) {
		t->tv_sec++;
		t->tv_nsec -= 1000000000L;
	}
}

/* Status 0; dev->lock held, vCPU thread. The transport resets the queues once
 * this returns: every request in flight is pushed back first, or, past
 * FS_RESET_WAIT_MS, abandoned (its reply dropped), so that a request blocked
 * in the host holds neither this vCPU nor the VM's exit. The FUSE session
 * ends with the reset. */
static void fs_reset(struct virtio_dev *d)
{
	struct virtio_fs *fs = d->priv;
	struct timespec deadline;
	uint64_t held;

	fs_deadline(&deadline, FS_RESET_WAIT_MS);
	pthread_mutex_lock(&fs->lock);
	fs->active = false;
	while (fs->inflight &&
	       pthread_cond_timedwait(&fs->idle, &fs->lock, &deadline) != ETIMEDOUT)
		;
	if (fs->inflight) {
		if (ratelimit_pass(&fs->reset_log, &held))
			log_warn("virtio-fs %s: reset with %u requests still blocked in the host "
				 "after %d ms (a hung mount in the share?): their replies will be "
				 "dropped (%llu such lines left out before)", d->ops->name,
				 fs->inflight, FS_RESET_WAIT_MS, (unsigned long long)held);
		fs->abandoned += fs->inflight;
		fs->inflight = 0;
	}
	fs->gen++;
	pthread_mutex_unlock(&fs->lock);
	/* Back to the initial state (virtio 1.2 §2.4): a driver that resets the
	 * device without unmounting starts over with a new INIT. */
	fuse_server_end_session(fs->server);
}

/* Event loop thread: never blocks beyond the short queue lock. */
static void fs_queue_notify(struct virtio_dev *d, uint16_t qidx)
{
	struct virtio_fs *fs = d->priv;

	(void)qidx;
	pthread_mutex_lock(&fs->lock);
	pthread_cond_signal(&fs->work);
	pthread_mutex_unlock(&fs->lock);
}

/* Takes the next chain, hiprio first. fs->lock held. Returns the queue index or
 * -1 when both are empty; bad chains met on the way are completed by vq_pop and
 * owe the driver an interrupt. */
static int fs_pop(struct virtio_fs *fs, struct vq_chain *c)
{
	for (uint16_t q = 0; q < FS_NUM_QUEUES; q++) {
		struct vq *vq = &fs->dev->vq[q];
		bool pushed = false;
		int got = vq_pop(vq, c, &pushed);

		if (pushed && vq_needs_signal(vq))
			virtio_signal_used(fs->dev);
		if (got == 1)
			return q;
	}
	return -1;
}

/* Whether either queue holds a chain. fs->lock held. */
static bool fs_has_avail(struct virtio_fs *fs)
{
	for (uint16_t q = 0; q < FS_NUM_QUEUES; q++)
		if (vq_has_avail(&fs->dev->vq[q]))
			return true;
	return false;
}

/* Runs one request with the lock released. Returns the reply's length. */
static uint32_t fs_serve(struct fs_worker *w)
{
	const struct vq_chain *c = &w->chain;
	int nin = c->nout, nout = c->nin; /* the driver's out is the server's in */

	for (int i = 0; i < nin; i++)
		w->in[i] = (struct iovec){ c->seg[i].host, c->seg[i].len };
	for (int i = 0; i < nout; i++)
		w->out[i] = (struct iovec){ c->seg[nin + i].host, c->seg[nin + i].len };
	return (uint32_t)fuse_server_handle(w->fs->server, w->in, nin, w->out, nout);
}

static void *fs_worker_main(void *arg)
{
	struct fs_worker *w = arg;
	struct virtio_fs *fs = w->fs;
	int r;

	pthread_setname_np(pthread_self(), "krun-fs");
	r = fuse_server_thread_init(fs->server);

	pthread_mutex_lock(&fs->lock);
	fs->started++;
	if (r < 0) {
		log_error("virtio-fs: worker setup failed: %s", strerror(-r));
		fs->start_failed++;
	}
	pthread_cond_broadcast(&fs->idle);
	while (r == 0 && !fs->stopping) {
		int q;
		uint32_t len;

		/* The first request comes once the guest runs, when the VMM's
		 * filters are in (vm.c): this worker's own goes on first. */
		if (fs->active && !w->filtered) {
			w->filtered = true;
			r = seccomp_enter(VMM_SECCOMP_FS);
			if (r < 0)
				break; /* logged; the other workers serve */
		}
		q = fs->active ? fs_pop(fs, &w->chain) : -1;
		if (q < 0) {
			pthread_cond_wait(&fs->work, &fs->lock);
			continue;
		}
		w->gen = fs->gen;
		fs->inflight++;
		/* Another worker only for another chain: waking one to find the
		 * queues empty cost two context switches a request. Finding them
		 * empty asks the driver to kick for its next chain (event_idx), and
		 * the kick wakes an idle worker while this one serves. */
		if (fs_has_avail(fs))
			pthread_cond_signal(&fs->work);
		pthread_mutex_unlock(&fs->lock);

		len = fs_serve(w);

		pthread_mutex_lock(&fs->lock);
		if (w->gen != fs->gen) {
			/* A reset gave up on it: the queue is not the chain's any more. */
			fs->abandoned--;
			log_debug("virtio-fs %s: a request abandoned by a reset ended; reply "
				  "dropped", fs->dev->ops->name);
			continue;
		}
		/* Reset waits for inflight to reach 0 (or moves on with a new
		 * generation), so the queue is still the one the chain came from. */
		vq_push(&fs->dev->vq[q], w->chain.head, len);
		if (vq_needs_signal(&fs->dev->vq[q]))
			virtio_signal_used(fs->dev);
		if (--fs->inflight == 0)
			pthread_cond_broadcast(&fs->idle);
	}
	pthread_mutex_unlock(&fs->lock);
	return NULL;
}

/* Stops and joins the first n workers. */
static void fs_stop_workers(struct virtio_fs *fs, unsigned int n)
{
	pthread_mutex_lock(&fs->lock);
	fs->stopping = true;
	pthread_cond_broadcast(&fs->work);
	pthread_mutex_unlock(&fs->lock);
	for (unsigned int i = 0; i < n; i++)
		pthread_join(fs->workers[i].thread, NULL);
}

static void fs_free(struct virtio_fs *fs)
{
	if (fs->server)
		fuse_server_destroy(fs->server);
	pthread_cond_destroy(&fs->work);
	pthread_cond_destroy(&fs->idle);
	pthread_mutex_destroy(&fs->lock);
	free(fs->workers);
	free(fs);
}

static void fs_destroy(struct virtio_dev *d)
{
	struct virtio_fs *fs = d->priv;

	fs_stop_workers(fs, fs->nworkers);
	fs_free(fs);
	d->priv = NULL;
}

/* VIRTIO_F_EVENT_IDX (virtio 1.2 §2.7.10): a worker waits for a kick only
 * after vq_pop found both queues empty (and wrote avail_event there), and a
 * worker that took a chain comes back to pop again, so a kick the driver
 * leaves out is never one a worker needs. */
static uint64_t fs_features(struct virtio_dev *d)
{
	(void)d;
	return 1ull << VIRTIO_F_EVENT_IDX;
}

static const struct virtio_dev_ops fs_ops = {
	.name = "fs",
	.features = fs_features,
	.device_id = 26,
	.num_queues = FS_NUM_QUEUES,
	.queue_max_size = VIRTIO_FS_QUEUE_SIZE,
	.config_size = FS_CONFIG_SIZE,
	.config_read = fs_config_read,
	.config_write = fs_config_write,
	.activate = fs_activate,
	.queue_notify = fs_queue_notify,
	.reset = fs_reset,
	.destroy = fs_destroy,
};

/* Starts the workers and waits until each has set itself up. 0 or -errno. */
static int fs_start_workers(struct virtio_fs *fs)
{
	unsigned int i;
	int r = 0;

	for (i = 0; i < fs->nworkers; i++) {
		fs->workers[i].fs = fs;
		fs->workers[i].filtered = false;
		r = -pthread_create(&fs->workers[i].thread, NULL, fs_worker_main, &fs->workers[i]);
		if (r < 0) {
			log_error("virtio-fs: cannot start a worker thread: %s", strerror(-r));
			break;
		}
	}
	pthread_mutex_lock(&fs->lock);
	while (fs->started < i)
		pthread_cond_wait(&fs->idle, &fs->lock);
	if (r == 0 && fs->start_failed)
		r = -EPERM; /* logged by the worker */
	pthread_mutex_unlock(&fs->lock);
	if (r < 0)
		fs_stop_workers(fs, i);
	return r;
}

struct virtio_dev *virtio_fs_create(const struct virtio_fs_config *cfg)
{
	struct fuse_server_config scfg = {
		.root = cfg->root, .nthreads_hint = cfg->nworkers,
		.passthrough_privileges = cfg->passthrough_privileges,
		.read_only = cfg->read_only,
		.overlays = cfg->overlays, .noverlays = cfg->noverlays,
		.dax_window = cfg->dax_window, .dax_window_len = cfg->dax_window_len,
	};
	size_t tag_len = strlen(cfg->tag);
	struct virtio_dev *d = calloc(1, sizeof(*d));
	struct virtio_fs *fs = calloc(1, sizeof(*fs));
	uint32_t nq = htole32(FS_NUM_REQUEST_QUEUES);
	pthread_condattr_t ca;
	int r;

	if (tag_len == 0 || tag_len > VIRTIO_FS_TAG_MAX || cfg->nworkers == 0 ||
	    cfg->nworkers > VIRTIO_FS_MAX_WORKERS) {
		log_error("virtio-fs: bad tag or worker count");
		goto fail_alloc;
	}
	/* malloc, not calloc: a worker's chain and iovec arrays (~24 KiB) are
	 * written before they are read, and only as far as a request's segments
	 * go, so most of their pages are never touched (fs_start_workers sets the
	 * rest). */
	if (!d || !fs || !(fs->workers = malloc(cfg->nworkers * sizeof(*fs->workers)))) {
		log_error("virtio-fs: out of memory");
		if (fs)
			free(fs->workers);
		goto fail_alloc;
	}
	pthread_mutex_init(&fs->lock, NULL);
	pthread_cond_init(&fs->work, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC); /* fs_reset's deadline */
	pthread_cond_init(&fs->idle, &ca);
	pthread_condattr_destroy(&ca);
	fs->reset_log = (struct ratelimit)RATELIMIT_INIT(FS_LOG_INTERVAL_MS, FS_LOG_BURST);
	fs->dev = d;
	fs->nworkers = cfg->nworkers;
	memcpy(fs->config, cfg->tag, tag_len); /* NUL-padded by calloc */
	memcpy(fs->config + VIRTIO_FS_TAG_MAX, &nq, sizeof(nq));

	r = fuse_server_create(&scfg, &fs->server);
	if (r < 0)
		goto fail; /* logged */
	r = fs_start_workers(fs);
	if (r < 0)
		goto fail;
	/* The transport part stays zeroed for the bus to set up (src/vmm/virtio_bus.c). */
	d->ops = &fs_ops;
	d->priv = fs;
	d->irqfd = -1;
	for (unsigned int i = 0; i < VIRTIO_MAX_QUEUES; i++)
		d->notify_fd[i] = -1;
	log_debug("virtio-fs: \"%s\" serves %s with %u workers", cfg->tag, cfg->root,
		  cfg->nworkers);
	return d;
fail:
	fs_free(fs);
	free(d);
	return NULL;
fail_alloc:
	free(fs);
	free(d);
	return NULL;
}
