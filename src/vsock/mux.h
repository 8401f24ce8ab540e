/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The vsock muxer: stream connections between the guest (CID 3) and host fds,
 * with the credit-based flow control of virtio 1.2 §5.10.6.3, apart from any
 * virtqueue so that it can be driven without a VM.
 *
 * A connection is keyed by (host port, guest port). It is born either from a
 * guest REQUEST to a host port that has a service (struct vsock_service_ops:
 * the service turns the request into a non-blocking host fd), or from a host
 * fd accepted on a listener (vsock_mux_add_listener: the muxer sends the guest
 * a REQUEST to the listener's guest port from a fresh host port). Either way
 * the bytes then flow between the guest and that one fd.
 *
 * A setup service (TSI, src/tsi/) answers the guest's REQUEST at once and
 * reads a fixed-size setup header as the stream's first bytes; its setup()
 * then opens a host fd (a connect, maybe in progress) or a listener. The
 * stream back starts with an 8-byte status, struct vsock_setup_status, sent
 * once the host connect finished; a failed setup sends the status with the
 * errno and then RST. A listener made so lives as long as the stream that
 * asked for it, and each of its clients' streams starts with a prefix the
 * service makes from the client's address.
 *
 * Bounds against a hostile guest (every one counted in struct vsock_mux_stats):
 * - at most VSOCK_MUX_MAX_CONNS connections; a REQUEST beyond gets RST;
 * - a connection buffers at most VSOCK_BUF_ALLOC guest bytes that its host fd
 *   did not take yet: that is the buf_alloc we advertise, and a guest that
 *   sends past its credit is reset (so memory <= MAX_CONNS * BUF_ALLOC);
 * - host bytes are read only into an RX buffer the guest gave and only within
 *   the guest's credit, so a slow guest leaves them in the host socket;
 * - RSTs owed for packets of no connection wait in a ring of VSOCK_RST_RING;
 *   while it is full the TX queue is not popped (the guest throttles itself);
 * - optional caps (vsock_mux_limit_service, vsock_mux_set_limits) on what one
 *   service's streams, setup services' listeners and their clients may hold
 *   of the table, so that no one kind takes every slot.
 *
 * Threads: every function takes the muxer's lock; the guest ops are called
 * with it held (on the thread that called in). With a loop, host fd readiness
 * is served on the loop thread (the muxer's own epoll fd is registered there).
 * vsock_mux_set_active may come from a vCPU thread (device reset): it never
 * waits for the loop.
 */
#ifndef LIBKRUN_VSOCK_MUX_H
#define LIBKRUN_VSOCK_MUX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "vsock/pkt.h"

#define VSOCK_MUX_MAX_CONNS 512
#define VSOCK_BUF_ALLOC (256u * 1024u) /* our receive window per connection */
#define VSOCK_RST_RING 64
#define VSOCK_MAX_IOV 256 /* segments of one packet seen; Linux uses 2 */
#define VSOCK_RX_MAX_IOV 16 /* segments of an RX buffer used; the rest unwritten */
#define VSOCK_RX_BATCH 16   /* RX buffers one host read may fill */

struct evloop;
struct vsock_mux;

/* A packet the guest queued: its header bytes (hdr_len < 44 when the guest
 * gave fewer) and the readable bytes after them. */
struct vsock_txpkt {
	uint8_t hdr[VSOCK_HDR_SIZE];
	size_t hdr_len;
	struct iovec iov[VSOCK_MAX_IOV];
	unsigned int niov;
	size_t payload_len; /* sum of iov lengths */
};

/* A buffer the guest gave for one packet to it: cap writable bytes, >= 44. */
struct vsock_rxbuf {
	struct iovec iov[VSOCK_RX_MAX_IOV];
	unsigned int niov;
	size_t cap;
};

/* The guest side (the device's queues). Called with the muxer's lock held. */
struct vsock_guest_ops {
	/* Next TX packet into *p: 1, or 0 when the guest queued none. */
	int (*tx_pop)(void *opaque, struct vsock_txpkt *p);
	/* The packet from the last tx_pop is consumed: give its buffer back. */
	void (*tx_done)(void *opaque);
	/* The RX buffer nth in line (0: the next rx_push fills it; nth <
	 * VSOCK_RX_BATCH), kept by the guest side until pushed, and *b valid
	 * until then: 1, or 0 when the guest gave fewer. Peeking further lets
	 * one host read fill several buffers. */
	int (*rx_peek)(void *opaque, unsigned int nth, struct vsock_rxbuf **b);
	/* The first buffer in line now holds a packet of len bytes. */
	void (*rx_push)(void *opaque, uint32_t len);
	/* End of a batch: interrupt the guest if anything was given back. */
	void (*notify)(void *opaque);
};

#define VSOCK_SETUP_MAX 128 /* bytes of a setup header */
#define VSOCK_PREFIX_MAX 32 /* bytes sent before a host fd's own */
#define VSOCK_MUX_MAX_LISTENERS 256

/* The first bytes back on a setup service's stream (little endian). */
struct vsock_setup_status {
	uint32_t err;   /* 0 or a positive errno */
	uint32_t value; /* connect: the host socket's local port; listen: the host port */
};

/* What a setup service's setup() made of a header. */
struct vsock_setup {
	int fd;           /* a connected or connecting non-blocking socket, or -1 */
	bool in_progress; /* fd's connect completes later (EPOLLOUT + SO_ERROR) */
	int listen_fd;    /* or a listening non-blocking socket, or -1 */
	uint32_t listen_guest_port; /* where its clients go in the guest */
	uint32_t value;   /* listen: the status's value */
	/* listen: the first bytes of each client's stream, from its address;
	 * returns their number (<= VSOCK_PREFIX_MAX). */
	size_t (*peer_prefix)(const void *sockaddr, uint32_t len, uint8_t *out);
};

struct sockaddr;

/* A host port the guest can connect to. */
struct vsock_service_ops {
	/* A guest at guest_port connects: returns a non-blocking host fd (the
	 * muxer owns it), with *in_progress set if its connect completes later
	 * (EPOLLOUT + SO_ERROR); or -errno, and the guest gets RST. */
	int (*connect)(void *arg, uint32_t guest_port, bool *in_progress);
	/* Or, with setup_len (1..VSOCK_SETUP_MAX): the header's bytes; fills
	 * *out (the muxer owns its fds) or returns -errno for the status. */
	size_t setup_len;
	int (*setup)(void *arg, uint32_t guest_port, const uint8_t *hdr, struct vsock_setup *out);
	/* A SEQPACKET setup service (TSI's UDP): the guest's first message is
	 * the setup header, setup() gives a datagram socket (never in progress),
	 * and the status is a message. Then each guest message of at most
	 * msg_max bytes goes to send_msg (a failure drops it, as UDP would), and
	 * recv_msg turns what fd has into the next message to the guest (length,
	 * -EAGAIN when none); it is called only while the guest has credit for
	 * msg_max bytes, so a guest that does not read leaves datagrams in fd. */
	bool seqpacket;
	size_t msg_max;
	int (*send_msg)(void *arg, int fd, const uint8_t *msg, size_t len);
	long (*recv_msg)(void *arg, int fd, uint8_t *buf, size_t cap);
	void (*release)(void *arg); /* at destroy; may be NULL */
};

struct vsock_mux_stats {
	uint64_t dropped[VSOCK_PKT_NVERDICTS]; /* packets refused by vsock_pkt_parse */
	uint64_t no_conn;          /* packets for no connection (answered with RST) */
	uint64_t refused;          /* REQUESTs refused: no service, full, connect failed */
	uint64_t protocol;         /* ops that do not fit the connection's state */
	uint64_t credit;           /* guests sending past their credit */
	uint64_t rst_sent, rst_lost;
	uint64_t opened, closed, live;
	uint64_t setups, setup_failed; /* setup headers handled, failed (status errno) */
	uint64_t msgs_to_host, msgs_to_guest, msgs_dropped; /* SEQPACKET services */
	uint64_t over_limit; /* streams and listeners refused for a cap (ENOBUFS or RST) */
	uint64_t to_host, to_guest; /* payload bytes */
};

/* loop may be NULL (tests): then call vsock_mux_poll when vsock_mux_fd is
 * readable. Returns NULL on error (logged). */
struct vsock_mux *vsock_mux_create(struct evloop *loop, const struct vsock_guest_ops *ops,
				   void *opaque);
/* Closes every connection and listener, releases services. Not from the loop. */
void vsock_mux_destroy(struct vsock_mux *m);

/* Before or while running. 0, -EEXIST (port taken), -ENOMEM. The service's
 * arg is released at destroy, also when adding fails. */
int vsock_mux_add_service(struct vsock_mux *m, uint32_t port, const struct vsock_service_ops *ops,
			  void *arg);
/*
 * Caps, beyond the table's: with max set, at most max streams of the guest to
 * port's service at once, in any state (a setup stream waiting for its
 * header counts). A REQUEST past it gets RST, except for a setup service: it
 * is answered, and once its header is in the status is ENOBUFS, as long as
 * at most VSOCK_MUX_OVER_LIMIT such streams are pending (the guest learns
 * why; beyond, RST). 0 or -ENOENT (no service there). Before or while running.
 */
#define VSOCK_MUX_OVER_LIMIT 16
int vsock_mux_limit_service(struct vsock_mux *m, uint32_t port, unsigned int max);

/*
 * The listeners of setup services (those a setup() returns) and their
 * clients: at most listeners of them at once (a setup past it gets ENOBUFS),
 * at most inbound clients' connections in all and inbound_per_listener per
 * listener; a listener at a cap takes no client until one ends (the rest
 * wait in its backlog). A client counts until its connection ends, also
 * after its listener closed. Not called: only the table bounds them.
 */
struct vsock_mux_limits {
	unsigned int listeners;
	unsigned int inbound;
	unsigned int inbound_per_listener;
};
void vsock_mux_set_limits(struct vsock_mux *m, const struct vsock_mux_limits *l);

/* fd: a listening, non-blocking socket; the muxer owns it (closed on error
 * too). Each accepted connection reaches the guest as a REQUEST to guest_port. */
int vsock_mux_add_listener(struct vsock_mux *m, int fd, uint32_t guest_port);
/* Connects the stream fd (non-blocking, connected: a socketpair end) to the
 * guest's guest_port, as an accepted listener client is: a REQUEST from a
 * fresh host port, then bytes both ways; a guest that refuses (RST) closes
 * fd, so its peer sees EOF. Takes fd, on error too. 0; -EBUSY (no free host
 * port or table slot, or the muxer is not active: the driver is not up). */
int vsock_mux_connect_guest(struct vsock_mux *m, int fd, uint32_t guest_port);

/* The driver is ready (DRIVER_OK) or reset: reset closes every connection
 * (host fds see EOF) and forgets owed packets; listeners wait in between. */
void vsock_mux_set_active(struct vsock_mux *m, bool active);

/* The guest kicked its TX queue / gave RX buffers. */
void vsock_mux_guest_tx(struct vsock_mux *m);
void vsock_mux_guest_rx(struct vsock_mux *m);

/* Serves host fds that are ready; the loop's handler. */
void vsock_mux_poll(struct vsock_mux *m);
int vsock_mux_fd(const struct vsock_mux *m);

void vsock_mux_get_stats(struct vsock_mux *m, struct vsock_mux_stats *s);

/* The VM ended (its vCPUs and the loop stopped): takes the TX packets the
 * guest still queued and writes what host fds did not take yet, waiting at
 * most timeout_ms for slow readers, then passes on guest half-closes. The
 * muxer is inactive afterwards; nothing more goes to the guest. */
void vsock_mux_drain(struct vsock_mux *m, int timeout_ms);

#endif
