/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Software segmentation of the guest's GSO frames (virtio 1.2 §5.1.6.2 with
 * VIRTIO_NET_F_HOST_TSO4, HOST_TSO6 and HOST_UFO). No backend here carries a
 * virtio header, so the device cuts a super-frame into the frames the guest's
 * stack would have sent without the offload: TCP segments of gso_size payload
 * bytes (as Linux's tcp_gso_segment: sequence numbers advanced, FIN and PSH on
 * the last segment only, CWR on the first only, IPv4 ids counted up, lengths
 * and checksums recomputed), or IPv4 fragments of a UDP datagram (as
 * ip_fragment: the UDP checksum over the whole datagram, then fragments of a
 * multiple of 8 bytes, one id, MF on all but the last).
 *
 * The frame is the guest's, so hostile: net_gso_start parses its headers once
 * and refuses a frame whose headers do not say what gso_type says (another
 * protocol, IP options on a UFO frame, IPv6 extension headers, an IPv4
 * fragment, a length that does not fit) or a gso_size of 0. Segments are then
 * cut only from bytes inside the frame. Pure: no virtio, no I/O; tested alone.
 */
#ifndef LIBKRUN_DEVICES_NET_GSO_H
#define LIBKRUN_DEVICES_NET_GSO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* §5.1.6 struct virtio_net_hdr gso_type values. */
#define NET_GSO_TCPV4 1
#define NET_GSO_UDP 3
#define NET_GSO_TCPV6 4
#define NET_GSO_ECN 0x80 /* needs VIRTIO_NET_F_HOST_ECN, never offered */

struct net_gso {
	uint8_t *f; /* the super-frame, len bytes (the UDP checksum is written in) */
	size_t len;
	uint8_t type;
	size_t l3, l4;  /* offsets of the IP and the TCP/UDP header */
	size_t hlen;    /* bytes copied ahead of every segment's payload */
	size_t seg;     /* payload bytes per segment */
	size_t next;    /* offset of the next segment's payload */
	bool more;      /* a segment is still to be made */
	uint32_t psum;  /* the pseudo-header's sum but its length (TCP) */
	unsigned int n; /* segments made */
};

/*
 * Checks the len-byte frame f against gso_type (NET_GSO_TCPV4, _TCPV6 or
 * _UDP) and gso_size, and sets g up to cut it. 0, or -EINVAL with *why saying
 * what is wrong with it (nothing is made of it then). f must stay put and
 * unchanged until the last segment is made.
 */
int net_gso_start(struct net_gso *g, uint8_t *f, size_t len, uint8_t gso_type,
		  uint16_t gso_size, const char **why);

/* Whether another segment is to be made. */
static inline bool net_gso_more(const struct net_gso *g)
{
	return g->more;
}

/* Writes the next segment at out (room for the frame's len bytes is always
 * enough) and returns its length. Only while net_gso_more. */
size_t net_gso_next(struct net_gso *g, uint8_t *out);

#endif
