/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Writes (qcow2.txt "Cluster mapping", "Host cluster management"). A guest
 * cluster whose L2 entry has the COPIED flag (refcount 1) is written in
 * place. Any other (unallocated, zero-flagged, compressed, shared) gets a new
 * cluster at the end of the file (a zero-flagged one with a preallocated
 * COPIED cluster reuses that), filled with what the cluster read as before
 * plus the new bytes, in this order:
 *   1. refcount of the new cluster set to 1 (qcow2_alloc_cluster);
 *   2. the whole cluster written;
 *   3. fdatasync: the refcount (and the data) are on disk;
 *   4. the L2 entry written, pointing to it with COPIED set.
 * Steps 3 and 4 are taken once for all the clusters of a request (up to
 * PENDING_MAX of them), not per cluster: one fdatasync per request.
 * A missing L2 table is made the same way first: refcount, zeroed table,
 * fdatasync, then the L1 entry. So every entry on disk points to a cluster
 * whose refcount is already on disk (qemu-img check finds no corruption
 * after a crash anywhere; at worst leaked clusters).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "devices/blk/disk_io.h"
#include "devices/blk/qcow2.h"
#include "util/log.h"

#define PENDING_MAX 64

/* L2 entries to write once the clusters they point to are synced. */
struct pending {
	unsigned int n;
	struct {
		uint64_t at, value;
	} e[PENDING_MAX];
};

static int sync_fd(struct qcow2 *q)
{
	if (fdatasync(q->fd) == 0)
		return 0;
	log_error("qcow2 %s: fdatasync: %s", q->path, strerror(errno));
	return -errno;
}

/* A new cluster holding buf (cluster_size bytes), not synced: 0 with *off. */
static int place_cluster(struct qcow2 *q, const void *buf, uint64_t *off)
{
	int r = qcow2_alloc_cluster(q, off);

	return r < 0 ? r : disk_pwrite_full(q->fd, buf, q->cluster_size, *off);
}

static int write_entry(struct qcow2 *q, uint64_t at, uint64_t value)
{
	uint8_t e[8];

	qcow2_put_be64(e, value);
	return disk_pwrite_full(q->fd, e, 8, at);
}

/* Steps 3 and 4: one fdatasync, then the entries, neighbours in one write. */
static int pending_commit(struct qcow2 *q, struct pending *p)
{
	uint8_t buf[PENDING_MAX * 8];
	unsigned int i = 0, k;
	int r;

	if (p->n == 0)
		return 0;
	r = sync_fd(q);
	while (r == 0 && i < p->n) {
		for (k = i; k < p->n && p->e[k].at == p->e[i].at + (k - i) * 8; k++)
			qcow2_put_be64(buf + (k - i) * 8, p->e[k].value);
		r = disk_pwrite_full(q->fd, buf, (k - i) * 8, p->e[i].at);
		i = k;
	}
	p->n = 0;
	return r;
}

static int pending_add(struct qcow2 *q, struct pending *p, uint64_t at, uint64_t value)
{
	if (p->n == PENDING_MAX) {
		int r = pending_commit(q, p);
		if (r < 0)
			return r;
	}
	p->e[p->n].at = at;
	p->e[p->n++].value = value;
	return 0;
}

/* The L2 table of guest cluster vc, made if missing: 0 with *l2off. */
static int l2_table(struct qcow2 *q, uint64_t vc, uint64_t *l2off)
{
	uint64_t l1i = vc >> q->l2_bits, e = q->l1[l1i], off;
	uint8_t *zero;
	int r;

	if (e & QCOW2_OFFSET_MASK) {
		/* Without COPIED the table is shared (a snapshot, which open
		 * refuses for writing): writing it in place would change the
		 * other user. */
		if (!(e & QCOW2_COPIED))
			return qcow2_corrupt(q, "L1 entry %llu lacks the COPIED flag",
					     (unsigned long long)l1i);
		*l2off = e & QCOW2_OFFSET_MASK; /* checked by qcow2_lookup */
		return 0;
	}
	zero = calloc(1, q->cluster_size);
	if (!zero)
		return -ENOMEM;
	r = place_cluster(q, zero, &off);
	free(zero);
	if (r == 0)
		r = sync_fd(q);
	if (r == 0)
		r = write_entry(q, q->l1_offset + l1i * 8, off | QCOW2_COPIED);
	if (r < 0)
		return r;
	q->l1[l1i] = off | QCOW2_COPIED;
	*l2off = off;
	return 0;
}

/* A zero cluster with a host cluster of its own, already counted: written in
 * place, the data synced before the entry loses the zero flag. */
static bool own_zero_cluster(const struct qcow2_map *m)
{
	return m->kind == QCOW2_READS_ZERO && m->host && m->copied;
}

/* Where the L2 table at l2off holds guest cluster vc's entry. */
static uint64_t l2_entry_at(const struct qcow2 *q, uint64_t l2off, uint64_t vc)
{
	return l2off + (vc & ((1ULL << q->l2_bits) - 1)) * 8;
}

/* Bytes [in_off, in_off + len) of guest cluster vc from iov at skip, or
 * zeroes when iov is NULL. */
static int write_piece(struct qcow2 *q, struct pending *p, uint64_t vc, uint64_t in_off,
		       uint64_t len, const struct iovec *iov, int n, uint64_t skip)
{
	uint64_t cs = q->cluster_size, visible, l2off = 0, host = 0;
	struct iovec sub[DISK_IOV_MAX];
	struct qcow2_map m;
	uint8_t *buf;
	int k, r;

	r = qcow2_lookup(q, vc, &m);
	if (r < 0)
		return r;
	if (m.kind == QCOW2_DATA && m.copied) {
		if (!iov) {
			buf = calloc(1, (size_t)len);
			if (!buf)
				return -ENOMEM;
			r = disk_pwrite_full(q->fd, buf, (size_t)len, m.host + in_off);
			free(buf);
			return r;
		}
		k = disk_iov_slice(iov, n, skip, len, sub, DISK_IOV_MAX);
		return k < 0 ? k : disk_rw_full(q->fd, sub, k, m.host + in_off, true);
	}
	/* Zeroes where the cluster already reads as zeroes: nothing to do. */
	if (!iov && (m.kind == QCOW2_READS_ZERO || (m.kind == QCOW2_UNALLOC && !q->backing)))
		return 0;
	if (iov && in_off == 0 && len == cs) {
		/* The whole cluster is new: written straight from the guest's
		 * buffers, nothing of the old one to keep. */
		k = disk_iov_slice(iov, n, skip, len, sub, DISK_IOV_MAX);
		if (k < 0)
			return k;
		r = l2_table(q, vc, &l2off);
		if (r == 0)
			r = own_zero_cluster(&m) ? (host = m.host, 0) : qcow2_alloc_cluster(q, &host);
		if (r == 0)
			r = disk_rw_full(q->fd, sub, k, host, true);
		return r < 0 ? r : pending_add(q, p, l2_entry_at(q, l2off, vc), host | QCOW2_COPIED);
	}
	buf = malloc(cs);
	if (!buf)
		return -ENOMEM;
	/* The guest-visible part of the cluster keeps what it read before. */
	visible = q->disk.size - (vc << q->cluster_bits);
	if (visible > cs)
		visible = cs;
	memset(buf, 0, cs);
	if (len < visible) {
		struct iovec whole = { buf, (size_t)visible };

		r = qcow2_read_piece(q, vc, &m, 0, visible, &whole, 1, 0);
		if (r < 0)
			goto out;
	}
	if (iov)
		disk_iov_to_buf(iov, n, skip, buf + in_off, (size_t)len);
	else
		memset(buf + in_off, 0, (size_t)len);
	r = l2_table(q, vc, &l2off);
	if (r == 0 && own_zero_cluster(&m)) {
		host = m.host;
		r = disk_pwrite_full(q->fd, buf, cs, host);
	} else if (r == 0) {
		r = place_cluster(q, buf, &host);
	}
	if (r == 0)
		r = pending_add(q, p, l2_entry_at(q, l2off, vc), host | QCOW2_COPIED);
out:
	free(buf);
	return r;
}

/* Splits [off, off + len) at cluster boundaries. */
static int write_range(struct qcow2 *q, uint64_t off, uint64_t len, const struct iovec *iov,
		       int n)
{
	struct pending p = { 0 };
	uint64_t done = 0;
	int r = 0, c;

	if (off > q->disk.size || len > q->disk.size - off)
		return -EINVAL;
	if (q->disk.read_only)
		return -EROFS;
	pthread_mutex_lock(&q->lock);
	while (done < len && r == 0) {
		uint64_t pos = off + done, in_off = pos & (q->cluster_size - 1);
		uint64_t piece = q->cluster_size - in_off;

		if (piece > len - done)
			piece = len - done;
		r = write_piece(q, &p, pos >> q->cluster_bits, in_off, piece, iov, n, done);
		done += piece;
	}
	/* The clusters written before a failure are mapped all the same. */
	c = pending_commit(q, &p);
	pthread_mutex_unlock(&q->lock);
	if (r == 0)
		r = c;
	return r;
}

int qcow2_writev(struct disk *dk, const struct iovec *iov, int n, uint64_t off)
{
	return write_range((struct qcow2 *)dk, off, disk_iov_total(iov, n), iov, n);
}

int qcow2_write_zeroes(struct disk *dk, uint64_t off, uint64_t len, bool may_unmap)
{
	(void)may_unmap; /* clusters are never freed (qcow2.h): zeroes are written */
	return write_range((struct qcow2 *)dk, off, len, NULL, 0);
}

/*
 * Frees the whole clusters of one L2 run at vc..end (at most PENDING_MAX):
 * their entries become unallocated (or, over a backing file, version 3's
 * zero flag, so the backing file's bytes do not show through), synced, and
 * only then their refcounts drop to 0: a crash in between leaks a cluster,
 * never leaves an entry pointing to a free one. q->lock held; *next: where
 * to go on.
 */
static int discard_run(struct qcow2 *q, uint64_t vc, uint64_t end, uint64_t *next)
{
	uint64_t freed[PENDING_MAX], l2off;
	struct pending p = { 0 };
	unsigned int n = 0;
	struct qcow2_map m;
	int r = 0;

	for (; vc < end && n < PENDING_MAX && r == 0; vc++) {
		r = qcow2_lookup(q, vc, &m);
		/* Only clusters counted exactly once (COPIED): a shared or
		 * compressed one stays, leaked at worst. */
		if (r < 0 || !m.host || !m.copied ||
		    (m.kind != QCOW2_DATA && m.kind != QCOW2_READS_ZERO))
			continue;
		r = l2_table(q, vc, &l2off);
		if (r == 0)
			r = pending_add(q, &p, l2_entry_at(q, l2off, vc), q->backing ? QCOW2_ZERO : 0);
		if (r == 0)
			freed[n++] = m.host;
	}
	*next = vc;
	if (r == 0)
		r = pending_commit(q, &p);
	if (r == 0 && n)
		r = sync_fd(q);
	for (unsigned int i = 0; i < n && r == 0; i++)
		r = qcow2_free_cluster(q, freed[i]);
	return r;
}

int qcow2_discard(struct disk *dk, uint64_t off, uint64_t len)
{
	struct qcow2 *q = (struct qcow2 *)dk;
	uint64_t cs = q->cluster_size, vc, end;
	int r = 0;

	if (off > dk->size || len > dk->size - off)
		return -EINVAL;
	if (dk->read_only)
		return -EROFS;
	/* A hint (virtio 1.2 §5.2.6.2): parts of clusters keep their bytes, and
	 * a version 2 image over a backing file keeps everything (it has no zero
	 * flag, and an unallocated cluster would show the backing file). The
	 * disk's last cluster counts as whole when the range reaches the end. */
	if (q->backing && q->version < 3)
		return 0;
	vc = (off + cs - 1) >> q->cluster_bits;
	end = off + len == dk->size ? (dk->size + cs - 1) >> q->cluster_bits
				    : (off + len) >> q->cluster_bits;
	pthread_mutex_lock(&q->lock);
	while (vc < end && r == 0)
		r = discard_run(q, vc, end, &vc);
	pthread_mutex_unlock(&q->lock);
	return r;
}
