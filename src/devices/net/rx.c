/* SPDX-License-Identifier: Apache-2.0 */
/* virtio-net receive (virtio 1.2 §5.1.6.3, §5.1.6.4): backend frames into RX buffers. */
#include <endian.h>
#include <string.h>

#include "devices/net/priv.h"

/*
 * Puts n->rx_frame into the next RX buffer. 1: done with the frame (given, or
 * dropped because the buffer cannot take it), 0: no buffer posted.
 * §5.1.6.3: the buffers are device-writable; without MRG_RXBUF (not offered)
 * each holds a whole frame after its header, whose num_buffers is 1
 * (§5.1.6.4); no flags, as no checksum feature is offered.
 */
static int rx_give(struct net *n, bool *pushed)
{
	struct vq *q = &n->dev->vq[NET_RXQ];
	struct vq_chain *c = &n->chain;
	uint8_t hdr[NET_HDR_LEN] = { 0 };
	uint16_t one = htole16(1);

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
	memcpy(hdr + 10, &one, sizeof(one)); /* num_buffers, the last field */
	vq_chain_write(c, 0, hdr, sizeof(hdr));
	vq_chain_write(c, NET_HDR_LEN, n->rx_frame, n->rx_len);
	vq_push(q, c->head, (uint32_t)(NET_HDR_LEN + n->rx_len));
	return 1;
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
		virtio_signal_used(n->dev);
	/* The backend's buffer may hold whole frames that no poll would report. */
	if (!budget && n->active)
		net_kick_self(n, NET_RXQ);
}
