/* SPDX-License-Identifier: Apache-2.0 */
/* virtio-vsock header decoding and checks (virtio 1.2 §5.10.6); contract in pkt.h. */
#include "vsock/pkt.h"

#include <endian.h>
#include <stdio.h>
#include <string.h>

/* Offsets of struct virtio_vsock_hdr (§5.10.6, packed, little-endian). */
#define OFF_SRC_CID 0
#define OFF_DST_CID 8
#define OFF_SRC_PORT 16
#define OFF_DST_PORT 20
#define OFF_LEN 24
#define OFF_TYPE 28
#define OFF_OP 30
#define OFF_FLAGS 32
#define OFF_BUF_ALLOC 36
#define OFF_FWD_CNT 40

static uint64_t get64(const uint8_t *p, size_t off)
{
	uint64_t v;
	memcpy(&v, p + off, sizeof(v));
	return le64toh(v);
}

static uint32_t get32(const uint8_t *p, size_t off)
{
	uint32_t v;
	memcpy(&v, p + off, sizeof(v));
	return le32toh(v);
}

static uint16_t get16(const uint8_t *p, size_t off)
{
	uint16_t v;
	memcpy(&v, p + off, sizeof(v));
	return le16toh(v);
}

static void put64(uint8_t *p, size_t off, uint64_t v)
{
	v = htole64(v);
	memcpy(p + off, &v, sizeof(v));
}

static void put32(uint8_t *p, size_t off, uint32_t v)
{
	v = htole32(v);
	memcpy(p + off, &v, sizeof(v));
}

static void put16(uint8_t *p, size_t off, uint16_t v)
{
	v = htole16(v);
	memcpy(p + off, &v, sizeof(v));
}

void vsock_pkt_decode(const void *raw, struct vsock_hdr *h)
{
	const uint8_t *b = raw;

	h->src_cid = get64(b, OFF_SRC_CID);
	h->dst_cid = get64(b, OFF_DST_CID);
	h->src_port = get32(b, OFF_SRC_PORT);
	h->dst_port = get32(b, OFF_DST_PORT);
	h->len = get32(b, OFF_LEN);
	h->type = get16(b, OFF_TYPE);
	h->op = get16(b, OFF_OP);
	h->flags = get32(b, OFF_FLAGS);
	h->buf_alloc = get32(b, OFF_BUF_ALLOC);
	h->fwd_cnt = get32(b, OFF_FWD_CNT);
}

enum vsock_pkt_verdict vsock_pkt_parse(const void *raw, size_t raw_len, size_t payload_avail,
				       struct vsock_hdr *h)
{
	uint8_t b[VSOCK_HDR_SIZE];

	memset(h, 0, sizeof(*h));
	if (raw_len < VSOCK_HDR_SIZE)
		return VSOCK_PKT_SHORT;
	/* One copy: the guest may rewrite its buffer while we look at it. */
	memcpy(b, raw, sizeof(b));
	vsock_pkt_decode(b, h);

	/* §5.10.6.1: the device checks src_cid, so a guest cannot speak for another. */
	if (h->src_cid != VSOCK_GUEST_CID)
		return VSOCK_PKT_SPOOFED;
	if (h->type != VSOCK_TYPE_STREAM && h->type != VSOCK_TYPE_SEQPACKET)
		return VSOCK_PKT_BAD_TYPE;
	if (h->op == VSOCK_OP_INVALID || h->op > VSOCK_OP_CREDIT_REQUEST)
		return VSOCK_PKT_BAD_OP;
	/* Only RW carries a payload (§5.10.6.3). */
	if (h->len > VSOCK_MAX_PAYLOAD || h->len > payload_avail ||
	    (h->op != VSOCK_OP_RW && h->len != 0))
		return VSOCK_PKT_BAD_LEN;
	if (h->dst_cid != VSOCK_HOST_CID)
		return VSOCK_PKT_BAD_DST;
	return VSOCK_PKT_OK;
}

void vsock_pkt_encode(const struct vsock_hdr *h, void *out)
{
	uint8_t *b = out;

	put64(b, OFF_SRC_CID, h->src_cid);
	put64(b, OFF_DST_CID, h->dst_cid);
	put32(b, OFF_SRC_PORT, h->src_port);
	put32(b, OFF_DST_PORT, h->dst_port);
	put32(b, OFF_LEN, h->len);
	put16(b, OFF_TYPE, h->type);
	put16(b, OFF_OP, h->op);
	put32(b, OFF_FLAGS, h->flags);
	put32(b, OFF_BUF_ALLOC, h->buf_alloc);
	put32(b, OFF_FWD_CNT, h->fwd_cnt);
}

const char *vsock_op_name(uint16_t op, char buf[16])
{
	static const char *const names[] = {
		[VSOCK_OP_INVALID] = "INVALID",
		[VSOCK_OP_REQUEST] = "REQUEST",
		[VSOCK_OP_RESPONSE] = "RESPONSE",
		[VSOCK_OP_RST] = "RST",
		[VSOCK_OP_SHUTDOWN] = "SHUTDOWN",
		[VSOCK_OP_RW] = "RW",
		[VSOCK_OP_CREDIT_UPDATE] = "CREDIT_UPDATE",
		[VSOCK_OP_CREDIT_REQUEST] = "CREDIT_REQUEST",
	};

	if (op < sizeof(names) / sizeof(names[0]))
		return names[op];
	snprintf(buf, 16, "op %u", op);
	return buf;
}

const char *vsock_verdict_name(enum vsock_pkt_verdict v)
{
	static const char *const names[VSOCK_PKT_NVERDICTS] = {
		[VSOCK_PKT_OK] = "ok",
		[VSOCK_PKT_SHORT] = "short header",
		[VSOCK_PKT_SPOOFED] = "source CID not the guest's",
		[VSOCK_PKT_BAD_TYPE] = "unsupported socket type",
		[VSOCK_PKT_BAD_OP] = "unknown op",
		[VSOCK_PKT_BAD_LEN] = "bad length",
		[VSOCK_PKT_BAD_DST] = "destination CID not the host",
	};

	return (unsigned int)v < VSOCK_PKT_NVERDICTS ? names[v] : "?";
}
