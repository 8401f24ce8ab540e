/* SPDX-License-Identifier: Apache-2.0 */
/* DHCPv4 messages (RFC 2131, RFC 2132) in IPv4/UDP; dhcp.h has the contract. */
#include "dhcp.h"

#include <arpa/inet.h>
#include <string.h>

#define IP_HLEN 20
#define UDP_HLEN 8
#define BOOTP_LEN 236 /* op .. file, RFC 2131 §2 */
#define OFF_OP 0
#define OFF_HTYPE 1
#define OFF_HLEN 2
#define OFF_XID 4
#define OFF_FLAGS 10
#define OFF_YIADDR 16
#define OFF_CHADDR 28
#define MAGIC 0x63825363u /* RFC 2131 §3: the options' cookie */

#define OPT_PAD 0
#define OPT_MASK 1
#define OPT_ROUTER 3
#define OPT_DNS 6
#define OPT_MTU 26 /* RFC 2132 §5.1: interface MTU, 16 bits, at least 68 */
#define OPT_REQ_IP 50
#define OPT_MSG_TYPE 53
#define OPT_SERVER 54
#define OPT_PARAMS 55
#define OPT_END 255

static void put16(uint8_t *p, uint16_t v)
{
	v = htons(v);
	memcpy(p, &v, 2);
}

static uint16_t get16(const uint8_t *p)
{
	uint16_t v;
	memcpy(&v, p, 2);
	return ntohs(v);
}

/* RFC 1071 over the IPv4 header. */
static uint16_t ip_csum(const uint8_t *p, size_t len)
{
	uint32_t s = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

size_t dhcp_build(uint8_t *pkt, size_t cap, int type, uint32_t xid, const uint8_t mac[6],
		  uint32_t req_ip, uint32_t server)
{
	uint8_t *b = pkt + IP_HLEN + UDP_HLEN, *o;
	uint32_t v;
	size_t blen, total;

	if (cap < DHCP_PKT_MAX)
		return 0;
	memset(pkt, 0, DHCP_PKT_MAX);
	b[OFF_OP] = 1; /* BOOTREQUEST */
	b[OFF_HTYPE] = 1; /* Ethernet */
	b[OFF_HLEN] = 6;
	v = htonl(xid);
	memcpy(b + OFF_XID, &v, 4);
	put16(b + OFF_FLAGS, 0x8000); /* BROADCAST */
	memcpy(b + OFF_CHADDR, mac, 6);
	o = b + BOOTP_LEN;
	v = htonl(MAGIC);
	memcpy(o, &v, 4);
	o += 4;
	*o++ = OPT_MSG_TYPE, *o++ = 1, *o++ = (uint8_t)type;
	if (type == DHCP_REQUEST) {
		*o++ = OPT_REQ_IP, *o++ = 4;
		memcpy(o, &req_ip, 4), o += 4;
		*o++ = OPT_SERVER, *o++ = 4;
		memcpy(o, &server, 4), o += 4;
	}
	*o++ = OPT_PARAMS, *o++ = 4, *o++ = OPT_MASK, *o++ = OPT_ROUTER, *o++ = OPT_DNS, *o++ = OPT_MTU;
	*o++ = OPT_END;
	blen = (size_t)(o - b);
	if (blen < 300) /* BOOTP's minimum message, which some servers want */
		blen = 300;
	total = IP_HLEN + UDP_HLEN + blen;

	pkt[0] = 0x45; /* IPv4, 20-byte header */
	put16(pkt + 2, (uint16_t)total);
	pkt[8] = 64;  /* TTL */
	pkt[9] = 17;  /* UDP */
	memset(pkt + 16, 0xff, 4); /* to 255.255.255.255, from 0.0.0.0 */
	put16(pkt + 10, ip_csum(pkt, IP_HLEN));
	put16(pkt + IP_HLEN, 68);
	put16(pkt + IP_HLEN + 2, 67);
	put16(pkt + IP_HLEN + 4, (uint16_t)(UDP_HLEN + blen)); /* checksum 0: none (RFC 768) */
	return total;
}

/* The options after the cookie into *l; returns the message type or -1. */
static int parse_options(const uint8_t *o, size_t len, struct dhcp_lease *l)
{
	int type = -1;
	size_t i = 0;

	while (i < len && o[i] != OPT_END) {
		uint8_t code = o[i], n;

		if (code == OPT_PAD) {
			i++;
			continue;
		}
		if (i + 2 > len || i + 2 + (n = o[i + 1]) > len)
			return -1; /* an option running past the packet */
		const uint8_t *v = o + i + 2;
		if (code == OPT_MSG_TYPE && n == 1)
			type = v[0];
		else if (code == OPT_MASK && n == 4)
			memcpy(&l->mask, v, 4);
		else if (code == OPT_ROUTER && n >= 4)
			memcpy(&l->router, v, 4);
		else if (code == OPT_SERVER && n == 4)
			memcpy(&l->server, v, 4);
		else if (code == OPT_MTU && n == 2 && (v[0] << 8 | v[1]) >= DHCP_MTU_MIN)
			l->mtu = (uint16_t)(v[0] << 8 | v[1]);
		else if (code == OPT_DNS)
			for (unsigned int k = 0; k + 4 <= n && l->ndns < DHCP_MAX_DNS; k += 4)
				memcpy(&l->dns[l->ndns++], v + k, 4);
		i += 2 + (size_t)n;
	}
	return type;
}

int dhcp_parse(const uint8_t *pkt, size_t len, uint32_t xid, const uint8_t mac[6],
	       struct dhcp_lease *l)
{
	size_t ihl, total, ulen;
	const uint8_t *u, *b;
	uint32_t v;

	memset(l, 0, sizeof(*l));
	if (len < IP_HLEN || pkt[0] >> 4 != 4 || pkt[9] != 17)
		return -1;
	ihl = (size_t)(pkt[0] & 0xf) * 4;
	total = get16(pkt + 2);
	if (ihl < IP_HLEN || total > len || total < ihl + UDP_HLEN)
		return -1;
	u = pkt + ihl;
	ulen = get16(u + 4);
	if (get16(u + 2) != 68 || ulen < UDP_HLEN || ulen > total - ihl)
		return -1;
	b = u + UDP_HLEN;
	ulen -= UDP_HLEN;
	if (ulen < BOOTP_LEN + 4 || b[OFF_OP] != 2 || memcmp(b + OFF_CHADDR, mac, 6))
		return -1;
	memcpy(&v, b + OFF_XID, 4);
	if (ntohl(v) != xid)
		return -1;
	memcpy(&v, b + BOOTP_LEN, 4);
	if (ntohl(v) != MAGIC)
		return -1;
	memcpy(&l->addr, b + OFF_YIADDR, 4);
	return parse_options(b + BOOTP_LEN + 4, ulen - BOOTP_LEN - 4, l);
}
