/* SPDX-License-Identifier: Apache-2.0 */
/* virtio-net receive (virtio 1.2 §5.1.6.3, §5.1.6.4): backend frames into RX buffers. */
#include <endian.h>
#include <string.h>

#include "devices/net/priv.h"

/* §5.1.6 struct virtio_net_hdr for a received frame: no flags (checksums are
 * complete as the proxy sent them), GSO_NONE, num_buffers (§5.1.6.4). */
static void rx_hdr(uint8_t hdr[NET_HDR_LEN], uint16_t num_buffers)
{
	uint16_t v = htole16(num_buffers);

	memset(hdr, 0, NET_HDR_LEN);
	memcpy(hdr + 10, &v, sizeof(v));
}

/*
 * Without MRG_RXBUF: n->rx_frame into the next RX buffer, which must hold
 * header and frame (§5.1.6.3.1). 1: done with the frame (given, or dropped
 * because the buffer cannot take it), 0: no buffer posted.
 */
static int rx_give_one(struct net *n, bool *pushed)
{
	struct vq *q = &n->dev->vq[NET_RXQ];
	struct vq_chain *c = &n->chain;
	uint8_t hdr[NET_HDR_LEN];

	if (vq_pop(q, c, pushed) != 1)
		return 0;
	*pushed = true;
	if (c->nout) {
		vq_push(q, c->head, 0);
		net_drop(n, true, "RX buffer with device-readable descriptors");
		return 1;
	}
	if (c->in_bytes < NET_HDR_LEN + n->rx_len) {
		/* The driver learns of it from a used length below the header. */
		vq_push(q, c->head, 0);
		net_drop(n, true, "received frame larger than the RX buffer");
		return 1;
	}
	rx_hdr(hdr, 1);
	vq_chain_write(c, 0, hdr, sizeof(hdr));
	vq_chain_write(c, NET_HDR_LEN, n->rx_frame, n->rx_len);
	vq_push(q, c->head, (uint32_t)(NET_HDR_LEN + n->rx_len));
	return 1;
}

/* Copies len bytes into the held buffers from byte `at` of them on. */
static void held_write(struct net *n, size_t at, const uint8_t *src, size_t len)
{
	for (unsigned int b = 0; b < n->nheld && len; b++)
		for (unsigned int s = 0; s < n->held[b].nseg && len; s++) {
			const struct vq_seg *g = &n->held[b].seg[s];
			size_t k;

			if (at >= g->len) {
				at -= g->len;
				continue;
			}
			k = g->len - at < len ? g->len - at : len;
			memcpy(g->host + at, src, k);
			src += k;
			len -= k;
			at = 0;
		}
}

/* Gives the held buffers back with nothing in them: the frame is dropped. */
static void held_drop(struct net *n, const char *why)
{
	for (unsigned int b = 0; b < n->nheld; b++)
		vq_push(&n->dev->vq[NET_RXQ], n->held[b].head, 0);
	n->nheld = 0;
	n->held_cap = 0;
	net_drop(n, true, why);
}

/*
 * With MRG_RXBUF (§5.1.6.3.2, §5.1.6.4): takes buffers until header and frame
 * fit, keeping them across calls while the driver posts no more (0: wait
 * for its kick), then fills them in order and uses them together, the
 * header's num_buffers saying how many. 1: done with the frame.
 */
static int rx_give_merged(struct net *n, bool *pushed)
{
	struct vq *q = &n->dev->vq[NET_RXQ];
	struct vq_chain *c = &n->chain;
	size_t need = NET_HDR_LEN + n->rx_len, left = need;
	uint8_t hdr[NET_HDR_LEN];

	while (n->held_cap < need) {
		struct net_rxbuf *h = &n->held[n->nheld];

		if (n->nheld == NET_MRG_MAX) {
			*pushed = true;
			held_drop(n, "received frame larger than 64 RX buffers");
			return 1;
		}
		if (vq_pop(q, c, pushed) != 1)
			return 0;
		if (c->nout || c->nin > NET_MRG_SEGS) {
			vq_push(q, c->head, 0);
			*pushed = true;
			net_drop(n, true, "RX buffer readable or of over 4 descriptors");
			continue;
		}
		h->head = c->head;
		h->nseg = c->nin;
		h->cap = c->in_bytes;
		memcpy(h->seg, c->seg, c->nin * sizeof(c->seg[0]));
		n->held_cap += c->in_bytes;
		n->nheld++;
	}
	rx_hdr(hdr, (uint16_t)n->nheld);
	held_write(n, 0, hdr, sizeof(hdr));
	held_write(n, NET_HDR_LEN, n->rx_frame, n->rx_len);
	for (unsigned int b = 0; b < n->nheld; b++) {
		/* Every buffer but the last is full; left <= need, a frame's size. */
		size_t used = left < n->held[b].cap ? left : (size_t)n->held[b].cap;

		vq_push(q, n->held[b].head, (uint32_t)used);
		left -= used;
	}
	*pushed = true;
	n->nheld = 0;
	n->held_cap = 0;
	return 1;
}

static int rx_give(struct net *n, bool *pushed)
{
	return n->mrg ? rx_give_merged(n, pushed) : rx_give_one(n, pushed);
}

void net_rx_run(struct net *n)
{
	bool pushed = false;
	unsigned int budget = NET_BUDGET;
	int r;

	if (n->backend_dead || n->rx_waiting)
		return;
	for (; budget; budget--) {
		if (!n->rx_frame) {
			r = netbe_recv(&n->be, &n->rx_frame, &n->rx_len);
			if (r < 0) {
				n->rx_frame = NULL;
				net_backend_failed(n, r);
				break;
			}
			if (r == 0) {
				n->rx_frame = NULL;
				break;
			}
		}
		if (!n->active) {
			n->rx_frame = NULL; /* no driver: the wire drops it */
			n->rx_dropped++;
			continue;
		}
		if (!rx_give(n, &pushed)) {
			/* Held until the driver posts buffers (its kick resumes us):
			 * nothing more is read meanwhile. */
			n->rx_waiting = true;
			net_update_events(n);
			break;
		}
		n->rx_frame = NULL;
	}
	if (pushed && vq_needs_signal(&n->dev->vq[NET_RXQ]))
		net_rx_signal(n);
	/* The backend's buffer may hold whole frames that no poll would report. */
	if (!budget && n->active)
		net_kick_self(n, NET_RXQ);
}
