/* SPDX-License-Identifier: Apache-2.0 */
/* virtio-vsock device glue (virtio 1.2 §5.10); the contract is in vsock.h. */
#include "devices/vsock/vsock.h"

#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"
#include "virtio/irq_defer.h"
#include "vsock/mux.h"
#include "vsock/pkt.h"

/* How long a TX interrupt for header-only packets may wait (vsock_notify). */
#define VSOCK_TX_IRQ_DELAY_NS 5000000

/* §5.10.4: struct virtio_vsock_config { le64 guest_cid; }. */
#define VSOCK_CONFIG_SIZE 8

struct vsock_dev {
	struct virtio_dev *dev;
	struct vsock_mux *mux;
	struct vq_chain tx;    /* the TX chain being handled (too big for a stack) */
	struct vq_chain rx;    /* scratch for the RX chain being taken */
	/* RX buffers the muxer peeked at and has not filled, in line from
	 * rx_first: the guest's chains cut to VSOCK_RX_MAX_IOV segments. */
	struct vsock_rx_held {
		uint16_t head;
		struct vsock_rxbuf b;
	} rx_held[VSOCK_RX_BATCH];
	unsigned int rx_first, rx_nheld;
	bool pushed_rx, pushed_tx; /* used entries not signalled yet */
	bool tx_data;          /* a TX packet with payload among them */
	struct irq_defer tx_irq; /* an owed TX interrupt (header-only packets) */
};

/* Segments [first, first + count) of c from byte off on, as at most max
 * iovecs (host pointers vq_pop checked); returns their bytes. A chain of more
 * segments than that is cut there (Linux uses one or two). */
static size_t chain_iov(const struct vq_chain *c, unsigned int first, unsigned int count,
			size_t off, struct iovec *iov, unsigned int max, unsigned int *niov)
{
	unsigned int n = 0;
	size_t total = 0;

	for (unsigned int i = first; i < first + count && n < max; i++) {
		size_t len = c->seg[i].len;

		if (off >= len) {
			off -= len;
			continue;
		}
		iov[n].iov_base = c->seg[i].host + off;
		iov[n].iov_len = len - off;
		total += len - off;
		off = 0;
		n++;
	}
	*niov = n;
	return total;
}

/* §5.10.6.2: the driver queues a header and its payload as one chain. */
static int vsock_tx_pop(void *opaque, struct vsock_txpkt *p)
{
	struct vsock_dev *v = opaque;

	if (vq_pop(&v->dev->vq[VSOCK_TXQ], &v->tx, &v->pushed_tx) != 1)
		return 0;
	p->hdr_len = vq_chain_read(&v->tx, 0, p->hdr, VSOCK_HDR_SIZE);
	p->payload_len = chain_iov(&v->tx, 0, v->tx.nout, VSOCK_HDR_SIZE, p->iov,
				   VSOCK_MAX_IOV, &p->niov);
	return 1;
}

static void vsock_tx_done(void *opaque)
{
	struct vsock_dev *v = opaque;

	/* The device writes nothing into a TX buffer. */
	vq_push(&v->dev->vq[VSOCK_TXQ], v->tx.head, 0);
	v->pushed_tx = true;
	v->tx_data |= v->tx.out_bytes > VSOCK_HDR_SIZE;
}

static int vsock_rx_peek(void *opaque, unsigned int nth, struct vsock_rxbuf **b)
{
	struct vsock_dev *v = opaque;
	struct vq *q = &v->dev->vq[VSOCK_RXQ];

	if (nth >= VSOCK_RX_BATCH)
		return 0;
	while (v->rx_nheld <= nth) {
		struct vsock_rx_held *h = &v->rx_held[(v->rx_first + v->rx_nheld) % VSOCK_RX_BATCH];

		if (vq_pop(q, &v->rx, &v->pushed_rx) != 1)
			return 0;
		h->head = v->rx.head;
		h->b.cap = chain_iov(&v->rx, v->rx.nout, v->rx.nin, 0, h->b.iov,
				     VSOCK_RX_MAX_IOV, &h->b.niov);
		if (h->b.cap >= VSOCK_HDR_SIZE) {
			v->rx_nheld++;
			continue;
		}
		/* No room for even a header: given back unused. */
		log_debug("virtio vsock: RX buffer of %zu bytes too small", h->b.cap);
		vq_push(q, v->rx.head, 0);
		v->pushed_rx = true;
	}
	*b = &v->rx_held[(v->rx_first + nth) % VSOCK_RX_BATCH].b;
	return 1;
}

static void vsock_rx_push(void *opaque, uint32_t len)
{
	struct vsock_dev *v = opaque;

	if (!v->rx_nheld)
		return; /* the muxer pushes only what it peeked */
	vq_push(&v->dev->vq[VSOCK_RXQ], v->rx_held[v->rx_first].head, len);
	v->rx_first = (v->rx_first + 1) % VSOCK_RX_BATCH;
	v->rx_nheld--;
	v->pushed_rx = true;
}

/*
 * One interrupt per batch, if the driver wants one (§2.7.10). Both queues are
 * asked, never one skipped because the other already wants the interrupt:
 * with VIRTIO_F_EVENT_IDX each question also records where that queue's
 * used index stood when it was last judged.
 *
 * A batch that completed only header-only TX packets (the credit updates a
 * reading guest sends, requests, resets) and nothing for RX owes its
 * interrupt instead (virtio/irq_defer.h). Linux's driver asks for an
 * interrupt at every TX completion and only frees the packet in it, so in a
 * host->guest stream each credit update cost the guest an interrupt. A
 * payload's completion, which the sender's socket may be waiting for, is
 * signalled at once.
 */
static void vsock_notify(void *opaque)
{
	struct vsock_dev *v = opaque;
	bool sig_rx = v->pushed_rx && vq_needs_signal(&v->dev->vq[VSOCK_RXQ]);
	bool sig_tx = v->pushed_tx && vq_needs_signal(&v->dev->vq[VSOCK_TXQ]);
	bool defer = sig_tx && !sig_rx && !v->tx_data;

	v->pushed_rx = v->pushed_tx = v->tx_data = false;
	if (defer) {
		irq_defer_owe(&v->tx_irq);
	} else if (sig_rx || sig_tx) {
		irq_defer_paid(&v->tx_irq);
		virtio_signal_used(v->dev);
	}
}

static const struct vsock_guest_ops vsock_guest_ops = {
	.tx_pop = vsock_tx_pop,
	.tx_done = vsock_tx_done,
	.rx_peek = vsock_rx_peek,
	.rx_push = vsock_rx_push,
	.notify = vsock_notify,
};

#define VIRTIO_VSOCK_F_SEQPACKET 1 /* virtio 1.2 §5.10.3 */

static uint64_t vsock_features(struct virtio_dev *d)
{
	(void)d;
	/* SEQPACKET carries TSI's UDP; only services that ask for it take it.
	 * EVENT_IDX: every path pops until the ring is empty before it waits
	 * for a kick (the TX pause while the RST ring is full ends as RX
	 * sends them), so a kick the driver suppresses is never one we need. */
	return 1ull << VIRTIO_VSOCK_F_SEQPACKET | 1ull << VIRTIO_F_EVENT_IDX;
}

static void vsock_config_read(struct virtio_dev *d, uint32_t off, void *data, uint32_t len)
{
	uint64_t cid = htole64(VSOCK_GUEST_CID);

	(void)d;
	memcpy(data, (uint8_t *)&cid + off, len); /* the transport bounded off + len */
}

static void vsock_config_write(struct virtio_dev *d, uint32_t off, const void *data, uint32_t len)
{
	(void)d, (void)data;
	log_debug("virtio vsock: config write of %u bytes at %u ignored (read-only)", len, off);
}

/* DRIVER_OK; dev->lock held, vCPU thread. */
static int vsock_activate(struct virtio_dev *d)
{
	struct vsock_dev *v = d->priv;

	/* The muxer is inactive, so nothing touches the device's fields now. */
	v->rx_first = v->rx_nheld = 0;
	v->pushed_rx = v->pushed_tx = v->tx_data = false;
	irq_defer_paid(&v->tx_irq);
	vsock_mux_set_active(v->mux, true);
	return 0;
}

/* Status 0; dev->lock held, vCPU thread. Afterwards no queue work runs until
 * the next activate, and the transport resets the queues. */
static void vsock_reset(struct virtio_dev *d)
{
	struct vsock_dev *v = d->priv;

	vsock_mux_set_active(v->mux, false);
}

/* Event loop thread. */
static void vsock_queue_notify(struct virtio_dev *d, uint16_t qidx)
{
	struct vsock_dev *v = d->priv;

	if (qidx == VSOCK_RXQ)
		vsock_mux_guest_rx(v->mux);
	else if (qidx == VSOCK_TXQ)
		vsock_mux_guest_tx(v->mux);
	/* VSOCK_EVQ: buffers for events, which we never send. */
}

/* The guest's last bytes to the host (vsock_mux_drain); slow readers get this
 * long, then the process ends with whatever they did not take. */
#define VSOCK_DRAIN_MS 2000

static void vsock_vm_ended(struct virtio_dev *d)
{
	struct vsock_dev *v = d->priv;

	vsock_mux_drain(v->mux, VSOCK_DRAIN_MS);
}

static void vsock_destroy(struct virtio_dev *d)
{
	struct vsock_dev *v = d->priv;

	if (!v)
		return;
	irq_defer_fini(&v->tx_irq);
	vsock_mux_destroy(v->mux);
	free(v);
	d->priv = NULL;
}

static const struct virtio_dev_ops vsock_ops = {
	.name = "vsock",
	.device_id = 19,
	.num_queues = VSOCK_NUM_QUEUES,
	.queue_max_size = VSOCK_QUEUE_SIZE,
	.features = vsock_features,
	.config_size = VSOCK_CONFIG_SIZE,
	.config_read = vsock_config_read,
	.config_write = vsock_config_write,
	.activate = vsock_activate,
	.queue_notify = vsock_queue_notify,
	.reset = vsock_reset,
	.vm_ended = vsock_vm_ended,
	.destroy = vsock_destroy,
};

int vsock_create(const struct vsock_config *cfg, struct evloop *loop, struct virtio_dev **out)
{
	struct virtio_dev *d = calloc(1, sizeof(*d));
	struct vsock_dev *v = calloc(1, sizeof(*v));
	int r;

	if (!d || !v) {
		log_error("vsock: cannot create the device: %s", strerror(ENOMEM));
		r = -ENOMEM;
		goto err;
	}
	/* The transport part stays zeroed for the bus to set up (src/vmm/virtio_bus.c). */
	d->ops = &vsock_ops;
	d->priv = v;
	d->irqfd = -1;
	for (unsigned int i = 0; i < VIRTIO_MAX_QUEUES; i++)
		d->notify_fd[i] = -1;
	v->dev = d;
	v->tx_irq.timer = -1; /* irq_defer_fini is safe before init */
	v->mux = vsock_mux_create(loop, &vsock_guest_ops, v);
	if (!v->mux) {
		r = -ENOMEM;
		goto err;
	}
	r = vsock_unix_add_ports(v->mux, cfg->ports, cfg->nports);
	if (r == 0 && cfg->tsi)
		r = tsi_service_add(v->mux, &cfg->tsi_cfg);
	if (r < 0)
		goto err;
	irq_defer_init(&v->tx_irq, d, loop, VSOCK_TX_IRQ_DELAY_NS);
	*out = d;
	return 0;
err:
	if (v)
		vsock_mux_destroy(v->mux);
	free(v);
	free(d);
	return r;
}

struct vsock_mux *vsock_dev_mux(struct virtio_dev *d)
{
	struct vsock_dev *v = d->priv;

	return v->mux;
}
