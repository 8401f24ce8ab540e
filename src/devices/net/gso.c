/* SPDX-License-Identifier: Apache-2.0 */
/* Software GSO: a guest's TSO/UFO super-frame cut into MTU frames; gso.h has the contract. */
#include "devices/net/gso.h"

#include <errno.h>
#include <string.h>

#include "util/checksum.h"

#define ETH_TYPE 12
#define ETH_P_IPV4 0x0800
#define ETH_P_IPV6 0x86dd
#define ETH_P_8021Q 0x8100
#define IPPROTO_TCP_ 6
#define IPPROTO_UDP_ 17

/* RFC 791 §3.1 offsets. */
#define IP4_LEN 2
#define IP4_ID 4
#define IP4_FRAG 6
#define IP4_PROTO 9
#define IP4_CSUM 10
#define IP4_SADDR 12
#define IP4_F_DF 0x4000
#define IP4_F_MF 0x2000
#define IP4_FRAG_OFF 0x1fff
/* RFC 8200 §3. */
#define IP6_HLEN 40
#define IP6_PLEN 4
#define IP6_NEXT 6
#define IP6_SADDR 8
/* RFC 9293 §3.1 and RFC 768. */
#define TCP_HLEN_MIN 20
#define TCP_SEQ 4
#define TCP_DOFF 12
#define TCP_FLAGS 13
#define TCP_CSUM 16
#define TCP_F_FIN 0x01
#define TCP_F_PSH 0x08
#define TCP_F_CWR 0x80
#define UDP_HLEN 8
#define UDP_LEN 4
#define UDP_CSUM 6

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

static int refuse(const char **why, const char *what)
{
	*why = what;
	return -EINVAL;
}

/* The IPv4 header at ip (ihl words) gets its checksum (RFC 791 §3.1). */
static void ip4_set_csum(uint8_t *ip)
{
	size_t ihl = (size_t)(ip[0] & 0xf) * 4;

	put16(ip + IP4_CSUM, 0);
	put16(ip + IP4_CSUM, inet_csum(inet_sum(ip, ihl, 0)));
}

/* The pseudo-header's sum but its length field (RFC 9293 §3.1, RFC 8200 §8.1). */
static uint32_t pseudo_sum(const uint8_t *ip, bool v6, uint8_t proto)
{
	if (v6)
		return inet_sum(ip + IP6_SADDR, 32, proto);
	return inet_sum(ip + IP4_SADDR, 8, proto);
}

/* Finds the IP header behind Ethernet (and one 802.1Q tag): its offset, or 0. */
static size_t l3_offset(const uint8_t *f, size_t len, uint16_t *ethertype)
{
	size_t off = ETH_TYPE;

	if (len < off + 2)
		return 0;
	*ethertype = get16(f + off);
	if (*ethertype == ETH_P_8021Q) {
		off += 4;
		if (len < off + 2)
			return 0;
		*ethertype = get16(f + off);
	}
	return off + 2;
}

/* The TSO frame's IP and TCP headers: sets l3, l4 and hlen. */
static int tcp_parse(struct net_gso *g, bool v6, const char **why)
{
	const uint8_t *f = g->f;
	uint16_t ethertype;
	size_t l3 = l3_offset(f, g->len, &ethertype), doff;

	if (!l3 || ethertype != (v6 ? ETH_P_IPV6 : ETH_P_IPV4))
		return refuse(why, "TSO frame not of its IP version");
	if (v6) {
		if (g->len < l3 + IP6_HLEN || f[l3] >> 4 != 6 || f[l3 + IP6_NEXT] != IPPROTO_TCP_)
			return refuse(why, "TSO6 frame without a bare IPv6 header before TCP");
		g->l4 = l3 + IP6_HLEN;
	} else {
		size_t ihl = (size_t)(f[l3] & 0xf) * 4;

		if (g->len < l3 + 20 || f[l3] >> 4 != 4 || ihl < 20 || g->len < l3 + ihl ||
		    f[l3 + IP4_PROTO] != IPPROTO_TCP_)
			return refuse(why, "TSO4 frame without an IPv4 header before TCP");
		if (get16(f + l3 + IP4_FRAG) & (IP4_F_MF | IP4_FRAG_OFF))
			return refuse(why, "TSO4 frame that is an IP fragment");
		g->l4 = l3 + ihl;
	}
	if (g->len - l3 > 0xffff)
		return refuse(why, "TSO frame longer than an IP packet");
	if (g->len < g->l4 + TCP_HLEN_MIN)
		return refuse(why, "TSO frame shorter than its TCP header");
	doff = (size_t)(f[g->l4 + TCP_DOFF] >> 4) * 4;
	if (doff < TCP_HLEN_MIN || g->len < g->l4 + doff)
		return refuse(why, "TSO frame with a bad TCP header length");
	g->l3 = l3;
	g->hlen = g->l4 + doff;
	g->psum = pseudo_sum(f + l3, v6, IPPROTO_TCP_);
	return 0;
}

/* The UFO frame: an option-less IPv4 header and a UDP datagram, whose
 * checksum is computed here over all of it before it is cut (RFC 768). */
static int udp_parse(struct net_gso *g, const char **why)
{
	uint8_t *f = g->f;
	uint16_t ethertype;
	size_t l3 = l3_offset(f, g->len, &ethertype), dlen;
	uint16_t csum;

	if (!l3 || ethertype != ETH_P_IPV4)
		return refuse(why, "UFO frame not IPv4 (IPv6 fragmentation is not done)");
	if (g->len < l3 + 20 + UDP_HLEN || f[l3] != 0x45 || f[l3 + IP4_PROTO] != IPPROTO_UDP_)
		return refuse(why, "UFO frame without an option-less IPv4 header before UDP");
	if (get16(f + l3 + IP4_FRAG) & (IP4_F_MF | IP4_FRAG_OFF))
		return refuse(why, "UFO frame that is an IP fragment");
	g->l3 = l3;
	g->l4 = l3 + 20;
	dlen = g->len - g->l4;
	if (dlen > 0xffff - 20)
		return refuse(why, "UFO datagram longer than an IPv4 packet");
	put16(f + g->l4 + UDP_LEN, (uint16_t)dlen);
	put16(f + g->l4 + UDP_CSUM, 0);
	csum = inet_csum(inet_sum(f + g->l4, dlen,
				  pseudo_sum(f + l3, false, IPPROTO_UDP_) + (uint32_t)dlen));
	put16(f + g->l4 + UDP_CSUM, csum ? csum : 0xffff); /* 0 means "none" */
	g->hlen = g->l4; /* fragments cut the datagram, UDP header included */
	return 0;
}

int net_gso_start(struct net_gso *g, uint8_t *f, size_t len, uint8_t gso_type,
		  uint16_t gso_size, const char **why)
{
	int r;

	memset(g, 0, sizeof(*g));
	g->f = f;
	g->len = len;
	g->type = gso_type;
	if (!gso_size)
		return refuse(why, "GSO frame with gso_size 0");
	switch (gso_type) {
	case NET_GSO_TCPV4:
	case NET_GSO_TCPV6:
		r = tcp_parse(g, gso_type == NET_GSO_TCPV6, why);
		g->seg = gso_size;
		break;
	case NET_GSO_UDP:
		r = udp_parse(g, why);
		/* Fragment offsets count 8-byte units (RFC 791 §3.2). */
		g->seg = gso_size & ~7u;
		if (!r && !g->seg)
			r = refuse(why, "UFO frame with gso_size under 8");
		break;
	default:
		r = refuse(why, "GSO type unknown or not offered");
	}
	if (r)
		return r;
	g->next = g->hlen;
	g->more = true;
	return 0;
}

/* A TCP segment's headers: lengths, IPv4 id, sequence, flags, checksums. */
static void tcp_fix(struct net_gso *g, uint8_t *out, size_t seglen, size_t off, bool last)
{
	uint8_t *ip = out + g->l3, *th = out + g->l4;
	size_t l4len = seglen - g->l4;

	if (g->type == NET_GSO_TCPV6) {
		put16(ip + IP6_PLEN, (uint16_t)(seglen - g->l3 - IP6_HLEN));
	} else {
		put16(ip + IP4_LEN, (uint16_t)(seglen - g->l3));
		put16(ip + IP4_ID, (uint16_t)(get16(ip + IP4_ID) + g->n));
		ip4_set_csum(ip);
	}
	put32(th + TCP_SEQ, get32(th + TCP_SEQ) + (uint32_t)(off - g->hlen));
	if (!last)
		th[TCP_FLAGS] &= (uint8_t)~(TCP_F_FIN | TCP_F_PSH);
	if (g->n)
		th[TCP_FLAGS] &= (uint8_t)~TCP_F_CWR;
	put16(th + TCP_CSUM, 0);
	put16(th + TCP_CSUM, inet_csum(inet_sum(th, l4len, g->psum + (uint32_t)l4len)));
}

/* An IPv4 fragment's header: length, offset, MF (DF cleared: the datagram is
 * being fragmented), checksum. A datagram that fits one is sent whole. */
static void udp_fix(struct net_gso *g, uint8_t *out, size_t seglen, size_t off, bool last)
{
	uint8_t *ip = out + g->l3;
	uint16_t frag = 0;

	put16(ip + IP4_LEN, (uint16_t)(seglen - g->l3));
	if (g->n || !last)
		frag = (uint16_t)((off - g->hlen) / 8) | (last ? 0 : IP4_F_MF);
	else
		frag = get16(ip + IP4_FRAG) & IP4_F_DF;
	put16(ip + IP4_FRAG, frag);
	ip4_set_csum(ip);
}

size_t net_gso_next(struct net_gso *g, uint8_t *out)
{
	size_t off = g->next, chunk = g->len - off, seglen;
	bool last;

	if (chunk > g->seg)
		chunk = g->seg;
	last = off + chunk >= g->len;
	seglen = g->hlen + chunk;
	memcpy(out, g->f, g->hlen);
	memcpy(out + g->hlen, g->f + off, chunk);
	if (g->type == NET_GSO_UDP)
		udp_fix(g, out, seglen, off, last);
	else
		tcp_fix(g, out, seglen, off, last);
	g->next = off + chunk;
	g->more = !last;
	g->n++;
	return seglen;
}
