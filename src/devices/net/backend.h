/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The host side of a virtio-net device: Ethernet frames to and from a
 * userspace network proxy, with no virtio in it (tested alone).
 *
 * Framings:
 *   NETBE_STREAM  a connected SOCK_STREAM unix socket, each frame after a
 *                 4-byte big-endian length (passt's and socket_vmnet's "qemu"
 *                 protocol, QEMU's -netdev stream);
 *   NETBE_DGRAM   one frame per read/write: a connected SOCK_DGRAM unix
 *                 socket (gvproxy, vfkit mode) or a tap fd (IFF_NO_PI).
 *
 * Memory is fixed at create: one receive buffer (NETBE_RX_BUF) and one frame
 * being sent (NETBE_TX_BUF). A frame the peer announces longer than
 * NETBE_FRAME_MAX, or shorter than an Ethernet header, is skipped byte by byte
 * without being stored, so a peer cannot make the VMM hold more.
 *
 * The fd is non-blocking; the caller polls it (EPOLLIN while it wants frames,
 * EPOLLOUT while netbe_tx_pending). Not locked: one thread at a time.
 */
#ifndef LIBKRUN_DEVICES_NET_BACKEND_H
#define LIBKRUN_DEVICES_NET_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NETBE_ETH_HLEN 14
#define NETBE_FRAME_MAX 65550 /* a 64 KiB IP packet, Ethernet and VLAN headers */
#define NETBE_LEN_BYTES 4     /* NETBE_STREAM's length prefix */
#define NETBE_RX_BUF (2 * (NETBE_FRAME_MAX + NETBE_LEN_BYTES))
#define NETBE_TX_BUF (NETBE_FRAME_MAX + NETBE_LEN_BYTES)

enum netbe_kind { NETBE_STREAM, NETBE_DGRAM };

struct netbe {
	int fd;
	enum netbe_kind kind;
	/* Receive: bytes [rx_head, rx_tail) of rx_buf not yet parsed; rx_skip
	 * bytes of a refused frame still to throw away (NETBE_STREAM). */
	uint8_t *rx_buf;
	size_t rx_head, rx_tail;
	uint64_t rx_skip;
	/* Send: one frame, framed, bytes [tx_done, tx_len) of tx_buf not written. */
	uint8_t *tx_buf;
	size_t tx_done, tx_len;
	uint64_t rx_refused; /* frames skipped for their length, for tests and logs */
};

/* Takes fd (closed by netbe_close, also on failure here); makes it non-blocking.
 * 0 or -errno. */
int netbe_open(struct netbe *b, int fd, enum netbe_kind kind);
void netbe_close(struct netbe *b);

/*
 * The next received frame: 1 with *frame and *len (valid until the next call),
 * 0 when no whole frame is there yet (would block), -EPIPE at the peer's end
 * of stream, or -errno of a failed read.
 */
int netbe_recv(struct netbe *b, const uint8_t **frame, size_t *len);

/* Where the next frame to send goes: room for NETBE_FRAME_MAX bytes. Only
 * while !netbe_tx_pending. */
uint8_t *netbe_tx_frame(struct netbe *b);
/* Sends the len bytes put at netbe_tx_frame (NETBE_ETH_HLEN..NETBE_FRAME_MAX):
 * 0 when all were written, -EAGAIN when some wait for netbe_tx_flush, else
 * -errno (the frame is dropped). */
int netbe_tx_send(struct netbe *b, size_t len);
/* Writes what a -EAGAIN left: 0 when done, -EAGAIN, or -errno (dropped). */
int netbe_tx_flush(struct netbe *b);
bool netbe_tx_pending(const struct netbe *b);

#endif
