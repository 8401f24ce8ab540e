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
 * leaves either no block or a complete one.
 *
 * A full refcount table is grown the same way: a new, larger table and the
 * refcount blocks that count it and themselves are written at the end of the
 * file and synced, then one 12-byte header write (offset and cluster count,
 * bytes 48-59) switches to it, synced; only then are the old table's
 * clusters counted 0 (never reused: allocation stays at the end; the same for
 * clusters DISCARD frees, qcow2_free_cluster). A crash
 * before the switch leaves the new clusters leaked, after it the old ones.
 * The table stops at QCOW2_MAX_REFTABLE_BYTES (-ENOSPC, logged).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
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

/* Sets the refcount of cluster c, whose refcount block exists (on disk). */
static int refcount_set(struct qcow2 *q, uint64_t c, uint64_t value)
{
	uint64_t ri = c >> q->rb_bits, rbo;
	int r;

	rbo = ri < q->reftable_entries ? q->reftable[ri] & QCOW2_OFFSET_MASK : 0;
	if (!rbo || rbo % q->cluster_size || rbo >= q->end ||
	    qcow2_meta_overlap(q, rbo, q->cluster_size))
		return qcow2_corrupt(q, "refcount table entry %llu points to %llu",
				     (unsigned long long)ri, (unsigned long long)rbo);
	r = refcount_put(q, NULL, rbo, c & ((1ULL << q->rb_bits) - 1), value);
	if (r < 0)
		log_error("qcow2 %s: cannot update a refcount: %s", q->path, strerror(-r));
	return r;
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

/* Refcount blocks at the end of the file for every range from there on that
 * the new table and they themselves fall in (none of those ranges has a block:
 * they lie past the old table's reach), then the table after them. */
static int reftable_grow(struct qcow2 *q)
{
	uint64_t cs = q->cluster_size, c0 = q->end >> q->cluster_bits, first = c0 >> q->rb_bits;
	uint64_t nt = 2 * (q->reftable_bytes / cs), nb = 0, last, entries, *mem, old, nold;
	uint8_t *blocks = NULL, *table = NULL, hdr[12];
	int r;

	for (;;) {
		last = (c0 + nb + nt - 1) >> q->rb_bits;
		if (nt * cs / 8 <= last) {
			nt = (last + 1) * 8 / cs + 1;
			continue;
		}
		if (last - first + 1 == nb)
			break;
		nb = last - first + 1;
	}
	entries = nt * cs / 8;
	if (nt * cs > QCOW2_MAX_REFTABLE_BYTES || ((c0 + nb + nt) << q->cluster_bits) >
							 QCOW2_OFFSET_MASK) {
		log_error("qcow2 %s: the refcount table is full (%llu entries) and cannot grow",
			  q->path, (unsigned long long)q->reftable_entries);
		return -ENOSPC;
	}
	blocks = calloc(nb, cs);
	table = calloc(nt, cs);
	mem = calloc(entries, 8);
	if (!blocks || !table || !mem) {
		r = -ENOMEM;
		goto out;
	}
	for (uint64_t k = c0; k < c0 + nb + nt; k++) {
		uint64_t idx = k - (first << q->rb_bits);

		refcount_put(q, blocks + (idx >> q->rb_bits) * cs, 0,
			     idx & ((1ULL << q->rb_bits) - 1), 1);
	}
	memcpy(mem, q->reftable, q->reftable_entries * 8);
	for (uint64_t i = 0; i < nb; i++)
		mem[first + i] = (c0 + i) << q->cluster_bits;
	for (uint64_t i = 0; i < entries; i++)
		qcow2_put_be64(table + i * 8, mem[i]);
	r = disk_pwrite_full(q->fd, blocks, nb * cs, c0 << q->cluster_bits);
	if (r == 0)
		r = disk_pwrite_full(q->fd, table, nt * cs, (c0 + nb) << q->cluster_bits);
	if (r == 0 && fdatasync(q->fd) < 0)
		r = -errno;
	if (r < 0)
		goto out_log;
	qcow2_put_be64(hdr, (c0 + nb) << q->cluster_bits);
	hdr[8] = (uint8_t)(nt >> 24);
	hdr[9] = (uint8_t)(nt >> 16);
	hdr[10] = (uint8_t)(nt >> 8);
	hdr[11] = (uint8_t)nt;
	r = disk_pwrite_full(q->fd, hdr, sizeof(hdr), 48);
	if (r == 0 && fdatasync(q->fd) < 0)
		r = -errno;
	if (r < 0)
		goto out_log; /* the header may say either: both tables are complete */
	free(q->reftable);
	q->reftable = mem;
	mem = NULL;
	q->reftable_entries = entries;
	old = q->reftable_offset >> q->cluster_bits;
	nold = q->reftable_bytes / cs;
	q->reftable_offset = (c0 + nb) << q->cluster_bits;
	q->reftable_bytes = nt * cs;
	q->end = (c0 + nb + nt) << q->cluster_bits;
	for (uint64_t i = 0; i < nold && r == 0; i++)
		r = refcount_set(q, old + i, 0);
	goto out;
out_log:
	log_error("qcow2 %s: cannot grow the refcount table: %s", q->path, strerror(-r));
out:
	free(blocks);
	free(table);
	free(mem);
	return r;
}

int qcow2_alloc_cluster(struct qcow2 *q, uint64_t *off)
{
	int r;

	for (;;) {
		uint64_t c = q->end >> q->cluster_bits, ri = c >> q->rb_bits, rbo;

		if (q->end > QCOW2_OFFSET_MASK) {
			log_error("qcow2 %s: the image reached qcow2's largest offset", q->path);
			return -ENOSPC;
		}
		if (ri >= q->reftable_entries) {
			r = reftable_grow(q);
			if (r < 0)
				return r;
			continue;
		}
		rbo = q->reftable[ri] & QCOW2_OFFSET_MASK;
		if (!rbo) {
			r = refblock_create(q, ri);
			if (r < 0)
				return r;
			continue; /* q->end moved past the new block */
		}
		r = refcount_set(q, c, 1);
		if (r < 0)
			return r;
		*off = q->end;
		q->end += q->cluster_size;
		return 0;
	}
}

int qcow2_free_cluster(struct qcow2 *q, uint64_t off)
{
	int r = refcount_set(q, off >> q->cluster_bits, 0);

	/* The host file system gets the space back; where it cannot punch
	 * holes the cluster merely stays allocated, unreferenced. */
	if (r == 0 && fallocate(q->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)off,
				(off_t)q->cluster_size) < 0)
		log_debug("qcow2 %s: punching a freed cluster: %s", q->path, strerror(errno));
	return r;
}
