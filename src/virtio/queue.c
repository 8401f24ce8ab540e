/* SPDX-License-Identifier: Apache-2.0 */
#include "virtio/queue.h"

#include <errno.h>
#include <string.h>

#include "util/log.h"

/* Ring layout, virtio 1.2 §2.7, in 16-bit words: avail is flags, idx,
 * ring[size], used_event (at VQ_AVAIL_RING + size); used is flags, idx,
 * ring[size] of {id, len} (4 words each), avail_event (at VQ_USED_RING + 4 * size). */
#define VQ_AVAIL_IDX 1
#define VQ_AVAIL_RING 2
#define VQ_USED_IDX 1
#define VQ_USED_RING 2

struct virtq_used_elem {
	uint32_t id;
	uint32_t len;
};

static bool vq_ring_ok(const struct gmem *mem, uint64_t gpa, uint64_t len, uint64_t align)
{
	return (gpa & (align - 1)) == 0 && gmem_ptr(mem, gpa, len) != NULL;
}

int vq_activate(struct vq *q, const struct gmem *mem)
{
	uint64_t n = q->size;

	q->active = false;
	/* §2.7: size is a power of two; ring alignments 16, 2 and 4. The ring sizes
	 * (§2.7.6: 6 + 2 * size, §2.7.8: 6 + 8 * size) include used_event and
	 * avail_event, so event_idx reads and writes them without another check. */
	if (n == 0 || n > q->max_size || n > VQ_MAX_SIZE || (n & (n - 1)) ||
	    !vq_ring_ok(mem, q->desc_gpa, 16 * n, 16) ||
	    !vq_ring_ok(mem, q->avail_gpa, 6 + 2 * n, 2) ||
	    !vq_ring_ok(mem, q->used_gpa, 6 + 8 * n, 4)) {
		log_debug("virtq: rejecting queue (size %u, desc 0x%llx, avail 0x%llx, used 0x%llx)",
			  q->size, (unsigned long long)q->desc_gpa,
			  (unsigned long long)q->avail_gpa, (unsigned long long)q->used_gpa);
		return -EINVAL;
	}
	q->mem = mem;
	q->desc = gmem_ptr(mem, q->desc_gpa, 16 * n);
	q->avail = gmem_ptr(mem, q->avail_gpa, 6 + 2 * n);
	q->used = gmem_ptr(mem, q->used_gpa, 6 + 8 * n);
	q->last_avail = 0;
	q->used_idx = 0;
	q->signalled_used = 0;
	q->broken = false;
	q->bad_chains = 0;
	q->active = true;
	return 0;
}

void vq_reset(struct vq *q)
{
	uint16_t max_size = q->max_size;

	memset(q, 0, sizeof(*q));
	q->max_size = max_size;
}

/*
 * One copy of a descriptor the guest may be rewriting: after the compiler fence
 * every use reads the local, never guest memory again (no double fetch).
 */
static void vq_load_desc(const uint8_t *table, uint16_t idx, struct virtq_desc_raw *d)
{
	memcpy(d, table + (size_t)idx * sizeof(*d), sizeof(*d));
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
}

/* Adds one checked buffer to the chain; -errno if it cannot be used. */
static int vq_add_seg(const struct vq *q, struct vq_chain *c, const struct virtq_desc_raw *d)
{
	bool writable = d->flags & VIRTQ_DESC_F_WRITE;
	uint8_t *host;

	/* §2.7.5.2: device-readable descriptors come before device-writable ones. */
	if (!writable && c->nin)
		return -EINVAL;
	if (d->len == 0)
		return 0; /* nothing to transfer: no segment, nothing to check */
	if (c->nout + c->nin >= VQ_MAX_SEGS)
		return -E2BIG;
	host = gmem_ptr(q->mem, d->addr, d->len);
	if (!host)
		return -EFAULT;
	c->seg[c->nout + c->nin] = (struct vq_seg){ .host = host, .len = d->len };
	if (writable) {
		c->nin++;
		c->in_bytes += d->len;
	} else {
		c->nout++;
		c->out_bytes += d->len;
	}
	return 0;
}

/*
 * Walks the chain at head. Each table (the ring's, then at most one indirect
 * table) allows as many descriptors as it has entries, so a loop ends (§2.7.5.3.1:
 * a chain is no longer than the queue size).
 */
static int vq_walk(const struct vq *q, uint16_t head, struct vq_chain *c)
{
	const uint8_t *table = (const uint8_t *)q->desc;
	uint32_t entries = q->size, budget = q->size;
	bool in_indirect = false;
	uint16_t idx = head;
	struct virtq_desc_raw d;
	int r;

	c->head = head;
	c->nout = c->nin = 0;
	c->out_bytes = c->in_bytes = 0;
	if (head >= q->size)
		return -EINVAL;
	for (;;) {
		if (budget-- == 0)
			return -ELOOP;
		vq_load_desc(table, idx, &d);
		if (d.flags & VIRTQ_DESC_F_INDIRECT) {
			/* §2.7.5.3.1: no nesting, not with NEXT, whole 16-byte entries. */
			if (in_indirect || (d.flags & VIRTQ_DESC_F_NEXT) || d.len == 0 ||
			    d.len % sizeof(d) || d.len / sizeof(d) > VQ_MAX_SIZE)
				return -EINVAL;
			/* No alignment rule for indirect tables: read bytewise. */
			table = gmem_ptr(q->mem, d.addr, d.len);
			if (!table)
				return -EFAULT;
			entries = budget = d.len / sizeof(d);
			in_indirect = true;
			idx = 0;
			continue;
		}
		r = vq_add_seg(q, c, &d);
		if (r < 0)
			return r;
		if (!(d.flags & VIRTQ_DESC_F_NEXT))
			return 0;
		if (d.next >= entries)
			return -EINVAL;
		idx = d.next;
	}
}

/*
 * §2.7.10 with VIRTIO_F_EVENT_IDX: the ring looked empty. avail_event =
 * last_avail asks the driver to kick once its avail idx passes it; a buffer
 * made available before the driver could see that came without a kick, so
 * avail->idx is read again after a full barrier (the driver's side is the
 * mirror: idx store, barrier, avail_event load). Returns that idx.
 */
static uint16_t vq_ask_kick(struct vq *q)
{
	__atomic_store_n(&q->used[VQ_USED_RING + 4 * q->size], q->last_avail, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return __atomic_load_n(&q->avail[VQ_AVAIL_IDX], __ATOMIC_ACQUIRE);
}

/* The driver's avail idx; where it shows nothing new, with event_idx, after
 * asking for a kick and looking once more. Acquire: the ring entry and
 * descriptors are read after idx (§2.7.13). */
static uint16_t vq_avail_idx(struct vq *q)
{
	uint16_t avail = __atomic_load_n(&q->avail[VQ_AVAIL_IDX], __ATOMIC_ACQUIRE);

	if (avail == q->last_avail && q->event_idx)
		avail = vq_ask_kick(q);
	return avail;
}

bool vq_has_avail(struct vq *q)
{
	return q->active && !q->broken && vq_avail_idx(q) != q->last_avail;
}

int vq_pop(struct vq *q, struct vq_chain *c, bool *pushed)
{
	while (q->active && !q->broken) {
		/* One second look per pass, so a guest flipping idx cannot hold us. */
		uint16_t avail = vq_avail_idx(q);
		uint16_t pending, head;
		int r;

		pending = (uint16_t)(avail - q->last_avail);
		if (pending == 0)
			return 0;
		if (pending > q->size) {
			log_debug("virtq: avail idx %u is %u ahead of %u (size %u): queue broken",
				  avail, pending, q->last_avail, q->size);
			q->broken = true;
			return 0;
		}
		head = __atomic_load_n(&q->avail[VQ_AVAIL_RING + (q->last_avail & (q->size - 1))],
				       __ATOMIC_RELAXED);
		q->last_avail++;
		r = vq_walk(q, head, c);
		if (r == 0)
			return 1;
		/* A bad chain is returned empty so that the driver does not wait for
		 * it forever; the device never sees it. */
		q->bad_chains++;
		log_debug("virtq: bad chain at head %u: %s", head, strerror(-r));
		vq_push(q, head, 0);
		if (pushed)
			*pushed = true;
	}
	return 0;
}

void vq_push(struct vq *q, uint16_t head, uint32_t written)
{
	struct virtq_used_elem *ring;
	struct virtq_used_elem e = { .id = head, .len = written };

	if (!q->active)
		return;
	ring = (struct virtq_used_elem *)(void *)&q->used[VQ_USED_RING];
	memcpy(&ring[q->used_idx & (q->size - 1)], &e, sizeof(e));
	q->used_idx++;
	/* Release: the element (and the data written into the buffers) is visible
	 * before the new index (§2.7.8.2). */
	__atomic_store_n(&q->used[VQ_USED_IDX], q->used_idx, __ATOMIC_RELEASE);
}

/* §2.7.10: whether moving the used idx from old to new_idx passed event, i.e.
 * wrote the entry at index event (Linux's vring_need_event; u16 arithmetic, so
 * any event value is a plain answer). */
static bool vq_need_event(uint16_t event, uint16_t new_idx, uint16_t old)
{
	return (uint16_t)(new_idx - event - 1) < (uint16_t)(new_idx - old);
}

bool vq_needs_signal(struct vq *q)
{
	uint16_t old;

	if (!q->active)
		return false;
	/* Full barrier: used->idx must be visible before the flags (or used_event)
	 * are read, or a driver re-enabling interrupts in between would miss this
	 * one (§2.7.13). */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!q->event_idx)
		return !(__atomic_load_n(&q->avail[0], __ATOMIC_RELAXED) &
			 VIRTQ_AVAIL_F_NO_INTERRUPT);
	/* §2.7.7.2: the flags are ignored. Everything pushed since the last call
	 * is judged now, so nothing pushed goes unjudged (vhost's signalled_used). */
	old = q->signalled_used;
	q->signalled_used = q->used_idx;
	return vq_need_event(__atomic_load_n(&q->avail[VQ_AVAIL_RING + q->size], __ATOMIC_RELAXED),
			     q->used_idx, old);
}

/* Copies across segs[0..nsegs) as one stream starting at offset. to_guest picks
 * the direction. */
static size_t vq_copy(const struct vq_seg *segs, unsigned int nsegs, size_t offset,
		      uint8_t *host, size_t len, bool to_guest)
{
	size_t done = 0;

	for (unsigned int i = 0; i < nsegs && done < len; i++) {
		size_t n;

		if (offset >= segs[i].len) {
			offset -= segs[i].len;
			continue;
		}
		n = segs[i].len - offset;
		if (n > len - done)
			n = len - done;
		if (to_guest)
			memcpy(segs[i].host + offset, host + done, n);
		else
			memcpy(host + done, segs[i].host + offset, n);
		done += n;
		offset = 0;
	}
	return done;
}

size_t vq_chain_read(const struct vq_chain *c, size_t offset, void *dst, size_t len)
{
	return vq_copy(c->seg, c->nout, offset, dst, len, false);
}

size_t vq_chain_write(const struct vq_chain *c, size_t offset, const void *src, size_t len)
{
	return vq_copy(c->seg + c->nout, c->nin, offset, (uint8_t *)(uintptr_t)src, len, true);
}
