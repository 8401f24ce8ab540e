/* SPDX-License-Identifier: Apache-2.0 */
/*
 * virtio-console (virtio 1.2 §5.3) with VIRTIO_CONSOLE_F_MULTIPORT:
 *   port 0  the console (guest /dev/hvc0): a host terminal, or output to a file
 *   port 1  "krun-stdin"   host fd -> guest, EOF delivered as PORT_OPEN 0
 *   port 2  "krun-stdout"  guest -> host fd
 *   port 3  "krun-stderr"  guest -> host fd
 * Ports 1-3 exist only when their fd is given, so pipes and files keep stdin,
 * stdout and stderr apart end to end (names: src/vmm/guest_abi.h).
 *
 * Back-pressure both ways without unbounded buffering: host input is read only
 * into guest RX buffers the guest made available; a guest TX buffer that the
 * host fd cannot take yet stays in the device (not re-queued, not dropped) and
 * the queue is not popped further until the fd is writable again.
 *
 * The caller's fds keep their flags (never made non-blocking): input is read
 * only when poll() says the read will not block, output is written by one
 * blocking writer thread per output fd (console_priv.h says why). ops->destroy
 * joins those threads, so call it before the guest ran or after console_flush
 * returned: a writer blocked on a reader that never reads cannot be stopped.
 */
#ifndef LIBKRUN_DEVICES_CONSOLE_H
#define LIBKRUN_DEVICES_CONSOLE_H

#include "virtio/mmio.h"

struct evloop;

/* CONSOLE_MAX_PORTS: 4 ports per device (10 queues of VIRTIO_MAX_QUEUES). */
#define CONSOLE_PORTS_MAX 4

/* A port of a device whose ports the caller lists (krun_add_console_port_*). */
struct console_port_cfg {
	const char *name; /* PORT_NAME; NULL or "" for none */
	int in_fd, out_fd; /* -1: none */
	bool console;      /* the device's console port (hvcN, window size) */
};

struct console_config {
	int console_in;  /* host fd read into port 0 (a terminal), or -1 */
	int console_out; /* host fd that port 0 writes to, or -1 to discard */
	int port_in;     /* host fd feeding "krun-stdin", or -1: no such port */
	int port_out;    /* host fd for "krun-stdout", or -1: no such port */
	int port_err;    /* host fd for "krun-stderr", or -1: no such port */
	/* Window size of the terminal on console_in/console_out (TIOCGWINSZ) is
	 * sent at start and on every SIGWINCH, taken through a signalfd: the caller
	 * blocks SIGWINCH in every thread before the VM's threads start. */
	int winsize_fd;  /* terminal fd to read the size from, or -1 */
	/* With several consoles: one shared order (console_order_create), and
	 * this device's index in it (0 first), so that the guest numbers them
	 * hvc0, hvc1, ... as added. NULL: a lone console. */
	struct console_order *order;
	unsigned int order_index;
	/* nports > 0: exactly these ports, numbered in order, in place of the
	 * console and krun-std* fields above. */
	struct console_port_cfg ports[CONSOLE_PORTS_MAX];
	unsigned int nports;
};

struct console_order;
struct console_order *console_order_create(void);
/* After every device of the order is destroyed. NULL is fine. */
void console_order_free(struct console_order *o);

/* Creates the device (transport fields zeroed, ops/priv set). The fds stay the
 * caller's: the device never closes them. NULL on error (logged). */
struct virtio_dev *console_create(const struct console_config *cfg, struct evloop *loop);

/*
 * After the guest reported its exit: writes out, blocking, every byte the guest
 * already queued on any port (also chains it never kicked for), in order, and
 * returns when the writers are idle. Any thread; the event loop must be stopped
 * first. 0 or -errno.
 */
int console_flush(struct virtio_dev *d);

#endif
