/* SPDX-License-Identifier: Apache-2.0 */
/* The vsock header parser (src/vsock/pkt.c) on well-formed and hostile headers. */
#include "harness.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "vsock/pkt.h"

static struct vsock_hdr good(uint16_t op, uint32_t len)
{
	return (struct vsock_hdr){
		.src_cid = VSOCK_GUEST_CID, .dst_cid = VSOCK_HOST_CID,
		.src_port = 1234, .dst_port = 5000, .len = len,
		.type = VSOCK_TYPE_STREAM, .op = op, .flags = 0,
		.buf_alloc = 262144, .fwd_cnt = 77,
	};
}

/* Field by field: the struct has tail padding that no initializer fills. */
static bool same_hdr(const struct vsock_hdr *a, const struct vsock_hdr *b)
{
	return a->src_cid == b->src_cid && a->dst_cid == b->dst_cid &&
	       a->src_port == b->src_port && a->dst_port == b->dst_port && a->len == b->len &&
	       a->type == b->type && a->op == b->op && a->flags == b->flags &&
	       a->buf_alloc == b->buf_alloc && a->fwd_cnt == b->fwd_cnt;
}

static enum vsock_pkt_verdict parse(const struct vsock_hdr *in, size_t avail, struct vsock_hdr *out)
{
	uint8_t raw[VSOCK_HDR_SIZE];

	vsock_pkt_encode(in, raw);
	return vsock_pkt_parse(raw, sizeof(raw), avail, out);
}

TEST(vsock_pkt_encode_then_parse_gives_the_same_header)
{
	struct vsock_hdr in = good(VSOCK_OP_RW, 100), out;
	uint8_t raw[VSOCK_HDR_SIZE];

	in.flags = 0xdeadbeef;
	CHECK_EQ(parse(&in, 100, &out), VSOCK_PKT_OK);
	CHECK(same_hdr(&in, &out));
	/* Little-endian on the wire (§5.10.6): len sits at byte 24. */
	vsock_pkt_encode(&in, raw);
	CHECK_EQ(raw[24], 100);
	CHECK_EQ(raw[0], VSOCK_GUEST_CID);
	CHECK_EQ(raw[30], VSOCK_OP_RW);
}

TEST(vsock_pkt_short_header_is_refused)
{
	uint8_t raw[VSOCK_HDR_SIZE] = { 0 };
	struct vsock_hdr out;

	for (size_t n = 0; n < VSOCK_HDR_SIZE; n++)
		CHECK_EQ(vsock_pkt_parse(raw, n, 0, &out), VSOCK_PKT_SHORT);
}

TEST(vsock_pkt_spoofed_source_cid_is_refused)
{
	struct vsock_hdr in = good(VSOCK_OP_REQUEST, 0), out;

	in.src_cid = VSOCK_HOST_CID;
	CHECK_EQ(parse(&in, 0, &out), VSOCK_PKT_SPOOFED);
	in.src_cid = VSOCK_GUEST_CID | 1ULL << 32; /* high bits count too */
	CHECK_EQ(parse(&in, 0, &out), VSOCK_PKT_SPOOFED);
}

TEST(vsock_pkt_type_op_and_destination_are_checked)
{
	struct vsock_hdr in = good(VSOCK_OP_REQUEST, 0), out;

	in.type = VSOCK_TYPE_SEQPACKET; /* well formed; whether served is the muxer's call */
	CHECK_EQ(parse(&in, 0, &out), VSOCK_PKT_OK);
	in.type = 3;
	CHECK_EQ(parse(&in, 0, &out), VSOCK_PKT_BAD_TYPE);
	in.type = 0;
	CHECK_EQ(parse(&in, 0, &out), VSOCK_PKT_BAD_TYPE);
	in = good(VSOCK_OP_INVALID, 0);
	CHECK_EQ(parse(&in, 0, &out), VSOCK_PKT_BAD_OP);
	in = good(8, 0);
	CHECK_EQ(parse(&in, 0, &out), VSOCK_PKT_BAD_OP);
	in = good(0xffff, 0);
	CHECK_EQ(parse(&in, 0, &out), VSOCK_PKT_BAD_OP);
	in = good(VSOCK_OP_REQUEST, 0);
	in.dst_cid = 5;
	CHECK_EQ(parse(&in, 0, &out), VSOCK_PKT_BAD_DST);
	/* The address is still decoded, so the answer can be addressed. */
	CHECK_EQ(out.src_port, 1234);
	CHECK_EQ(out.dst_cid, 5);
}

TEST(vsock_pkt_lengths_are_bounded_by_the_buffer_and_the_maximum)
{
	struct vsock_hdr in = good(VSOCK_OP_RW, 4096), out;

	CHECK_EQ(parse(&in, 4096, &out), VSOCK_PKT_OK);
	CHECK_EQ(parse(&in, 4095, &out), VSOCK_PKT_BAD_LEN); /* more than given */
	in.len = VSOCK_MAX_PAYLOAD;
	CHECK_EQ(parse(&in, VSOCK_MAX_PAYLOAD, &out), VSOCK_PKT_OK);
	in.len = VSOCK_MAX_PAYLOAD + 1;
	CHECK_EQ(parse(&in, 1u << 30, &out), VSOCK_PKT_BAD_LEN);
	in.len = UINT32_MAX;
	CHECK_EQ(parse(&in, SIZE_MAX, &out), VSOCK_PKT_BAD_LEN);
	/* Only RW carries data. */
	in = good(VSOCK_OP_CREDIT_UPDATE, 1);
	CHECK_EQ(parse(&in, 1, &out), VSOCK_PKT_BAD_LEN);
	in = good(VSOCK_OP_SHUTDOWN, 0);
	CHECK_EQ(parse(&in, 500, &out), VSOCK_PKT_OK); /* trailing bytes are no payload */
}

TEST(vsock_pkt_random_headers_are_classified_without_reading_past_44_bytes)
{
	uint8_t *raw = malloc(VSOCK_HDR_SIZE); /* exact size: ASan catches overreads */
	struct vsock_hdr out;
	CHECK(raw);
	srand(7);
	for (int i = 0; i < 100000; i++) {
		for (int j = 0; j < VSOCK_HDR_SIZE; j++)
			raw[j] = (uint8_t)rand();
		if (i & 1) { /* often plausible, so later checks are reached */
			raw[0] = VSOCK_GUEST_CID;
			memset(raw + 1, 0, 7);
			raw[28] = VSOCK_TYPE_STREAM;
			raw[29] = 0;
		}
		enum vsock_pkt_verdict v = vsock_pkt_parse(raw, VSOCK_HDR_SIZE, 65536, &out);
		CHECK((unsigned int)v < VSOCK_PKT_NVERDICTS);
		if (v == VSOCK_PKT_OK) {
			CHECK(out.len <= VSOCK_MAX_PAYLOAD);
			CHECK(out.op >= VSOCK_OP_REQUEST && out.op <= VSOCK_OP_CREDIT_REQUEST);
		}
	}
	free(raw);
}
