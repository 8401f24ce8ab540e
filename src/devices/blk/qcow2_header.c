/* SPDX-License-Identifier: Apache-2.0 */
/*
 * qcow2 header (qcow2.txt "Header", "Header extensions"): every field checked
 * against the file's size and against overflow before anything is read
 * through it; what is not implemented is refused by name.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "devices/blk/qcow2.h"
#include "util/log.h"

#define QCOW2_MAGIC 0x514649fbu /* "QFI\xfb" */
#define V2_HEADER_LEN 72u
#define V3_HEADER_LEN 104u
#define MAX_DISK_SIZE (1ULL << 61)

/* Incompatible feature bits (qcow2.txt, header bytes 72-79). */
#define INCOMPAT_DIRTY (1ULL << 0)
#define INCOMPAT_CORRUPT (1ULL << 1)
#define INCOMPAT_DATA_FILE (1ULL << 2)
#define INCOMPAT_COMPRESSION (1ULL << 3)
#define INCOMPAT_EXTL2 (1ULL << 4)

/* Header extension types. */
#define EXT_END 0u
#define EXT_BACKING_FORMAT 0xe2792acau
#define EXT_CRYPTO 0x0537be77u
#define EXT_DATA_FILE 0x44415441u

int qcow2_corrupt(struct qcow2 *q, const char *fmt, ...)
{
	char msg[256];
	uint64_t held;
	va_list ap;

	if (!ratelimit_pass(&q->corrupt_rl, &held))
		return -EIO;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_error("qcow2 %s: corrupt image: %s (%llu more not logged)", q->path, msg,
		  (unsigned long long)held);
	return -EIO;
}

static bool ranges_meet(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return alen && blen && a < b + blen && b < a + alen;
}

bool qcow2_meta_overlap(const struct qcow2 *q, uint64_t off, uint64_t len)
{
	return ranges_meet(off, len, 0, q->cluster_size) ||
	       ranges_meet(off, len, q->l1_offset, (uint64_t)q->l1_size * 8) ||
	       ranges_meet(off, len, q->reftable_offset, q->reftable_bytes);
}
/* Header extensions (qcow2.txt "Header extensions"): from the end of the
 * header to the end of the first cluster, each 8-byte aligned. */
static int parse_extensions(struct qcow2 *q, const uint8_t *c0, uint64_t c0len,
			    struct qcow2_header *h)
{
	uint64_t pos = h->header_len;

	while (pos + 8 <= c0len) {
		uint32_t type = qcow2_be32(c0 + pos), len = qcow2_be32(c0 + pos + 4);

		if (type == EXT_END)
			return 0;
		if (len > c0len - pos - 8) {
			log_error("qcow2 %s: header extension 0x%08x runs past the first cluster",
				  q->path, type);
			return -EINVAL;
		}
		if (type == EXT_CRYPTO || type == EXT_DATA_FILE) {
			log_error("qcow2 %s: %s is not supported", q->path,
				  type == EXT_CRYPTO ? "encryption" : "an external data file");
			return -ENOTSUP;
		}
		if (type == EXT_BACKING_FORMAT) {
			if (len == 0 || len >= sizeof(h->backing_fmt) ||
			    memchr(c0 + pos + 8, 0, len)) {
				log_error("qcow2 %s: bad backing format extension", q->path);
				return -EINVAL;
			}
			memcpy(h->backing_fmt, c0 + pos + 8, len);
			h->backing_fmt[len] = 0;
		}
		pos += 8 + (((uint64_t)len + 7) & ~7ULL);
	}
	return 0;
}

static int parse_header(struct qcow2 *q, const uint8_t *b, uint64_t blen, struct qcow2_header *h)
{
	if (blen < V2_HEADER_LEN || qcow2_be32(b) != QCOW2_MAGIC) {
		log_error("qcow2 %s: not a qcow2 image (no QFI\\xfb header)", q->path);
		return -EINVAL;
	}
	h->version = qcow2_be32(b + 4);
	h->backing_off = qcow2_be64(b + 8);
	h->backing_size = qcow2_be32(b + 16);
	h->cluster_bits = qcow2_be32(b + 20);
	h->size = qcow2_be64(b + 24);
	h->crypt = qcow2_be32(b + 32);
	h->l1_size = qcow2_be32(b + 36);
	h->l1_off = qcow2_be64(b + 40);
	h->rt_off = qcow2_be64(b + 48);
	h->rt_clusters = qcow2_be32(b + 56);
	h->nb_snapshots = qcow2_be32(b + 60);
	h->refcount_order = 4;
	h->header_len = V2_HEADER_LEN;
	if (h->version != 2 && h->version != 3) {
		log_error("qcow2 %s: version %u; only 2 and 3 are supported", q->path, h->version);
		return -ENOTSUP;
	}
	if (h->version == 3) {
		if (blen < V3_HEADER_LEN) {
			log_error("qcow2 %s: truncated version 3 header", q->path);
			return -EINVAL;
		}
		h->incompat = qcow2_be64(b + 72);
		h->autoclear = qcow2_be64(b + 88);
		h->refcount_order = qcow2_be32(b + 96);
		h->header_len = qcow2_be32(b + 100);
		if (h->header_len < V3_HEADER_LEN || h->header_len % 8 || h->header_len > blen) {
			log_error("qcow2 %s: bad header length %u", q->path, h->header_len);
			return -EINVAL;
		}
		if (h->header_len > V3_HEADER_LEN)
			h->compression = b[104];
	}
	/* 512 B to 2 MiB clusters: qcow2.txt "cluster_bits", as QEMU enforces. */
	if (h->cluster_bits < 9 || h->cluster_bits > 21) {
		log_error("qcow2 %s: cluster_bits %u outside 9..21", q->path, h->cluster_bits);
		return -EINVAL;
	}
	if (h->refcount_order > 6) {
		log_error("qcow2 %s: refcount_order %u outside 0..6", q->path, h->refcount_order);
		return -EINVAL;
	}
	if (h->crypt) {
		log_error("qcow2 %s: encrypted images are not supported", q->path);
		return -ENOTSUP;
	}
	return 0;
}

/* qcow2.txt "incompatible_features": what we cannot read or write correctly. */
static int check_features(struct qcow2 *q, const struct qcow2_header *h, bool read_only)
{
	uint64_t known = INCOMPAT_DIRTY | INCOMPAT_CORRUPT | INCOMPAT_COMPRESSION;

	if (h->incompat & INCOMPAT_DATA_FILE) {
		log_error("qcow2 %s: an external data file is not supported", q->path);
		return -ENOTSUP;
	}
	if (h->incompat & INCOMPAT_EXTL2) {
		log_error("qcow2 %s: extended L2 entries (subclusters) are not supported", q->path);
		return -ENOTSUP;
	}
	if (h->incompat & ~(known | INCOMPAT_DATA_FILE | INCOMPAT_EXTL2)) {
		log_error("qcow2 %s: unknown incompatible features 0x%llx", q->path,
			  (unsigned long long)(h->incompat & ~known));
		return -ENOTSUP;
	}
	if (h->compression != 0) {
		log_error("qcow2 %s: compression type %u; only zlib (0) is supported", q->path,
			  h->compression);
		return -ENOTSUP;
	}
	if (!read_only && (h->incompat & (INCOMPAT_DIRTY | INCOMPAT_CORRUPT))) {
		/* Dirty: refcounts may be stale (lazy refcounts); allocating from
		 * them could overwrite live clusters. Read-only is safe. */
		log_error("qcow2 %s: marked %s; open it read-only or repair it "
			  "(qemu-img check -r all)", q->path,
			  h->incompat & INCOMPAT_CORRUPT ? "corrupt" : "dirty");
		return -ENOTSUP;
	}
	if (!read_only && h->nb_snapshots) {
		/* Internal snapshots share L2 tables (no COPIED flag), which would
		 * need copy-on-write of L2 tables and refcount updates. */
		log_error("qcow2 %s: has %u internal snapshots; writing to it is not supported, "
			  "open it read-only", q->path, h->nb_snapshots);
		return -ENOTSUP;
	}
	return 0;
}

/* Sizes and table ranges, against the file and each other. */
static int check_layout(struct qcow2 *q, const struct qcow2_header *h, uint64_t fsize)
{
	uint64_t cs = 1ULL << h->cluster_bits;
	uint32_t l2_bits = h->cluster_bits - 3;
	uint64_t per_l1 = 1ULL << (h->cluster_bits + l2_bits);
	uint64_t l1_need = h->size / per_l1 + (h->size % per_l1 != 0);
	uint64_t rt_bytes = (uint64_t)h->rt_clusters << h->cluster_bits;

	if (h->size > MAX_DISK_SIZE || h->size % 512) {
		log_error("qcow2 %s: virtual size %llu is not a multiple of 512 below 2^61",
			  q->path, (unsigned long long)h->size);
		return -EINVAL;
	}
	if ((uint64_t)h->l1_size * 8 > QCOW2_MAX_L1_BYTES || h->l1_size < l1_need) {
		log_error("qcow2 %s: L1 table of %u entries (the size needs %llu, at most %u)",
			  q->path, h->l1_size, (unsigned long long)l1_need, QCOW2_MAX_L1_BYTES / 8);
		return -EINVAL;
	}
	if (h->rt_clusters == 0 || rt_bytes > QCOW2_MAX_REFTABLE_BYTES) {
		log_error("qcow2 %s: refcount table of %u clusters (1 to %llu)", q->path,
			  h->rt_clusters, (unsigned long long)(QCOW2_MAX_REFTABLE_BYTES / cs));
		return -EINVAL;
	}
	if (ranges_meet(0, cs, h->l1_off, (uint64_t)h->l1_size * 8) ||
	    ranges_meet(0, cs, h->rt_off, rt_bytes) ||
	    ranges_meet(h->l1_off, (uint64_t)h->l1_size * 8, h->rt_off, rt_bytes)) {
		log_error("qcow2 %s: the header, L1 table and refcount table overlap", q->path);
		return -EINVAL;
	}
	if (h->backing_off && (h->backing_size == 0 || h->backing_size > QCOW2_MAX_BACKING_NAME ||
			       h->backing_off > cs || h->backing_size > cs - h->backing_off ||
			       h->backing_off + h->backing_size > fsize)) {
		log_error("qcow2 %s: the backing file name (offset %llu, %u bytes) is not inside "
			  "the first cluster", q->path, (unsigned long long)h->backing_off,
			  h->backing_size);
		return -EINVAL;
	}
	q->cluster_bits = h->cluster_bits;
	q->cluster_size = cs;
	q->l2_bits = l2_bits;
	q->refcount_order = h->refcount_order;
	q->rb_bits = h->cluster_bits + 3 - h->refcount_order;
	q->l1_size = h->l1_size;
	q->l1_offset = h->l1_off;
	q->reftable_offset = h->rt_off;
	q->reftable_bytes = rt_bytes;
	q->reftable_entries = rt_bytes / 8;
	q->version = h->version;
	q->disk.size = h->size;
	q->end = (fsize + cs - 1) & ~(cs - 1);
	return 0;
}

int qcow2_header_parse(struct qcow2 *q, const uint8_t *c0, uint64_t c0len, uint64_t fsize,
		       bool read_only, struct qcow2_header *h)
{
	int r;

	if ((r = parse_header(q, c0, c0len, h)) < 0 || (r = check_features(q, h, read_only)) < 0 ||
	    (r = check_layout(q, h, fsize)) < 0)
		return r;
	return parse_extensions(q, c0, c0len, h);
}
