/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Split virtqueues (virtio 1.2 §2.7), device side, for a hostile guest.
 *
 * The transport fills size and the three ring addresses from the guest's register
 * writes, then calls vq_activate, which checks them (alignment, inside guest RAM)
 * and caches host pointers to the rings. Devices then pop chains and push them
 * back. One thread at a time may pop/push a given queue.
 *
 * Guarantees against a hostile driver:
 * - every descriptor address/length is checked with gmem_ptr before use;
 * - a chain is at most `size` descriptors long (a loop ends), indirect tables
 *   (§2.7.5.3) are checked (length a multiple of 16, inside RAM, no nesting, no
 *   NEXT out of the table) and bounded by VQ_MAX_SEGS;
 * - readable descriptors after a writable one are rejected (§2.7.4.2);
 * - an avail index that runs more than `size` ahead of ours is a broken ring: the
 *   queue is marked broken and pops nothing more until reset;
 * - a bad chain is completed with length 0 and logged, never returned to the device;
 * - with VIRTIO_F_EVENT_IDX, used_event and avail_event are read and written at
 *   offsets that vq_activate's ring sizes cover, and any used_event value only
 *   changes whether an interrupt is sent.
 *
 * Notification suppression (§2.7.7, §2.7.10): without VIRTIO_F_EVENT_IDX the
 * driver's VIRTQ_AVAIL_F_NO_INTERRUPT flag decides interrupts and the driver
 * kicks for every buffer. With it (event_idx, set by the transport when both
 * sides took the feature) the device interrupts only when the used index
 * passes the driver's used_event, and the driver kicks only when its avail
 * index passes the avail_event that vq_pop writes when it finds the ring
 * empty. So a device must keep calling vq_pop until it returns 0 (or come
 * back later without waiting for a kick, e.g. after its own budget runs out),
 * and must call vq_needs_signal after every batch it pushes.
 */
#ifndef LIBKRUN_VIRTIO_QUEUE_H
#define LIBKRUN_VIRTIO_QUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmm/gmem.h"

#define VQ_MAX_SIZE 1024 /* largest queue size any device offers */
#define VQ_MAX_SEGS 512  /* most segments in one chain, indirect included (a 1 MiB
			  * FUSE WRITE or READ from virtio-fs takes ~260) */

/* Ring flags and descriptor flags (virtio 1.2 §2.7.5, §2.7.6, §2.7.8). */
#define VIRTQ_DESC_F_NEXT 1
#define VIRTQ_DESC_F_WRITE 2
#define VIRTQ_DESC_F_INDIRECT 4
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1

struct vq {
	/* Written by the transport while the queue is not ready. */
	uint16_t size;     /* power of two, 1..max_size */
	uint16_t max_size; /* what the device offers (QueueNumMax) */
	uint64_t desc_gpa, avail_gpa, used_gpa;
	bool ready;        /* QueueReady as the driver set it */
	bool event_idx;    /* VIRTIO_F_EVENT_IDX offered and accepted (§2.7.10) */

	/* Device-side state, valid after vq_activate. */
	const struct gmem *mem;
	struct virtq_desc_raw *desc; /* host pointers to the rings */
	uint16_t *avail;             /* flags, idx, ring[size], used_event */
	uint16_t *used;              /* flags, idx, ring[size] of 8 bytes, avail_event */
	uint16_t last_avail;         /* next avail entry we will take */
	uint16_t used_idx;           /* our copy of used->idx */
	uint16_t signalled_used;     /* used_idx at the last vq_needs_signal (event_idx) */
	bool active;
	bool broken;
	unsigned long bad_chains; /* count, for tests and logs */
};

struct virtq_desc_raw {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

struct vq_seg {
	uint8_t *host; /* checked host pointer to the whole segment */
	uint32_t len;
};

struct vq_chain {
	uint16_t head;                  /* id to give back to vq_push */
	uint16_t nout, nin;             /* readable segments, then writable ones */
	struct vq_seg seg[VQ_MAX_SEGS]; /* seg[0..nout) readable, seg[nout..nout+nin) writable */
	uint64_t out_bytes, in_bytes;   /* totals of each kind */
};

/* Checks the ring addresses and size against guest RAM (the avail ring with
 * used_event, the used ring with avail_event: §2.7.6, §2.7.8), caches pointers,
 * resets indexes. event_idx is the transport's, set before. Returns 0 or
 * -EINVAL (the queue stays inactive). */
int vq_activate(struct vq *q, const struct gmem *mem);

/* Forgets device state; the transport's fields are reset to zero, max_size kept. */
void vq_reset(struct vq *q);

/*
 * Takes the next available chain into *c. Returns 1 with a good chain, 0 when the
 * ring is empty (or the queue inactive/broken). Bad chains met on the way are
 * completed with length 0 and skipped; *pushed is set to true if that happened
 * (the caller then owes the driver an interrupt, see vq_needs_signal). With
 * event_idx, 0 for an empty ring means avail_event was set so that the driver
 * kicks for its next buffer, and the ring was found empty after that.
 */
int vq_pop(struct vq *q, struct vq_chain *c, bool *pushed);

/* Whether a chain is waiting, without taking it. Where it finds none with
 * event_idx it sets avail_event as vq_pop does, so that the driver kicks for
 * its next buffer. Same thread rules as vq_pop. */
bool vq_has_avail(struct vq *q);

/* Returns a chain to the driver with `written` bytes written into its writable
 * segments (capped at the chain's in_bytes by the caller). */
void vq_push(struct vq *q, uint16_t head, uint32_t written);

/*
 * Whether the driver wants an interrupt for what was pushed since the last call.
 * Without event_idx: VIRTQ_AVAIL_F_NO_INTERRUPT is clear. With event_idx: the
 * used index passed used_event since the previous call (§2.7.10), so the caller
 * must send the interrupt when this returns true; a call with nothing pushed
 * since the previous one returns false. Same thread rules as vq_push.
 */
bool vq_needs_signal(struct vq *q);

/* Copy helpers over a chain's readable (out) or writable (in) segments, treating
 * them as one byte stream. Return the number of bytes copied (short at the end). */
size_t vq_chain_read(const struct vq_chain *c, size_t offset, void *dst, size_t len);
size_t vq_chain_write(const struct vq_chain *c, size_t offset, const void *src, size_t len);

#endif
