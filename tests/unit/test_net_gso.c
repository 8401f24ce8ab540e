/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Software GSO (devices/net/gso.h): TSO super-frames cut into TCP segments and
 * UFO datagrams into IPv4 fragments that a receiver accepts (checksums
 * checked here with a sum of our own, byte by byte), and hostile frames whose
 * headers do not say what their gso_type says, refused.
 */
#include <errno.h>
#include <stdlib.h>

#include "devices/net/backend.h"
#include "devices/net/gso.h"
#include "harness.h"
#include "inet_csum_ref.h"

#define MAXF NETBE_FRAME_MAX

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)be16(p) << 16 | be16(p + 2);
}

static uint8_t pay(size_t i)
{
	return (uint8_t)(i * 131 + (i >> 8) + 5);
}

/* Ethernet (with a VLAN tag if vlan), IPv4 or IPv6, then an L4 header of
 * l4len bytes (TCP: doff from it, seq, flags; UDP: ports) and plen payload
 * bytes. Returns the frame's length; *l3 and *l4 the headers' offsets. */
static size_t mkframe(uint8_t *f, bool v6, bool vlan, uint8_t proto, size_t l4len, size_t plen,
		      size_t *l3, size_t *l4)
{
	size_t o = 12;

	memset(f, 0, MAXF);
	memcpy(f, (uint8_t[]){ 0x52, 0x54, 0, 9, 9, 9, 0x5a, 0x94, 0xef, 0xe4, 0x0c, 0xee }, 12);
	if (vlan) {
		f[o] = 0x81, f[o + 1] = 0, f[o + 2] = 0, f[o + 3] = 7;
		o += 4;
	}
	f[o] = v6 ? 0x86 : 0x08, f[o + 1] = v6 ? 0xdd : 0x00;
	*l3 = o + 2;
	uint8_t *ip = f + *l3;
	if (v6) {
		ip[0] = 0x60, ip[6] = proto, ip[7] = 64;
		for (int i = 0; i < 32; i++)
			ip[8 + i] = (uint8_t)(0xfd + i * 3);
		*l4 = *l3 + 40;
	} else {
		ip[0] = 0x45, ip[4] = 0x12, ip[5] = 0x34, ip[6] = 0x40 /* DF */, ip[8] = 64;
		ip[9] = proto;
		memcpy(ip + 12, (uint8_t[]){ 10, 0, 2, 15, 192, 168, 7, 1 }, 8);
		*l4 = *l3 + 20;
	}
	uint8_t *th = f + *l4;
	th[0] = 0x9c, th[1] = 0x41, th[2] = 0x1f, th[3] = 0x90;
	if (proto == 6) {
		memcpy(th + 4, (uint8_t[]){ 0xff, 0xff, 0xfa, 0x00 }, 4); /* wraps */
		th[12] = (uint8_t)(l4len / 4 << 4);
		th[13] = 0x80 | 0x10 | 0x08 | 0x01; /* CWR ACK PSH FIN */
		th[14] = 0x01, th[15] = 0xf5;
		for (size_t i = 20; i < l4len; i++)
			th[i] = 1; /* NOP options */
	}
	for (size_t i = 0; i < plen; i++)
		f[*l4 + l4len + i] = pay(i);
	return *l4 + l4len + plen;
}

/* The L4 checksum of the segment at l4 (len bytes from there) verifies. */
static bool l4_csum_ok(const uint8_t *f, size_t l3, size_t l4, size_t l4len, bool v6, uint8_t proto)
{
	uint32_t s = proto + (uint32_t)l4len;

	s = v6 ? sum16(f + l3 + 8, 32, s) : sum16(f + l3 + 12, 8, s);
	return fold(sum16(f + l4, l4len, s)) == 0xffff;
}

static bool ip4_csum_ok(const uint8_t *ip)
{
	return fold(sum16(ip, (size_t)(ip[0] & 0xf) * 4, 0)) == 0xffff;
}

static void tso_check(bool v6, bool vlan, size_t plen, uint16_t mss, size_t optlen)
{
	uint8_t *f = malloc(MAXF), *orig = malloc(MAXF), *out = malloc(MAXF), *got = malloc(MAXF);
	size_t l3, l4, len = mkframe(f, v6, vlan, 6, 20 + optlen, plen, &l3, &l4), hlen = l4 + 20 + optlen;
	size_t nseg = plen ? (plen + mss - 1) / mss : 1, at = 0;
	struct net_gso g;
	const char *why = NULL;

	CHECK(f && orig && out && got);
	memcpy(orig, f, len);
	CHECK_EQ(net_gso_start(&g, f, len, v6 ? NET_GSO_TCPV6 : NET_GSO_TCPV4, mss, &why), 0);
	for (size_t i = 0; i < nseg; i++) {
		size_t want = plen - at < mss ? plen - at : mss;
		bool first = i == 0, last = i == nseg - 1;

		CHECK(net_gso_more(&g));
		CHECK_EQ(net_gso_next(&g, out), hlen + want);
		CHECK(!memcmp(out, orig, l3)); /* Ethernet untouched */
		if (v6) {
			CHECK_EQ(be16(out + l3 + 4), 20 + optlen + want);
		} else {
			CHECK_EQ(be16(out + l3 + 2), 20 + 20 + optlen + want);
			CHECK_EQ(be16(out + l3 + 4), (uint16_t)(0x1234 + i));
			CHECK_EQ(out[l3 + 6], 0x40); /* DF kept, not a fragment */
			CHECK(ip4_csum_ok(out + l3));
		}
		CHECK_EQ(be32(out + l4 + 4), (uint32_t)(0xfffffa00u + at));
		CHECK_EQ(out[l4 + 13], (uint8_t)(0x10 | (first ? 0x80 : 0) | (last ? 0x09 : 0)));
		CHECK(!memcmp(out + l4 + 14, orig + l4 + 14, 2));          /* window */
		CHECK(!memcmp(out + l4 + 18, orig + l4 + 18, 2 + optlen)); /* urgent, options */
		CHECK(l4_csum_ok(out, l3, l4, 20 + optlen + want, v6, 6));
		memcpy(got + at, out + hlen, want);
		at += want;
	}
	CHECK(!net_gso_more(&g));
	CHECK_EQ(at, plen);
	CHECK(!memcmp(got, orig + hlen, plen));
	CHECK(!memcmp(f, orig, len)); /* the super-frame is left as it was */
	free(f), free(orig), free(out), free(got);
}

TEST(tso4_super_frame_becomes_mss_segments_with_sequence_flags_ids_and_checksums)
{
	tso_check(false, false, 5000, 1448, 0);
	tso_check(false, false, 65535 - 20 - 32, 1448, 12); /* the largest, with timestamps */
	tso_check(false, true, 4000, 1000, 0);              /* behind a VLAN tag */
}

TEST(tso6_super_frame_becomes_segments_also_with_an_odd_mss)
{
	tso_check(true, false, 60000, 1428, 12);
	tso_check(true, true, 3001, 1001, 0); /* odd lengths: the sums pad */
}

TEST(tso_frame_without_payload_or_smaller_than_mss_is_one_segment_and_mss_1_is_bounded)
{
	tso_check(false, false, 0, 1448, 0);
	tso_check(false, false, 700, 1448, 0);
	tso_check(true, false, 300, 1, 0); /* 300 one-byte segments, no more */
}

/* A UDP datagram over IPv4 in fragments: same id, 8-byte offsets, MF on all
 * but the last, DF off; reassembled, its UDP length and checksum hold. */
TEST(ufo_datagram_becomes_ipv4_fragments_that_reassemble_with_a_valid_checksum)
{
	uint8_t *f = malloc(MAXF), *out = malloc(MAXF), *dgram = calloc(1, MAXF);
	size_t l3, l4, plen = 3000, len = mkframe(f, false, false, 17, 8, plen, &l3, &l4);
	size_t dlen = 8 + plen, at = 0;
	static const size_t want[] = { 1480, 1480, 48 };
	struct net_gso g;
	const char *why;

	CHECK(f && out && dgram);
	CHECK_EQ(net_gso_start(&g, f, len, NET_GSO_UDP, 1483 /* rounded down to 1480 */, &why), 0);
	for (size_t i = 0; i < 3; i++) {
		CHECK(net_gso_more(&g));
		CHECK_EQ(net_gso_next(&g, out), l4 + want[i]);
		CHECK_EQ(be16(out + l3 + 2), 20 + want[i]);
		CHECK_EQ(be16(out + l3 + 4), 0x1234);
		CHECK_EQ(be16(out + l3 + 6), (uint16_t)(at / 8 | (i < 2 ? 0x2000 : 0)));
		CHECK(ip4_csum_ok(out + l3));
		memcpy(dgram + at, out + l4, want[i]);
		at += want[i];
	}
	CHECK(!net_gso_more(&g));
	CHECK_EQ(at, dlen);
	CHECK_EQ(be16(dgram + 4), dlen);
	CHECK(be16(dgram + 6) != 0);
	memcpy(out + l3, f + l3, 20); /* addresses for the pseudo-header */
	memcpy(out + l4, dgram, dlen);
	CHECK(l4_csum_ok(out, l3, l4, dlen, false, 17));
	for (size_t i = 0; i < plen; i++)
		CHECK_EQ(dgram[8 + i], pay(i));

	/* A datagram that fits one fragment goes whole, DF as the guest set it. */
	len = mkframe(f, false, false, 17, 8, 100, &l3, &l4);
	CHECK_EQ(net_gso_start(&g, f, len, NET_GSO_UDP, 1480, &why), 0);
	CHECK_EQ(net_gso_next(&g, out), len);
	CHECK(!net_gso_more(&g));
	CHECK_EQ(be16(out + l3 + 6), 0x4000);
	CHECK(ip4_csum_ok(out + l3));
	CHECK(l4_csum_ok(out, l3, l4, 108, false, 17));
	free(f), free(out), free(dgram);
}

/* Headers that do not match gso_type, or lengths that lie: refused with a
 * reason, nothing to cut. */
TEST(gso_frames_whose_headers_do_not_fit_their_type_are_refused)
{
	uint8_t *f = malloc(MAXF);
	size_t l3, l4, len;
	struct net_gso g;
	const char *why;

	CHECK(f != NULL);
#define REFUSED(type, size)                                                       \
	do {                                                                      \
		why = NULL;                                                       \
		CHECK_EQ(net_gso_start(&g, f, len, type, size, &why), -EINVAL);   \
		CHECK(why != NULL && !net_gso_more(&g));                          \
	} while (0)
	len = mkframe(f, false, false, 6, 20, 2000, &l3, &l4);
	REFUSED(NET_GSO_TCPV4, 0);                /* gso_size 0 */
	REFUSED(NET_GSO_TCPV6, 1448);             /* IPv4 frame, TSO6 type */
	REFUSED(NET_GSO_UDP, 1480);               /* TCP inside, UFO type */
	REFUSED(2, 1448);                         /* no such type */
	REFUSED(NET_GSO_TCPV4 | NET_GSO_ECN, 1448); /* ECN was not offered */
	f[l4 + 12] = 0x40;                        /* TCP header of 16 bytes */
	REFUSED(NET_GSO_TCPV4, 1448);
	f[l4 + 12] = 0x50;
	CHECK_EQ(net_gso_start(&g, f, len, NET_GSO_TCPV4, 1448, &why), 0);
	f[l4 + 12] = 0xf0;                        /* 60 bytes, past a short frame */
	len = l4 + 40;
	REFUSED(NET_GSO_TCPV4, 1448);
	len = l4 + 19;                            /* shorter than any TCP header */
	REFUSED(NET_GSO_TCPV4, 1448);
	len = l3 + 10;                            /* not even an IP header */
	REFUSED(NET_GSO_TCPV4, 1448);
	len = 13;
	REFUSED(NET_GSO_TCPV4, 1448);
	len = mkframe(f, false, false, 6, 20, 2000, &l3, &l4);
	f[l3 + 6] = 0x20;                         /* an IP fragment (MF) */
	REFUSED(NET_GSO_TCPV4, 1448);
	f[l3 + 6] = 0, f[l3 + 7] = 1;             /* an IP fragment (offset) */
	REFUSED(NET_GSO_TCPV4, 1448);
	f[l3 + 7] = 0, f[l3] = 0x44;              /* IHL under 5 */
	REFUSED(NET_GSO_TCPV4, 1448);
	f[l3] = 0x55;                             /* version 5 */
	REFUSED(NET_GSO_TCPV4, 1448);
	f[l3] = 0x4f, len = l3 + 50;              /* IHL past the frame */
	REFUSED(NET_GSO_TCPV4, 1448);

	len = mkframe(f, false, false, 6, 20, 65536 - 40, &l3, &l4);
	CHECK_EQ(len, MAXF);                      /* fits the device's frame... */
	REFUSED(NET_GSO_TCPV4, 1448);             /* ...but not an IPv4 length */

	len = mkframe(f, true, false, 6, 20, 2000, &l3, &l4);
	f[l3 + 6] = 0;                            /* a hop-by-hop extension header */
	REFUSED(NET_GSO_TCPV6, 1448);
	REFUSED(NET_GSO_TCPV4, 1448);
	len = mkframe(f, true, false, 17, 8, 2000, &l3, &l4);
	REFUSED(NET_GSO_UDP, 1448);               /* IPv6 fragmentation is not done */

	len = mkframe(f, false, false, 17, 8, 2000, &l3, &l4);
	REFUSED(NET_GSO_UDP, 7);                  /* under 8 bytes a fragment */
	REFUSED(NET_GSO_TCPV4, 1448);             /* UDP inside, TSO type */
	f[l3] = 0x46;                             /* IP options */
	REFUSED(NET_GSO_UDP, 1480);
	f[l3] = 0x45, len = l4 + 7;               /* no whole UDP header */
	REFUSED(NET_GSO_UDP, 1480);
#undef REFUSED
	free(f);
}
