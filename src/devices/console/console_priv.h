/* SPDX-License-Identifier: Apache-2.0 */
/*
 * virtio-console internals, shared by
 *   console.c       device glue: ops table, create/destroy, queue dispatch, flush
 *   console_ctrl.c  control queues and window size (virtio 1.2 §5.3.6.2)
 *   console_rx.c    host fd -> guest RX buffers, EOF
 *   console_tx.c    guest TX chains -> host fd, one writer thread per output
 *
 * Locking: every field of struct console is guarded by console.lock, a lock of
 * the device's own (not dev->lock, which the transport re-initializes and holds
 * around register access). Order: dev->lock, then console.lock; code holding
 * console.lock never takes dev->lock. The queues are touched only while
 * console.active, which ops->reset clears before the transport resets them.
 *
 * The event loop's registrations (evloop_add/del) are changed only on the loop
 * thread or in create/destroy, never on a vCPU thread: evloop_del from another
 * thread waits for a running handler, which may be waiting for console.lock.
 *
 * Host fds keep their flags (never made non-blocking): they are shared with
 * every other holder of the same open file (a terminal's O_NONBLOCK would also
 * hit our own log writes on stderr and the shell after a crash). Input is read
 * only after poll() said it would not block; output goes through blocking
 * writes on a dedicated thread per port, which is also what throttles the guest.
 */
#ifndef LIBKRUN_DEVICES_CONSOLE_PRIV_H
#define LIBKRUN_DEVICES_CONSOLE_PRIV_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "devices/console/console.h"

/* The implicit layout: 0 console, 1 stdin, 2 stdout, 3 stderr. */
#define CONSOLE_MAX_PORTS CONSOLE_PORTS_MAX
#define CONSOLE_NUM_QUEUES (2 * (CONSOLE_MAX_PORTS + 1))
/* Linux's virtio_console fills every port's receive queue (and the control
 * receive queue) with one 4 KiB buffer per entry, whether the port is ever read
 * or not: 256 entries cost an idle guest 5 MiB of slab, which the host pays in
 * RSS. 64 keeps 256 KiB in flight per stream, plenty for a byte pipe. */
#define CONSOLE_QUEUE_SIZE 64
#define CONSOLE_CTRL_RXQ 2 /* control receiveq: device -> driver */
#define CONSOLE_CTRL_TXQ 3 /* control transmitq: driver -> device */

/* Feature bits (§5.3.3) and control events (§5.3.6.2). */
#define VIRTIO_CONSOLE_F_SIZE 0
#define VIRTIO_CONSOLE_F_MULTIPORT 1
#define VIRTIO_CONSOLE_DEVICE_READY 0
#define VIRTIO_CONSOLE_DEVICE_ADD 1
#define VIRTIO_CONSOLE_DEVICE_REMOVE 2
#define VIRTIO_CONSOLE_PORT_READY 3
#define VIRTIO_CONSOLE_CONSOLE_PORT 4
#define VIRTIO_CONSOLE_RESIZE 5
#define VIRTIO_CONSOLE_PORT_OPEN 6
#define VIRTIO_CONSOLE_PORT_NAME 7
#define VIRTIO_CONSOLE_CTRL_HDR 8 /* le32 id, le16 event, le16 value */

/* Device -> driver messages waiting for control RX buffers. A few per port at
 * most (ADD, CONSOLE_PORT, RESIZE, NAME, OPEN, EOF); a driver that sends more
 * requests than that without giving buffers loses the excess. */
#define CONSOLE_FIFO_LEN 32
#define CONSOLE_MSG_MAX 32

struct console_msg {
	uint32_t len;
	uint8_t data[CONSOLE_MSG_MAX];
};

struct console_writer {
	pthread_t thread;
	bool started;
	pthread_cond_t wake; /* kick or stop, with console.lock */
	bool kick;           /* the TX queue may hold chains */
	bool busy;           /* a popped chain is being written */
	bool stop;
	bool dead;           /* the fd failed: output is discarded (writer-private) */
	uint64_t gen;        /* bumped by reset: an in-flight chain is not pushed */
};

struct console_port {
	struct console *con;
	unsigned int id;
	bool exists;
	const char *name; /* PORT_NAME, or NULL (port 0) */
	bool is_console;  /* the device's console port: CONSOLE_PORT, resizes */
	int in_fd, out_fd;

	/* Input (console_rx.c). */
	bool in_watched;     /* registered in the loop for EPOLLIN */
	bool in_unwatchable; /* epoll refuses it (regular file): read until EOF */
	bool in_eof;
	bool rx_held;        /* rx holds a popped RX chain not yet filled */
	struct vq_chain rx;

	/* Control state (console_ctrl.c). */
	bool guest_open; /* the driver's PORT_OPEN: Linux drops data for closed ports */
	bool host_open;  /* ours: cleared at EOF of the input */

	struct console_writer w; /* started when out_fd >= 0 */
};

struct console {
	struct virtio_dev *dev;
	struct evloop *loop;
	pthread_mutex_t lock;
	pthread_cond_t idle; /* a writer went idle (console_flush waits) */
	bool active;         /* between activate and reset */
	bool multiport;      /* negotiated */
	bool console_ready;  /* CONSOLE_PORT sent: resizes go to port 0 */
	/* console_order.c: this device's place among the VM's consoles; its
	 * CONSOLE_PORT waits (deferred) until the one before is numbered. */
	struct console_order *order;
	unsigned int order_index;
	bool console_deferred;
	bool console_numbered; /* the guest sent PORT_OPEN(console, 1): advance the order */
	bool has_console;      /* one port is a console port: console_id */
	unsigned int console_id;
	struct console_port port[CONSOLE_MAX_PORTS];

	int winsize_fd, sig_fd;
	uint16_t cols, rows;

	struct console_msg fifo[CONSOLE_FIFO_LEN];
	unsigned int fifo_head, fifo_len;
};

static inline uint16_t console_rxq(unsigned int port)
{
	return (uint16_t)(port == 0 ? 0 : 2 * port + 2);
}

static inline uint16_t console_txq(unsigned int port)
{
	return (uint16_t)(console_rxq(port) + 1);
}

/* console.c: raises the used interrupt for queue q if the driver wants it. */
void console_signal(struct console *c, uint16_t q);

/* console_order.c (console.h has create/free). No console lock held: */
#define CONSOLE_ORDER_MAX 8
/* has_console false: the device takes no number, and the order passes it by. */
void console_order_join(struct console_order *o, unsigned int index, struct console *c,
			bool has_console);
bool console_order_turn(struct console_order *o, unsigned int index);
/* Device index was numbered by the guest: lets the next one announce. */
void console_order_done(struct console_order *o, unsigned int index);
/* console_ctrl.c, takes console.lock: sends a deferred CONSOLE_PORT. */
void console_ctrl_release(struct console *c);

/* console_ctrl.c, console.lock held. */
void console_ctrl_send(struct console *c, uint32_t id, uint16_t event, uint16_t value,
		       const void *extra, uint32_t extra_len);
void console_ctrl_deliver(struct console *c);
void console_ctrl_handle(struct console *c);
void console_winsize_read(struct console *c);
void console_winsize_changed(struct console *c);

/* console_rx.c, console.lock held, loop thread only. */
void console_rx_pump(struct console *c, unsigned int id);
/* No lock held; create/destroy only. */
void console_rx_unwatch_all(struct console *c);

/* console_tx.c. start/stop without the lock (create/destroy); the others with it. */
int console_tx_start(struct console *c);
void console_tx_stop(struct console *c);
void console_tx_kick(struct console *c, unsigned int id);
void console_tx_reset(struct console *c);
void console_tx_drain(struct console *c);

#endif
