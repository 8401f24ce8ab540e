/* SPDX-License-Identifier: Apache-2.0 */
/*
 * virtio-blk (virtio 1.2 §5.2, device id 2) over an image format
 * (devices/blk/disk.h: raw today).
 *
 * Request queues: as many as the caller asks (one per vCPU), announced with
 * MQ (§5.2.2: requestq1..requestqN). Offered features: SIZE_MAX, SEG_MAX,
 * BLK_SIZE, TOPOLOGY, MQ always; FLUSH unless the caller asked for no syncing
 * (KRUN_SYNC_NONE); RO on a read-only disk, else DISCARD and WRITE_ZEROES.
 * Requests: IN, OUT, FLUSH, GET_ID, DISCARD, WRITE_ZEROES; anything else is
 * answered VIRTIO_BLK_S_UNSUPP.
 *
 * The guest is hostile (req.c): the request header is copied once out of the
 * chain's device-readable bytes and checked there; the status byte is the last
 * device-writable byte; every sector range is checked against the image size
 * with no overflow; a bad request gets IOERR or UNSUPP and touches nothing
 * outside the image. A chain without a writable byte has nowhere to put a
 * status: it is completed with length 0.
 *
 * Threads: the event loop only wakes the workers (queue_notify never blocks).
 * A pool of workers pops chains, from every queue in turn, under the device's
 * queue lock, does the I/O
 * with the lock released, and pushes the reply. Reset (vCPU thread) waits for
 * the requests in flight, up to BLK_RESET_WAIT_MS (a hung host mount would
 * otherwise hold the vCPU); past that their replies are dropped when they end.
 */
#ifndef LIBKRUN_DEVICES_BLK_BLK_H
#define LIBKRUN_DEVICES_BLK_BLK_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/blk/disk.h"
#include "virtio/mmio.h"

/* §5.2.3 feature bits. */
#define VIRTIO_BLK_F_SIZE_MAX 1
#define VIRTIO_BLK_F_SEG_MAX 2
#define VIRTIO_BLK_F_RO 5
#define VIRTIO_BLK_F_BLK_SIZE 6
#define VIRTIO_BLK_F_FLUSH 9
#define VIRTIO_BLK_F_TOPOLOGY 10
#define VIRTIO_BLK_F_MQ 12
#define VIRTIO_BLK_F_DISCARD 13
#define VIRTIO_BLK_F_WRITE_ZEROES 14

/* §5.2.6 request types and status values. */
#define VIRTIO_BLK_T_IN 0
#define VIRTIO_BLK_T_OUT 1
#define VIRTIO_BLK_T_FLUSH 4
#define VIRTIO_BLK_T_GET_ID 8
#define VIRTIO_BLK_T_DISCARD 11
#define VIRTIO_BLK_T_WRITE_ZEROES 13
#define VIRTIO_BLK_S_OK 0
#define VIRTIO_BLK_S_IOERR 1
#define VIRTIO_BLK_S_UNSUPP 2
#define VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP 1u

#define VIRTIO_BLK_ID_BYTES 20 /* §5.2.6: GET_ID's answer */
#define BLK_SECTOR 512u        /* the unit of every sector field, whatever blk_size is */

#define BLK_QUEUE_SIZE 256
/* No indirect descriptors: a request's data segments plus header and status
 * must fit in the ring (Linux puts each in its own descriptor). */
#define BLK_SEG_MAX (BLK_QUEUE_SIZE - 2)
#define BLK_SIZE_MAX (1u << 20)
/* The largest data transfer the offered limits allow; beyond it, IOERR. */
#define BLK_MAX_DATA ((uint64_t)BLK_SEG_MAX * BLK_SIZE_MAX)
#define BLK_MAX_DISCARD_SECTORS (1u << 22) /* 2 GiB per segment */
#define BLK_MAX_DISCARD_SEG 32
#define BLK_MAX_WORKERS 8
#define BLK_MAX_QUEUES 8 /* transport queues; the config announces nqueues of them */

struct blk_config {
	const char *id;  /* GET_ID's answer: up to 20 bytes used, may be NULL */
	bool flush;      /* offer FLUSH and honour it (not KRUN_SYNC_NONE) */
	unsigned int nworkers; /* 1..BLK_MAX_WORKERS */
	unsigned int nqueues;  /* 1..BLK_MAX_QUEUES */
};

/* What a request is checked and served against (req.c). */
struct blk_params {
	struct disk *disk;
	uint8_t id[VIRTIO_BLK_ID_BYTES]; /* NUL-padded */
	bool flush;
};

/*
 * Serves one popped chain: parses the header, checks everything, does the
 * I/O, writes the status byte. iov is scratch of VQ_MAX_SEGS entries. Returns
 * the used length (bytes written into the chain, status included; 0 for a
 * chain with no writable byte).
 */
uint32_t blk_request(const struct blk_params *p, const struct vq_chain *c, struct iovec *iov);

/*
 * Creates the device on an open disk, which it takes over (closed on failure
 * too), and starts its workers. 0 with *out (transport fields zeroed, for the
 * bus), or -errno (logged).
 */
int blk_create(struct disk *dk, const struct blk_config *cfg, struct virtio_dev **out);

#endif
