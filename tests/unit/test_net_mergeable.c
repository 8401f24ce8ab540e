/* SPDX-License-Identifier: Apache-2.0 */
/*
 * virtio-net receive with VIRTIO_NET_F_MRG_RXBUF (virtio 1.2 §5.1.6.3.2,
 * §5.1.6.4): a frame larger than one buffer spans several, used together and
 * counted in the first's num_buffers; a frame waits for buffers the driver has
 * not posted yet; buffers too small or too many, or readable, drop the frame,
 * and the next one still arrives.
 */
#include "net_fake_driver.h"

#include "devices/net/priv.h"

#define BUF(i) (DATA + 0x10000ULL + (i) * 0x1000ULL)

static void mrg_setup(struct ndrv *t)
{
	net_setup(t);
	fake_mw(t->d, VIRTIO_MMIO_STATUS, 0);
	net_rebringup(t, 0);
}

static void post_bufs(struct ndrv *t, unsigned int first, unsigned int n, uint32_t len)
{
	for (unsigned int i = first; i < first + n; i++)
		net_post(t, NET_RXQ, (struct seg[]){ { BUF(i), len, true } }, 1);
	net_kick(t, NET_RXQ);
}

TEST(net_mergeable_frame_spans_buffers_counted_in_num_buffers)
{
	uint8_t frame[1400];
	struct ndrv t;
	uint16_t num;

	mrg_setup(&t);
	post_bufs(&t, 0, 3, 600);
	peer_send_frame(&t, 1400, 5);
	CHECK_EQ(net_take_used(&t, NET_RXQ, NULL), 600);
	CHECK_EQ(net_take_used(&t, NET_RXQ, NULL), 600);
	CHECK_EQ(net_take_used(&t, NET_RXQ, NULL), NET_HDR_LEN + 1400 - 1200);
	memcpy(&num, gmem_ptr(&t.mem, BUF(0) + 10, 2), 2);
	CHECK_EQ(le16toh(num), 3);
	memcpy(frame, gmem_ptr(&t.mem, BUF(0) + NET_HDR_LEN, 588), 588);
	memcpy(frame + 588, gmem_ptr(&t.mem, BUF(1), 600), 600);
	memcpy(frame + 1188, gmem_ptr(&t.mem, BUF(2), 212), 212);
	CHECK(frame_is(frame, 1400, 5));
	/* A frame that fits one buffer takes one. */
	post_bufs(&t, 3, 1, 1536);
	peer_send_frame(&t, 100, 6);
	CHECK_EQ(net_take_used(&t, NET_RXQ, NULL), NET_HDR_LEN + 100);
	memcpy(&num, gmem_ptr(&t.mem, BUF(3) + 10, 2), 2);
	CHECK_EQ(le16toh(num), 1);
	net_teardown(&t);
}

TEST(net_mergeable_frame_waits_for_the_buffers_it_still_needs)
{
	struct ndrv t;

	mrg_setup(&t);
	post_bufs(&t, 0, 2, 600);
	peer_send_frame(&t, 1400, 1);
	CHECK(!net_wait_used(&t, NET_RXQ, 200)); /* held, none used yet */
	post_bufs(&t, 2, 1, 600);
	CHECK_EQ(net_take_used(&t, NET_RXQ, NULL), 600);
	CHECK_EQ(net_take_used(&t, NET_RXQ, NULL), 600);
	CHECK_EQ(net_take_used(&t, NET_RXQ, NULL), NET_HDR_LEN + 200);
	CHECK(frame_is(gmem_ptr(&t.mem, BUF(2), 212), 212, (uint8_t)(1 + 1188)));
	net_teardown(&t);
}

TEST(net_mergeable_tiny_or_readable_buffers_drop_the_frame_not_the_queue)
{
	struct ndrv t;

	mrg_setup(&t);
	/* 64 one-byte buffers (the whole ring) cannot hold a 1400-byte frame:
	 * all go back empty. */
	post_bufs(&t, 0, NET_MRG_MAX, 1);
	peer_send_frame(&t, 1400, 2);
	for (unsigned int i = 0; i < NET_MRG_MAX; i++)
		CHECK_EQ(net_take_used(&t, NET_RXQ, NULL), 0);
	/* A readable buffer goes back empty and is skipped; the next one serves. */
	net_post(&t, NET_RXQ, (struct seg[]){ { BUF(0), 600, false } }, 1);
	post_bufs(&t, 1, 1, 1536);
	peer_send_frame(&t, 300, 3);
	CHECK_EQ(net_take_used(&t, NET_RXQ, NULL), 0);
	CHECK_EQ(net_take_used(&t, NET_RXQ, NULL), NET_HDR_LEN + 300);
	CHECK(frame_is(gmem_ptr(&t.mem, BUF(1) + NET_HDR_LEN, 300), 300, 3));
	net_teardown(&t);
}
