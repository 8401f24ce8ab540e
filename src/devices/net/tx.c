/* SPDX-License-Identifier: Apache-2.0 */
/* virtio-net transmit (virtio 1.2 §5.1.6.2): TX chains to the backend. */
#include <errno.h>
#include <string.h>

#include "devices/net/priv.h"

/* §5.1.6 struct virtio_net_hdr, the fields read. */
#define HDR_FLAGS 0
#define HDR_GSO_TYPE 1
#define HDR_CSUM_START 6
#define HDR_CSUM_OFFSET 8
#define NET_HDR_F_NEEDS_CSUM 1

static uint16_t get_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

/*
 * §5.1.6.2 with VIRTIO_NET_F_CSUM: the driver left the checksum of
 * frame[csum_start..len) to the device, with the pseudo-header's sum already
 * in the field at csum_start + csum_offset. The proxy's framing carries no
 * virtio header, so the device completes it here (as Linux's
 * skb_checksum_help: the ones' complement sum, folded, inverted, and 0 sent
 * as 0xffff, which UDP reads as "no checksum" otherwise). false: the offsets
 * do not fit the frame.
 */
static bool tx_complete_csum(uint8_t *f, size_t len, uint16_t start, uint16_t off)
{
	size_t field = (size_t)start + off;
	uint32_t sum = 0;
	uint16_t csum;

	if (start >= len || field + 2 > len || off & 1)
		return false;
	for (size_t i = start; i < len; i += 2)
		sum += (uint32_t)f[i] << 8 | (i + 1 < len ? f[i + 1] : 0);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	csum = (uint16_t)~sum;
	if (!csum)
		csum = 0xffff;
	f[field] = (uint8_t)(csum >> 8);
	f[field + 1] = (uint8_t)csum;
	return true;
}

/*
 * Checks a TX chain and copies its frame into the backend's send buffer.
 * Returns the frame's length, or 0 (dropped, logged). §5.1.6.2: the buffer is
 * a header then the frame, device-readable. No HOST_TSO/UFO feature is
 * offered, so gso_type must be GSO_NONE, and NEEDS_CSUM is the only flag,
 * only where CSUM was negotiated (the driver "MUST NOT" set them otherwise):
 * a frame asking for more is not sent.
 */
static size_t tx_take(struct net *n, const struct vq_chain *c)
{
	uint8_t hdr[NET_HDR_LEN], *f = netbe_tx_frame(&n->be);
	bool csum = n->tx_csum;
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
	if (hdr[HDR_FLAGS] & ~(csum ? NET_HDR_F_NEEDS_CSUM : 0) ||
	    hdr[HDR_GSO_TYPE] != NET_HDR_GSO_NONE) {
		net_drop(n, false, "TX header asks for an offload not offered");
		return 0;
	}
	if (vq_chain_read(c, NET_HDR_LEN, f, len) != len)
		return 0; /* cannot happen: out_bytes counted these bytes */
	if ((hdr[HDR_FLAGS] & NET_HDR_F_NEEDS_CSUM) &&
	    !tx_complete_csum(f, len, get_le16(hdr + HDR_CSUM_START),
			      get_le16(hdr + HDR_CSUM_OFFSET))) {
		net_drop(n, false, "TX checksum offsets outside the frame");
		return 0;
	}
	return len;
}

/* Whether a chain can be taken now: the backend has room for a frame, or is
 * dead (its half-sent frame never leaves, and the chains are dropped). */
static bool tx_can_take(const struct net *n)
{
	return n->backend_dead || !netbe_tx_pending(&n->be);
}

void net_tx_run(struct net *n)
{
	struct vq *q = &n->dev->vq[NET_TXQ];
	unsigned int budget = NET_BUDGET;
	bool pushed = false;
	int r;

	for (; budget && tx_can_take(n); budget--) {
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
	if (!budget && tx_can_take(n))
		net_kick_self(n, NET_TXQ);
}
