/* SPDX-License-Identifier: Apache-2.0 */
/*
 * init's DHCP messages (init/dhcp.c): what the client sends is a well-formed
 * IPv4/UDP BOOTREQUEST with the options a server needs; what it accepts is an
 * answer to its own xid and MAC, and a reply that lies about its lengths or
 * options is refused without a read past its end.
 */
#include "harness.h"

#include <arpa/inet.h>
#include <stdlib.h>

#include "init/dhcp.h"

static const uint8_t mac[6] = { 0x52, 0x54, 0, 0x12, 0x34, 0x56 };

/* A server's answer to xid: IPv4/UDP to port 68, BOOTREPLY, then opts. */
static size_t reply(uint8_t *p, uint32_t xid, const uint8_t *opts, size_t olen)
{
	size_t blen = 236 + 4 + olen, total = 20 + 8 + blen;
	uint32_t v;

	memset(p, 0, total);
	p[0] = 0x45;
	p[2] = (uint8_t)(total >> 8), p[3] = (uint8_t)total;
	p[9] = 17;
	p[20] = 0, p[21] = 67, p[22] = 0, p[23] = 68;
	p[24] = (uint8_t)((8 + blen) >> 8), p[25] = (uint8_t)(8 + blen);
	uint8_t *b = p + 28;
	b[0] = 2;
	v = htonl(xid);
	memcpy(b + 4, &v, 4);
	v = inet_addr("10.0.2.15");
	memcpy(b + 16, &v, 4);
	memcpy(b + 28, mac, 6);
	v = htonl(0x63825363);
	memcpy(b + 236, &v, 4);
	memcpy(b + 240, opts, olen);
	return total;
}

TEST(dhcp_discover_and_request_are_well_formed)
{
	uint8_t p[DHCP_PKT_MAX];
	uint32_t sum = 0;
	size_t n = dhcp_build(p, sizeof(p), DHCP_REQUEST, 0x11223344, mac, inet_addr("10.0.2.15"),
			      inet_addr("10.0.2.2"));

	CHECK(n >= 20 + 8 + 300 && n <= DHCP_PKT_MAX);
	CHECK_EQ(p[0], 0x45);
	CHECK_EQ(p[9], 17);
	CHECK_EQ(p[2] << 8 | p[3], n);
	for (int i = 0; i < 20; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	CHECK_EQ(sum, 0xffff); /* the header checksum holds */
	CHECK_EQ(p[22] << 8 | p[23], 67);
	CHECK_EQ(p[28], 1); /* BOOTREQUEST */
	CHECK(!memcmp(p + 28 + 28, mac, 6));
	/* Options: message type REQUEST, requested address, server id. */
	const uint8_t *o = p + 28 + 240;
	CHECK(!memcmp(o, (uint8_t[]){ 53, 1, DHCP_REQUEST, 50, 4, 10, 0, 2, 15, 54, 4, 10, 0, 2, 2 }, 15));
	CHECK_EQ(dhcp_build(p, 100, DHCP_DISCOVER, 1, mac, 0, 0), 0);
}

TEST(dhcp_offer_and_ack_are_parsed)
{
	static const uint8_t opts[] = { 53, 1, DHCP_ACK, 1, 4, 255, 255, 255, 0, 3, 4, 10, 0, 2, 2,
					6, 8, 10, 0, 2, 3, 1, 1, 1, 1, 54, 4, 10, 0, 2, 2, 0, 255 };
	uint8_t p[DHCP_PKT_MAX];
	struct dhcp_lease l;
	size_t n = reply(p, 7, opts, sizeof(opts));

	CHECK_EQ(dhcp_parse(p, n, 7, mac, &l), DHCP_ACK);
	CHECK_EQ(l.addr, inet_addr("10.0.2.15"));
	CHECK_EQ(l.mask, inet_addr("255.255.255.0"));
	CHECK_EQ(l.router, inet_addr("10.0.2.2"));
	CHECK_EQ(l.server, inet_addr("10.0.2.2"));
	CHECK_EQ(l.ndns, 2);
	CHECK_EQ(l.mtu, 0); /* no option 26 */
	CHECK_EQ(l.dns[1], inet_addr("1.1.1.1"));
	CHECK_EQ(dhcp_parse(p, n, 8, mac, &l), -1); /* another xid */
	p[28 + 28] ^= 1;
	CHECK_EQ(dhcp_parse(p, n, 7, mac, &l), -1); /* another MAC */
}

TEST(dhcp_replies_that_lie_about_lengths_are_refused)
{
	static const uint8_t runaway[] = { 53, 1, DHCP_OFFER, 6, 200, 1, 2, 3 };
	static const uint8_t ok[] = { 53, 1, DHCP_OFFER, 255 };
	struct dhcp_lease l;
	size_t n;
	/* Exactly as long as each packet, so that ASan sees any read past it. */
	uint8_t buf[DHCP_PKT_MAX], *p;

	n = reply(buf, 1, runaway, sizeof(runaway));
	p = malloc(n);
	CHECK(p);
	memcpy(p, buf, n);
	CHECK_EQ(dhcp_parse(p, n, 1, mac, &l), -1); /* an option past the end */
	free(p);
	n = reply(buf, 1, ok, sizeof(ok));
	CHECK_EQ(dhcp_parse(buf, n, 1, mac, &l), DHCP_OFFER);
	CHECK_EQ(dhcp_parse(buf, n - 1, 1, mac, &l), -1); /* IP total beyond the data */
	buf[25] = 0xff;                                  /* UDP length beyond IP's */
	CHECK_EQ(dhcp_parse(buf, n, 1, mac, &l), -1);
	n = reply(buf, 1, ok, sizeof(ok));
	buf[0] = 0x4f; /* a 60-byte IP header swallows the UDP one */
	CHECK_EQ(dhcp_parse(buf, n, 1, mac, &l), -1);
	buf[0] = 0x41; /* shorter than 20 */
	CHECK_EQ(dhcp_parse(buf, n, 1, mac, &l), -1);
	for (size_t k = 0; k < 28 + 240; k++) /* every truncation before the options */
		CHECK_EQ(dhcp_parse(buf, k, 1, mac, &l), -1);
}

/* Option 26 (RFC 2132 §5.1): asked for; taken when 2 bytes and at least 68. */
TEST(dhcp_mtu_option_is_asked_for_and_checked)
{
	uint8_t p[DHCP_PKT_MAX];
	struct dhcp_lease l;
	size_t n = dhcp_build(p, sizeof(p), DHCP_DISCOVER, 3, mac, 0, 0);
	const uint8_t *o = p + 28 + 240;

	CHECK(n > 0);
	CHECK(!memcmp(o, (uint8_t[]){ 53, 1, DHCP_DISCOVER, 55, 4, 1, 3, 6, 26, 255 }, 10));
	n = reply(p, 3, (uint8_t[]){ 53, 1, DHCP_OFFER, 26, 2, 0xff, 0xf0, 255 }, 8);
	CHECK_EQ(dhcp_parse(p, n, 3, mac, &l), DHCP_OFFER);
	CHECK_EQ(l.mtu, 65520);
	n = reply(p, 3, (uint8_t[]){ 53, 1, DHCP_OFFER, 26, 2, 0, 67, 255 }, 8);
	CHECK_EQ(dhcp_parse(p, n, 3, mac, &l), DHCP_OFFER);
	CHECK_EQ(l.mtu, 0); /* below 68 */
	n = reply(p, 3, (uint8_t[]){ 53, 1, DHCP_OFFER, 26, 3, 5, 220, 0, 255 }, 9);
	CHECK_EQ(dhcp_parse(p, n, 3, mac, &l), DHCP_OFFER);
	CHECK_EQ(l.mtu, 0); /* not 2 bytes */
	n = reply(p, 3, (uint8_t[]){ 53, 1, DHCP_OFFER, 26, 2, 5 }, 6);
	CHECK_EQ(dhcp_parse(p, n, 3, mac, &l), -1); /* runs past the packet */
}
