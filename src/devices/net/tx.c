/* SPDX-License-Identifier: Apache-2.0 */
/* virtio-net transmit (virtio 1.2 §5.1.6.2): TX chains to the backend. */
#include <errno.h>
#include <string.h>

#include "devices/net/priv.h"

/* §5.1.6 struct virtio_net_hdr, the fields checked. */
#define HDR_FLAGS 0
#define HDR_GSO_TYPE 1

/*
 * Checks a TX chain and copies its frame into the backend's send buffer.
 * Returns the frame's length, or 0 (dropped, logged). §5.1.6.2: the buffer is
 * a header then the frame, device-readable; with neither CSUM nor a HOST_TSO
 * feature offered, flags must be 0 and gso_type GSO_NONE (the driver "MUST
 * NOT" set them otherwise), so a frame asking for either is not sent.
 */
static size_t tx_take(struct net *n, const struct vq_chain *c)
{
	uint8_t hdr[NET_HDR_LEN];
	size_t len;

	if (c->nin) {
		net_drop(n, false, "TX chain with device-writable descriptors");
		return 0;
	}
	if (c->out_bytes < NET_HDR_LEN + NETBE_ETH_HLEN ||
	    c->out_bytes > NET_HDR_LEN + NETBE_FRAME_MAX) {
		net_drop(n, false, "TX frame shorter than an Ethernet header or too long");
		return 0;
	}
	len = (size_t)c->out_bytes - NET_HDR_LEN;
	vq_chain_read(c, 0, hdr, sizeof(hdr));
	if (hdr[HDR_FLAGS] || hdr[HDR_GSO_TYPE] != NET_HDR_GSO_NONE) {
		net_drop(n, false, "TX header asks for an offload not offered");
		return 0;
	}
	if (vq_chain_read(c, NET_HDR_LEN, netbe_tx_frame(&n->be), len) != len)
		return 0; /* cannot happen: out_bytes counted these bytes */
	return len;
}

void net_tx_run(struct net *n)
{
	struct vq *q = &n->dev->vq[NET_TXQ];
	unsigned int budget = NET_BUDGET;
	bool pushed = false;
	int r;

	for (; budget && !netbe_tx_pending(&n->be); budget--) {
		size_t len;

		if (vq_pop(q, &n->chain, &pushed) != 1)
			break;
		len = n->backend_dead ? 0 : tx_take(n, &n->chain);
		/* The frame is ours now: the chain goes back at once, §5.1.6.2
		 * with nothing written. */
		vq_push(q, n->chain.head, 0);
		pushed = true;
		if (!len) {
			n->tx_dropped++;
			continue;
		}
		r = netbe_tx_send(&n->be, len);
		if (r == -EAGAIN) {
			net_update_events(n); /* EPOLLOUT resumes us */
			break;
		}
		if (r < 0)
			net_backend_failed(n, r);
	}
	if (pushed && vq_needs_signal(q))
		virtio_signal_used(n->dev);
	if (!budget && !netbe_tx_pending(&n->be))
		net_kick_self(n, NET_TXQ);
}
