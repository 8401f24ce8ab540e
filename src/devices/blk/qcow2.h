/* SPDX-License-Identifier: Apache-2.0 */
/*
 * qcow2 (QEMU's docs/interop/qcow2.txt, versions 2 and 3): the state that the
 * qcow2_*.c files share. One job per file:
 *   qcow2_header.c    header and extensions: validation of every field
 *   qcow2_open.c      open (tables into memory), flush, close
 *   qcow2_backing.c   the backing file: where it may be, which format
 *   qcow2_map.c       L1/L2 lookup and reads
 *   qcow2_write.c     writes, zeroes, L2 table and data cluster allocation
 *   qcow2_refcount.c  refcount blocks and cluster allocation
 *   qcow2_compress.c  compressed clusters (zlib, loaded at open)
 *
 * The image is hostile: every offset read from it is checked (alignment,
 * the file's end, the header / L1 / refcount table ranges) before it is used,
 * and a bad one fails the request with -EIO (logged, rate-limited) instead of
 * touching anything else.
 *
 * Locking: one mutex (lock) around every request, metadata and data alike:
 * allocation order (refcount, then data, then L2, then L1) must not interleave.
 *
 * Crash safety (what qemu-img check verifies): a cluster's refcount reaches
 * the disk before any L2 or L1 entry that points to it (an fdatasync between
 * them), so a crash at any point leaves at worst leaked clusters (refcount 1,
 * unreferenced), never a reference to a free cluster. New clusters are always
 * taken at the end of the file, never reused, so nothing freed is ever
 * overwritten. DISCARD frees whole clusters the other way round: entries
 * first, synced, then refcount 0 and a hole in the file. Clusters that a
 * rewrite replaces (compressed ones, zero-flagged preallocated ones) are
 * leaked rather than freed.
 */
#ifndef LIBKRUN_DEVICES_BLK_QCOW2_H
#define LIBKRUN_DEVICES_BLK_QCOW2_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "devices/blk/disk.h"
#include "util/ratelimit.h"

/* qcow2.txt "Cluster mapping": bits 9-55 of L1/L2 entries are the offset. */
#define QCOW2_OFFSET_MASK 0x00fffffffffffe00ULL
#define QCOW2_COPIED (1ULL << 63)     /* refcount is exactly 1: write in place */
#define QCOW2_COMPRESSED (1ULL << 62) /* L2 only */
#define QCOW2_ZERO 1ULL                /* L2 only, version 3 */
#define QCOW2_MAX_BACKING_DEPTH 8
#define QCOW2_MAX_BACKING_NAME 1023u /* qcow2.txt "backing_file_size" */
/* QEMU's own limits (block/qcow2.h): no valid image exceeds them, and they cap
 * what a hostile header makes us allocate. */
#define QCOW2_MAX_L1_BYTES (32u << 20)
#define QCOW2_MAX_REFTABLE_BYTES (8u << 20)
#define QCOW2_RUN_MAX 64 /* L2 entries a request looks up at once */

enum qcow2_kind { QCOW2_UNALLOC, QCOW2_READS_ZERO, QCOW2_DATA, QCOW2_COMPRESSED_DATA };

/* Where one guest cluster's bytes are. */
struct qcow2_map {
	enum qcow2_kind kind;
	/* DATA: the host cluster; READS_ZERO: a preallocated one, or 0;
	 * COMPRESSED_DATA: the descriptor */
	uint64_t host;
	bool copied;    /* DATA, READS_ZERO: host may be written in place */
};

struct qcow2_zlib;

struct qcow2 {
	struct disk disk;
	int fd;
	char *path; /* for logs and for resolving the backing file */
	pthread_mutex_t lock;
	struct ratelimit corrupt_rl;

	uint32_t version;
	uint32_t cluster_bits, l2_bits, refcount_order, rb_bits; /* rb_bits: log2 entries/refblock */
	uint64_t cluster_size;
	uint64_t *l1; /* host byte order */
	uint32_t l1_size;
	uint64_t l1_offset;
	uint64_t *reftable; /* host byte order */
	uint64_t reftable_entries, reftable_offset, reftable_bytes;
	uint64_t end; /* where the next cluster is allocated: the file's end, cluster-aligned */

	struct disk *backing; /* NULL: unallocated clusters read as zeroes */

	struct qcow2_zlib *zlib;     /* loaded at open; NULL: compressed clusters fail */
	uint8_t *cbuf, *dbuf;        /* compressed input; decompressed cluster */
	uint64_t dbuf_desc;          /* the descriptor dbuf holds; 0: none */
};

/* Logs (rate-limited: the guest can repeat a request at will) that the image
 * is corrupt, and returns -EIO. Called with lock held. */
int qcow2_corrupt(struct qcow2 *q, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Whether [off, off + len) meets the header cluster, the L1 table or the
 * refcount table: no data, L2 table or refcount block may. */
bool qcow2_meta_overlap(const struct qcow2 *q, uint64_t off, uint64_t len);

/* The header fields that open uses (qcow2.txt "Header"). */
struct qcow2_header {
	uint32_t version, cluster_bits, backing_size, crypt, l1_size, rt_clusters, nb_snapshots;
	uint32_t refcount_order, header_len;
	uint64_t backing_off, size, l1_off, rt_off, incompat, autoclear;
	uint8_t compression;
	char backing_fmt[16];
};

/* qcow2_header.c: checks the header in the first cluster c0 (c0len bytes of
 * a file of fsize) and fills h and q's geometry; 0 or -errno, logged. */
int qcow2_header_parse(struct qcow2 *q, const uint8_t *c0, uint64_t c0len, uint64_t fsize,
		       bool read_only, struct qcow2_header *h);

/* qcow2_open.c: opens the image at p->path; name is its path for logs and for
 * resolving its backing file; depth counts the images above it. */
int qcow2_open_at(const struct disk_open_params *p, const char *name, unsigned int depth,
		  struct disk **out);
/* qcow2_backing.c: opens the backing file that q names (bname, the format
 * extension's fmt, "" when absent) read-only into q->backing. */
int qcow2_open_backing(struct qcow2 *q, const char *bname, const char *fmt, unsigned int depth);

/* qcow2_map.c */
int qcow2_lookup(struct qcow2 *q, uint64_t vcluster, struct qcow2_map *m);
/* Up to max (at most QCOW2_RUN_MAX, and no further than vcluster's L2 table)
 * mappings from vcluster on, with one read: 0 with *got >= 1 of them in m. */
int qcow2_lookup_run(struct qcow2 *q, uint64_t vcluster, unsigned int max, struct qcow2_map *m,
		     unsigned int *got);
/* Reads bytes [in_off, in_off + len) of guest cluster vcluster into iov. */
int qcow2_read_piece(struct qcow2 *q, uint64_t vcluster, const struct qcow2_map *m,
		     uint64_t in_off, uint64_t len, const struct iovec *iov, int n, uint64_t skip);
int qcow2_readv(struct disk *dk, const struct iovec *iov, int n, uint64_t off);

/* qcow2_write.c */
int qcow2_writev(struct disk *dk, const struct iovec *iov, int n, uint64_t off);
int qcow2_write_zeroes(struct disk *dk, uint64_t off, uint64_t len, bool may_unmap);
int qcow2_discard(struct disk *dk, uint64_t off, uint64_t len);

/* qcow2_refcount.c: a new cluster at the end of the file with refcount 1
 * written (not yet synced): 0 with *off, or -errno. */
int qcow2_alloc_cluster(struct qcow2 *q, uint64_t *off);
/* A cluster no entry points to any more: refcount 0, its bytes a hole in the
 * file (best effort). Never reused: allocation stays at the end. */
int qcow2_free_cluster(struct qcow2 *q, uint64_t off);

/* qcow2_compress.c: loads zlib (at open: workers may not, see there); 0 or
 * -ENOENT, logged. Then inflates the compressed cluster desc into q->dbuf
 * (-EIO without zlib). */
int qcow2_zlib_open(struct qcow2 *q);
int qcow2_read_compressed(struct qcow2 *q, uint64_t desc);
void qcow2_zlib_close(struct qcow2 *q);

static inline uint32_t qcow2_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline uint64_t qcow2_be64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static inline void qcow2_put_be64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

#endif
