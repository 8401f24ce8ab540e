/* SPDX-License-Identifier: Apache-2.0 */
#include "virtio/mmio.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "util/log.h"

#define VIRTIO_MMIO_MAGIC 0x74726976 /* "virt" */
#define VIRTIO_MMIO_VERSION_2 2
#define VIRTIO_MMIO_VENDOR 0

/* Queue count and size limits from ops, bounded by what the transport holds. */
static unsigned int nqueues(const struct virtio_dev *d)
{
	return d->ops->num_queues < VIRTIO_MAX_QUEUES ? d->ops->num_queues : VIRTIO_MAX_QUEUES;
}

static uint16_t queue_max(const struct virtio_dev *d, uint32_t qidx)
{
	uint16_t m = d->ops->queue_max_sizes ? d->ops->queue_max_sizes[qidx] : d->ops->queue_max_size;

	return m < VQ_MAX_SIZE ? m : VQ_MAX_SIZE;
}

static uint64_t offered_features(struct virtio_dev *d)
{
	uint64_t f = d->ops->features ? d->ops->features(d) : 0;

	return f | 1ULL << VIRTIO_F_VERSION_1;
}

static void kick_irqfd(struct virtio_dev *d)
{
	uint64_t one = 1;

	if (d->irqfd >= 0 && write(d->irqfd, &one, sizeof(one)) < 0)
		log_debug("virtio %s: irqfd write: %s", d->ops->name, strerror(errno));
}

/* InterruptStatus: in the register page where there is one, so that the
 * guest's read sees each bit the moment it is set. */
static uint32_t *isr(struct virtio_dev *d)
{
	return d->shadow ? &d->shadow[VIRTIO_MMIO_INTERRUPT_STATUS / 4] : &d->interrupt_status;
}

void virtio_signal_used(struct virtio_dev *d)
{
	/* Seq-cst: the bit is visible before the irqfd write raises the line. */
	__atomic_fetch_or(isr(d), VIRTIO_INT_USED_RING, __ATOMIC_SEQ_CST);
	kick_irqfd(d);
}

void virtio_signal_config(struct virtio_dev *d)
{
	uint64_t one = 1;

	if (d->shadow) {
		/* The page's config is rewritten on the loop thread: callers may
		 * hold their own locks, which config_read takes. */
		__atomic_fetch_or(&d->config_owed, VIRTIO_INT_CONFIG, __ATOMIC_SEQ_CST);
		if (write(d->config_fd, &one, sizeof(one)) < 0)
			log_debug("virtio %s: config eventfd: %s", d->ops->name, strerror(errno));
		return;
	}
	/* §4.2.2: ConfigGeneration changes with the config; no lock, as callers may
	 * already hold the device lock. */
	__atomic_add_fetch(&d->config_generation, 1, __ATOMIC_RELEASE);
	__atomic_fetch_or(isr(d), VIRTIO_INT_CONFIG, __ATOMIC_SEQ_CST);
	kick_irqfd(d);
}

bool virtio_has_feature(const struct virtio_dev *d, unsigned int bit)
{
	/* driver_features holds what the driver wrote; it counts once accepted. */
	return bit < 64 && (d->status & VIRTIO_STATUS_FEATURES_OK) &&
	       (d->driver_features >> bit & 1);
}

/* The selected queue if it exists, else NULL (queue_sel is guest-chosen). */
static struct vq *selected_vq(struct virtio_dev *d)
{
	return d->queue_sel < nqueues(d) ? &d->vq[d->queue_sel] : NULL;
}

static void config_access(struct virtio_dev *d, uint64_t off, void *data, uint32_t len,
			  bool write)
{
	const struct virtio_dev_ops *ops = d->ops;

	if (len > ops->config_size || off > ops->config_size - len) {
		log_debug("virtio %s: config access %u bytes at 0x%llx out of range",
			  ops->name, len, (unsigned long long)off);
		if (!write)
			memset(data, 0, len);
		return;
	}
	if (write && ops->config_write)
		ops->config_write(d, (uint32_t)off, data, len);
	else if (!write && ops->config_read)
		ops->config_read(d, (uint32_t)off, data, len);
	else if (!write)
		memset(data, 0, len);
}

static uint32_t hi(uint64_t v)
{
	return (uint32_t)(v >> 32);
}

static uint32_t reg_read(struct virtio_dev *d, uint64_t offset)
{
	struct vq *q = selected_vq(d);
	const struct virtio_shm *shm = d->shm_sel < VIRTIO_MMIO_MAX_SHM && d->shm[d->shm_sel].len ?
					       &d->shm[d->shm_sel] : NULL;

	switch (offset) {
	case VIRTIO_MMIO_MAGIC_VALUE:
		return VIRTIO_MMIO_MAGIC;
	case VIRTIO_MMIO_VERSION:
		return VIRTIO_MMIO_VERSION_2;
	case VIRTIO_MMIO_DEVICE_ID:
		return d->ops->device_id;
	case VIRTIO_MMIO_VENDOR_ID:
		return VIRTIO_MMIO_VENDOR;
	case VIRTIO_MMIO_DEVICE_FEATURES:
		if (d->device_features_sel > 1)
			return 0;
		return (uint32_t)(offered_features(d) >> (32 * d->device_features_sel));
	case VIRTIO_MMIO_QUEUE_NUM_MAX:
		return q ? queue_max(d, d->queue_sel) : 0;
	case VIRTIO_MMIO_QUEUE_NUM:
		return q ? q->size : 0;
	case VIRTIO_MMIO_QUEUE_READY:
		return q ? q->ready : 0;
	case VIRTIO_MMIO_QUEUE_DESC_LOW:
		return q ? (uint32_t)q->desc_gpa : 0;
	case VIRTIO_MMIO_QUEUE_DESC_HIGH:
		return q ? hi(q->desc_gpa) : 0;
	case VIRTIO_MMIO_QUEUE_AVAIL_LOW:
		return q ? (uint32_t)q->avail_gpa : 0;
	case VIRTIO_MMIO_QUEUE_AVAIL_HIGH:
		return q ? hi(q->avail_gpa) : 0;
	case VIRTIO_MMIO_QUEUE_USED_LOW:
		return q ? (uint32_t)q->used_gpa : 0;
	case VIRTIO_MMIO_QUEUE_USED_HIGH:
		return q ? hi(q->used_gpa) : 0;
	case VIRTIO_MMIO_INTERRUPT_STATUS:
		return __atomic_load_n(isr(d), __ATOMIC_SEQ_CST);
	case VIRTIO_MMIO_STATUS:
		return d->status;
	case VIRTIO_MMIO_SHM_LEN_LOW:
		return shm ? (uint32_t)shm->len : ~0U; /* §4.2.2: length -1, no such region */
	case VIRTIO_MMIO_SHM_LEN_HIGH:
		return shm ? hi(shm->len) : ~0U;
	case VIRTIO_MMIO_SHM_BASE_LOW:
		return shm ? (uint32_t)shm->base : ~0U;
	case VIRTIO_MMIO_SHM_BASE_HIGH:
		return shm ? hi(shm->base) : ~0U;
	case VIRTIO_MMIO_CONFIG_GENERATION:
		return __atomic_load_n(&d->config_generation, __ATOMIC_ACQUIRE);
	default:
		return 0;
	}
}

/* The page's registers as reg_read gives them, but InterruptStatus, which only
 * atomic or/and change (a store here could drop a bit set meanwhile). Device
 * lock held. */
static void shadow_regs(struct virtio_dev *d)
{
	for (uint32_t off = 0; off < VIRTIO_MMIO_CONFIG; off += 4)
		if (off != VIRTIO_MMIO_INTERRUPT_STATUS)
			__atomic_store_n(&d->shadow[off / 4], reg_read(d, off), __ATOMIC_RELAXED);
}

/* The page's config space, if it changed: ConfigGeneration moves before and
 * after the bytes, so a driver reading generation, fields, generation across
 * the update sees two different generations and reads again (§2.4.1). Device
 * lock held. */
static void shadow_config(struct virtio_dev *d)
{
	uint8_t cfg[VIRTIO_MMIO_SIZE - VIRTIO_MMIO_CONFIG];
	uint8_t *page = (uint8_t *)d->shadow + VIRTIO_MMIO_CONFIG;
	uint32_t size = d->ops->config_size, gen;

	if (size > sizeof(cfg))
		size = sizeof(cfg);
	if (size == 0)
		return;
	config_access(d, 0, cfg, size, false);
	if (!memcmp(cfg, page, size))
		return;
	gen = ++d->config_generation;
	__atomic_store_n(&d->shadow[VIRTIO_MMIO_CONFIG_GENERATION / 4], gen, __ATOMIC_RELEASE);
	for (uint32_t i = 0; i < size; i++)
		__atomic_store_n(&page[i], cfg[i], __ATOMIC_RELAXED);
	gen = ++d->config_generation;
	__atomic_store_n(&d->shadow[VIRTIO_MMIO_CONFIG_GENERATION / 4], gen, __ATOMIC_RELEASE);
}

void virtio_mmio_read(struct virtio_dev *d, uint64_t offset, void *data, uint32_t len)
{
	uint32_t v;

	pthread_mutex_lock(&d->lock);
	if (offset >= VIRTIO_MMIO_CONFIG) {
		config_access(d, offset - VIRTIO_MMIO_CONFIG, data, len, false);
	} else if (len != 4 || offset % 4) {
		/* §4.2.2.2: control registers take aligned 32-bit accesses only. */
		log_debug("virtio %s: %u-byte read at 0x%llx", d->ops->name, len,
			  (unsigned long long)offset);
		memset(data, 0, len);
	} else {
		v = reg_read(d, offset);
		memcpy(data, &v, sizeof(v));
	}
	pthread_mutex_unlock(&d->lock);
}

static void set_lo(uint64_t *v, uint32_t lo)
{
	*v = (*v & ~0xffffffffULL) | lo;
}

static void set_hi(uint64_t *v, uint32_t h)
{
	*v = (*v & 0xffffffffULL) | (uint64_t)h << 32;
}

static void dev_reset(struct virtio_dev *d)
{
	if (d->ops->reset)
		d->ops->reset(d);
	for (unsigned int i = 0; i < nqueues(d); i++)
		vq_reset(&d->vq[i]);
	d->status = 0;
	d->device_features_sel = 0;
	d->driver_features_sel = 0;
	d->driver_features = 0;
	d->queue_sel = 0;
	d->shm_sel = 0;
	__atomic_store_n(isr(d), 0, __ATOMIC_SEQ_CST);
}

/* §2.1.2: a device that cannot go on sets NEEDS_RESET and, after DRIVER_OK,
 * tells the driver with a configuration change notification. */
static void dev_fail(struct virtio_dev *d)
{
	for (unsigned int i = 0; i < nqueues(d); i++)
		d->vq[i].active = false;
	d->status |= VIRTIO_STATUS_NEEDS_RESET;
	virtio_signal_config(d);
}

static void dev_activate(struct virtio_dev *d)
{
	int r;

	if (!d->mem) {
		log_error("virtio %s: no guest memory at DRIVER_OK", d->ops->name);
		dev_fail(d);
		return;
	}
	for (unsigned int i = 0; i < nqueues(d); i++) {
		if (!d->vq[i].ready)
			continue;
		/* §2.7.10: only where the device offered it and the driver took it
		 * (FEATURES_OK was refused for anything not offered). */
		d->vq[i].event_idx = virtio_has_feature(d, VIRTIO_F_EVENT_IDX);
		if (vq_activate(&d->vq[i], d->mem) < 0) {
			log_debug("virtio %s: queue %u set up wrongly", d->ops->name, i);
			dev_fail(d);
			return;
		}
	}
	r = d->ops->activate ? d->ops->activate(d) : 0;
	if (r < 0) {
		/* The device logs its own reason; a guest can repeat this at will. */
		log_debug("virtio %s: activation failed: %s", d->ops->name, strerror(-r));
		dev_fail(d);
	}
}

static void status_write(struct virtio_dev *d, uint32_t v)
{
	uint32_t own = d->status & ~(uint32_t)VIRTIO_STATUS_NEEDS_RESET;
	uint32_t added;

	if (v == 0) {
		dev_reset(d);
		return;
	}
	/* §2.1.1: the driver never clears a bit, except by reset. NEEDS_RESET is
	 * the device's to set, whatever the driver writes. */
	if ((v & own) != own) {
		log_debug("virtio %s: status 0x%x clears bits of 0x%x", d->ops->name, v,
			  d->status);
		return;
	}
	v = (v & ~(uint32_t)VIRTIO_STATUS_NEEDS_RESET) | (d->status & VIRTIO_STATUS_NEEDS_RESET);
	added = v & ~d->status;
	/* §2.2.2 and §6.1: the driver takes a subset of what is offered, and a
	 * modern device needs VERSION_1; otherwise FEATURES_OK stays clear. */
	if ((added & VIRTIO_STATUS_FEATURES_OK) &&
	    ((d->driver_features & ~offered_features(d)) ||
	     !(d->driver_features >> VIRTIO_F_VERSION_1 & 1))) {
		log_debug("virtio %s: refusing driver features 0x%llx", d->ops->name,
			  (unsigned long long)d->driver_features);
		v &= ~(uint32_t)VIRTIO_STATUS_FEATURES_OK;
		added &= ~(uint32_t)VIRTIO_STATUS_FEATURES_OK;
	}
	if ((added & VIRTIO_STATUS_DRIVER_OK) && !(v & VIRTIO_STATUS_FEATURES_OK)) {
		log_debug("virtio %s: DRIVER_OK without FEATURES_OK", d->ops->name);
		v &= ~(uint32_t)VIRTIO_STATUS_DRIVER_OK;
		added &= ~(uint32_t)VIRTIO_STATUS_DRIVER_OK;
	}
	d->status = v;
	if (added & VIRTIO_STATUS_DRIVER_OK)
		dev_activate(d);
}

/* Queue configuration (§4.2.3.2): only before DRIVER_OK and while the queue is
 * not ready, so an active queue's rings never move under the device. */
static void queue_write(struct virtio_dev *d, uint64_t offset, uint32_t v)
{
	struct vq *q = selected_vq(d);

	if (!q || q->ready || (d->status & VIRTIO_STATUS_DRIVER_OK)) {
		log_debug("virtio %s: queue %u register 0x%llx not writable now",
			  d->ops->name, d->queue_sel, (unsigned long long)offset);
		return;
	}
	switch (offset) {
	case VIRTIO_MMIO_QUEUE_NUM:
		if (v == 0 || v > queue_max(d, d->queue_sel) || (v & (v - 1))) {
			log_debug("virtio %s: bad queue size %u", d->ops->name, v);
			return;
		}
		q->max_size = queue_max(d, d->queue_sel);
		q->size = (uint16_t)v;
		break;
	case VIRTIO_MMIO_QUEUE_READY:
		q->ready = v & 1;
		break;
	case VIRTIO_MMIO_QUEUE_DESC_LOW:
		set_lo(&q->desc_gpa, v);
		break;
	case VIRTIO_MMIO_QUEUE_DESC_HIGH:
		set_hi(&q->desc_gpa, v);
		break;
	case VIRTIO_MMIO_QUEUE_AVAIL_LOW:
		set_lo(&q->avail_gpa, v);
		break;
	case VIRTIO_MMIO_QUEUE_AVAIL_HIGH:
		set_hi(&q->avail_gpa, v);
		break;
	case VIRTIO_MMIO_QUEUE_USED_LOW:
		set_lo(&q->used_gpa, v);
		break;
	case VIRTIO_MMIO_QUEUE_USED_HIGH:
		set_hi(&q->used_gpa, v);
		break;
	default:
		break;
	}
}

/* A notify that no ioeventfd caught: hand it to the loop thread through the
 * queue's eventfd, so ops->queue_notify always runs there. */
static void notify_write(struct virtio_dev *d, uint32_t qidx)
{
	uint64_t one = 1;

	if (qidx >= nqueues(d) || !d->vq[qidx].active || d->notify_fd[qidx] < 0) {
		log_debug("virtio %s: notify for queue %u ignored", d->ops->name, qidx);
		return;
	}
	if (write(d->notify_fd[qidx], &one, sizeof(one)) < 0)
		log_debug("virtio %s: notify eventfd: %s", d->ops->name, strerror(errno));
}

static void reg_write(struct virtio_dev *d, uint64_t offset, uint32_t v)
{
	switch (offset) {
	case VIRTIO_MMIO_DEVICE_FEATURES_SEL:
		d->device_features_sel = v;
		break;
	case VIRTIO_MMIO_DRIVER_FEATURES:
		/* §3.1.1: features are written between DRIVER and FEATURES_OK. */
		if ((d->status & VIRTIO_STATUS_FEATURES_OK) || d->driver_features_sel > 1) {
			log_debug("virtio %s: driver features write ignored", d->ops->name);
			break;
		}
		if (d->driver_features_sel == 0)
			set_lo(&d->driver_features, v);
		else
			set_hi(&d->driver_features, v);
		break;
	case VIRTIO_MMIO_DRIVER_FEATURES_SEL:
		d->driver_features_sel = v;
		break;
	case VIRTIO_MMIO_QUEUE_SEL:
		d->queue_sel = v;
		break;
	case VIRTIO_MMIO_SHM_SEL:
		d->shm_sel = v;
		break;
	case VIRTIO_MMIO_QUEUE_NUM:
	case VIRTIO_MMIO_QUEUE_READY:
	case VIRTIO_MMIO_QUEUE_DESC_LOW:
	case VIRTIO_MMIO_QUEUE_DESC_HIGH:
	case VIRTIO_MMIO_QUEUE_AVAIL_LOW:
	case VIRTIO_MMIO_QUEUE_AVAIL_HIGH:
	case VIRTIO_MMIO_QUEUE_USED_LOW:
	case VIRTIO_MMIO_QUEUE_USED_HIGH:
		queue_write(d, offset, v);
		break;
	case VIRTIO_MMIO_QUEUE_NOTIFY:
		notify_write(d, v);
		break;
	case VIRTIO_MMIO_INTERRUPT_ACK:
		__atomic_fetch_and(isr(d), ~v, __ATOMIC_SEQ_CST);
		break;
	case VIRTIO_MMIO_STATUS:
		status_write(d, v);
		break;
	default:
		log_debug("virtio %s: write to read-only or unknown register 0x%llx",
			  d->ops->name, (unsigned long long)offset);
		break;
	}
}

void virtio_mmio_write(struct virtio_dev *d, uint64_t offset, const void *data, uint32_t len)
{
	uint32_t v;

	pthread_mutex_lock(&d->lock);
	if (offset >= VIRTIO_MMIO_CONFIG) {
		config_access(d, offset - VIRTIO_MMIO_CONFIG, (void *)(uintptr_t)data, len, true);
	} else if (len != 4 || offset % 4) {
		log_debug("virtio %s: %u-byte write at 0x%llx", d->ops->name, len,
			  (unsigned long long)offset);
	} else {
		memcpy(&v, data, sizeof(v));
		reg_write(d, offset, v);
	}
	if (d->shadow) {
		/* Before the vCPU resumes: its next read must see this write. The
		 * config too, not only after config writes: a reset or an
		 * activation may change it (the console reads the window size). */
		shadow_regs(d);
		shadow_config(d);
	}
	pthread_mutex_unlock(&d->lock);
}

void virtio_mmio_shadow_attach(struct virtio_dev *d, uint32_t *page)
{
	pthread_mutex_lock(&d->lock);
	page[VIRTIO_MMIO_INTERRUPT_STATUS / 4] = __atomic_load_n(&d->interrupt_status,
								 __ATOMIC_SEQ_CST);
	d->shadow = page;
	shadow_regs(d);
	shadow_config(d);
	pthread_mutex_unlock(&d->lock);
}

void virtio_mmio_config_refresh(struct virtio_dev *d)
{
	uint32_t owed;

	pthread_mutex_lock(&d->lock);
	owed = __atomic_exchange_n(&d->config_owed, 0, __ATOMIC_SEQ_CST);
	if (owed) {
		/* §4.2.2: ConfigGeneration changes with every announced change, even
		 * one that left the bytes as they were (NEEDS_RESET). */
		d->config_generation++;
		shadow_config(d);
		shadow_regs(d);
		__atomic_fetch_or(isr(d), owed, __ATOMIC_SEQ_CST);
	}
	pthread_mutex_unlock(&d->lock);
	if (owed)
		kick_irqfd(d);
}
