/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vsock muxer internals, shared by
 *   mux.c        create/destroy, services, host fd readiness, the run loop
 *   mux_listen.c listeners: adding, removing, accepting host clients
 *   mux_limits.c the caps on what one guest holds (streams, listeners, clients)
 *   conn.c       the connection table, host ports, the work list, closing
 *   mux_guest.c  packets from the guest (the state machine of §5.10.6)
 *   mux_rx.c     packets to the guest: RSTs, control packets, host data
 *   conn_io.c    the host fd side of a connection: writes, the bounded buffer
 *
 * Everything here runs with mux.lock held.
 */
#ifndef LIBKRUN_VSOCK_MUX_PRIV_H
#define LIBKRUN_VSOCK_MUX_PRIV_H

#include <pthread.h>

#include "vsock/mux.h"

#define MUX_HASH_SIZE 1024 /* buckets, a power of two */
#define MUX_BUDGET 256     /* packets each way per run before yielding to the loop */
/* A credit update is sent once the guest's view of our fwd_cnt lags by this
 * much (§5.10.6.3: the receiver tells the sender about freed space). */
#define MUX_CREDIT_LAG (VSOCK_BUF_ALLOC / 4)
#define MUX_EPHEMERAL_FIRST 49152u /* host ports for listener connections */

/* What an epoll registration of the muxer points at. */
enum mux_watch_kind { WATCH_CONN, WATCH_LISTENER, WATCH_KICK };

struct mux_watch {
	enum mux_watch_kind kind;
};

enum conn_state {
	CONN_SETUP,       /* a setup service's header is being read; no fd */
	CONN_CONNECTING,  /* the service's connect completes later */
	CONN_REQUESTING,  /* REQUEST owed/sent to the guest, no RESPONSE yet */
	CONN_ESTABLISHED,
	CONN_CLOSING,     /* fd closed; only the RST to the guest is left */
};

/* Control packets a connection owes the guest (bits of conn.owe). */
#define OWE_RST 1u
#define OWE_REQUEST 2u
#define OWE_RESPONSE 4u
#define OWE_CREDIT 8u
#define OWE_SHUTDOWN 16u

struct vsock_conn {
	struct mux_watch watch; /* first: epoll data points here */
	struct vsock_mux *mux;
	uint32_t host_port, guest_port;
	int fd;                 /* -1 once closed */
	enum conn_state state;
	struct vsock_conn *hnext;         /* hash chain */
	struct vsock_conn *wprev, *wnext; /* work list */
	bool queued;                      /* on the work list */

	unsigned int owe;       /* OWE_* */
	uint32_t shut_flags;    /* flags of the owed SHUTDOWN */
	uint32_t guest_shut;    /* SHUTDOWN flags the guest sent, cumulative */
	bool readable, writable; /* edge-triggered readiness of fd */
	bool hup;               /* the host peer closed both ways */
	bool host_eof;          /* read EOF: SHUTDOWN(SEND) owed or sent */
	bool wr_shut;           /* shutdown(fd, SHUT_WR) done */

	/* Guest -> host; we are the receiver (§5.10.6.3). */
	uint32_t rx_cnt;   /* bytes the guest sent */
	uint32_t fwd_cnt;  /* of them, written to fd */
	uint32_t fwd_told; /* fwd_cnt in the last header we sent */
	uint8_t *buf;      /* ring of VSOCK_BUF_ALLOC: rx_cnt - fwd_cnt bytes */
	uint32_t buf_off;

	/* Host -> guest; the guest is the receiver. */
	uint32_t tx_cnt;
	uint32_t peer_buf_alloc, peer_fwd_cnt;

	/* Setup services (mux.h): the header read so far, the bytes owed before
	 * the fd's own (status or client prefix), and an owned listener. */
	const struct vsock_service_ops *svc;
	void *svc_arg;
	uint8_t setup[VSOCK_SETUP_MAX];
	uint8_t setup_got;
	uint8_t prefix[VSOCK_PREFIX_MAX];
	uint8_t prefix_len, prefix_off;
	bool reset_after_prefix;
	struct mux_listener *listener;

	/* The caps (mux_limits.c): the service whose count holds this stream
	 * (its index + 1, 0 for none), or over_limit: counted apart, answered
	 * with ENOBUFS; a listener's client counts in inbound and, while its
	 * listener lives, in from's clients. */
	unsigned int svc_index;
	bool over_limit;
	bool inbound;
	struct mux_listener *from;

	/* SEQPACKET (mux_seq.c): type, the guest's message being assembled and
	 * the one going to the guest. */
	uint16_t type;
	uint8_t *msg_in;
	uint32_t msg_in_len;
	uint8_t *msg_out;
	uint32_t msg_out_len, msg_out_off;
};

struct mux_service {
	uint32_t port;
	const struct vsock_service_ops *ops;
	void *arg;
	unsigned int live, max_live; /* the guest's streams now; cap (UINT_MAX: none) */
};

struct mux_listener {
	struct mux_watch watch;
	struct vsock_mux *mux;
	int fd;
	uint32_t guest_port;
	bool watched; /* EPOLLIN on; off while inactive or the table is full */
	struct vsock_conn *owner; /* a setup stream's listener ends with it */
	size_t (*peer_prefix)(const void *sockaddr, uint32_t len, uint8_t *out);
	bool capped;          /* a setup service's: the inbound caps apply */
	unsigned int clients; /* its clients' connections now */
};

struct vsock_mux {
	pthread_mutex_t lock;
	struct evloop *loop;
	int epfd;
	int kickfd; /* eventfd: more work than one run's budget */
	struct mux_watch kick_watch;
	const struct vsock_guest_ops *ops;
	void *opaque;
	bool active;
	bool tx_pending; /* the guest may have TX packets we did not pop */

	struct vsock_conn *hash[MUX_HASH_SIZE];
	unsigned int nconns;
	struct vsock_conn *work_head, *work_tail;
	uint32_t next_ephemeral;

	struct vsock_hdr rst[VSOCK_RST_RING]; /* RSTs for packets of no connection */
	unsigned int rst_head, rst_len;

	struct mux_service *services;
	unsigned int nservices;
	struct mux_listener **listeners;
	unsigned int nlisteners;
	bool listeners_dead; /* some have fd -1: freed at the end of a run */

	struct vsock_mux_limits limits; /* vsock_mux_set_limits */
	bool limited;                   /* limits were set */
	unsigned int nowned;            /* capped listeners */
	unsigned int ninbound;          /* their clients' connections */
	unsigned int nover;             /* over_limit streams */

	struct vsock_mux_stats stats;
	struct vsock_txpkt txpkt; /* scratch for the packet being handled */
};

/* conn.c */
struct vsock_conn *conn_find(struct vsock_mux *m, uint32_t host_port, uint32_t guest_port);
/* A new connection in the table, fd registered (edge-triggered, in and out).
 * NULL (fd closed) when full or out of memory. */
struct vsock_conn *conn_new(struct vsock_mux *m, uint32_t host_port, uint32_t guest_port,
			    int fd, enum conn_state state);
/* Closes fd now (the host peer sees EOF) and owes the guest an RST; the
 * connection goes when the RST is sent. */
void conn_reset(struct vsock_conn *c);
/* Closes and frees at once, nothing sent (the guest sent RST, or a reset). */
void conn_free(struct vsock_conn *c);
void conn_free_all(struct vsock_mux *m);
/* Puts c on the work list, or takes it off, as it has something to send. */
void conn_update_work(struct vsock_mux *m, struct vsock_conn *c);
/* The same, but to the list's end if it stays: round-robin. */
void conn_requeue(struct vsock_mux *m, struct vsock_conn *c);
/* Bytes the guest can still take (§5.10.6.3), 0 when it lied about fwd_cnt. */
uint32_t conn_peer_credit(const struct vsock_conn *c);
/* A free host port for a listener's connection to guest_port, or 0 if none. */
uint32_t conn_ephemeral_port(struct vsock_mux *m, uint32_t guest_port);
bool mux_has_service(const struct vsock_mux *m, uint32_t port);

/* conn_io.c: the host fd of an established connection. */
/* Takes an RW payload; false when the fd failed (the caller resets). */
bool conn_io_write(struct vsock_conn *c, const struct iovec *iov, unsigned int niov,
		   uint32_t len);
/* Writes out buffered bytes; false when the fd failed. */
bool conn_io_flush(struct vsock_conn *c);
/* Guest bytes c holds that its fd did not take yet. */
uint32_t conn_io_buffered(const struct vsock_conn *c);
/* After a flush or a guest SHUTDOWN: half-closes, or ends a clean close. */
void conn_io_after_guest_shutdown(struct vsock_conn *c);
/* Owes a credit update when the guest's view lags (MUX_CREDIT_LAG). */
void conn_io_credit_check(struct vsock_conn *c);

/* mux_guest.c: one packet from the guest. */
void mux_guest_packet(struct vsock_mux *m, const struct vsock_txpkt *p);

/* mux_rx.c */
/* Queues an RST answering h (src/dst swapped); counted as lost when the ring is full. */
void mux_rst_reply(struct vsock_mux *m, const struct vsock_hdr *h);
/* Writes len bytes of src at offset off of b's segments. */
void mux_rx_copy(const struct vsock_rxbuf *b, size_t off, const void *src, size_t len);
/* Puts h (its len payload bytes already after it) in b and gives b back. */
void mux_rx_send_hdr(struct vsock_mux *m, struct vsock_rxbuf *b, const struct vsock_hdr *h);
/* Fills RX buffers; returns how many packets went to the guest. */
unsigned int mux_rx_pump(struct vsock_mux *m, unsigned int budget);

/* mux_listen.c */
/* Listeners are watched while the table and their caps have room. */
void mux_listeners_update(struct vsock_mux *m);
/* A listener owned by c (a setup stream); closes fd on error. 0, -ENOBUFS
 * (the listener cap), or -errno. */
int mux_listener_add_owned(struct vsock_mux *m, int fd, uint32_t guest_port,
			   struct vsock_conn *c,
			   size_t (*peer_prefix)(const void *sockaddr, uint32_t len, uint8_t *out));
/* Closes and forgets l (its owner ended). */
void mux_listener_remove(struct vsock_mux *m, struct mux_listener *l);
/* Frees the removed listeners, at the end of a run. */
void mux_listeners_sweep(struct vsock_mux *m);
/* Host clients of l become REQUESTs to its guest port, while it has room. */
void mux_listener_accept(struct vsock_mux *m, struct mux_listener *l);

/* mux_limits.c: the caps of mux.h. */
enum mux_admit {
	MUX_ADMIT,       /* counted against its service */
	MUX_ADMIT_OVER,  /* past the cap: answered, then ENOBUFS as its status */
	MUX_REFUSE,      /* past the cap: RST */
};
/* Whether a guest REQUEST to s may have a stream. */
enum mux_admit mux_limits_admit(struct vsock_mux *m, const struct mux_service *s);
/* c was made for that REQUEST with the verdict a. */
void mux_limits_take(struct vsock_mux *m, struct vsock_conn *c, const struct mux_service *s,
		     enum mux_admit a);
/* c goes: gives back what it counted in. */
void mux_limits_release(struct vsock_mux *m, struct vsock_conn *c);
/* Whether a setup service may have another listener; l was added. */
bool mux_limits_listener_allowed(struct vsock_mux *m);
void mux_limits_listener_added(struct vsock_mux *m, struct mux_listener *l);
/* l was removed: its clients stay, counted in the total only. */
void mux_limits_listener_gone(struct vsock_mux *m, struct mux_listener *l);
/* Whether l's caps let it take another client; c is one it took. */
bool mux_limits_inbound_room(const struct vsock_mux *m, const struct mux_listener *l);
void mux_limits_accepted(struct vsock_mux *m, struct mux_listener *l, struct vsock_conn *c);

/* mux_setup.c: setup services. */
/* Guest bytes of a CONN_SETUP stream; false when c must be reset. */
bool mux_setup_bytes(struct vsock_conn *c, const struct iovec *iov, unsigned int niov,
		     uint32_t len);
/* The whole header is in c->setup: asks the service, owes the status. */
void mux_setup_run(struct vsock_conn *c);
/* The host connect of a setup stream finished with err (0: connected). */
void mux_setup_connected(struct vsock_conn *c, int err);
/* Starts watching c->fd; false (fd closed) on error. */
bool conn_watch_fd(struct vsock_mux *m, struct vsock_conn *c);
/* Whether c owes prefix bytes that can go now. */
bool conn_prefix_pending(const struct vsock_conn *c);

/* mux_seq.c: SEQPACKET setup services. */
/* An RW of a SEQPACKET stream; false when c must be reset. */
bool mux_seq_rw(struct vsock_conn *c, const struct vsock_hdr *h, const struct iovec *iov,
		unsigned int niov);
/* Whether c can take the next message from its fd now. */
bool mux_seq_can_read(const struct vsock_conn *c);
/* The next piece of a message to the guest into b; true when one went out. */
bool mux_seq_send(struct vsock_mux *m, struct vsock_conn *c, struct vsock_rxbuf *b);
void mux_seq_free(struct vsock_conn *c);

#endif
