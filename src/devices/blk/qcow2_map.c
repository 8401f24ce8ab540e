/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Guest cluster to host: qcow2.txt "Cluster mapping". The L1 table is in
 * memory; an L2 entry is read from the file each time (the page cache keeps
 * it), so there is no L2 cache to keep coherent with writes.
 */
#include <errno.h>
#include <string.h>

#include "devices/blk/disk_io.h"
#include "devices/blk/qcow2.h"

/* The L2 table of guest cluster vc, checked: 0 with *l2off (0: none). */
static int l2_of(struct qcow2 *q, uint64_t vc, uint64_t *l2off)
{
	uint64_t l1i = vc >> q->l2_bits;

	if (l1i >= q->l1_size)
		return qcow2_corrupt(q, "guest cluster %llu has no L1 entry", (unsigned long long)vc);
	*l2off = q->l1[l1i] & QCOW2_OFFSET_MASK;
	/* Past q->end (the file's end, cluster-aligned) nothing is allocated:
	 * an in-place write there would grow the file wherever the image says. */
	if (*l2off && (*l2off % q->cluster_size || *l2off >= q->end ||
		       qcow2_meta_overlap(q, *l2off, q->cluster_size)))
		return qcow2_corrupt(q, "L1 entry %llu points to a bad L2 table at %llu",
				     (unsigned long long)l1i, (unsigned long long)*l2off);
	return 0;
}

/* L2 entry e as a mapping: false when it points somewhere no data may be. */
static bool decode(const struct qcow2 *q, uint64_t e, struct qcow2_map *m)
{
	*m = (struct qcow2_map){ .kind = QCOW2_UNALLOC };
	if (e & QCOW2_COMPRESSED) {
		m->kind = QCOW2_COMPRESSED_DATA;
		m->host = e & ~(QCOW2_COPIED | QCOW2_COMPRESSED);
		return true;
	}
	m->host = e & QCOW2_OFFSET_MASK;
	/* Version 3's zero flag wins over an offset ("preallocated zero"
	 * cluster, which a write may reuse: host and copied kept). */
	m->kind = q->version >= 3 && (e & QCOW2_ZERO) ? QCOW2_READS_ZERO
			: m->host ? QCOW2_DATA : QCOW2_UNALLOC;
	m->copied = e & QCOW2_COPIED;
	return !m->host || (m->host % q->cluster_size == 0 && m->host < q->end &&
			    !qcow2_meta_overlap(q, m->host, q->cluster_size));
}

int qcow2_lookup_run(struct qcow2 *q, uint64_t vc, unsigned int max, struct qcow2_map *m,
		     unsigned int *got)
{
	uint64_t l2i = vc & ((1ULL << q->l2_bits) - 1), l2off = 0;
	uint8_t raw[QCOW2_RUN_MAX * 8];
	unsigned int k;
	int r;

	*got = 0;
	if (max > QCOW2_RUN_MAX)
		max = QCOW2_RUN_MAX;
	if (max > (1ULL << q->l2_bits) - l2i)
		max = (unsigned int)((1ULL << q->l2_bits) - l2i); /* one table per run */
	r = l2_of(q, vc, &l2off);
	if (r < 0 || max == 0)
		return r;
	if (!l2off) {
		m[0] = (struct qcow2_map){ .kind = QCOW2_UNALLOC };
		*got = 1;
		return 0;
	}
	r = disk_pread_full(q->fd, raw, max * 8, l2off + l2i * 8);
	if (r < 0)
		return r == -EIO ? qcow2_corrupt(q, "L2 table at %llu is past the end of the file",
						 (unsigned long long)l2off)
				 : r;
	/* A bad entry after the first ends the run: it is reported when a
	 * request reaches it, not before. */
	for (k = 0; k < max && decode(q, qcow2_be64(raw + k * 8), &m[k]); k++)
		;
	if (k == 0)
		return qcow2_corrupt(q, "guest cluster %llu maps to a bad host offset %llu",
				     (unsigned long long)vc, (unsigned long long)m[0].host);
	*got = k;
	return 0;
}

int qcow2_lookup(struct qcow2 *q, uint64_t vcluster, struct qcow2_map *m)
{
	unsigned int got;

	return qcow2_lookup_run(q, vcluster, 1, m, &got);
}

/* An unallocated range: the backing file's bytes where it has them, zeroes
 * past its end and without one (qcow2.txt, after "Compressed Clusters
 * Descriptor"). */
static int read_backing(struct qcow2 *q, uint64_t goff, uint64_t len, const struct iovec *iov,
			int n, uint64_t skip)
{
	struct iovec sub[DISK_IOV_MAX];
	uint64_t have = 0;
	int k, r;

	if (q->backing && goff < q->backing->size)
		have = q->backing->size - goff < len ? q->backing->size - goff : len;
	if (have) {
		k = disk_iov_slice(iov, n, skip, have, sub, DISK_IOV_MAX);
		if (k < 0)
			return k;
		r = q->backing->ops->readv(q->backing, sub, k, goff);
		if (r < 0)
			return r;
	}
	disk_iov_zero(iov, n, skip + have, len - have);
	return 0;
}

int qcow2_read_piece(struct qcow2 *q, uint64_t vcluster, const struct qcow2_map *m,
		     uint64_t in_off, uint64_t len, const struct iovec *iov, int n, uint64_t skip)
{
	struct iovec sub[DISK_IOV_MAX];
	int k, r;

	switch (m->kind) {
	case QCOW2_UNALLOC:
		return read_backing(q, (vcluster << q->cluster_bits) + in_off, len, iov, n, skip);
	case QCOW2_READS_ZERO:
		disk_iov_zero(iov, n, skip, len);
		return 0;
	case QCOW2_COMPRESSED_DATA:
		r = qcow2_read_compressed(q, m->host);
		if (r < 0)
			return r;
		disk_iov_from_buf(iov, n, skip, q->dbuf + in_off, (size_t)len);
		return 0;
	case QCOW2_DATA:
		k = disk_iov_slice(iov, n, skip, len, sub, DISK_IOV_MAX);
		if (k < 0)
			return k;
		r = disk_rw_full(q->fd, sub, k, m->host + in_off, false);
		if (r == -EIO)
			return qcow2_corrupt(q, "data cluster at %llu is past the end of the file",
					     (unsigned long long)m->host);
		return r;
	}
	return -EINVAL;
}

/*
 * Up to QCOW2_RUN_MAX clusters' entries come from one read of their L2
 * table, and clusters whose host clusters follow each other are read with
 * one preadv, outside the lock: a mapping never changes under a reader that
 * matters (clusters are never freed or moved; a cluster a concurrent write
 * allocates reads as before or after, as overlapping requests may).
 */
int qcow2_readv(struct disk *dk, const struct iovec *iov, int n, uint64_t off)
{
	struct qcow2 *q = (struct qcow2 *)dk;
	uint64_t len = disk_iov_total(iov, n), done = 0, cs = q->cluster_size;
	struct qcow2_map m[QCOW2_RUN_MAX];
	struct iovec sub[DISK_IOV_MAX];
	int r = 0;

	if (off > dk->size || len > dk->size - off)
		return -EINVAL;
	pthread_mutex_lock(&q->lock);
	while (done < len && r == 0) {
		uint64_t pos = off + done, vc = pos >> q->cluster_bits, in_off = pos & (cs - 1);
		uint64_t want = (in_off + (len - done) + cs - 1) >> q->cluster_bits, piece;
		unsigned int got, k = 1;
		int nsub;

		r = qcow2_lookup_run(q, vc, want < QCOW2_RUN_MAX ? (unsigned int)want : QCOW2_RUN_MAX,
				     m, &got);
		if (r < 0)
			break;
		if (m[0].kind != QCOW2_DATA) {
			piece = cs - in_off < len - done ? cs - in_off : len - done;
			r = qcow2_read_piece(q, vc, &m[0], in_off, piece, iov, n, done);
			done += piece;
			continue;
		}
		while (k < got && m[k].kind == QCOW2_DATA && m[k].host == m[0].host + k * cs)
			k++;
		piece = k * cs - in_off < len - done ? k * cs - in_off : len - done;
		nsub = disk_iov_slice(iov, n, done, piece, sub, DISK_IOV_MAX);
		if (nsub < 0) {
			r = nsub;
			break;
		}
		pthread_mutex_unlock(&q->lock);
		r = disk_rw_full(q->fd, sub, nsub, m[0].host + in_off, false);
		pthread_mutex_lock(&q->lock);
		if (r == -EIO)
			r = qcow2_corrupt(q, "data cluster at %llu is past the end of the file",
					  (unsigned long long)m[0].host);
		done += piece;
	}
	pthread_mutex_unlock(&q->lock);
	return r;
}
