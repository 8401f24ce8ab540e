/* SPDX-License-Identifier: Apache-2.0 */
/*
 * virtio-vsock (virtio 1.2 §5.10) against a hostile driver: TX chains outside
 * RAM, looping or device-writable; headers too short, lying about their
 * length, of unknown type or op, from another CID or to one; packets for no
 * connection; RX buffers read-only or too small; junk on the event queue;
 * queues set up wrongly. Each is completed empty, dropped, or answered with
 * RST as §5.10.6 asks; nothing of it reaches a host socket; a live stream it
 * breaks is reset at both ends; and the device keeps working both ways.
 */
#include "vsock_fake_driver.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* The RX test's buffers of VSOCK_RX_MAX_IOV tiny segments: 2-byte ones hold
 * less than a header, 3-byte ones a header and 4 payload bytes. */
_Static_assert(2 * VSOCK_RX_MAX_IOV < VSOCK_HDR_SIZE, "2-byte segments");
_Static_assert(3 * VSOCK_RX_MAX_IOV == VSOCK_HDR_SIZE + 4, "3-byte segments");

/* Byte v all through [gpa, gpa + len). */
static bool ram_is(struct vdrv *t, uint64_t gpa, size_t len, uint8_t v)
{
	const uint8_t *p = gmem_ptr(&t->mem, gpa, len);

	for (size_t i = 0; i < len; i++)
		if (p[i] != v)
			return false;
	return true;
}

/* Packets the muxer refused when parsing them (vsock_pkt_parse), any verdict. */
static uint64_t dropped_total(const struct vsock_mux_stats *s)
{
	uint64_t n = 0;

	for (int v = 0; v < VSOCK_PKT_NVERDICTS; v++)
		n += s->dropped[v];
	return n;
}

/* A REQUEST from gport to HOST_PORT at gpa: were it ever taken, the host
 * would see a connection on its listener. */
static void put_request(struct vdrv *t, uint64_t gpa, uint32_t gport)
{
	struct vsock_hdr h = vd_hdr(VSOCK_OP_REQUEST, gport, HOST_PORT);

	vsock_pkt_encode(&h, gmem_ptr(&t->mem, gpa, VSOCK_HDR_SIZE));
}

/* A raw TX chain from table entry 0 (vd_post_raw), kicked; it must come back
 * empty under its own head. */
static void tx_raw(struct vdrv *t, const struct virtq_desc_raw *d, unsigned int n)
{
	uint16_t id;

	vd_post_raw(t, VSOCK_TXQ, d, n);
	vd_kick(t, VSOCK_TXQ);
	CHECK_EQ(vd_take_used(t, VSOCK_TXQ, &id), 0);
	CHECK_EQ(id, 0);
}

/* Descriptors outside guest RAM, chains that loop or leave their table
 * (§2.7.5.2: loops are forbidden), heads past the table and malformed
 * indirect tables (§2.7.5.3; not even offered) are the queue's to refuse:
 * completed with length 0, never seen by the muxer. Every header here is a
 * REQUEST to HOST_PORT, so one taken would show on the host's listener. */
TEST(vsock_tx_chains_outside_ram_looping_or_malformed_are_completed_empty)
{
	const uint64_t hdr = SCRATCH, pay = SCRATCH + 0x100;
	const uint16_t FN = VIRTQ_DESC_F_NEXT, FI = VIRTQ_DESC_F_INDIRECT;
	static const uint64_t far[] = {
		RAM_SIZE + 0x1000, /* past the end of RAM */
		UINT64_MAX - 10,   /* gpa + len wraps */
		RAM_SIZE - 20,     /* across the end */
	};
	struct virtq_desc_raw ring[QSZ], *ind;
	struct vsock_mux_stats st;
	struct vdrv t;
	uint16_t id;

	vd_setup(&t);
	put_request(&t, hdr, 1100);
	ind = gmem_ptr(&t.mem, INDIRECT, 16 * (VQ_MAX_SIZE + 1));
	for (size_t i = 0; i < ARRAY_LEN(far); i++) {
		vd_tx(&t, (struct seg[]){ { far[i], VSOCK_HDR_SIZE, false } }, 1);
		vd_tx(&t, (struct seg[]){ { hdr, VSOCK_HDR_SIZE, false },
					  { far[i], 100, false } }, 2);
	}
	/* As long a payload as a descriptor can say, from inside RAM. */
	vd_tx(&t, (struct seg[]){ { hdr, VSOCK_HDR_SIZE, false }, { pay, UINT32_MAX, false } }, 2);
	/* §2.7.4.2: a device-readable descriptor after a device-writable one. */
	vd_tx(&t, (struct seg[]){ { hdr, VSOCK_HDR_SIZE, true }, { pay, 10, false } }, 2);

	/* next pointing at itself, two pointing at each other, an empty one
	 * pointing at itself (it adds no segment, so only a bound on the walk
	 * ends it), the whole table in one ring (longer than the queue), next
	 * past the table. */
	tx_raw(&t, (struct virtq_desc_raw[]){ { hdr, VSOCK_HDR_SIZE, FN, 0 } }, 1);
	tx_raw(&t, (struct virtq_desc_raw[]){ { hdr, VSOCK_HDR_SIZE, FN, 1 },
					      { pay, 1, FN, 0 } }, 2);
	tx_raw(&t, (struct virtq_desc_raw[]){ { hdr, VSOCK_HDR_SIZE, FN, 1 },
					      { pay, 0, FN, 1 } }, 2);
	for (uint16_t i = 0; i < QSZ; i++)
		ring[i] = (struct virtq_desc_raw){ pay + i, 1, FN, (uint16_t)((i + 1) % QSZ) };
	ring[0] = (struct virtq_desc_raw){ hdr, VSOCK_HDR_SIZE, FN, 1 };
	tx_raw(&t, ring, QSZ);
	tx_raw(&t, (struct virtq_desc_raw[]){ { hdr, VSOCK_HDR_SIZE, FN, QSZ } }, 1);
	tx_raw(&t, (struct virtq_desc_raw[]){ { hdr, VSOCK_HDR_SIZE, FN, 0xffff } }, 1);

	/* Indirect tables: chained on with NEXT, not whole entries, empty,
	 * across the end of RAM, more entries than any queue, nested, looping
	 * (also through an empty descriptor), next past the table, more
	 * segments than a chain may hold. */
	ind[0] = (struct virtq_desc_raw){ hdr, VSOCK_HDR_SIZE, 0, 0 };
	tx_raw(&t, (struct virtq_desc_raw[]){ { INDIRECT, 16, FI | FN, 1 }, { pay, 1, 0, 0 } }, 2);
	tx_raw(&t, (struct virtq_desc_raw[]){ { INDIRECT, 24, FI, 0 } }, 1);
	tx_raw(&t, (struct virtq_desc_raw[]){ { INDIRECT, 0, FI, 0 } }, 1);
	tx_raw(&t, (struct virtq_desc_raw[]){ { RAM_SIZE - 16, 32, FI, 0 } }, 1);
	tx_raw(&t, (struct virtq_desc_raw[]){ { INDIRECT, 16 * (VQ_MAX_SIZE + 1), FI, 0 } }, 1);
	ind[0] = (struct virtq_desc_raw){ INDIRECT + 0x8000, 16, FI, 0 };
	tx_raw(&t, (struct virtq_desc_raw[]){ { INDIRECT, 16, FI, 0 } }, 1);
	ind[0] = (struct virtq_desc_raw){ hdr, VSOCK_HDR_SIZE, FN, 1 };
	ind[1] = (struct virtq_desc_raw){ pay, 1, FN, 0 };
	tx_raw(&t, (struct virtq_desc_raw[]){ { INDIRECT, 32, FI, 0 } }, 1);
	ind[1] = (struct virtq_desc_raw){ pay, 0, FN, 1 };
	tx_raw(&t, (struct virtq_desc_raw[]){ { INDIRECT, 32, FI, 0 } }, 1);
	ind[0] = (struct virtq_desc_raw){ hdr, VSOCK_HDR_SIZE, FN, 5 };
	tx_raw(&t, (struct virtq_desc_raw[]){ { INDIRECT, 32, FI, 0 } }, 1);
	for (uint16_t i = 1; i <= VQ_MAX_SEGS; i++)
		ind[i] = (struct virtq_desc_raw){ pay + i, 1, i < VQ_MAX_SEGS ? FN : 0,
						  (uint16_t)(i + 1) };
	ind[0] = (struct virtq_desc_raw){ hdr, VSOCK_HDR_SIZE, FN, 1 };
	tx_raw(&t, (struct virtq_desc_raw[]){ { INDIRECT, 16 * (VQ_MAX_SEGS + 1), FI, 0 } }, 1);

	/* Heads in the avail ring that are no table entry. */
	vd_post_head(&t, VSOCK_TXQ, QSZ + 5);
	vd_post_head(&t, VSOCK_TXQ, 0xffff);
	vd_kick(&t, VSOCK_TXQ);
	CHECK_EQ(vd_take_used(&t, VSOCK_TXQ, &id), 0);
	CHECK_EQ(id, QSZ + 5);
	CHECK_EQ(vd_take_used(&t, VSOCK_TXQ, &id), 0);
	CHECK_EQ(id, 0xffff);

	/* Every completion so far was the queue's refusal; the muxer saw none. */
	CHECK_EQ(t.d->vq[VSOCK_TXQ].bad_chains, t.used_seen[VSOCK_TXQ]);
	CHECK_EQ(t.used_seen[VSOCK_TXQ], 6 + 2 + 6 + 10 + 2);
	st = vd_stats(&t);
	CHECK_EQ(dropped_total(&st), 0);
	CHECK_EQ(st.no_conn + st.refused + st.opened, 0);
	CHECK(vd_no_host_conn(&t));
	vd_probe(&t);
	vd_still_works(&t, 1101);
	vd_teardown(&t);
}

/* §5.10.6: a packet starts with a 44-byte header in device-readable
 * buffers. With fewer readable header bytes there is no address to answer,
 * so the packet is dropped without an RST; each is still completed. */
TEST(vsock_tx_headers_short_or_device_writable_are_dropped_without_answer)
{
	const uint64_t hdr = SCRATCH;
	struct vsock_mux_stats st;
	struct vdrv t;

	vd_setup(&t);
	put_request(&t, hdr, 1300);
	vd_tx(&t, (struct seg[]){ { hdr, VSOCK_HDR_SIZE - 1, false } }, 1);
	vd_tx(&t, (struct seg[]){ { hdr, 1, false } }, 1);
	vd_tx(&t, (struct seg[]){ { hdr, 0, false } }, 1); /* a descriptor of no bytes */
	vd_tx(&t, (struct seg[]){ { hdr, VSOCK_HDR_SIZE, true } }, 1);
	vd_tx(&t, (struct seg[]){ { hdr, 20, false }, { hdr + 20, VSOCK_HDR_SIZE - 20, true } }, 2);
	st = vd_stats(&t);
	CHECK_EQ(st.dropped[VSOCK_PKT_SHORT], 5);
	CHECK_EQ(dropped_total(&st), 5);
	CHECK_EQ(t.d->vq[VSOCK_TXQ].bad_chains, 0); /* good chains: the muxer refused them */
	CHECK(vd_no_host_conn(&t));
	vd_probe(&t);
	vd_still_works(&t, 1301);
	vd_teardown(&t);
}

/* Descriptor boundaries mean nothing (§2.7.4): the device finds the header
 * and payload wherever the driver splits them, takes exactly len payload
 * bytes (§5.10.6), and writes nothing into a TX chain, not even into
 * device-writable descriptors the driver tacked on. */
TEST(vsock_tx_layouts_split_anywhere_or_with_a_writable_tail_carry_exactly_len_bytes)
{
	static const char msg[] = "0123456789abcdef";
	const uint64_t g = SCRATCH;
	struct seg s[VSOCK_HDR_SIZE + 3];
	struct vsock_hdr h = vd_hdr(VSOCK_OP_RW, 1400, HOST_PORT);
	struct vdrv t;
	int fd;

	vd_setup(&t);
	fd = vd_connect(&t, 1400);
	h.len = 16;
	vsock_pkt_encode(&h, gmem_ptr(&t.mem, g, VSOCK_HDR_SIZE));
	CHECK_EQ(gmem_write(&t.mem, g + VSOCK_HDR_SIZE, msg, 16), 0);
	/* Header and payload in one descriptor. */
	vd_tx(&t, (struct seg[]){ { g, VSOCK_HDR_SIZE + 16, false } }, 1);
	host_expect(fd, msg, 16);
	/* The header a byte per descriptor, the payload in pieces with an
	 * empty descriptor among them. */
	for (unsigned int i = 0; i < VSOCK_HDR_SIZE; i++)
		s[i] = (struct seg){ g + i, 1, false };
	s[VSOCK_HDR_SIZE] = (struct seg){ g + VSOCK_HDR_SIZE, 5, false };
	s[VSOCK_HDR_SIZE + 1] = (struct seg){ g + VSOCK_HDR_SIZE + 5, 0, false };
	s[VSOCK_HDR_SIZE + 2] = (struct seg){ g + VSOCK_HDR_SIZE + 5, 11, false };
	vd_tx(&t, s, VSOCK_HDR_SIZE + 3);
	host_expect(fd, msg, 16);
	/* len 3 of the 16 bytes given: the other 13 are no data. */
	h.len = 3;
	vsock_pkt_encode(&h, gmem_ptr(&t.mem, g, VSOCK_HDR_SIZE));
	vd_tx(&t, (struct seg[]){ { g, VSOCK_HDR_SIZE, false },
				  { g + VSOCK_HDR_SIZE, 16, false } }, 2);
	host_expect(fd, msg, 3);
	/* A device-writable tail after the packet. */
	h.len = 16;
	vsock_pkt_encode(&h, gmem_ptr(&t.mem, g, VSOCK_HDR_SIZE));
	memset(gmem_ptr(&t.mem, g + 0x1000, 256), 0xee, 256);
	vd_tx(&t, (struct seg[]){ { g, VSOCK_HDR_SIZE, false }, { g + VSOCK_HDR_SIZE, 16, false },
				  { g + 0x1000, 256, true } }, 3);
	host_expect(fd, msg, 16); /* in order after the 3: the 13 never went */
	CHECK(ram_is(&t, g + 0x1000, 256, 0xee));
	CHECK(host_quiet(fd, 20));
	vd_close(&t, 1400, fd);
	vd_probe(&t);
	vd_teardown(&t);
}

/* A len beyond the readable bytes after the header, beyond the 64 KiB a
 * packet may carry, or on an op without payload (§5.10.6.3: only RW has
 * one) is refused: answered with RST where there is no connection, and a
 * live stream it was meant for is reset at both ends with none of its bytes
 * delivered. Exactly the limit still goes through. */
TEST(vsock_tx_len_beyond_the_bytes_given_or_the_limit_is_refused_and_resets_its_stream)
{
	static uint8_t big[VSOCK_MAX_PAYLOAD + 1];
	struct vsock_hdr h, r;
	struct vsock_mux_stats st;
	struct vdrv t;
	uint64_t g;
	int fd;

	vd_setup(&t);
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 7 + i / 251);
	h = vd_hdr(VSOCK_OP_RW, 1500, HOST_PORT);
	h.len = 100;
	vd_send(&t, &h, "x", 1);
	h.len = UINT32_MAX;
	vd_send(&t, &h, "x", 1);
	h.len = VSOCK_MAX_PAYLOAD + 1;
	vd_send(&t, &h, big, VSOCK_MAX_PAYLOAD + 1);
	h = vd_hdr(VSOCK_OP_REQUEST, 1500, HOST_PORT);
	h.len = 5;
	vd_send(&t, &h, "hello", 5);
	vd_give_rx(&t, 4);
	for (int i = 0; i < 4; i++)
		vd_expect_rst(&t, HOST_PORT, 1500);
	CHECK(vd_no_host_conn(&t));
	st = vd_stats(&t);
	CHECK_EQ(st.dropped[VSOCK_PKT_BAD_LEN], 4);
	CHECK_EQ(st.opened, 0);

	/* On a live stream: len 100, 10 bytes given. */
	fd = vd_connect(&t, 1501);
	h = vd_hdr(VSOCK_OP_RW, 1501, HOST_PORT);
	h.len = 100;
	vd_send(&t, &h, "0123456789", 10);
	CHECK(host_eof(fd)); /* EOF first: not one of the 10 bytes */
	close(fd);
	vd_give_rx(&t, 1);
	vd_expect_rst(&t, HOST_PORT, 1501);

	/* The payload device-writable: no payload given at all. */
	fd = vd_connect(&t, 1502);
	h = vd_hdr(VSOCK_OP_RW, 1502, HOST_PORT);
	h.len = 10;
	g = vd_tx_gpa(&t);
	vsock_pkt_encode(&h, gmem_ptr(&t.mem, g, VSOCK_HDR_SIZE));
	CHECK_EQ(gmem_write(&t.mem, g + 0x100, "0123456789", 10), 0);
	vd_tx(&t, (struct seg[]){ { g, VSOCK_HDR_SIZE, false }, { g + 0x100, 10, true } }, 2);
	CHECK(host_eof(fd));
	close(fd);
	vd_give_rx(&t, 1);
	vd_expect_rst(&t, HOST_PORT, 1502);

	/* Exactly VSOCK_MAX_PAYLOAD: delivered, and counted in the credit the
	 * device tells on request (§5.10.6.3). */
	fd = vd_connect(&t, 1503);
	h = vd_hdr(VSOCK_OP_RW, 1503, HOST_PORT);
	h.len = VSOCK_MAX_PAYLOAD;
	vd_send(&t, &h, big, VSOCK_MAX_PAYLOAD);
	host_expect(fd, big, VSOCK_MAX_PAYLOAD);
	h = vd_hdr(VSOCK_OP_CREDIT_REQUEST, 1503, HOST_PORT);
	vd_send(&t, &h, NULL, 0);
	vd_give_rx(&t, 1);
	vd_recv(&t, &r, NULL, 0);
	CHECK_EQ(r.op, VSOCK_OP_CREDIT_UPDATE);
	CHECK_EQ(r.dst_port, 1503);
	CHECK_EQ(r.fwd_cnt, VSOCK_MAX_PAYLOAD);
	vd_close(&t, 1503, fd);

	st = vd_stats(&t);
	CHECK_EQ(st.dropped[VSOCK_PKT_BAD_LEN], 6);
	CHECK_EQ(dropped_total(&st), 6);
	vd_probe(&t);
	vd_still_works(&t, 1504);
	vd_teardown(&t);
}

/* §5.10.6: type is STREAM or SEQPACKET and op one of seven. Anything else
 * from the guest's own address is answered with RST; on a live stream
 * (also a known type that is not the stream's) it resets the stream. */
TEST(vsock_tx_unknown_type_or_op_gets_rst_and_resets_a_live_stream)
{
	static const uint16_t types[] = { 0, VSOCK_TYPE_SEQPACKET + 1, 0xffff };
	static const uint16_t ops[] = { VSOCK_OP_INVALID, VSOCK_OP_CREDIT_REQUEST + 1, 0xffff };
	struct vsock_mux_stats st;
	struct vsock_hdr h;
	struct vdrv t;
	int fd;

	vd_setup(&t);
	for (size_t i = 0; i < ARRAY_LEN(types); i++) {
		h = vd_hdr(VSOCK_OP_REQUEST, 1600, HOST_PORT);
		h.type = types[i];
		vd_send(&t, &h, NULL, 0);
	}
	for (size_t i = 0; i < ARRAY_LEN(ops); i++) {
		h = vd_hdr(ops[i], 1600, HOST_PORT);
		vd_send(&t, &h, NULL, 0);
	}
	/* SEQPACKET is a type, but not that port's. */
	h = vd_hdr(VSOCK_OP_REQUEST, 1600, HOST_PORT);
	h.type = VSOCK_TYPE_SEQPACKET;
	vd_send(&t, &h, NULL, 0);
	vd_give_rx(&t, 7);
	for (int i = 0; i < 7; i++)
		vd_expect_rst(&t, HOST_PORT, 1600);
	CHECK(vd_no_host_conn(&t));
	st = vd_stats(&t);
	CHECK_EQ(st.dropped[VSOCK_PKT_BAD_TYPE], 3);
	CHECK_EQ(st.dropped[VSOCK_PKT_BAD_OP], 3);
	CHECK_EQ(st.refused, 1);
	CHECK_EQ(st.opened, 0);

	fd = vd_connect(&t, 1601);
	h = vd_hdr(0x99, 1601, HOST_PORT);
	vd_send(&t, &h, NULL, 0);
	CHECK(host_eof(fd));
	close(fd);
	vd_give_rx(&t, 1);
	vd_expect_rst(&t, HOST_PORT, 1601);

	fd = vd_connect(&t, 1602);
	h = vd_hdr(VSOCK_OP_RW, 1602, HOST_PORT);
	h.type = VSOCK_TYPE_SEQPACKET;
	h.len = 4;
	vd_send(&t, &h, "data", 4);
	CHECK(host_eof(fd)); /* and not the 4 bytes */
	close(fd);
	vd_give_rx(&t, 1);
	vd_expect_rst(&t, HOST_PORT, 1602);

	vd_probe(&t);
	vd_still_works(&t, 1603);
	vd_teardown(&t);
}

/* §5.10.6.1 (the device checks src_cid): a packet not from the guest's CID
 * speaks for someone else, so it is dropped with no answer. One from the
 * guest but not to the host is refused with RST to the guest. Neither
 * touches a live stream whose ports it carries. */
TEST(vsock_tx_wrong_cids_are_dropped_or_refused_and_leave_streams_alone)
{
	static const uint64_t srcs[] = { VSOCK_HOST_CID, 0, VSOCK_GUEST_CID + 1, UINT64_MAX,
					 VSOCK_GUEST_CID | 1ULL << 32 };
	static const uint64_t dsts[] = { VSOCK_GUEST_CID, 1, 0xffffffffULL,
					 VSOCK_HOST_CID | 1ULL << 32 };
	struct vsock_mux_stats st;
	struct vsock_hdr h;
	struct vdrv t;
	int fd;

	vd_setup(&t);
	for (size_t i = 0; i < ARRAY_LEN(srcs); i++) {
		h = vd_hdr(VSOCK_OP_REQUEST, 1700, HOST_PORT);
		h.src_cid = srcs[i];
		vd_send(&t, &h, NULL, 0);
	}
	st = vd_stats(&t);
	CHECK_EQ(st.dropped[VSOCK_PKT_SPOOFED], ARRAY_LEN(srcs));
	CHECK(vd_no_host_conn(&t));
	vd_probe(&t); /* no RST was owed for them */

	for (size_t i = 0; i < ARRAY_LEN(dsts); i++) {
		h = vd_hdr(VSOCK_OP_REQUEST, 1701, HOST_PORT);
		h.dst_cid = dsts[i];
		vd_send(&t, &h, NULL, 0);
	}
	vd_give_rx(&t, ARRAY_LEN(dsts));
	for (size_t i = 0; i < ARRAY_LEN(dsts); i++)
		vd_expect_rst(&t, HOST_PORT, 1701);
	st = vd_stats(&t);
	CHECK_EQ(st.dropped[VSOCK_PKT_BAD_DST], ARRAY_LEN(dsts));
	CHECK(vd_no_host_conn(&t));

	fd = vd_connect(&t, 1702);
	h = vd_hdr(VSOCK_OP_RW, 1702, HOST_PORT);
	h.len = 5;
	h.src_cid = VSOCK_HOST_CID;
	vd_send(&t, &h, "spoof", 5);
	h.src_cid = VSOCK_GUEST_CID;
	h.dst_cid = VSOCK_GUEST_CID;
	vd_send(&t, &h, "wrong", 5);
	vd_give_rx(&t, 1);
	vd_expect_rst(&t, HOST_PORT, 1702); /* for the misaddressed one */
	h.dst_cid = VSOCK_HOST_CID;
	vd_send(&t, &h, "right", 5);
	host_expect(fd, "right", 5); /* the first bytes: the others never went */
	CHECK(host_quiet(fd, 20));
	vd_close(&t, 1702, fd);
	vd_probe(&t);
	vd_still_works(&t, 1703);
	vd_teardown(&t);
}

/* §5.10.6.4: a packet for no connection gets RST, except an RST (two peers
 * would answer each other for ever). A RW among them carries no byte to any
 * host socket, and a live stream is untouched by packets whose ports differ
 * from its own in either half. */
TEST(vsock_tx_packets_for_no_connection_get_rst_and_reach_no_host)
{
	static const uint16_t ops[] = { VSOCK_OP_RESPONSE, VSOCK_OP_SHUTDOWN, VSOCK_OP_RW,
					VSOCK_OP_CREDIT_UPDATE, VSOCK_OP_CREDIT_REQUEST };
	struct vsock_mux_stats st;
	struct vsock_hdr h;
	struct vdrv t;
	int fd;

	vd_setup(&t);
	for (uint32_t i = 0; i < ARRAY_LEN(ops); i++) {
		h = vd_hdr(ops[i], 1800 + i, HOST_PORT);
		h.len = ops[i] == VSOCK_OP_RW ? 4 : 0;
		vd_send(&t, &h, "data", h.len);
	}
	h = vd_hdr(VSOCK_OP_RST, 1810, HOST_PORT);
	vd_send(&t, &h, NULL, 0);
	vd_give_rx(&t, ARRAY_LEN(ops));
	for (uint32_t i = 0; i < ARRAY_LEN(ops); i++)
		vd_expect_rst(&t, HOST_PORT, 1800 + i);
	st = vd_stats(&t);
	CHECK_EQ(st.no_conn, ARRAY_LEN(ops) + 1);
	CHECK_EQ(st.opened, 0);
	CHECK(vd_no_host_conn(&t));
	vd_probe(&t); /* and none for the RST */

	fd = vd_connect(&t, 1820);
	h = vd_hdr(VSOCK_OP_RW, 1821, HOST_PORT);
	h.len = 4;
	vd_send(&t, &h, "evil", 4);
	h = vd_hdr(VSOCK_OP_RW, 1820, HOST_PORT + 1);
	h.len = 4;
	vd_send(&t, &h, "evil", 4);
	vd_give_rx(&t, 2);
	vd_expect_rst(&t, HOST_PORT, 1821);
	vd_expect_rst(&t, HOST_PORT + 1, 1820);
	CHECK(host_quiet(fd, 20));
	vd_close(&t, 1820, fd);
	/* Closed by the guest, its ports are no connection either. */
	h = vd_hdr(VSOCK_OP_RW, 1820, HOST_PORT);
	h.len = 4;
	vd_send(&t, &h, "late", 4);
	vd_give_rx(&t, 1);
	vd_expect_rst(&t, HOST_PORT, 1820);
	vd_probe(&t);
	vd_still_works(&t, 1822);
	vd_teardown(&t);
}

/* §5.10.6.2: the driver gives the device writable buffers to fill. One
 * with no writable byte, fewer than a header, outside RAM, or a header's
 * worth only past the VSOCK_RX_MAX_IOV segments the device uses is given
 * back empty and untouched, and the packet goes to the next good buffer. A
 * readable part before the writable one is skipped, not written. */
TEST(vsock_rx_buffers_read_only_too_small_or_outside_ram_are_returned_empty)
{
	const uint64_t s = SCRATCH;
	struct seg tiny[VSOCK_RX_MAX_IOV + 1];
	struct vsock_hdr h, r;
	uint16_t heads[6], id;
	uint64_t g;
	uint8_t pkt[3 * VSOCK_RX_MAX_IOV];
	char buf[16];
	struct vdrv t;
	int fd;

	vd_setup(&t);
	memset(gmem_ptr(&t.mem, s, 0x10000), 0xee, 0x10000);
	heads[0] = vd_post(&t, VSOCK_RXQ, (struct seg[]){ { s, 4096, false } }, 1);
	heads[1] = vd_post(&t, VSOCK_RXQ,
			   (struct seg[]){ { s + 0x2000, VSOCK_HDR_SIZE - 1, true } }, 1);
	heads[2] = vd_post(&t, VSOCK_RXQ, (struct seg[]){ { s + 0x3000, 0, true } }, 1);
	heads[3] = vd_post(&t, VSOCK_RXQ, (struct seg[]){ { RAM_SIZE - 20, 4096, true } }, 1);
	for (unsigned int i = 0; i < VSOCK_RX_MAX_IOV; i++)
		tiny[i] = (struct seg){ s + 0x4000 + 0x10 * i, 2, true };
	tiny[VSOCK_RX_MAX_IOV] = (struct seg){ s + 0x5000, 4096, true };
	heads[4] = vd_post(&t, VSOCK_RXQ, tiny, VSOCK_RX_MAX_IOV + 1);
	heads[5] = vd_post(&t, VSOCK_RXQ, (struct seg[]){ { s + 0x6000, VSOCK_HDR_SIZE, false },
							  { s + 0x7000, 4096, true } }, 2);
	vd_kick(&t, VSOCK_RXQ);
	CHECK(!vd_wait_used(&t, VSOCK_RXQ, 30)); /* nothing owed: they wait */

	h = vd_hdr(VSOCK_OP_REQUEST, PROBE_PORT, NO_PORT);
	vd_send(&t, &h, NULL, 0);
	for (int i = 0; i < 5; i++) {
		CHECK_EQ(vd_take_used(&t, VSOCK_RXQ, &id), 0);
		CHECK_EQ(id, heads[i]);
	}
	CHECK_EQ(vd_take_used(&t, VSOCK_RXQ, &id), VSOCK_HDR_SIZE);
	CHECK_EQ(id, heads[5]);
	vsock_pkt_decode(gmem_ptr(&t.mem, s + 0x7000, VSOCK_HDR_SIZE), &r);
	CHECK_EQ(r.op, VSOCK_OP_RST);
	CHECK_EQ(r.src_port, NO_PORT);
	CHECK_EQ(r.dst_port, PROBE_PORT);
	CHECK_EQ(r.dst_cid, VSOCK_GUEST_CID);
	CHECK(ram_is(&t, s, 0x7000, 0xee));
	CHECK(ram_is(&t, s + 0x7000 + VSOCK_HDR_SIZE, 0x9000 - VSOCK_HDR_SIZE, 0xee));
	CHECK_EQ(t.d->vq[VSOCK_RXQ].bad_chains, 1);
	vd_probe(&t);

	/* Room for a header only, while host bytes wait (Linux never gives
	 * one): it takes a credit update, and the bytes the next buffer. */
	fd = vd_connect(&t, 1900);
	CHECK_EQ(write(fd, "data", 4), 4);
	g = RXBUF + t.next_desc[VSOCK_RXQ] * SLOT;
	vd_post(&t, VSOCK_RXQ, (struct seg[]){ { g, VSOCK_HDR_SIZE, true } }, 1);
	vd_give_rx(&t, 1);
	vd_recv(&t, &r, NULL, 0);
	CHECK_EQ(r.op, VSOCK_OP_CREDIT_UPDATE);
	CHECK_EQ(r.dst_port, 1900);
	vd_recv(&t, &r, buf, sizeof(buf));
	CHECK_EQ(r.op, VSOCK_OP_RW);
	CHECK_EQ(r.len, 4);
	CHECK(!memcmp(buf, "data", 4));

	/* VSOCK_RX_MAX_IOV segments of 3 bytes, then more room the device does
	 * not use: the header and 4 payload bytes scattered over the 16, the
	 * other bytes in the next buffer. */
	for (unsigned int i = 0; i < VSOCK_RX_MAX_IOV; i++)
		tiny[i] = (struct seg){ s + 0x8000 + 0x10 * i, 3, true };
	tiny[VSOCK_RX_MAX_IOV] = (struct seg){ s + 0x9000, 4096, true };
	heads[0] = vd_post(&t, VSOCK_RXQ, tiny, VSOCK_RX_MAX_IOV + 1);
	CHECK_EQ(write(fd, "0123456789", 10), 10);
	vd_give_rx(&t, 1);
	CHECK_EQ(vd_take_used(&t, VSOCK_RXQ, &id), VSOCK_HDR_SIZE + 4);
	CHECK_EQ(id, heads[0]);
	for (unsigned int i = 0; i < VSOCK_RX_MAX_IOV; i++)
		memcpy(pkt + 3 * i, gmem_ptr(&t.mem, s + 0x8000 + 0x10 * i, 3), 3);
	vsock_pkt_decode(pkt, &r);
	CHECK_EQ(r.op, VSOCK_OP_RW);
	CHECK_EQ(r.len, 4);
	CHECK(!memcmp(pkt + VSOCK_HDR_SIZE, "0123", 4));
	CHECK(ram_is(&t, s + 0x9000, 4096, 0xee));
	vd_recv(&t, &r, buf, sizeof(buf));
	CHECK_EQ(r.op, VSOCK_OP_RW);
	CHECK_EQ(r.len, 6);
	CHECK(!memcmp(buf, "456789", 6));
	vd_close(&t, 1900, fd);
	vd_probe(&t);
	vd_still_works(&t, 1901);
	vd_teardown(&t);
}

/* The device keeps event-queue buffers for events it never sends (vsock.h:
 * the guest's CID never changes, §5.10.6.7). Whatever the driver puts there
 * and however it kicks, nothing is read, written or completed, and kicks
 * for queues that do not exist (§4.2.2: QueueNotify is a queue index) are
 * ignored. */
TEST(vsock_event_queue_junk_and_bogus_kicks_are_left_alone)
{
	const uint64_t s = SCRATCH;
	const struct timespec settle = { 0, 30000000L };
	uint16_t *avail;
	struct vdrv t;

	vd_setup(&t);
	memset(gmem_ptr(&t.mem, s, 0x1000), 0xee, 0x1000);
	vd_post(&t, VSOCK_EVQ, (struct seg[]){ { s, 4, false } }, 1); /* read-only */
	/* Shorter than struct virtio_vsock_event; outside RAM; overlapping. */
	vd_post(&t, VSOCK_EVQ, (struct seg[]){ { s + 0x100, 2, true } }, 1);
	vd_post(&t, VSOCK_EVQ, (struct seg[]){ { RAM_SIZE + 0x1000, 4, true } }, 1);
	vd_post(&t, VSOCK_EVQ, (struct seg[]){ { s + 0x200, 4, true }, { s + 0x200, 4, true } }, 2);
	vd_post(&t, VSOCK_EVQ, (struct seg[]){ { s + 0x300, 4, true } }, 1); /* a good one */
	for (int i = 0; i < 3; i++)
		vd_kick(&t, VSOCK_EVQ);
	vd_kick(&t, VSOCK_NUM_QUEUES);
	vd_kick(&t, VIRTIO_MAX_QUEUES);
	vd_kick(&t, UINT32_MAX);
	nanosleep(&settle, NULL);
	CHECK_EQ(vd_used_idx(&t, VSOCK_EVQ), 0);
	CHECK(ram_is(&t, s, 0x1000, 0xee));
	vd_probe(&t);

	/* Then an avail index far past what was made available. */
	avail = gmem_ptr(&t.mem, RING + VSOCK_EVQ * 0x1000ULL + 0x400, 4);
	__atomic_store_n(&avail[1], (uint16_t)(t.avail[VSOCK_EVQ] + 1000), __ATOMIC_RELEASE);
	vd_kick(&t, VSOCK_EVQ);
	nanosleep(&settle, NULL);
	CHECK_EQ(vd_used_idx(&t, VSOCK_EVQ), 0);
	vd_still_works(&t, 2000);
	CHECK(ram_is(&t, s, 0x1000, 0xee));
	vd_teardown(&t);
}

/* §5.10.4: the config space is le64 guest_cid, read-only. Reads of any
 * width inside it give the CID's bytes, reads past it give zeros, and
 * writes change nothing. */
TEST(vsock_config_space_reads_bounded_and_writes_ignored)
{
	uint64_t v8 = 0, seven = 7;
	uint32_t v4 = 0xdeadbeef;
	uint8_t v1 = 0xee;
	struct vdrv t;

	vd_setup(&t);
	virtio_mmio_write(t.d, VIRTIO_MMIO_CONFIG, &seven, 8);
	virtio_mmio_write(t.d, VIRTIO_MMIO_CONFIG + 4, &seven, 4);
	virtio_mmio_write(t.d, VIRTIO_MMIO_CONFIG + 7, &seven, 8);
	virtio_mmio_read(t.d, VIRTIO_MMIO_CONFIG, &v8, 8);
	CHECK_EQ(v8, VSOCK_GUEST_CID);
	virtio_mmio_read(t.d, VIRTIO_MMIO_CONFIG + 4, &v4, 4);
	CHECK_EQ(v4, 0);
	virtio_mmio_read(t.d, VIRTIO_MMIO_CONFIG, &v1, 1);
	CHECK_EQ(v1, VSOCK_GUEST_CID);
	v8 = ~0ULL;
	virtio_mmio_read(t.d, VIRTIO_MMIO_CONFIG + 1, &v8, 8); /* one byte past the end */
	CHECK_EQ(v8, 0);
	v4 = 0xdeadbeef;
	virtio_mmio_read(t.d, VIRTIO_MMIO_SIZE - 4, &v4, 4);
	CHECK_EQ(v4, 0);
	vd_probe(&t);
	vd_teardown(&t);
}

/* A TX packet that would open a host connection, posted and kicked: on a
 * device that failed nothing is completed and nothing reaches the host. */
static void dead_device_takes_nothing(struct vdrv *t)
{
	uint64_t g = vd_tx_gpa(t);

	put_request(t, g, 2100);
	vd_post(t, VSOCK_TXQ, (struct seg[]){ { g, VSOCK_HDR_SIZE, false } }, 1);
	vd_kick(t, VSOCK_TXQ);
	CHECK(!vd_wait_used(t, VSOCK_TXQ, 30));
	CHECK(vd_no_host_conn(t));
}

/* §2.7 and §4.2.3.2: a queue size of 0, not a power of two or past
 * QueueNumMax is not taken, and rings outside RAM or misaligned (16, 2, 4)
 * cannot be used; any of them on any queue, the event queue included,
 * fails the device at DRIVER_OK (§2.1.2: NEEDS_RESET and a configuration
 * change notification) until the driver resets it. QueueSel past the
 * device's queues reads 0 and writes nowhere; queue registers written after
 * DRIVER_OK are ignored; a device set up without its event queue works. */
TEST(vsock_queues_set_up_wrongly_fail_the_device_until_reset)
{
	const uint64_t R0 = RING, R1 = RING + 0x1000, R2 = RING + 0x2000;
	const struct {
		uint16_t q;
		uint32_t size;
		uint64_t desc, avail, used;
	} bad[] = {
		{ VSOCK_TXQ, 0, R1, R1 + 0x400, R1 + 0x800 },
		{ VSOCK_TXQ, 48, R1, R1 + 0x400, R1 + 0x800 },
		{ VSOCK_RXQ, VSOCK_QUEUE_SIZE * 2, R0, R0 + 0x400, R0 + 0x800 },
		{ VSOCK_RXQ, 0x10000 | QSZ, R0, R0 + 0x400, R0 + 0x800 },
		{ VSOCK_TXQ, QSZ, RAM_SIZE, R1 + 0x400, R1 + 0x800 },
		{ VSOCK_TXQ, QSZ, R1 | 1ULL << 40, R1 + 0x400, R1 + 0x800 },
		{ VSOCK_TXQ, QSZ, R1, R1 + 0x400, RAM_SIZE - 0x100 },
		{ VSOCK_TXQ, QSZ, R1 + 8, R1 + 0x400, R1 + 0x800 },
		{ VSOCK_RXQ, QSZ, R0, R0 + 0x401, R0 + 0x800 },
		{ VSOCK_RXQ, QSZ, R0, R0 + 0x400, R0 + 0x802 },
		{ VSOCK_EVQ, QSZ, UINT64_MAX - 0x3ff, R2 + 0x400, R2 + 0x800 },
	};
	static const uint32_t sels[] = { VSOCK_NUM_QUEUES, VIRTIO_MAX_QUEUES, UINT32_MAX };
	struct vdrv t;

	vd_setup_opts(&t, false);
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		vd_forget_rings(&t);
		vd_features(&t);
		for (uint16_t q = 0; q < VSOCK_NUM_QUEUES; q++) {
			uint64_t ring = RING + q * 0x1000ULL;

			t.qsz[q] = QSZ;
			if (q != bad[i].q)
				vd_queue(&t, q, QSZ, ring, ring + 0x400, ring + 0x800);
		}
		vd_queue(&t, bad[i].q, bad[i].size, bad[i].desc, bad[i].avail, bad[i].used);
		fake_mw(t.d, VIRTIO_MMIO_STATUS, 15);
		CHECK(fake_mr(t.d, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_NEEDS_RESET);
		CHECK(fake_mr(t.d, VIRTIO_MMIO_INTERRUPT_STATUS) & VIRTIO_INT_CONFIG);
		dead_device_takes_nothing(&t);
		fake_mw(t.d, VIRTIO_MMIO_STATUS, 0);
		CHECK_EQ(fake_mr(t.d, VIRTIO_MMIO_STATUS), 0);
	}

	vd_forget_rings(&t);
	vd_features(&t);
	for (size_t i = 0; i < ARRAY_LEN(sels); i++) {
		fake_mw(t.d, VIRTIO_MMIO_QUEUE_SEL, sels[i]);
		CHECK_EQ(fake_mr(t.d, VIRTIO_MMIO_QUEUE_NUM_MAX), 0);
		fake_mw(t.d, VIRTIO_MMIO_QUEUE_NUM, QSZ);
		fake_mw(t.d, VIRTIO_MMIO_QUEUE_DESC_LOW, RING);
		fake_mw(t.d, VIRTIO_MMIO_QUEUE_READY, 1);
		CHECK_EQ(fake_mr(t.d, VIRTIO_MMIO_QUEUE_READY), 0);
	}
	for (uint16_t q = 0; q < VSOCK_NUM_QUEUES; q++) {
		fake_mw(t.d, VIRTIO_MMIO_QUEUE_SEL, q);
		CHECK_EQ(fake_mr(t.d, VIRTIO_MMIO_QUEUE_NUM), 0);
		CHECK_EQ(fake_mr(t.d, VIRTIO_MMIO_QUEUE_READY), 0);
		CHECK_EQ(fake_mr(t.d, VIRTIO_MMIO_QUEUE_DESC_LOW), 0);
	}
	/* Only RX and TX: the event queue is left unset. */
	for (uint16_t q = VSOCK_RXQ; q <= VSOCK_TXQ; q++) {
		uint64_t ring = RING + q * 0x1000ULL;

		vd_queue(&t, q, QSZ, ring, ring + 0x400, ring + 0x800);
		t.qsz[q] = QSZ;
	}
	fake_mw(t.d, VIRTIO_MMIO_STATUS, 15);
	CHECK_EQ(fake_mr(t.d, VIRTIO_MMIO_STATUS), 15);
	vd_still_works(&t, 2101);
	vd_kick(&t, VSOCK_EVQ); /* not ready: ignored */

	/* After DRIVER_OK the rings do not move, shrink or stop. */
	vd_queue(&t, VSOCK_TXQ, 1, RAM_SIZE + 0x1000, 1, 3);
	fake_mw(t.d, VIRTIO_MMIO_QUEUE_READY, 0);
	CHECK_EQ(fake_mr(t.d, VIRTIO_MMIO_QUEUE_NUM), QSZ);
	CHECK_EQ(fake_mr(t.d, VIRTIO_MMIO_QUEUE_DESC_LOW), RING + VSOCK_TXQ * 0x1000);
	CHECK_EQ(fake_mr(t.d, VIRTIO_MMIO_QUEUE_READY), 1);
	vd_probe(&t);
	vd_still_works(&t, 2102);
	vd_teardown(&t);
}

/* §2.7.6: the avail index runs at most the queue size ahead of the
 * device's. More is a broken ring, which the device stops reading rather
 * than trust, until a reset; a broken RX queue leaves TX working, and the
 * reset forgets what was owed to the guest. */
TEST(vsock_avail_index_running_ahead_stops_that_queue_until_reset)
{
	struct vsock_hdr h = vd_hdr(VSOCK_OP_REQUEST, PROBE_PORT, NO_PORT);
	uint16_t *avail;
	struct vdrv t;

	vd_setup(&t);
	put_request(&t, TXBUF, 2200);
	vd_post(&t, VSOCK_TXQ, (struct seg[]){ { TXBUF, VSOCK_HDR_SIZE, false } }, 1);
	/* QSZ + 1 ahead of the device's index (0): the good chain is not taken. */
	avail = gmem_ptr(&t.mem, RING + VSOCK_TXQ * 0x1000ULL + 0x400, 4);
	__atomic_store_n(&avail[1], (uint16_t)(t.avail[VSOCK_TXQ] + QSZ), __ATOMIC_RELEASE);
	vd_kick(&t, VSOCK_TXQ);
	CHECK(!vd_wait_used(&t, VSOCK_TXQ, 30));
	CHECK(vd_no_host_conn(&t));
	fake_mw(t.d, VIRTIO_MMIO_STATUS, 0);
	vd_bringup(&t);
	vd_still_works(&t, 2201);

	avail = gmem_ptr(&t.mem, RING + VSOCK_RXQ * 0x1000ULL + 0x400, 4);
	__atomic_store_n(&avail[1], (uint16_t)(t.avail[VSOCK_RXQ] + QSZ + 1), __ATOMIC_RELEASE);
	vd_kick(&t, VSOCK_RXQ);
	vd_send(&t, &h, NULL, 0); /* TX still completes; its RST cannot go */
	CHECK(!vd_wait_used(&t, VSOCK_RXQ, 30));
	fake_mw(t.d, VIRTIO_MMIO_STATUS, 0);
	vd_bringup(&t);
	vd_probe(&t); /* the first RST is the probe's own */
	vd_still_works(&t, 2202);
	vd_teardown(&t);
}

/* A guest that sends to ports with no service and never reads: the RSTs it
 * is owed fill the device's ring (VSOCK_RST_RING), then its TX queue waits
 * instead of the device growing or dropping answers (mux.h); as the guest
 * gives RX buffers every RST arrives in order and TX goes on. */
TEST(vsock_rst_flood_without_rx_buffers_throttles_tx_and_loses_nothing)
{
	struct vsock_mux_stats st;
	struct vsock_hdr h;
	uint16_t head, id;
	uint64_t g;
	struct vdrv t;

	vd_setup(&t);
	for (uint32_t i = 0; i < VSOCK_RST_RING; i++) {
		h = vd_hdr(VSOCK_OP_REQUEST, 3000 + i, NO_PORT);
		vd_send(&t, &h, NULL, 0);
	}
	h = vd_hdr(VSOCK_OP_REQUEST, 3000 + VSOCK_RST_RING, NO_PORT);
	g = vd_tx_gpa(&t);
	vsock_pkt_encode(&h, gmem_ptr(&t.mem, g, VSOCK_HDR_SIZE));
	head = vd_post(&t, VSOCK_TXQ, (struct seg[]){ { g, VSOCK_HDR_SIZE, false } }, 1);
	vd_kick(&t, VSOCK_TXQ);
	CHECK(!vd_wait_used(&t, VSOCK_TXQ, 30));
	for (uint32_t i = 0; i < VSOCK_RST_RING;) {
		uint32_t n = VSOCK_RST_RING - i < QSZ ? VSOCK_RST_RING - i : QSZ;

		vd_give_rx(&t, n);
		for (uint32_t k = 0; k < n; k++, i++)
			vd_expect_rst(&t, NO_PORT, 3000 + i);
	}
	CHECK_EQ(vd_take_used(&t, VSOCK_TXQ, &id), 0);
	CHECK_EQ(id, head);
	vd_give_rx(&t, 1);
	vd_expect_rst(&t, NO_PORT, 3000 + VSOCK_RST_RING);
	st = vd_stats(&t);
	CHECK_EQ(st.rst_lost, 0);
	CHECK_EQ(st.refused, VSOCK_RST_RING + 1);
	vd_probe(&t);
	vd_still_works(&t, 3100);
	vd_teardown(&t);
}

/* §5.10.6 (vsock.h): a device reset ends every connection, host ends see
 * EOF, RX buffers the device held are the driver's again (§2.7.8: one it
 * held from the old ring and gave back into the new one would fail
 * vd_take_used's in-flight check), and after the next bring-up the old ports
 * are no connection and new ones work. */
TEST(vsock_reset_with_live_streams_and_held_buffers_then_works_again)
{
	static uint8_t data[5000];
	struct vsock_hdr h, r;
	struct vdrv t;
	int fd1, fd2;

	vd_setup(&t);
	fd1 = vd_connect(&t, 2300);
	fd2 = vd_connect(&t, 2301);
	memset(data, 'd', sizeof(data));
	/* 5000 host bytes into 16 buffers: two filled, the rest held. */
	CHECK_EQ(write(fd2, data, sizeof(data)), (ssize_t)sizeof(data));
	vd_give_rx(&t, 16);
	vd_recv(&t, &r, NULL, 0);
	CHECK_EQ(r.op, VSOCK_OP_RW);
	vd_recv(&t, &r, NULL, 0);
	CHECK_EQ(r.op, VSOCK_OP_RW);
	CHECK_EQ(r.len, sizeof(data) - 4096);
	CHECK(!vd_wait_used(&t, VSOCK_RXQ, 20));

	fake_mw(t.d, VIRTIO_MMIO_STATUS, 0);
	CHECK(host_eof(fd1));
	CHECK(host_eof(fd2));
	close(fd1);
	close(fd2);
	vd_bringup(&t);
	h = vd_hdr(VSOCK_OP_RW, 2300, HOST_PORT);
	h.len = 4;
	vd_send(&t, &h, "late", 4);
	vd_give_rx(&t, 1);
	vd_expect_rst(&t, HOST_PORT, 2300);
	vd_probe(&t);
	vd_still_works(&t, 2302);
	vd_teardown(&t);
}

/* §2.7: one entry is a legal queue size; every chain is then a single
 * descriptor and the rings wrap at each packet. */
TEST(vsock_one_entry_queues_still_carry_packets)
{
	struct vsock_hdr h = vd_hdr(VSOCK_OP_RW, 2400, HOST_PORT), r;
	char buf[16];
	uint64_t g;
	struct vdrv t;
	int fd;

	vd_setup_opts(&t, false);
	vd_bringup_size(&t, 1);
	fd = vd_connect(&t, 2400);
	h.len = 5;
	g = vd_tx_gpa(&t);
	vsock_pkt_encode(&h, gmem_ptr(&t.mem, g, VSOCK_HDR_SIZE));
	CHECK_EQ(gmem_write(&t.mem, g + VSOCK_HDR_SIZE, "hello", 5), 0);
	vd_tx(&t, (struct seg[]){ { g, VSOCK_HDR_SIZE + 5, false } }, 1);
	host_expect(fd, "hello", 5);
	CHECK_EQ(write(fd, "back", 4), 4);
	vd_give_rx(&t, 1);
	vd_recv(&t, &r, buf, sizeof(buf));
	CHECK_EQ(r.op, VSOCK_OP_RW);
	CHECK_EQ(r.len, 4);
	CHECK(!memcmp(buf, "back", 4));
	vd_close(&t, 2400, fd);
	vd_probe(&t);
	vd_teardown(&t);
}
