/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Opening a qcow2 image: the first cluster and the header checks
 * (qcow2_header.c), the L1 and refcount tables into memory, the backing file
 * (qcow2_backing.c); and the disk_ops table, flush and close.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "devices/blk/disk_io.h"
#include "devices/blk/qcow2.h"
#include "util/log.h"

/* A table of n big-endian u64 at off, checked to lie inside the file. */
static int read_table(struct qcow2 *q, uint64_t off, uint64_t n, uint64_t fsize,
		      const char *what, uint64_t **out)
{
	uint64_t *t;
	int r;

	if (n == 0) {
		*out = NULL;
		return 0;
	}
	if (off % q->cluster_size || off > fsize || n * 8 > fsize - off) {
		log_error("qcow2 %s: the %s (offset %llu, %llu bytes) is misaligned or past the "
			  "end of the file", q->path, what, (unsigned long long)off,
			  (unsigned long long)(n * 8));
		return -EINVAL;
	}
	t = malloc(n * 8);
	if (!t)
		return -ENOMEM;
	r = disk_pread_full(q->fd, t, n * 8, off);
	if (r < 0) {
		log_error("qcow2 %s: cannot read the %s: %s", q->path, what, strerror(-r));
		free(t);
		return r;
	}
	for (uint64_t i = 0; i < n; i++)
		t[i] = qcow2_be64((const uint8_t *)&t[i]);
	*out = t;
	return 0;
}

static void qcow2_free(struct qcow2 *q)
{
	disk_close(q->backing);
	qcow2_zlib_close(q);
	free(q->cbuf);
	free(q->dbuf);
	free(q->l1);
	free(q->reftable);
	free(q->path);
	if (q->fd >= 0)
		close(q->fd);
	pthread_mutex_destroy(&q->lock);
	free(q);
}

static void qcow2_close(struct disk *dk)
{
	qcow2_free((struct qcow2 *)dk);
}

static int qcow2_flush(struct disk *dk)
{
	struct qcow2 *q = (struct qcow2 *)dk;

	if (dk->read_only)
		return 0;
	return fdatasync(q->fd) < 0 ? -errno : 0;
}

static const struct disk_ops qcow2_ops = {
	.name = "qcow2",
	.readv = qcow2_readv,
	.writev = qcow2_writev,
	.flush = qcow2_flush,
	.discard = qcow2_discard,
	.write_zeroes = qcow2_write_zeroes,
	.close = qcow2_close,
};

/* The first cluster (header, extensions, backing name), or the file's start
 * when it is shorter; the header's cluster_bits is not trusted for this. */
static int read_first_cluster(struct qcow2 *q, uint64_t fsize, uint8_t **c0, uint64_t *len)
{
	uint8_t head[8];
	uint64_t n;
	int r;

	/* cluster_bits sits at bytes 20-23; read at most the largest cluster. */
	n = fsize < (2u << 20) ? fsize : (2u << 20);
	if (fsize >= 24) {
		r = disk_pread_full(q->fd, head, 4, 20);
		if (r < 0)
			return r;
		if (qcow2_be32(head) >= 9 && qcow2_be32(head) <= 21 && (1ULL << qcow2_be32(head)) < n)
			n = 1ULL << qcow2_be32(head);
	}
	*c0 = malloc(n ? n : 1);
	if (!*c0)
		return -ENOMEM;
	*len = n;
	return disk_pread_full(q->fd, *c0, n, 0);
}

/* Version 3's autoclear bits name extensions (bitmaps) that a writer which
 * does not update them must clear (qcow2.txt "autoclear_features"). */
static int clear_autoclear(struct qcow2 *q)
{
	uint8_t zero[8] = { 0 };
	int r = disk_pwrite_full(q->fd, zero, 8, 88);

	if (r == 0 && fdatasync(q->fd) < 0)
		r = -errno;
	if (r < 0)
		log_error("qcow2 %s: cannot clear the autoclear features: %s", q->path,
			  strerror(-r));
	return r;
}

int qcow2_open_at(const struct disk_open_params *p, const char *name, unsigned int depth,
		  struct disk **out)
{
	struct qcow2_header h = { 0 };
	struct qcow2 *q = calloc(1, sizeof(*q));
	uint8_t *c0 = NULL;
	uint64_t c0len;
	struct stat st;
	int r;

	if (!q)
		return -ENOMEM;
	pthread_mutex_init(&q->lock, NULL);
	q->corrupt_rl = (struct ratelimit)RATELIMIT_INIT(1000, 5);
	q->path = strdup(name);
	q->fd = open(p->path, (p->read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (!q->path || q->fd < 0) {
		r = q->path ? -errno : -ENOMEM;
		log_error("qcow2 %s: cannot open %s: %s", name,
			  p->read_only ? "read-only" : "read-write", strerror(-r));
		goto out_free;
	}
	if (fstat(q->fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		r = -EINVAL;
		log_error("qcow2 %s: not a regular file", name);
		goto out_free;
	}
	r = read_first_cluster(q, (uint64_t)st.st_size, &c0, &c0len);
	if (r < 0) {
		log_error("qcow2 %s: cannot read the header: %s", name, strerror(-r));
		goto out_free;
	}
	r = qcow2_header_parse(q, c0, c0len, (uint64_t)st.st_size, p->read_only, &h);
	if (r < 0)
		goto out_free;
	r = read_table(q, h.l1_off, h.l1_size, (uint64_t)st.st_size, "L1 table", &q->l1);
	if (r == 0)
		r = read_table(q, h.rt_off, q->reftable_entries, (uint64_t)st.st_size,
			       "refcount table", &q->reftable);
	if (r < 0)
		goto out_free;
	if (h.backing_off) {
		char bname[QCOW2_MAX_BACKING_NAME + 1];

		memcpy(bname, c0 + h.backing_off, h.backing_size);
		bname[h.backing_size] = 0;
		r = qcow2_open_backing(q, bname, h.backing_fmt, depth);
		if (r < 0)
			goto out_free;
	}
	if (!p->read_only && h.autoclear && (r = clear_autoclear(q)) < 0)
		goto out_free;
	/* Without zlib the image still works but for compressed clusters. */
	if (qcow2_zlib_open(q) < 0)
		log_warn("qcow2 %s: compressed clusters will fail to read", name);
	if (p->direct_io)
		log_info("qcow2 %s: direct I/O is not used for qcow2 images (page cache)", name);
	free(c0);
	q->disk.ops = &qcow2_ops;
	q->disk.read_only = p->read_only;
	*out = &q->disk;
	return 0;
out_free:
	free(c0);
	qcow2_free(q);
	return r;
}

int disk_qcow2_open(const struct disk_open_params *p, struct disk **out)
{
	return qcow2_open_at(p, p->path, 0, out);
}
