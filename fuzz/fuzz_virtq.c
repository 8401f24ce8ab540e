/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The virtio-mmio transport (src/virtio/mmio.c) and the descriptor walker
 * (src/virtio/queue.c), driven as a hostile driver would: register reads and
 * writes in any order and size, ring and descriptor contents, queue kicks.
 *
 * The device is a fake one of several shapes (queue count beyond the
 * transport's 16, sizes up to VQ_MAX_SIZE, config space), picked by the first
 * byte. Guest RAM is two 64 KiB regions with a hole between them, so buffers
 * can straddle a region's end. A kick goes through the queue's eventfd, as
 * with the VMM's ioeventfd, and the device then pops every chain, reads all it
 * may read and writes all it may write (ASan catches a segment that is not
 * guest RAM), checks the chain, and pushes it back.
 *
 * Input: a shape byte, then ops (op byte, then arguments: virtio_driver.h's,
 * then run_op's). State is reset after every input (device reset, RAM
 * zeroed, eventfds read).
 */
#include "fuzz.h"

#include <errno.h>

#include "virtio_driver.h"

#define NSHAPES 4
#define CONFIG_SIZE 24

static struct virtio_dev dev;
static uint8_t config[CONFIG_SIZE];
static int activate_result;
static struct vq_chain chain;
static uint8_t scratch[1 << 16];

static uint64_t fake_features(struct virtio_dev *d)
{
	(void)d;
	return 1ULL << 0 | 1ULL << 28 | 1ULL << VIRTIO_F_EVENT_IDX | 1ULL << 40;
}

static void fake_config_read(struct virtio_dev *d, uint32_t off, void *data, uint32_t len)
{
	(void)d;
	FZ_CHECK(off <= CONFIG_SIZE && len <= CONFIG_SIZE - off);
	memcpy(data, config + off, len);
}

static void fake_config_write(struct virtio_dev *d, uint32_t off, const void *data, uint32_t len)
{
	(void)d;
	FZ_CHECK(off <= CONFIG_SIZE && len <= CONFIG_SIZE - off);
	memcpy(config + off, data, len);
}

static int fake_activate(struct virtio_dev *d)
{
	for (unsigned int i = 0; i < VIRTIO_MAX_QUEUES; i++)
		FZ_CHECK(!d->vq[i].active || d->vq[i].ready);
	return activate_result;
}

/* A segment lies wholly in one RAM region. */
FZ_NOCOV static void check_seg(const struct vq_seg *s)
{
	bool in = false;

	FZ_CHECK(s->len > 0);
	for (unsigned int i = 0; i < vd.mem.nregions; i++) {
		const struct gmem_region *r = &vd.mem.region[i];

		if (s->host >= r->host && s->host + s->len <= r->host + r->size &&
		    s->host + s->len > s->host)
			in = true;
	}
	FZ_CHECK(in);
}

FZ_NOCOV static void check_chain(const struct vq *q, const struct vq_chain *c)
{
	uint64_t out = 0, in = 0;

	FZ_CHECK(c->head < q->size);
	FZ_CHECK((unsigned int)c->nout + c->nin <= VQ_MAX_SEGS);
	for (unsigned int i = 0; i < (unsigned int)c->nout + c->nin; i++) {
		check_seg(&c->seg[i]);
		if (i < c->nout)
			out += c->seg[i].len;
		else
			in += c->seg[i].len;
	}
	FZ_CHECK(out == c->out_bytes && in == c->in_bytes);
}

/* What a device does on a kick: every chain read, written, pushed back. */
static void fake_queue_notify(struct virtio_dev *d, uint16_t qidx)
{
	struct vq *q = &d->vq[qidx];
	bool pushed = false;
	unsigned int n = 0;

	FZ_CHECK(qidx < VIRTIO_MAX_QUEUES && q->active);
	while (vq_pop(q, &chain, &pushed) == 1) {
		size_t got, put;

		check_chain(q, &chain);
		got = vq_chain_read(&chain, 0, scratch, sizeof(scratch));
		FZ_CHECK(got == (chain.out_bytes < sizeof(scratch) ? chain.out_bytes : sizeof(scratch)));
		if (chain.out_bytes > 3)
			FZ_CHECK(vq_chain_read(&chain, chain.out_bytes - 3, scratch, 8) == 3);
		put = vq_chain_write(&chain, 0, scratch, sizeof(scratch));
		FZ_CHECK(put == (chain.in_bytes < sizeof(scratch) ? chain.in_bytes : sizeof(scratch)));
		if (chain.in_bytes > 1)
			FZ_CHECK(vq_chain_write(&chain, chain.in_bytes - 1, scratch, 8) == 1);
		vq_push(q, chain.head, (uint32_t)put);
		pushed = true;
		/* Buffers may overlap the avail ring, so the bytes written here can
		 * publish more chains: a budget, as a device on a shared loop has. */
		if (++n == 4u * q->size)
			break;
	}
	FZ_CHECK(!pushed || q->used[1] == q->used_idx); /* the last store is our push */
	if (pushed && vq_needs_signal(q))
		virtio_signal_used(d);
}

static void fake_reset(struct virtio_dev *d)
{
	(void)d;
}

#define SHAPE(nq, qmax) { .name = "fuzz", .device_id = 42, .num_queues = nq,                  \
	.queue_max_size = qmax, .features = fake_features, .config_size = CONFIG_SIZE,         \
	.config_read = fake_config_read, .config_write = fake_config_write,                   \
	.activate = fake_activate, .queue_notify = fake_queue_notify, .reset = fake_reset }

static const struct virtio_dev_ops shapes[NSHAPES] = {
	SHAPE(3, 256),
	SHAPE(VIRTIO_MAX_QUEUES + 4, VQ_MAX_SIZE + 1), /* beyond what the transport holds */
	SHAPE(1, 1),
	SHAPE(2, 16),
};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fz_log_setup();
	vd_init(0x10000);
	return 0;
}

static void run_op(struct fz *z)
{
	uint8_t op = fz_u8(z);
	struct vq *q;

	if (op % 13 < VD_NOPS) {
		vd_op(z, op % 13);
		return;
	}
	switch (op % 13) {
	case VD_NOPS: /* the device finds work without a kick (after activation) */
		q = vd_q(fz_u8(z));
		if (q->active && (size_t)(q - dev.vq) < dev.ops->num_queues)
			dev.ops->queue_notify(&dev, (uint16_t)(q - dev.vq));
		break;
	case VD_NOPS + 1:
		activate_result = fz_u8(z) & 1 ? -EIO : 0;
		break;
	default: /* the device signals a config change */
		virtio_signal_config(&dev);
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz z = { data, size };

	memset(&dev, 0, sizeof(dev));
	dev.ops = &shapes[fz_u8(&z) % NSHAPES];
	vd_attach(&dev);
	activate_result = 0;
	memset(config, 0, sizeof(config));
	while (!fz_empty(&z))
		run_op(&z);
	vd_detach();
	return 0;
}
