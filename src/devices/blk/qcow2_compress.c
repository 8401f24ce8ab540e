/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Compressed clusters (qcow2.txt "Compressed Clusters Descriptor", compression
 * type 0): a raw deflate stream (RFC 1951, no zlib or gzip wrapper) of one
 * cluster, starting at any byte and spanning a number of 512-byte sectors.
 * zlib is loaded when a qcow2 image is opened, not linked (util/dynlib.h says
 * why): not on the first compressed cluster, because that is read on a
 * virtio-blk worker, whose seccomp list (vmm/seccomp_lists.c) has no open or
 * mmap of a library. Raw and VMDK disks never load it.
 */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>
#include <zlib.h>

#include "devices/blk/disk_io.h"
#include "devices/blk/qcow2.h"
#include "util/dynlib.h"
#include "util/log.h"

/* zlib.h's prototypes of the functions used. */
struct qcow2_zlib {
	void *lib;
	int (*inflate_init2)(z_streamp strm, int window_bits, const char *version, int size);
	int (*inflate)(z_streamp strm, int flush);
	int (*inflate_end)(z_streamp strm);
};

int qcow2_zlib_open(struct qcow2 *q)
{
	struct qcow2_zlib *z;
	int r;

	if (q->zlib)
		return 0;
	z = calloc(1, sizeof(*z));
	if (!z)
		return -ENOMEM;
	const struct dynlib_sym syms[] = {
		{ "inflateInit2_", (void **)&z->inflate_init2 },
		{ "inflate", (void **)&z->inflate },
		{ "inflateEnd", (void **)&z->inflate_end },
	};
	r = dynlib_open("libz.so.1", syms, sizeof(syms) / sizeof(syms[0]),
			"reading compressed qcow2 clusters", &z->lib);
	if (r < 0) {
		free(z);
		return r;
	}
	q->zlib = z;
	return 0;
}

void qcow2_zlib_close(struct qcow2 *q)
{
	if (q->zlib) {
		dynlib_close(q->zlib->lib);
		free(q->zlib);
		q->zlib = NULL;
	}
}

/* One cluster out of in[0..len): the stream must fill the cluster exactly
 * as QEMU's qcow2_zlib_decompress accepts it (output full; the end of the
 * stream may or may not have been seen). */
static int inflate_cluster(struct qcow2 *q, uint8_t *in, uint64_t len)
{
	struct qcow2_zlib *z = q->zlib;
	z_stream zs = { 0 };
	int zr;

	/* -12: raw deflate with a 4 KiB window, what QEMU writes. */
	if (z->inflate_init2(&zs, -12, ZLIB_VERSION, (int)sizeof(zs)) != Z_OK)
		return -ENOMEM;
	zs.next_in = in;
	zs.avail_in = (uInt)len;
	zs.next_out = q->dbuf;
	zs.avail_out = (uInt)q->cluster_size;
	zr = z->inflate(&zs, Z_FINISH);
	z->inflate_end(&zs);
	if ((zr == Z_STREAM_END || zr == Z_BUF_ERROR) && zs.avail_out == 0)
		return 0;
	return qcow2_corrupt(q, "a compressed cluster does not inflate to %llu bytes",
			     (unsigned long long)q->cluster_size);
}

int qcow2_read_compressed(struct qcow2 *q, uint64_t desc)
{
	unsigned int x = 62 - (q->cluster_bits - 8);
	uint64_t off = desc & ((1ULL << x) - 1);
	uint64_t nsect = (desc >> x) & ((1ULL << (62 - x)) - 1);
	/* The data ends in the last of nsect + 1 sectors counted from off's. */
	uint64_t len = (nsect + 1) * 512 - (off & 511);
	uint64_t cap = 2 * q->cluster_size;
	int r;

	if (desc && q->dbuf && q->dbuf_desc == desc)
		return 0;
	if (!q->zlib)
		return qcow2_corrupt(q, "a compressed cluster, and zlib could not be loaded");
	if (!q->cbuf)
		q->cbuf = malloc(cap);
	if (!q->dbuf)
		q->dbuf = malloc(q->cluster_size);
	if (!q->cbuf || !q->dbuf)
		return -ENOMEM;
	q->dbuf_desc = 0;
	/* Deflate never grows a cluster by half (QEMU stores a cluster that
	 * does not shrink uncompressed): a longer span is corrupt. */
	if (len > cap || off >= q->end || qcow2_meta_overlap(q, off, len))
		return qcow2_corrupt(q, "bad compressed cluster descriptor 0x%llx",
				     (unsigned long long)desc);
	/* The last compressed cluster may end before its last sector does. */
	if (len > q->end - off)
		len = q->end - off;
	r = disk_pread_full(q->fd, q->cbuf, (size_t)len, off);
	if (r == -EIO) {
		/* q->end is rounded up to a cluster: read what the file has. */
		ssize_t got = pread(q->fd, q->cbuf, (size_t)len, (off_t)off);
		if (got <= 0)
			return qcow2_corrupt(q, "compressed cluster at %llu past the end of the file",
					     (unsigned long long)off);
		len = (uint64_t)got;
		r = 0;
	}
	if (r < 0)
		return r;
	r = inflate_cluster(q, q->cbuf, len);
	if (r == 0)
		q->dbuf_desc = desc;
	return r;
}
