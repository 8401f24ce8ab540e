/* SPDX-License-Identifier: Apache-2.0 */
/* One virtio-blk request, checked and served (virtio 1.2 §5.2.6); blk.h has the contract. */
#include <endian.h>
#include <errno.h>
#include <string.h>

#include "devices/blk/blk.h"
#include "util/log.h"

/* §5.2.6: struct virtio_blk_req { le32 type; le32 reserved; le64 sector; ... } */
struct blk_outhdr {
	uint32_t type;
	uint32_t reserved;
	uint64_t sector;
};

/* §5.2.6: struct virtio_blk_discard_write_zeroes. */
struct blk_dwz_seg {
	uint64_t sector;
	uint32_t num_sectors;
	uint32_t flags;
};

_Static_assert(sizeof(struct blk_outhdr) == 16, "virtio_blk_req header");
_Static_assert(sizeof(struct blk_dwz_seg) == 16, "virtio_blk_discard_write_zeroes");

/* [sector, sector + nsec) inside the disk; no product or sum can overflow. */
static bool blk_range_ok(const struct disk *dk, uint64_t sector, uint64_t nsec)
{
	uint64_t cap = dk->size / BLK_SECTOR;

	return sector <= cap && nsec <= cap - sector;
}

/* iov entries for len bytes of seg[0..n) after skip bytes; the count. */
static int blk_iov(const struct vq_seg *seg, unsigned int n, uint64_t skip, uint64_t len,
		   struct iovec *iov)
{
	int k = 0;

	for (unsigned int i = 0; i < n && len; i++) {
		uint64_t take;

		if (skip >= seg[i].len) {
			skip -= seg[i].len;
			continue;
		}
		take = seg[i].len - skip;
		if (take > len)
			take = len;
		iov[k++] = (struct iovec){ seg[i].host + skip, (size_t)take };
		len -= take;
		skip = 0;
	}
	return k;
}

/* IN (§5.2.6.1): data is every writable byte but the status. */
static uint8_t blk_in(const struct blk_params *p, const struct vq_chain *c, uint64_t sector,
		      struct iovec *iov, uint32_t *written)
{
	uint64_t len = c->in_bytes - 1;
	int n, r;

	if (len % BLK_SECTOR || len > BLK_MAX_DATA ||
	    !blk_range_ok(p->disk, sector, len / BLK_SECTOR))
		return VIRTIO_BLK_S_IOERR;
	if (len == 0)
		return VIRTIO_BLK_S_OK;
	n = blk_iov(&c->seg[c->nout], c->nin, 0, len, iov);
	r = p->disk->ops->readv(p->disk, iov, n, sector * BLK_SECTOR);
	if (r < 0) {
		log_debug("virtio-blk: read of %llu bytes at sector %llu: %s",
			  (unsigned long long)len, (unsigned long long)sector, strerror(-r));
		return VIRTIO_BLK_S_IOERR;
	}
	*written = (uint32_t)len;
	return VIRTIO_BLK_S_OK;
}

/* OUT: data is every readable byte after the header. §5.2.6.2: on a
 * read-only device, IOERR and nothing written. */
static uint8_t blk_out(const struct blk_params *p, const struct vq_chain *c, uint64_t sector,
		       struct iovec *iov)
{
	uint64_t len = c->out_bytes - sizeof(struct blk_outhdr);
	int n, r;

	if (p->disk->read_only || len % BLK_SECTOR || len > BLK_MAX_DATA ||
	    !blk_range_ok(p->disk, sector, len / BLK_SECTOR))
		return VIRTIO_BLK_S_IOERR;
	if (len == 0)
		return VIRTIO_BLK_S_OK;
	n = blk_iov(c->seg, c->nout, sizeof(struct blk_outhdr), len, iov);
	r = p->disk->ops->writev(p->disk, iov, n, sector * BLK_SECTOR);
	if (r < 0) {
		log_debug("virtio-blk: write of %llu bytes at sector %llu: %s",
			  (unsigned long long)len, (unsigned long long)sector, strerror(-r));
		return VIRTIO_BLK_S_IOERR;
	}
	return VIRTIO_BLK_S_OK;
}

/* GET_ID: up to 20 bytes of the id, NUL-padded (shorter only if the driver's
 * buffer is). */
static uint8_t blk_get_id(const struct blk_params *p, const struct vq_chain *c,
			  uint32_t *written)
{
	uint64_t len = c->in_bytes - 1;

	if (len > VIRTIO_BLK_ID_BYTES)
		len = VIRTIO_BLK_ID_BYTES;
	*written = (uint32_t)vq_chain_write(c, 0, p->id, (size_t)len);
	return VIRTIO_BLK_S_OK;
}

/*
 * DISCARD and WRITE_ZEROES (§5.2.6.2): an array of segments after the header.
 * Every segment is checked before any is done, so a bad one leaves the disk
 * as it was. Unknown flags, or UNMAP on a discard: UNSUPP.
 */
static uint8_t blk_dwz(const struct blk_params *p, const struct vq_chain *c, uint32_t type)
{
	struct blk_dwz_seg segs[BLK_MAX_DISCARD_SEG];
	uint64_t len = c->out_bytes - sizeof(struct blk_outhdr);
	uint32_t allowed = type == VIRTIO_BLK_T_WRITE_ZEROES ? VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP : 0;
	size_t n = (size_t)(len / sizeof(segs[0]));
	int r = 0;

	if (p->disk->read_only || len == 0 || len % sizeof(segs[0]) || n > BLK_MAX_DISCARD_SEG)
		return VIRTIO_BLK_S_IOERR;
	vq_chain_read(c, sizeof(struct blk_outhdr), segs, (size_t)len);
	for (size_t i = 0; i < n; i++) {
		segs[i].sector = le64toh(segs[i].sector);
		segs[i].num_sectors = le32toh(segs[i].num_sectors);
		segs[i].flags = le32toh(segs[i].flags);
		if (segs[i].flags & ~allowed)
			return VIRTIO_BLK_S_UNSUPP;
		if (segs[i].num_sectors > BLK_MAX_DISCARD_SECTORS ||
		    !blk_range_ok(p->disk, segs[i].sector, segs[i].num_sectors))
			return VIRTIO_BLK_S_IOERR;
	}
	for (size_t i = 0; i < n && r == 0; i++) {
		uint64_t off = segs[i].sector * BLK_SECTOR;
		uint64_t bytes = (uint64_t)segs[i].num_sectors * BLK_SECTOR;

		if (type == VIRTIO_BLK_T_DISCARD)
			r = p->disk->ops->discard(p->disk, off, bytes);
		else
			r = p->disk->ops->write_zeroes(p->disk, off, bytes,
						       segs[i].flags & VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP);
	}
	if (r < 0) {
		log_debug("virtio-blk: %s: %s", type == VIRTIO_BLK_T_DISCARD ? "discard"
					       : "write zeroes", strerror(-r));
		return VIRTIO_BLK_S_IOERR;
	}
	return VIRTIO_BLK_S_OK;
}

static uint8_t blk_dispatch(const struct blk_params *p, const struct vq_chain *c,
			    const struct blk_outhdr *h, struct iovec *iov, uint32_t *written)
{
	switch (h->type) {
	case VIRTIO_BLK_T_IN:
		return blk_in(p, c, h->sector, iov, written);
	case VIRTIO_BLK_T_OUT:
		return blk_out(p, c, h->sector, iov);
	case VIRTIO_BLK_T_FLUSH:
		/* KRUN_SYNC_NONE: FLUSH was not offered; one sent anyway is
		 * ignored, as that mode promises. */
		if (!p->flush)
			return VIRTIO_BLK_S_OK;
		return p->disk->ops->flush(p->disk) < 0 ? VIRTIO_BLK_S_IOERR : VIRTIO_BLK_S_OK;
	case VIRTIO_BLK_T_GET_ID:
		return blk_get_id(p, c, written);
	case VIRTIO_BLK_T_DISCARD:
	case VIRTIO_BLK_T_WRITE_ZEROES:
		return blk_dwz(p, c, h->type);
	default:
		return VIRTIO_BLK_S_UNSUPP;
	}
}

uint32_t blk_request(const struct blk_params *p, const struct vq_chain *c, struct iovec *iov)
{
	struct blk_outhdr h;
	uint32_t written = 0;
	uint8_t status;

	/* §5.2.6: the status is the last byte the device writes; with no
	 * writable byte there is no way to answer. */
	if (c->in_bytes == 0) {
		log_debug("virtio-blk: request with no status byte completed empty");
		return 0;
	}
	if (c->out_bytes < sizeof(h)) {
		status = VIRTIO_BLK_S_IOERR;
	} else {
		vq_chain_read(c, 0, &h, sizeof(h));
		h.type = le32toh(h.type);
		h.sector = le64toh(h.sector);
		status = blk_dispatch(p, c, &h, iov, &written);
	}
	vq_chain_write(c, (size_t)(c->in_bytes - 1), &status, 1);
	return written + 1;
}
