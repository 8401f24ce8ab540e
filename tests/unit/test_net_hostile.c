/* SPDX-License-Identifier: Apache-2.0 */
/*
 * virtio-net against a hostile driver and a hostile proxy: TX headers asking
 * for offloads not offered, frames too short or too long, chains with the
 * wrong direction or outside RAM; RX buffers too small or readable; length
 * prefixes that lie. Each is dropped (a chain completed with length 0),
 * nothing reaches the other side, and the next good frame goes through. A
 * flood either way waits in the other side's queue: the device holds at most
 * its fixed buffers.
 */
#include "net_fake_driver.h"

#include <errno.h>
#include <fcntl.h>

/* Nothing arrives at the proxy within ms. */
static bool peer_quiet(struct ndrv *t, int ms)
{
	struct pollfd pfd = { t->peer, POLLIN, 0 };
	return poll(&pfd, 1, ms) == 0;
}

static void tx_good_frame_still_goes(struct ndrv *t, uint8_t seed)
{
	uint8_t buf[256];

	net_put_hdr(t, 0, 0);
	net_put_frame(t, DATA, 200, seed);
	net_post(t, NET_TXQ, (struct seg[]){ { TXHDR, NET_HDR_LEN, false }, { DATA, 200, false } }, 2);
	net_kick(t, NET_TXQ);
	CHECK_EQ(peer_frame(t, buf, sizeof(buf), 5000), 200);
	CHECK(frame_is(buf, 200, seed));
	CHECK_EQ(net_take_used(t, NET_TXQ, NULL), 0);
}

TEST(net_tx_bad_headers_lengths_and_directions_are_dropped)
{
	static const struct { uint8_t flags, gso; uint32_t len; bool w; } bad[] = {
		{ 1, 0, 100, false },                      /* NEEDS_CSUM, CSUM not offered */
		{ 0, 1, 100, false },                      /* GSO_TCPV4, HOST_TSO4 not offered */
		{ 0, 0x80, 100, false },                   /* GSO_ECN alone */
		{ 0, 0, NETBE_ETH_HLEN - 1, false },       /* shorter than an Ethernet header */
		{ 0, 0, 0, false },                        /* header only */
		{ 0, 0, NETBE_FRAME_MAX + 1, false },      /* one byte too long */
		{ 0, 0, 1 << 22, false },                  /* far too long */
		{ 0, 0, 100, true },                       /* frame device-writable */
	};
	struct ndrv t;

	net_setup(&t);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		net_put_hdr(&t, bad[i].flags, bad[i].gso);
		if (bad[i].len)
			net_post(&t, NET_TXQ, (struct seg[]){ { TXHDR, NET_HDR_LEN, false },
							      { DATA, bad[i].len, bad[i].w } }, 2);
		else
			net_post(&t, NET_TXQ, (struct seg[]){ { TXHDR, NET_HDR_LEN, false } }, 1);
		net_kick(&t, NET_TXQ);
		CHECK_EQ(net_take_used(&t, NET_TXQ, NULL), 0);
	}
	CHECK(peer_quiet(&t, 100));
	tx_good_frame_still_goes(&t, 42);
	net_teardown(&t);
}

TEST(net_tx_chains_that_lie_about_memory_are_completed_empty)
{
	struct ndrv t;

	net_setup(&t);
	/* A descriptor past the end of RAM, one that wraps, one that straddles it. */
	net_post(&t, NET_TXQ, (struct seg[]){ { TXHDR, NET_HDR_LEN, false },
					      { RAM_SIZE + 0x1000, 100, false } }, 2);
	net_post(&t, NET_TXQ, (struct seg[]){ { TXHDR, NET_HDR_LEN, false },
					      { UINT64_MAX - 10, 100, false } }, 2);
	net_post(&t, NET_TXQ, (struct seg[]){ { TXHDR, NET_HDR_LEN, false },
					      { RAM_SIZE - 50, 100, false } }, 2);
	net_kick(&t, NET_TXQ);
	for (int i = 0; i < 3; i++)
		CHECK_EQ(net_take_used(&t, NET_TXQ, NULL), 0);
	CHECK(peer_quiet(&t, 100));
	tx_good_frame_still_goes(&t, 5);
	net_teardown(&t);
}

TEST(net_rx_buffers_too_small_or_readable_drop_the_frame)
{
	struct ndrv t;
	uint8_t buf[300];

	net_setup(&t);
	net_post(&t, NET_RXQ, (struct seg[]){ { DATA, 100, true } }, 1);
	net_post(&t, NET_RXQ, (struct seg[]){ { DATA + 0x1000, 12, false },
					      { DATA + 0x2000, 2000, true } }, 2);
	net_post(&t, NET_RXQ, (struct seg[]){ { DATA + 0x3000, 2000, true } }, 1);
	memset(gmem_ptr(&t.mem, DATA, 100), 0xee, 100);
	net_kick(&t, NET_RXQ);
	peer_send_frame(&t, 200, 1); /* into the 100-byte buffer: dropped */
	peer_send_frame(&t, 200, 2); /* into the readable one: dropped */
	peer_send_frame(&t, 200, 3);
	CHECK_EQ(net_take_used(&t, NET_RXQ, NULL), 0);
	memset(buf, 0xee, 100);
	CHECK(!memcmp(gmem_ptr(&t.mem, DATA, 100), buf, 100)); /* untouched */
	CHECK_EQ(net_take_used(&t, NET_RXQ, NULL), 0);
	CHECK_EQ(net_take_used(&t, NET_RXQ, NULL), NET_HDR_LEN + 200);
	CHECK(frame_is(gmem_ptr(&t.mem, DATA + 0x3000 + NET_HDR_LEN, 200), 200, 3));
	net_teardown(&t);
}

TEST(net_rx_length_prefixes_that_lie_are_skipped_without_storing)
{
	struct ndrv t;
	uint32_t be;
	static uint8_t junk[NETBE_FRAME_MAX + 1000];

	net_setup(&t);
	net_post(&t, NET_RXQ, (struct seg[]){ { DATA, 2000, true } }, 1);
	net_kick(&t, NET_RXQ);
	be = htobe32(sizeof(junk)); /* longer than any frame */
	peer_send(&t, &be, 4);
	peer_send(&t, junk, sizeof(junk));
	be = htobe32(3); /* shorter than an Ethernet header */
	peer_send(&t, &be, 4);
	peer_send(&t, "abc", 3);
	peer_send_frame(&t, 64, 77);
	CHECK_EQ(net_take_used(&t, NET_RXQ, NULL), NET_HDR_LEN + 64);
	CHECK(frame_is(gmem_ptr(&t.mem, DATA + NET_HDR_LEN, 64), 64, 77));
	CHECK_EQ(net_backend(t.d)->rx_refused, 2);
	net_teardown(&t);
}

/* The proxy sends until its socket is full while the guest posts nothing:
 * the device stops reading (the proxy sees EAGAIN, which it would never see
 * if the device read and dropped or stored everything), then hands over
 * every frame, in order, once buffers come. */
TEST(net_rx_flood_without_buffers_waits_in_the_proxy_socket)
{
	struct ndrv t;
	uint8_t frame[4 + 1000];
	uint32_t be = htobe32(1000);
	unsigned int sent = 0, got = 0;

	net_setup(&t);
	CHECK_EQ(fcntl(t.peer, F_SETFL, O_NONBLOCK), 0);
	memcpy(frame, &be, 4);
	for (;;) {
		frame[4] = (uint8_t)sent;
		frame[5] = (uint8_t)(sent >> 8);
		ssize_t n = send(t.peer, frame, sizeof(frame), MSG_NOSIGNAL);
		if (n < 0 && errno == EAGAIN) {
			usleep(20000); /* the device may still be reading: try again once */
			n = send(t.peer, frame, sizeof(frame), MSG_NOSIGNAL);
			if (n < 0 && errno == EAGAIN)
				break;
		}
		CHECK_EQ(n, (ssize_t)sizeof(frame)); /* whole frames: 1004 < the buffer */
		sent++;
		CHECK(sent < 20000); /* the device would be swallowing them */
	}
	CHECK(sent > 2);
	while (got < sent) {
		unsigned int batch = 0;
		for (; batch < QSZ && got + batch < sent; batch++)
			net_post(&t, NET_RXQ, (struct seg[]){ { DATA + batch * 0x1000ULL, 2000, true } }, 1);
		net_kick(&t, NET_RXQ);
		for (unsigned int i = 0; i < batch; i++, got++) {
			uint16_t id;
			CHECK_EQ(net_take_used(&t, NET_RXQ, &id), NET_HDR_LEN + 1000);
			const uint8_t *p = gmem_ptr(&t.mem, DATA + i * 0x1000ULL + NET_HDR_LEN, 2);
			CHECK_EQ(p[0] | p[1] << 8, got & 0xffff);
		}
	}
	net_teardown(&t);
}

/* n TX frames of flen bytes (frame i from seed i), kicked; returns after 200 ms,
 * time enough for the device to fill the proxy's socket. */
static void tx_flood(struct ndrv *t, unsigned int n, unsigned int flen)
{
	net_put_hdr(t, 0, 0);
	for (unsigned int i = 0; i < n; i++) {
		net_put_frame(t, DATA + i * 0x10000ULL, flen, (uint8_t)i);
		net_post(t, NET_TXQ, (struct seg[]){ { TXHDR, NET_HDR_LEN, false },
						     { DATA + i * 0x10000ULL, flen, false } }, 2);
	}
	net_kick(t, NET_TXQ);
	usleep(200000);
}

/* The guest queues more than the proxy's socket takes while the proxy reads
 * nothing: the device stops taking chains, then every frame arrives intact
 * and in order once the proxy reads. */
TEST(net_tx_flood_waits_in_the_guest_queue_while_the_proxy_is_full)
{
	struct ndrv t;
	const unsigned int n = QSZ / 2, flen = 60000;
	static uint8_t buf[60000];
	uint16_t before;

	net_setup(&t);
	tx_flood(&t, n, flen);
	before = net_used_idx(&t, NET_TXQ);
	CHECK(before < n); /* n * 60000 bytes do not fit a unix socket's buffer */
	for (unsigned int i = 0; i < n; i++) {
		CHECK_EQ(peer_frame(&t, buf, sizeof(buf), 5000), flen);
		CHECK(frame_is(buf, flen, (uint8_t)i));
	}
	for (unsigned int i = 0; i < n; i++)
		CHECK_EQ(net_take_used(&t, NET_TXQ, NULL), 0);
	net_teardown(&t);
}

/* A driver reset while a frame is half-written to the stream: the frame is
 * finished all the same, so the proxy never sees a broken length prefix, and
 * the device works again after the next bring-up. */
TEST(net_reset_mid_frame_keeps_the_stream_framed)
{
	struct ndrv t;
	const unsigned int flen = 60000;
	static uint8_t buf[60000];
	uint16_t taken;

	net_setup(&t);
	tx_flood(&t, QSZ / 2, flen);
	taken = net_used_idx(&t, NET_TXQ);
	CHECK(taken > 0 && taken < QSZ / 2);
	fake_mw(t.d, VIRTIO_MMIO_STATUS, 0);
	CHECK_EQ(fake_mr(t.d, VIRTIO_MMIO_STATUS), 0);
	for (unsigned int i = 0; i < taken; i++) {
		CHECK_EQ(peer_frame(&t, buf, sizeof(buf), 5000), flen);
		CHECK(frame_is(buf, flen, (uint8_t)i));
	}
	CHECK(peer_quiet(&t, 100)); /* nothing after the reset */

	net_rebringup(&t, 1ULL << VIRTIO_NET_F_MRG_RXBUF);
	tx_good_frame_still_goes(&t, 99);
	net_teardown(&t);
}
