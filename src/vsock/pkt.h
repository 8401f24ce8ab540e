/* SPDX-License-Identifier: Apache-2.0 */
/*
 * virtio-vsock packet headers (virtio 1.2 §5.10.6): the 44-byte little-endian
 * struct virtio_vsock_hdr, decoded into host order and checked once.
 *
 * vsock_pkt_parse is the only reader of guest header bytes: it copies them into
 * a local struct vsock_hdr and classifies the packet before anything acts on
 * it. What it accepts is well formed, not yet meaningful: whether the
 * connection exists, the op fits its state and the credit holds is the muxer's
 * business (src/vsock/mux.h).
 */
#ifndef LIBKRUN_VSOCK_PKT_H
#define LIBKRUN_VSOCK_PKT_H

#include <stddef.h>
#include <stdint.h>

#define VSOCK_HDR_SIZE 44
#define VSOCK_HOST_CID 2  /* §5.10.4: the host is CID 2 */
#define VSOCK_GUEST_CID 3 /* the only guest CID this VMM gives */
/* Largest payload of one packet. Linux sends at most 64 KiB
 * (VIRTIO_VSOCK_MAX_PKT_BUF_SIZE); anything longer is refused, so a length
 * field never sizes more than this. */
#define VSOCK_MAX_PAYLOAD (64u * 1024u)

/* §5.10.6: type, op, and the flags of SHUTDOWN. */
#define VSOCK_TYPE_STREAM 1
#define VSOCK_TYPE_SEQPACKET 2
enum vsock_op {
	VSOCK_OP_INVALID = 0,
	VSOCK_OP_REQUEST = 1,
	VSOCK_OP_RESPONSE = 2,
	VSOCK_OP_RST = 3,
	VSOCK_OP_SHUTDOWN = 4,
	VSOCK_OP_RW = 5,
	VSOCK_OP_CREDIT_UPDATE = 6,
	VSOCK_OP_CREDIT_REQUEST = 7,
};
#define VSOCK_SHUTDOWN_RCV 1
#define VSOCK_SHUTDOWN_SEND 2
#define VSOCK_SHUTDOWN_BOTH (VSOCK_SHUTDOWN_RCV | VSOCK_SHUTDOWN_SEND)
/* §5.10.6.3: flags of a SEQPACKET RW: the last packet of a message / record. */
#define VSOCK_SEQ_EOM 1
#define VSOCK_SEQ_EOR 2

struct vsock_hdr {
	uint64_t src_cid, dst_cid;
	uint32_t src_port, dst_port;
	uint32_t len;
	uint16_t type, op;
	uint32_t flags;
	uint32_t buf_alloc, fwd_cnt;
};

/* What vsock_pkt_parse found. Anything but VSOCK_PKT_OK is dropped; the
 * "answerable" verdicts (>= VSOCK_PKT_BAD_TYPE) came from the guest's own
 * address, so the muxer answers them with RST (§5.10.6.4) unless they are RSTs. */
enum vsock_pkt_verdict {
	VSOCK_PKT_OK = 0,
	VSOCK_PKT_SHORT,       /* fewer than 44 header bytes: not even an address */
	VSOCK_PKT_SPOOFED,     /* src_cid is not the guest's CID */
	VSOCK_PKT_BAD_TYPE,    /* neither STREAM nor SEQPACKET */
	VSOCK_PKT_BAD_OP,      /* op unknown */
	VSOCK_PKT_BAD_LEN,     /* len > VSOCK_MAX_PAYLOAD, > the bytes given, or != 0 off RW */
	VSOCK_PKT_BAD_DST,     /* dst_cid is not the host */
	VSOCK_PKT_NVERDICTS
};

/*
 * Decodes a header the guest wrote: raw holds raw_len bytes (only the first 44
 * are read), payload_avail is the number of readable bytes the guest gave after
 * the header. Fills *h (also for most bad verdicts, so an RST can be addressed)
 * and returns the verdict.
 */
enum vsock_pkt_verdict vsock_pkt_parse(const void *raw, size_t raw_len, size_t payload_avail,
				       struct vsock_hdr *h);

/* Decodes 44 wire bytes without judging them (the guest side of tests). */
void vsock_pkt_decode(const void *raw, struct vsock_hdr *h);

/* Encodes h as the 44 wire bytes at out. */
void vsock_pkt_encode(const struct vsock_hdr *h, void *out);

/* Short names for logs ("REQUEST", "op 9"); buf is used for unknown values. */
const char *vsock_op_name(uint16_t op, char buf[16]);
const char *vsock_verdict_name(enum vsock_pkt_verdict v);

#endif
