/* SPDX-License-Identifier: Apache-2.0 */
/* The TSI wire format; layout in wire.h and docs/tsi.md. */
#include "tsi/wire.h"

#include <errno.h>
#include <stdbool.h>
#include <netinet/in.h>
#include <string.h>

static uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/* Family byte fam, then the port and address at offsets 6 and 8 of b (both
 * headers put them there), as a sockaddr; port 0 only when any_port. */
static int wire_addr(uint8_t fam, const uint8_t *b, bool any_port, struct sockaddr_storage *sa,
		     socklen_t *salen)
{
	uint16_t port_be;

	memset(sa, 0, sizeof(*sa));
	memcpy(&port_be, b + 6, 2);
	if (!any_port && port_be == 0)
		return -EINVAL;
	if (fam == 4) {
		struct sockaddr_in *sin = (struct sockaddr_in *)sa;

		for (int i = 12; i < 24; i++)
			if (b[i])
				return -EINVAL;
		sin->sin_family = AF_INET;
		sin->sin_port = port_be;
		memcpy(&sin->sin_addr, b + 8, 4);
		*salen = sizeof(*sin);
	} else if (fam == 6) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)sa;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = port_be;
		memcpy(&sin6->sin6_addr, b + 8, 16);
		*salen = sizeof(*sin6);
	} else {
		return -EAFNOSUPPORT;
	}
	return 0;
}

/*
 * Setup header, 32 bytes:
 *   0  le32 magic "TSI1"
 *   4  u8   op (1 connect, 2 listen, 3 UDP socket)
 *   5  u8   family (4 or 6)
 *   6  be16 port
 *   8  16   address (IPv4 in the first 4 bytes, the rest zero)
 *  24  le32 vsock port (listen)
 *  28  le32 backlog (listen)
 */
int tsi_wire_parse_setup(const uint8_t *b, struct tsi_setup *out)
{
	int r;

	memset(out, 0, sizeof(*out));
	if (get_le32(b) != TSI_MAGIC)
		return -EPROTO;
	if (b[4] != TSI_OP_CONNECT && b[4] != TSI_OP_LISTEN && b[4] != TSI_OP_UDP)
		return -EPROTO;
	out->op = (enum tsi_op)b[4];
	r = wire_addr(b[5], b, out->op != TSI_OP_CONNECT, &out->addr, &out->addr_len);
	if (r < 0)
		return r;
	out->vsock_port = get_le32(b + 24);
	out->backlog = get_le32(b + 28);
	if (out->backlog < 1)
		out->backlog = 1;
	if (out->backlog > 4096)
		out->backlog = 4096;
	return 0;
}

int tsi_wire_parse_dgram(const uint8_t *b, size_t len, struct sockaddr_storage *sa,
			 socklen_t *salen)
{
	if (len < TSI_DGRAM_HDR_SIZE || get_le32(b) != TSI_MAGIC)
		return -EPROTO;
	return wire_addr(b[4], b, false, sa, salen);
}

/*
 * Inbound header, 24 bytes:
 *   0  le32 magic "TSI1"
 *   4  u8   family (4 or 6)
 *   5  u8   zero
 *   6  be16 port
 *   8  16   address
 */
size_t tsi_wire_inbound(const void *sockaddr, uint32_t len, uint8_t *out)
{
	const struct sockaddr_storage *ss = sockaddr;

	memset(out, 0, TSI_INBOUND_SIZE);
	put_le32(out, TSI_MAGIC);
	if (ss->ss_family == AF_INET && len >= sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *sin = sockaddr;

		out[4] = 4;
		memcpy(out + 6, &sin->sin_port, 2);
		memcpy(out + 8, &sin->sin_addr, 4);
	} else if (ss->ss_family == AF_INET6 && len >= sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *sin6 = sockaddr;

		out[4] = 6;
		memcpy(out + 6, &sin6->sin6_port, 2);
		memcpy(out + 8, &sin6->sin6_addr, 16);
	} else {
		out[4] = 4; /* not IP (cannot happen for our listeners): 0.0.0.0:0 */
	}
	return TSI_INBOUND_SIZE;
}
