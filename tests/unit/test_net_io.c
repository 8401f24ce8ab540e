/* SPDX-License-Identifier: Apache-2.0 */
/*
 * virtio-net with a well-behaved driver and proxy: what is offered, frames
 * both ways intact with QEMU's stream framing, a proxy that hangs up takes
 * the link down, and the backend's framing alone (split and joined reads).
 */
#include "inet_csum_ref.h"
#include "net_fake_driver.h"

#include <libkrun.h>

#include <errno.h>
#include <fcntl.h>

TEST(net_offers_mac_status_mergeable_buffers_and_event_idx_and_shows_the_mac)
{
	struct ndrv t;
	uint8_t mac[6];
	uint16_t status;

	net_setup(&t);
	fake_mw(t.d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	CHECK_EQ(fake_mr(t.d, VIRTIO_MMIO_DEVICE_FEATURES),
		 1u << VIRTIO_NET_F_MAC | 1u << VIRTIO_NET_F_STATUS | 1u << VIRTIO_NET_F_MRG_RXBUF |
			 1u << VIRTIO_F_EVENT_IDX);
	CHECK(t.d->vq[NET_RXQ].event_idx && t.d->vq[NET_TXQ].event_idx);
	net_rebringup(&t, 1ULL << VIRTIO_F_EVENT_IDX);
	CHECK(!t.d->vq[NET_RXQ].event_idx && !t.d->vq[NET_TXQ].event_idx);
	for (int i = 0; i < 6; i++)
		virtio_mmio_read(t.d, VIRTIO_MMIO_CONFIG + (uint64_t)i, &mac[i], 1);
	CHECK(!memcmp(mac, (uint8_t[]){ 0x52, 0x54, 0, 1, 2, 3 }, 6));
	virtio_mmio_read(t.d, VIRTIO_MMIO_CONFIG + 6, &status, 2);
	CHECK_EQ(le16toh(status), VIRTIO_NET_S_LINK_UP);
	net_teardown(&t);
}

TEST(net_frames_cross_both_ways_intact)
{
	struct ndrv t;
	uint8_t buf[2048], hdr[NET_HDR_LEN];
	uint16_t id, head;

	net_setup(&t);
	/* Guest to proxy: header and frame in separate descriptors, then one. */
	net_put_hdr(&t, 0, 0);
	net_put_frame(&t, DATA, 1514, 7);
	net_post(&t, NET_TXQ, (struct seg[]){ { TXHDR, NET_HDR_LEN, false }, { DATA, 1514, false } }, 2);
	net_kick(&t, NET_TXQ);
	CHECK_EQ(peer_frame(&t, buf, sizeof(buf), 5000), 1514);
	CHECK(frame_is(buf, 1514, 7));
	CHECK_EQ(net_take_used(&t, NET_TXQ, NULL), 0);
	memset(gmem_ptr(&t.mem, DATA, NET_HDR_LEN), 0, NET_HDR_LEN);
	net_put_frame(&t, DATA + NET_HDR_LEN, 60, 9);
	net_post(&t, NET_TXQ, (struct seg[]){ { DATA, NET_HDR_LEN + 60, false } }, 1);
	net_kick(&t, NET_TXQ);
	CHECK_EQ(peer_frame(&t, buf, sizeof(buf), 5000), 60);
	CHECK(frame_is(buf, 60, 9));

	/* Proxy to guest: a buffer split in two descriptors, as Linux may. */
	head = net_post(&t, NET_RXQ, (struct seg[]){ { DATA + 0x10000, 100, true },
						     { DATA + 0x20000, 1430, true } }, 2);
	net_kick(&t, NET_RXQ);
	peer_send_frame(&t, 1000, 3);
	CHECK_EQ(net_take_used(&t, NET_RXQ, &id), NET_HDR_LEN + 1000);
	CHECK_EQ(id, head);
	CHECK_EQ(gmem_read(&t.mem, DATA + 0x10000, hdr, sizeof(hdr)), 0);
	CHECK(!memcmp(hdr, (uint8_t[NET_HDR_LEN]){ [10] = 1 }, NET_HDR_LEN)); /* num_buffers 1 */
	memcpy(buf, gmem_ptr(&t.mem, DATA + 0x10000 + NET_HDR_LEN, 88), 88);
	memcpy(buf + 88, gmem_ptr(&t.mem, DATA + 0x20000, 912), 912);
	CHECK(frame_is(buf, 1000, 3));
	net_teardown(&t);
}

TEST(net_proxy_hanging_up_takes_the_link_down_and_tx_still_completes)
{
	struct ndrv t;
	uint16_t status = 1;

	net_setup(&t);
	close(t.peer);
	t.peer = -1;
	for (int i = 0; i < 5000 && status; i++) {
		virtio_mmio_read(t.d, VIRTIO_MMIO_CONFIG + 6, &status, 2);
		usleep(1000);
	}
	CHECK_EQ(status, 0);
	CHECK(fake_mr(t.d, VIRTIO_MMIO_INTERRUPT_STATUS) & VIRTIO_INT_CONFIG);
	net_put_hdr(&t, 0, 0);
	net_put_frame(&t, DATA, 100, 1);
	net_post(&t, NET_TXQ, (struct seg[]){ { TXHDR, NET_HDR_LEN, false }, { DATA, 100, false } }, 2);
	net_kick(&t, NET_TXQ);
	CHECK_EQ(net_take_used(&t, NET_TXQ, NULL), 0);
	net_teardown(&t);
}

/* A proxy that takes no more leaves TX chains in the ring, and with
 * VIRTIO_F_EVENT_IDX the driver need not kick for them again: when the proxy
 * hangs up they are completed (dropped) all the same, after the one kick. */
TEST(net_tx_chains_left_behind_a_full_proxy_complete_when_it_hangs_up)
{
	struct ndrv t;
	int small = 4096;

	net_setup(&t);
	CHECK_EQ(setsockopt(net_backend(t.d)->fd, SOL_SOCKET, SO_SNDBUF, &small, sizeof(small)), 0);
	net_put_hdr(&t, 0, 0);
	net_put_frame(&t, DATA, 60000, 1);
	/* The first frame fills the socket and the device stops with the rest
	 * still in the ring. */
	for (unsigned int i = 0; i < 20; i++)
		net_post(&t, NET_TXQ, (struct seg[]){ { TXHDR, NET_HDR_LEN, false },
						      { DATA, 60000, false } }, 2);
	net_kick(&t, NET_TXQ);
	CHECK(net_wait_used(&t, NET_TXQ, 5000));
	close(t.peer);
	t.peer = -1;
	for (unsigned int i = 0; i < 20; i++)
		CHECK_EQ(net_take_used(&t, NET_TXQ, NULL), 0);
	net_teardown(&t);
}

/* The backend alone: a frame that arrives a byte at a time, then frames that
 * arrive together in one read, are each returned whole and once. */
TEST(net_backend_stream_frames_split_or_joined_come_out_whole)
{
	struct netbe b;
	const uint8_t *f;
	uint8_t wire[3 * (4 + 64)];
	size_t len;
	int sv[2];

	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	CHECK_EQ(netbe_open(&b, sv[0], NETBE_STREAM), 0);
	for (int k = 0; k < 3; k++) {
		uint32_t be = htobe32(64);
		memcpy(wire + k * 68, &be, 4);
		for (int i = 0; i < 64; i++)
			wire[k * 68 + 4 + i] = (uint8_t)(k + i);
	}
	for (int i = 0; i < 68; i++) {
		CHECK_EQ(netbe_recv(&b, &f, &len), 0);
		CHECK_EQ(write(sv[1], wire + i, 1), 1);
	}
	CHECK_EQ(netbe_recv(&b, &f, &len), 1);
	CHECK_EQ(len, 64);
	CHECK(frame_is(f, 64, 0));
	CHECK_EQ(write(sv[1], wire + 68, 2 * 68), 2 * 68);
	for (int k = 1; k < 3; k++) {
		CHECK_EQ(netbe_recv(&b, &f, &len), 1);
		CHECK_EQ(len, 64);
		CHECK(frame_is(f, 64, (uint8_t)k));
	}
	CHECK_EQ(netbe_recv(&b, &f, &len), 0);
	close(sv[1]);
	CHECK_EQ(netbe_recv(&b, &f, &len), -EPIPE);
	netbe_close(&b);
}

TEST(net_backend_datagrams_too_long_or_short_are_refused)
{
	struct netbe b;
	const uint8_t *f;
	static uint8_t big[NETBE_FRAME_MAX + 100];
	size_t len;
	int sv[2];

	CHECK_EQ(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), 0);
	CHECK_EQ(netbe_open(&b, sv[0], NETBE_DGRAM), 0);
	CHECK_EQ(fcntl(sv[0], F_GETFL) & O_NONBLOCK, O_NONBLOCK);
	CHECK_EQ(write(sv[1], big, sizeof(big)), (ssize_t)sizeof(big));
	CHECK_EQ(write(sv[1], big, NETBE_ETH_HLEN - 1), NETBE_ETH_HLEN - 1);
	CHECK_EQ(write(sv[1], big, NETBE_FRAME_MAX), NETBE_FRAME_MAX);
	CHECK_EQ(netbe_recv(&b, &f, &len), 1);
	CHECK_EQ(len, NETBE_FRAME_MAX);
	CHECK_EQ(b.rx_refused, 2);
	CHECK_EQ(netbe_recv(&b, &f, &len), 0);
	close(sv[1]);
	netbe_close(&b);
}

#define F(x) (1u << VIRTIO_NET_F_##x)

static uint32_t offered(uint32_t asked)
{
	struct ndrv t;
	uint32_t r;

	net_setup_opts(&t, NETBE_STREAM, asked);
	fake_mw(t.d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	r = fake_mr(t.d, VIRTIO_MMIO_DEVICE_FEATURES);
	net_teardown(&t);
	return r & ~(F(MAC) | F(STATUS) | F(MRG_RXBUF) | 1u << VIRTIO_F_EVENT_IDX);
}

/* Every offload asked for is offered, a HOST_ one only with CSUM and a
 * GUEST_ one only with GUEST_CSUM (§5.1.3.1); nothing else whatever asked. */
TEST(net_offers_the_offloads_asked_for_each_only_with_its_checksum_feature)
{
	const uint32_t all = F(CSUM) | F(GUEST_CSUM) | F(GUEST_TSO4) | F(GUEST_TSO6) |
			     F(GUEST_UFO) | F(HOST_TSO4) | F(HOST_TSO6) | F(HOST_UFO);

	CHECK_EQ(offered(0xffffffffu), all);
	CHECK_EQ(offered(COMPAT_NET_FEATURES), (uint32_t)COMPAT_NET_FEATURES);
	CHECK_EQ(offered(F(HOST_TSO4) | F(HOST_UFO) | F(GUEST_TSO4)), 0);
	CHECK_EQ(offered(F(CSUM) | F(HOST_TSO6) | F(GUEST_UFO)), F(CSUM) | F(HOST_TSO6));
	CHECK_EQ(offered(F(GUEST_CSUM) | F(GUEST_TSO6) | F(HOST_TSO4)),
		 F(GUEST_CSUM) | F(GUEST_TSO6));
}

/* A TCP/IPv4 super-frame at gpa: Ethernet, IPv4, TCP (seq 1000), then plen
 * payload bytes, byte i being (uint8_t)(i * 7). Returns its length. */
static size_t put_tso4(struct ndrv *t, uint64_t gpa, size_t plen)
{
	uint8_t *f = gmem_ptr(&t->mem, gpa, 54 + plen);

	memset(f, 0, 54);
	f[12] = 0x08, f[14] = 0x45, f[14 + 9] = 6;
	f[34 + 4 + 2] = 0x03, f[34 + 4 + 3] = 0xe8; /* seq 1000 */
	f[34 + 12] = 0x50, f[34 + 13] = 0x18;       /* ACK PSH */
	for (size_t i = 0; i < plen; i++)
		f[54 + i] = (uint8_t)(i * 7);
	return 54 + plen;
}

static void put_gso_hdr(struct ndrv *t, uint64_t gpa, uint8_t type, uint16_t gso_size)
{
	uint8_t h[NET_HDR_LEN] = { 1 /* NEEDS_CSUM */, type, 54, 0, (uint8_t)gso_size,
				   (uint8_t)(gso_size >> 8), 34, 0, 16, 0 };
	CHECK_EQ(gmem_write(&t->mem, gpa, h, sizeof(h)), 0);
}

/* Reads segments of an MSS-cut super-frame from the peer: their payloads
 * must continue where the last stopped (*at), with sequence numbers to match. */
static void take_segments(struct ndrv *t, size_t plen, size_t mss, size_t *at)
{
	static uint8_t buf[2048];

	while (*at < plen) {
		size_t want = plen - *at < mss ? plen - *at : mss;
		long n = peer_frame(t, buf, sizeof(buf), 5000);

		CHECK_EQ(n, (long)(54 + want));
		CHECK_EQ((uint32_t)buf[38] << 24 | (uint32_t)buf[39] << 16 | buf[40] << 8 | buf[41],
			 1000 + *at);
		for (size_t i = 0; i < want; i++)
			if (buf[54 + i] != (uint8_t)((*at + i) * 7))
				CHECK(!"segment payload differs");
		*at += want;
	}
}

/* HOST_TSO4: the proxy gets frames of gso_size payload, in order, the chain
 * back at once. Types not negotiated (TSO6, not asked for; ECN, never
 * offered) are dropped and the queue goes on. */
TEST(net_tx_tso_super_frame_reaches_the_proxy_as_gso_size_segments)
{
	struct ndrv t;
	uint8_t buf[128];
	size_t len, at = 0;

	net_setup_opts(&t, NETBE_STREAM, F(CSUM) | F(HOST_TSO4));
	len = put_tso4(&t, DATA, 5000);
	put_gso_hdr(&t, TXHDR, 1 /* TCPV4 */, 1448);
	net_post(&t, NET_TXQ, (struct seg[]){ { TXHDR, NET_HDR_LEN, false }, { DATA, (uint32_t)len, false } }, 2);
	net_kick(&t, NET_TXQ);
	take_segments(&t, 5000, 1448, &at);
	CHECK_EQ(net_take_used(&t, NET_TXQ, NULL), 0);

	put_gso_hdr(&t, TXHDR + 16, 4 /* TCPV6 */, 1448);
	net_post(&t, NET_TXQ, (struct seg[]){ { TXHDR + 16, NET_HDR_LEN, false }, { DATA, (uint32_t)len, false } }, 2);
	put_gso_hdr(&t, TXHDR + 32, 0x81 /* TCPV4 | ECN */, 1448);
	net_post(&t, NET_TXQ, (struct seg[]){ { TXHDR + 32, NET_HDR_LEN, false }, { DATA, (uint32_t)len, false } }, 2);
	net_put_hdr(&t, 0, 0);
	net_put_frame(&t, DATA + 0x10000, 60, 4);
	net_post(&t, NET_TXQ, (struct seg[]){ { TXHDR, NET_HDR_LEN, false }, { DATA + 0x10000, 60, false } }, 2);
	net_kick(&t, NET_TXQ);
	CHECK_EQ(peer_frame(&t, buf, sizeof(buf), 5000), 60); /* the next frame is the plain one */
	CHECK(frame_is(buf, 60, 4));
	for (int i = 0; i < 3; i++)
		CHECK_EQ(net_take_used(&t, NET_TXQ, NULL), 0);
	net_teardown(&t);
}

/* Super-frames of 900 small segments each: many wake-up budgets and a full
 * socket (the proxy reads only after all are queued) in the middle of one;
 * every segment arrives once, in order, then the frame behind them. */
TEST(net_tx_tso_segments_survive_budgets_and_a_full_proxy_in_order)
{
	struct ndrv t;
	uint8_t buf[128];
	size_t plen = 900 * 64, len, at;

	net_setup_opts(&t, NETBE_STREAM, F(CSUM) | F(HOST_TSO4));
	for (int k = 0; k < 4; k++) {
		len = put_tso4(&t, DATA + (uint64_t)k * 0x10000, plen);
		put_gso_hdr(&t, TXHDR + 16 + (uint64_t)k * 16, 1, 64);
		net_post(&t, NET_TXQ, (struct seg[]){ { TXHDR + 16 + (uint64_t)k * 16, NET_HDR_LEN, false },
						      { DATA + (uint64_t)k * 0x10000, (uint32_t)len, false } }, 2);
	}
	net_put_hdr(&t, 0, 0);
	net_put_frame(&t, DATA + 0x80000, 60, 9);
	net_post(&t, NET_TXQ, (struct seg[]){ { TXHDR, NET_HDR_LEN, false }, { DATA + 0x80000, 60, false } }, 2);
	net_kick(&t, NET_TXQ);
	for (int k = 0; k < 4; k++) {
		at = 0;
		take_segments(&t, plen, 64, &at);
	}
	CHECK_EQ(peer_frame(&t, buf, sizeof(buf), 5000), 60);
	CHECK(frame_is(buf, 60, 9));
	for (int k = 0; k < 5; k++)
		CHECK_EQ(net_take_used(&t, NET_TXQ, NULL), 0);
	net_teardown(&t);
}

/* With CSUM the driver leaves a UDP checksum partial (the pseudo-header's
 * folded sum in the field, §5.1.6.2 NEEDS_CSUM): the proxy gets the frame with
 * the checksum RFC 768 gives, computed here independently. */
TEST(net_tx_partial_checksum_is_completed_for_the_proxy)
{
	static const uint8_t ip[20] = { 0x45, 0, 0, 20 + 8 + 33, 0, 0, 0x40, 0, 64, 17, 0, 0,
					10, 0, 0, 2, 10, 0, 0, 1 };
	const size_t len = 14 + 20 + 8 + 33;
	uint8_t f[14 + 20 + 8 + 33] = { 0 }, got[128], pseudo[12];
	uint8_t hdr[NET_HDR_LEN] = { 1 /* NEEDS_CSUM */, 0, 0, 0, 0, 0, 14 + 20, 0, 6, 0 };
	uint8_t *udp = f + 14 + 20;
	uint16_t want;
	struct ndrv t;

	f[12] = 0x08; /* IPv4 */
	memcpy(f + 14, ip, sizeof(ip));
	udp[0] = 0x30, udp[1] = 0x39, udp[2] = 0, udp[3] = 53, udp[5] = 8 + 33;
	for (int i = 0; i < 33; i++) /* odd length: the last byte padded */
		udp[8 + i] = (uint8_t)(i * 7 + 1);
	memcpy(pseudo, ip + 12, 8);
	pseudo[8] = 0, pseudo[9] = 17, pseudo[10] = 0, pseudo[11] = 8 + 33;
	want = (uint16_t)~fold(sum16(udp, 8 + 33, sum16(pseudo, 12, 0)));
	CHECK(want != 0);
	uint16_t partial = fold(sum16(pseudo, 12, 0));
	udp[6] = (uint8_t)(partial >> 8), udp[7] = (uint8_t)partial;

	net_setup_opts(&t, NETBE_STREAM, 1u << VIRTIO_NET_F_CSUM);
	CHECK_EQ(gmem_write(&t.mem, TXHDR, hdr, sizeof(hdr)), 0);
	CHECK_EQ(gmem_write(&t.mem, DATA, f, len), 0);
	net_post(&t, NET_TXQ, (struct seg[]){ { TXHDR, NET_HDR_LEN, false }, { DATA, (uint32_t)len, false } }, 2);
	net_kick(&t, NET_TXQ);
	CHECK_EQ(peer_frame(&t, got, sizeof(got), 5000), (long)len);
	CHECK_EQ(got[14 + 20 + 6] << 8 | got[14 + 20 + 7], want);
	CHECK(!memcmp(got, f, 14 + 20 + 6)); /* nothing else changed */
	CHECK(!memcmp(got + 14 + 20 + 8, udp + 8, 33));
	/* Offsets outside the frame, or a field not on a word of the sum: dropped. */
	static const uint16_t bad[][2] = { { 200, 6 }, { 14 + 20, 100 }, { 14 + 20, 5 },
					   { 0xffff, 0xffff } };
	for (size_t i = 0; i < 4; i++) {
		hdr[6] = (uint8_t)bad[i][0], hdr[7] = (uint8_t)(bad[i][0] >> 8);
		hdr[8] = (uint8_t)bad[i][1], hdr[9] = (uint8_t)(bad[i][1] >> 8);
		CHECK_EQ(gmem_write(&t.mem, TXHDR, hdr, sizeof(hdr)), 0);
		net_post(&t, NET_TXQ, (struct seg[]){ { TXHDR, NET_HDR_LEN, false },
						      { DATA, (uint32_t)len, false } }, 2);
		net_kick(&t, NET_TXQ);
	}
	for (int i = 0; i < 5; i++)
		CHECK_EQ(net_take_used(&t, NET_TXQ, NULL), 0);
	struct pollfd pfd = { t.peer, POLLIN, 0 };
	CHECK_EQ(poll(&pfd, 1, 100), 0);
	net_teardown(&t);
}
