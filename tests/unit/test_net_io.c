/* SPDX-License-Identifier: Apache-2.0 */
/*
 * virtio-net with a well-behaved driver and proxy: what is offered, frames
 * both ways intact with QEMU's stream framing, a proxy that hangs up takes
 * the link down, and the backend's framing alone (split and joined reads).
 */
#include "net_fake_driver.h"

#include <errno.h>
#include <fcntl.h>

TEST(net_offers_mac_and_status_only_and_shows_the_mac)
{
	struct ndrv t;
	uint8_t mac[6];
	uint16_t status;

	net_setup(&t);
	fake_mw(t.d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	CHECK_EQ(fake_mr(t.d, VIRTIO_MMIO_DEVICE_FEATURES),
		 1u << VIRTIO_NET_F_MAC | 1u << VIRTIO_NET_F_STATUS);
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
