/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Refcounts (qcow2.txt "Host cluster management"): the refcount table (in
 * memory, written through) points to refcount blocks of 2^rb_bits entries of
 * 2^refcount_order bits each, big-endian; entries narrower than a byte are
 * packed from the byte's least significant bit up (as QEMU's
 * get_refcount_ro0..2 read them).
 *
 * Allocation only ever takes the cluster at the file's end (q->end). When the
 * refcount block that must count it does not exist yet, that cluster becomes
 * the refcount block itself (counting itself), and its table entry is written
 * only after the block is on disk (an fdatasync between them): a crash
 * leaves either no block or a complete one. A full refcount table is not
 * grown: allocation fails with -ENOSPC (logged).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "devices/blk/disk_io.h"
#include "devices/blk/qcow2.h"
#include "util/log.h"

/* Sets entry idx of a refcount block held in memory or on disk at rbo. */
static int refcount_put(struct qcow2 *q, uint8_t *block, uint64_t rbo, uint64_t idx,
			uint64_t value)
{
	uint64_t bit = idx << q->refcount_order;
	unsigned int width = 1u << q->refcount_order;
	uint8_t b[8];
	size_t n;

	if (width < 8) {
		unsigned int shift = bit % 8;
		uint8_t mask = (uint8_t)(((1u << width) - 1) << shift), old;
		int r;

		if (block)
			old = block[bit / 8];
		else if ((r = disk_pread_full(q->fd, &old, 1, rbo + bit / 8)) < 0)
			return r;
		b[0] = (uint8_t)((old & ~mask) | ((value << shift) & mask));
		n = 1;
	} else {
		n = width / 8;
		for (size_t i = 0; i < n; i++)
			b[n - 1 - i] = (uint8_t)(value >> (8 * i));
	}
	if (block) {
		memcpy(block + bit / 8, b, n);
		return 0;
	}
	return disk_pwrite_full(q->fd, b, n, rbo + bit / 8);
}

/* Makes the cluster at q->end the refcount block for table entry ri. */
static int refblock_create(struct qcow2 *q, uint64_t ri)
{
	uint64_t at = q->end, first = ri << q->rb_bits;
	uint8_t *blk = calloc(1, q->cluster_size), e[8];
	int r;

	if (!blk)
		return -ENOMEM;
	r = refcount_put(q, blk, 0, (at >> q->cluster_bits) - first, 1);
	if (r == 0)
		r = disk_pwrite_full(q->fd, blk, q->cluster_size, at);
	free(blk);
	if (r == 0 && fdatasync(q->fd) < 0)
		r = -errno;
	if (r < 0)
		goto out;
	qcow2_put_be64(e, at);
	r = disk_pwrite_full(q->fd, e, 8, q->reftable_offset + ri * 8);
	if (r < 0)
		goto out;
	q->reftable[ri] = at;
	q->end += q->cluster_size;
	return 0;
out:
	log_error("qcow2 %s: cannot write a refcount block: %s", q->path, strerror(-r));
	return r;
}

int qcow2_alloc_cluster(struct qcow2 *q, uint64_t *off)
{
	int r;

	for (;;) {
		uint64_t c = q->end >> q->cluster_bits, ri = c >> q->rb_bits, rbo;

		if (q->end > QCOW2_OFFSET_MASK || ri >= q->reftable_entries) {
			log_error("qcow2 %s: the refcount table is full (%llu blocks); growing it "
				  "is not supported", q->path, (unsigned long long)q->reftable_entries);
			return -ENOSPC;
		}
		rbo = q->reftable[ri] & QCOW2_OFFSET_MASK;
		if (!rbo) {
			r = refblock_create(q, ri);
			if (r < 0)
				return r;
			continue; /* q->end moved past the new block */
		}
		if (rbo % q->cluster_size || rbo >= q->end ||
		    qcow2_meta_overlap(q, rbo, q->cluster_size))
			return qcow2_corrupt(q, "refcount table entry %llu points to %llu",
					     (unsigned long long)ri, (unsigned long long)rbo);
		r = refcount_put(q, NULL, rbo, c & ((1ULL << q->rb_bits) - 1), 1);
		if (r < 0) {
			log_error("qcow2 %s: cannot update a refcount: %s", q->path, strerror(-r));
			return r;
		}
		*off = q->end;
		q->end += q->cluster_size;
		return 0;
	}
}
