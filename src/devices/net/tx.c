/* SPDX-License-Identifier: Apache-2.0 */
/* virtio-net transmit (virtio 1.2 §5.1.6.2): TX chains to the backend. */
#include <errno.h>
#include <string.h>

#include "devices/net/priv.h"
#include "util/checksum.h"

/* §5.1.6 struct virtio_net_hdr, the fields read. */
#define HDR_FLAGS 0
#define HDR_GSO_TYPE 1
#define HDR_GSO_SIZE 4
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
	uint16_t csum;

	if (start >= len || field + 2 > len || off & 1)
		return false;
	csum = inet_csum(inet_sum(f + start, len - start, 0));
	if (!csum)
		csum = 0xffff;
	f[field] = (uint8_t)(csum >> 8);
	f[field + 1] = (uint8_t)csum;
	return true;
}

/*
 * Checks a TX chain and copies its frame into the backend's send buffer, or,
 * for a GSO super-frame, into gso_buf, from which its first segment is cut
 * into the send buffer. Returns the length of what the send buffer holds, or
 * 0 (dropped, logged). §5.1.6.2: the buffer is a header then the frame,
 * device-readable. The driver "MUST NOT" use a flag or gso_type it did not
 * negotiate: NEEDS_CSUM is the only flag, with CSUM; a gso_type needs its
 * HOST_ feature (ECN never: HOST_ECN is not offered). A frame asking for more
 * is not sent. A GSO frame's checksums are all computed anew (gso.h), so its
 * csum_start and csum_offset are not used.
 */
static size_t tx_take(struct net *n, const struct vq_chain *c)
{
	uint8_t hdr[NET_HDR_LEN], *f;
	const char *why;
	uint8_t gso;
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
	gso = hdr[HDR_GSO_TYPE];
	if (hdr[HDR_FLAGS] & ~(n->tx_csum ? NET_HDR_F_NEEDS_CSUM : 0) ||
	    (gso != NET_HDR_GSO_NONE && (gso >= 8 || !(n->tx_gso_types & 1u << gso)))) {
		net_drop(n, false, "TX header asks for an offload not negotiated");
		return 0;
	}
	f = gso == NET_HDR_GSO_NONE ? netbe_tx_frame(&n->be) : n->gso_buf;
	if (vq_chain_read(c, NET_HDR_LEN, f, len) != len)
		return 0; /* cannot happen: out_bytes counted these bytes */
	if (gso != NET_HDR_GSO_NONE) {
		if (net_gso_start(&n->gso, f, len, gso, get_le16(hdr + HDR_GSO_SIZE), &why) < 0) {
			net_drop(n, false, why);
			return 0;
		}
		n->tx_gso_frames++;
		n->tx_gso_segments++;
		return net_gso_next(&n->gso, netbe_tx_frame(&n->be));
	}
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
	bool pushed = false, small_only = true;
	int r;

	/* Each frame sent counts against the budget, a super-frame's segments
	 * one by one: the next chain is taken once the last one is sent. */
	for (; budget && tx_can_take(n); budget--) {
		size_t len;

		if (net_gso_more(&n->gso)) {
			if (n->backend_dead) {
				n->gso.more = false;
				continue;
			}
			len = net_gso_next(&n->gso, netbe_tx_frame(&n->be));
			n->tx_gso_segments++;
		} else {
			if (vq_pop(q, &n->chain, &pushed) != 1)
				break;
			len = n->backend_dead ? 0 : tx_take(n, &n->chain);
			small_only &= n->chain.out_bytes <= NET_TX_SMALL;
			/* The frame is ours now: the chain goes back at once,
			 * §5.1.6.2 with nothing written. */
			vq_push(q, n->chain.head, 0);
			pushed = true;
			if (!len) {
				n->tx_dropped++;
				continue;
			}
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
		net_tx_signal(n, small_only);
	if (!budget && tx_can_take(n))
		net_kick_self(n, NET_TXQ);
}
