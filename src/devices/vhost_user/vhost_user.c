/* SPDX-License-Identifier: Apache-2.0 */
/* A virtio device whose queues a vhost-user backend serves; the contract is in vhost_user.h. */
#include "devices/vhost_user/vhost_user.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "devices/vhost_user/vu_conn.h"
#include "util/log.h"
#include "vmm/gmem.h"

/* Transport feature bits a split-ring virtio-mmio transport can carry
 * (virtio 1.2 §6): INDIRECT_DESC 28, EVENT_IDX 29, IN_ORDER 35. VERSION_1 is
 * the transport's own to add; every other bit above 23 is refused. */
#define VU_DEVICE_BITS 0xffffffULL
#define VU_TRANSPORT_BITS (1ULL << 28 | 1ULL << 29 | 1ULL << 35)

#define VU_WANT_PROTOCOL                                                            \
	(1ULL << VU_PROTOCOL_F_MQ | 1ULL << VU_PROTOCOL_F_REPLY_ACK |                 \
	 1ULL << VU_PROTOCOL_F_CONFIG | 1ULL << VU_PROTOCOL_F_RESET_DEVICE)

struct vu_dev {
	struct virtio_dev_ops ops; /* this device's own: its id, queues, config size */
	struct virtio_dev *dev;
	struct evloop *loop;
	struct vu_conn conn; /* under dev->lock, apart from create and destroy */
	char name[48];
	uint16_t sizes[VIRTIO_MAX_QUEUES];
	uint64_t features;  /* the backend's, as the guest may see them */
	bool has_protocol;  /* the backend offered VU_F_PROTOCOL_FEATURES */
	uint64_t protocol;  /* protocol features agreed */
	atomic_bool running; /* activated and not reset: calls become interrupts */
	bool started[VIRTIO_MAX_QUEUES];
	int call_fd[VIRTIO_MAX_QUEUES];
	bool sock_watched;
	uint8_t config[VU_MAX_CONFIG]; /* scratch for GET_CONFIG (dev->lock) */
};

/* Config sizes of the device types (virtio 1.2 §5, each device's
 * struct virtio_*_config), as far as Linux 6.1 reads them. A backend that
 * refuses the size gets no config space (reads as zeros). */
static uint32_t config_size_of(uint32_t type)
{
	switch (type) {
	case 1: return 12;  /* net: mac, status, max_virtqueue_pairs, mtu */
	case 2: return 60;  /* blk: up to the write-zeroes fields */
	case 3: return 12;  /* console: cols, rows, max_nr_ports, emerg_wr */
	case 16: return 16; /* gpu */
	case 18: return 136; /* input: select, subsel, size, reserved, union */
	case 19: return 8;  /* vsock: guest_cid */
	case 25: return 16; /* snd: jacks, streams, chmaps, controls */
	case 26: return 40; /* fs: tag[36], num_request_queues */
	case 36: return 2;  /* can: status */
	default: return 0;  /* rng 4, rtc 17 and others without a config */
	}
}

static uint64_t vu_features(struct virtio_dev *d)
{
	return ((struct vu_dev *)d->priv)->features;
}

/* dev->lock held. The whole config each time, as QEMU's frontend reads it:
 * backends built on libvhost-user ignore GET_CONFIG's offset. */
static void vu_config_read(struct virtio_dev *d, uint32_t off, void *data, uint32_t len)
{
	struct vu_dev *v = d->priv;

	if (vu_conn_get_config(&v->conn, v->ops.config_size, v->config) < 0) {
		memset(data, 0, len);
		return;
	}
	memcpy(data, v->config + off, len);
}

static void vu_config_write(struct virtio_dev *d, uint32_t off, const void *data, uint32_t len)
{
	struct vu_dev *v = d->priv;
	struct vu_config cfg = { .offset = off, .size = len, .flags = 0 /* front-end */ };

	memcpy(cfg.region, data, len); /* len <= config_size <= VU_MAX_CONFIG */
	if (vu_conn_set(&v->conn, VU_SET_CONFIG, &cfg, VU_CONFIG_HDR_SIZE + len, NULL, 0) < 0)
		log_debug("vhost-user %s: config write of %u bytes at %u failed", v->name, len, off);
}

/* SET_MEM_TABLE: every RAM region, each with the memfd and its offset in it. */
static int vu_send_mem_table(struct vu_dev *v, const struct gmem *m)
{
	struct vu_memory mem = { .nregions = m->nregions };
	int fds[VU_MAX_REGIONS];

	if (!m->shared || m->nregions > VU_MAX_REGIONS) {
		log_error("vhost-user %s: guest RAM is not shareable", v->name);
		return -EINVAL;
	}
	for (unsigned int i = 0; i < m->nregions; i++) {
		mem.regions[i] = (struct vu_mem_region){
			.guest_phys_addr = m->region[i].gpa,
			.memory_size = m->region[i].size,
			.userspace_addr = (uintptr_t)m->region[i].host,
			.mmap_offset = (uint64_t)(m->region[i].host - m->base),
		};
		fds[i] = m->fd;
	}
	return vu_conn_set(&v->conn, VU_SET_MEM_TABLE, &mem,
			   (uint32_t)(8 + m->nregions * sizeof(struct vu_mem_region)), fds,
			   m->nregions);
}

/* One ring ("Starting and stopping rings"): its size, where it is (in our
 * address space: the backend translates through the table's userspace_addr),
 * where it starts, its kick and call fds, then enabled. */
static int vu_start_ring(struct vu_dev *v, unsigned int i)
{
	struct virtio_dev *d = v->dev;
	const struct vq *q = &d->vq[i];
	struct vu_vring_state num = { .index = i, .num = q->size };
	struct vu_vring_state base = { .index = i, .num = 0 };
	struct vu_vring_state on = { .index = i, .num = 1 };
	struct vu_vring_addr addr = {
		.index = i,
		.desc = (uintptr_t)q->desc,
		.used = (uintptr_t)q->used,
		.avail = (uintptr_t)q->avail,
	};
	int r;

	if ((r = vu_conn_set(&v->conn, VU_SET_VRING_NUM, &num, sizeof(num), NULL, 0)) < 0 ||
	    (r = vu_conn_set(&v->conn, VU_SET_VRING_BASE, &base, sizeof(base), NULL, 0)) < 0 ||
	    (r = vu_conn_set(&v->conn, VU_SET_VRING_ADDR, &addr, sizeof(addr), NULL, 0)) < 0 ||
	    (r = vu_conn_set_vring_fd(&v->conn, VU_SET_VRING_KICK, i, d->notify_fd[i])) < 0 ||
	    (r = vu_conn_set_vring_fd(&v->conn, VU_SET_VRING_CALL, i, v->call_fd[i])) < 0)
		return r;
	/* Without protocol features a ring starts when it has its kick fd;
	 * with them, only when enabled. */
	if (v->has_protocol &&
	    (r = vu_conn_set(&v->conn, VU_SET_VRING_ENABLE, &on, sizeof(on), NULL, 0)) < 0)
		return r;
	v->started[i] = true;
	return 0;
}

/* Stops the started rings: disabled, then GET_VRING_BASE, after which the
 * backend no longer touches them. */
static void vu_stop_rings(struct vu_dev *v)
{
	for (unsigned int i = 0; i < v->ops.num_queues; i++) {
		struct vu_vring_state off = { .index = i, .num = 0 };
		uint32_t next;

		if (!v->started[i])
			continue;
		v->started[i] = false;
		if (v->has_protocol)
			vu_conn_set(&v->conn, VU_SET_VRING_ENABLE, &off, sizeof(off), NULL, 0);
		vu_conn_get_vring_base(&v->conn, i, &next);
	}
}

static int vu_activate(struct virtio_dev *d)
{
	struct vu_dev *v = d->priv;
	uint64_t features = d->driver_features;
	int r;

	if (v->has_protocol)
		features |= 1ULL << VU_F_PROTOCOL_FEATURES;
	r = vu_conn_set_u64(&v->conn, VU_SET_FEATURES, features);
	if (r == 0)
		r = vu_send_mem_table(v, d->mem);
	for (unsigned int i = 0; r == 0 && i < v->ops.num_queues; i++)
		if (d->vq[i].active)
			r = vu_start_ring(v, i);
	if (r < 0) {
		log_error("vhost-user %s: the backend did not take the device: %s", v->name,
			  strerror(-r));
		vu_stop_rings(v);
		return r;
	}
	atomic_store(&v->running, true);
	return 0;
}

static void vu_reset(struct virtio_dev *d)
{
	struct vu_dev *v = d->priv;

	atomic_store(&v->running, false);
	vu_stop_rings(v);
	if (v->protocol & 1ULL << VU_PROTOCOL_F_RESET_DEVICE)
		vu_conn_set(&v->conn, VU_RESET_DEVICE, NULL, 0, NULL, 0);
}

/* Any queue's call: one interrupt for all (InterruptStatus has one used-ring
 * bit; the driver looks at every queue). */
static void vu_on_call(void *arg, uint32_t events)
{
	struct vu_dev *v = arg;
	bool called = false;
	uint64_t n;

	(void)events;
	for (unsigned int i = 0; i < v->ops.num_queues; i++)
		if (v->call_fd[i] >= 0 && read(v->call_fd[i], &n, sizeof(n)) == sizeof(n))
			called = true;
	if (called && atomic_load(&v->running))
		virtio_signal_used(v->dev);
}

/* The backend went away: its queues stop being served. Said once; the guest
 * sees its requests time out, as with a dead disk. */
static void vu_on_hangup(void *arg, uint32_t events)
{
	struct vu_dev *v = arg;

	(void)events;
	log_error("vhost-user %s: the backend closed the connection", v->name);
	evloop_del(v->loop, v->conn.fd);
	v->sock_watched = false;
}

static void vu_destroy(struct virtio_dev *d)
{
	struct vu_dev *v = d->priv;

	for (unsigned int i = 0; i < VIRTIO_MAX_QUEUES; i++) {
		if (v->call_fd[i] < 0)
			continue;
		evloop_del(v->loop, v->call_fd[i]);
		close(v->call_fd[i]);
	}
	if (v->sock_watched)
		evloop_del(v->loop, v->conn.fd);
	vu_conn_close(&v->conn);
	free(v);
	d->priv = NULL;
}

/* The handshake of "Initiating a connection" (QEMU's order): owner, features,
 * protocol features, then what the device is. */
static int vu_handshake(struct vu_dev *v, const struct vhost_user_config *cfg)
{
	uint64_t f, p = 0, nq = cfg->num_queues;
	int r;

	if ((r = vu_conn_set(&v->conn, VU_SET_OWNER, NULL, 0, NULL, 0)) < 0 ||
	    (r = vu_conn_get_u64(&v->conn, VU_GET_FEATURES, &f)) < 0)
		return r;
	v->has_protocol = f >> VU_F_PROTOCOL_FEATURES & 1;
	v->features = f & (VU_DEVICE_BITS | VU_TRANSPORT_BITS);
	if (v->has_protocol) {
		if ((r = vu_conn_get_u64(&v->conn, VU_GET_PROTOCOL_FEATURES, &p)) < 0)
			return r;
		v->protocol = p & VU_WANT_PROTOCOL;
		if ((r = vu_conn_set_u64(&v->conn, VU_SET_PROTOCOL_FEATURES, v->protocol)) < 0)
			return r;
		v->conn.reply_ack = v->protocol >> VU_PROTOCOL_F_REPLY_ACK & 1;
	}
	if (nq == 0) {
		if (!(v->protocol & 1ULL << VU_PROTOCOL_F_MQ)) {
			log_error("vhost-user %s: no queue count given, and the backend cannot "
				  "say (no MQ protocol feature)", v->name);
			return -EINVAL;
		}
		if ((r = vu_conn_get_u64(&v->conn, VU_GET_QUEUE_NUM, &nq)) < 0)
			return r;
	}
	if (nq == 0 || nq > VIRTIO_MAX_QUEUES) {
		log_error("vhost-user %s: %llu queues; 1 to %d work here", v->name,
			  (unsigned long long)nq, VIRTIO_MAX_QUEUES);
		return -EINVAL;
	}
	v->ops.num_queues = (uint16_t)nq;
	for (unsigned int i = 0; i < nq; i++) {
		uint16_t s = cfg->nsizes == 0 ? VHOST_USER_DEFAULT_QUEUE_SIZE
			   : cfg->queue_sizes[i < cfg->nsizes ? i : cfg->nsizes - 1];
		if (s == 0 || s > VQ_MAX_SIZE || (s & (s - 1))) {
			log_error("vhost-user %s: queue %u size %u is not a power of two up to %d",
				  v->name, i, s, VQ_MAX_SIZE);
			return -EINVAL;
		}
		v->sizes[i] = s;
	}
	/* Config space only where the backend serves it, at a size it accepts. */
	if (v->protocol & 1ULL << VU_PROTOCOL_F_CONFIG) {
		uint32_t size = config_size_of(cfg->device_type);
		r = size ? vu_conn_get_config(&v->conn, size, v->config) : 0;
		if (r == -EIO)
			log_warn("vhost-user %s: the backend refused a %u-byte config; the "
				 "guest reads zeros", v->name, size);
		else if (r < 0)
			return r;
		v->ops.config_size = r == 0 ? size : 0;
	}
	return 0;
}

int vhost_user_create(const struct vhost_user_config *cfg, struct evloop *loop,
		      struct virtio_dev **out)
{
	struct virtio_dev *d = calloc(1, sizeof(*d));
	struct vu_dev *v = calloc(1, sizeof(*v));
	int r;

	if (!d || !v) {
		free(d);
		free(v);
		return -ENOMEM;
	}
	v->dev = d;
	v->loop = loop;
	for (unsigned int i = 0; i < VIRTIO_MAX_QUEUES; i++)
		v->call_fd[i] = -1;
	if (cfg->name)
		snprintf(v->name, sizeof(v->name), "%s", cfg->name);
	else
		snprintf(v->name, sizeof(v->name), "vhost-user-%u", cfg->device_type);
	v->ops = (struct virtio_dev_ops){
		.name = v->name,
		.device_id = cfg->device_type,
		.queue_max_sizes = v->sizes,
		.external_notify = true,
		.config_live = true, /* the backend answers config reads */
		.features = vu_features,
		.config_read = vu_config_read,
		.config_write = vu_config_write,
		.activate = vu_activate,
		.reset = vu_reset,
		.destroy = vu_destroy,
	};
	d->ops = &v->ops;
	d->priv = v;
	d->irqfd = -1;
	for (unsigned int i = 0; i < VIRTIO_MAX_QUEUES; i++)
		d->notify_fd[i] = -1;

	r = vu_conn_open(&v->conn, cfg->socket_path, v->name);
	if (r == 0)
		r = vu_handshake(v, cfg);
	for (unsigned int i = 0; r == 0 && i < v->ops.num_queues; i++) {
		v->call_fd[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		r = v->call_fd[i] < 0 ? -errno : evloop_add(loop, v->call_fd[i], EPOLLIN, vu_on_call, v);
		if (r < 0 && v->call_fd[i] >= 0) {
			close(v->call_fd[i]);
			v->call_fd[i] = -1;
		}
	}
	if (r == 0) {
		/* EPOLLRDHUP alone: replies are read on the vCPU thread, never here. */
		r = evloop_add(loop, v->conn.fd, EPOLLRDHUP, vu_on_hangup, v);
		v->sock_watched = r == 0;
	}
	if (r < 0) {
		log_error("vhost-user %s: cannot set up the device on %s: %s", v->name,
			  cfg->socket_path, strerror(-r));
		vu_destroy(d);
		free(d);
		return r;
	}
	log_debug("vhost-user %s: type %u, %u queues, features 0x%llx, protocol 0x%llx, "
		  "config %u bytes", v->name, cfg->device_type, v->ops.num_queues,
		  (unsigned long long)v->features, (unsigned long long)v->protocol,
		  v->ops.config_size);
	*out = d;
	return 0;
}
