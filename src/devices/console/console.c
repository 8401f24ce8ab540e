/* SPDX-License-Identifier: Apache-2.0 */
/* virtio-console device glue (virtio 1.2 §5.3); the design is in console_priv.h. */
#include "devices/console/console.h"

#include <endian.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "devices/console/console_priv.h"
#include "util/log.h"
#include "vmm/evloop.h"
#include "vmm/guest_abi.h"

/* §5.3.4: struct virtio_console_config, all little-endian. */
#define CONSOLE_CONFIG_SIZE 12

void console_signal(struct console *c, uint16_t q)
{
	if (vq_needs_signal(&c->dev->vq[q]))
		virtio_signal_used(c->dev);
}

/* VIRTIO_F_EVENT_IDX (virtio 1.2 §2.7.10): Linux's driver kicks for every
 * buffer it adds (add_inbuf), 64 per receive queue as it fills them at probe,
 * each kick an exit: with the feature it kicks only where avail_event asks.
 * Every path here pops until the ring is empty before it waits for a kick
 * (the writers, the control queues, console_rx_pump), or pops again when its
 * own event comes (host input, a message to send), and each push batch ends
 * in console_signal. */
static uint64_t console_features(struct virtio_dev *d)
{
	(void)d;
	return 1ULL << VIRTIO_CONSOLE_F_SIZE | 1ULL << VIRTIO_CONSOLE_F_MULTIPORT |
	       1ULL << VIRTIO_F_EVENT_IDX;
}

static void console_config_read(struct virtio_dev *d, uint32_t off, void *data, uint32_t len)
{
	struct console *c = d->priv;
	uint8_t cfg[CONSOLE_CONFIG_SIZE] = { 0 };
	uint16_t cols, rows;
	uint32_t max_ports = htole32(CONSOLE_MAX_PORTS);

	pthread_mutex_lock(&c->lock);
	cols = htole16(c->cols);
	rows = htole16(c->rows);
	pthread_mutex_unlock(&c->lock);
	memcpy(cfg + 0, &cols, 2);
	memcpy(cfg + 2, &rows, 2);
	memcpy(cfg + 4, &max_ports, 4);
	/* emerg_wr (offset 8) reads as 0; the feature is not offered. */
	memcpy(data, cfg + off, len);
}

static void console_config_write(struct virtio_dev *d, uint32_t off, const void *data,
				 uint32_t len)
{
	(void)data;
	/* §5.3.4: only emerg_wr is writable, and only with F_EMERG_WRITE. */
	log_debug("virtio %s: config write of %u bytes at %u ignored", d->ops->name, len, off);
}

/* DRIVER_OK; dev->lock held, vCPU thread. */
static int console_activate(struct virtio_dev *d)
{
	struct console *c = d->priv;

	pthread_mutex_lock(&c->lock);
	c->active = true;
	c->multiport = virtio_has_feature(d, VIRTIO_CONSOLE_F_MULTIPORT);
	/* Without MULTIPORT port 0 is a console from the start (Linux add_port). */
	c->port[0].guest_open = !c->multiport;
	console_winsize_read(c);
	/* Buffers queued before DRIVER_OK had no notify that counted. */
	for (unsigned int i = 0; i < CONSOLE_MAX_PORTS; i++)
		console_tx_kick(c, i);
	pthread_mutex_unlock(&c->lock);
	return 0;
}

/* Status 0; dev->lock held, vCPU thread. The transport resets the queues next. */
static void console_reset(struct virtio_dev *d)
{
	struct console *c = d->priv;

	pthread_mutex_lock(&c->lock);
	c->active = false;
	c->multiport = false;
	c->console_ready = false;
	c->fifo_head = c->fifo_len = 0;
	for (unsigned int i = 0; i < CONSOLE_MAX_PORTS; i++) {
		c->port[i].rx_held = false;
		c->port[i].guest_open = false;
	}
	/* An input still watched is dropped by its handler (loop thread). */
	console_tx_reset(c);
	pthread_mutex_unlock(&c->lock);
}

/* Event loop thread. */
static void console_queue_notify(struct virtio_dev *d, uint16_t q)
{
	struct console *c = d->priv;
	unsigned int port = q < 2 ? 0 : (q - 2u) / 2u;
	bool numbered;

	pthread_mutex_lock(&c->lock);
	if (!c->active)
		goto out;
	if (q == CONSOLE_CTRL_RXQ)
		console_ctrl_deliver(c);
	else if (q == CONSOLE_CTRL_TXQ)
		console_ctrl_handle(c);
	else if (port >= CONSOLE_MAX_PORTS)
		log_debug("virtio console: notify for queue %u ignored", q);
	else if (q == console_rxq(port))
		console_rx_pump(c, port);
	else
		console_tx_kick(c, port);
out:
	numbered = c->console_numbered;
	c->console_numbered = false;
	pthread_mutex_unlock(&c->lock);
	/* After our lock is dropped: the next console takes its own. */
	if (numbered)
		console_order_done(c->order, c->order_index);
}

static void console_free(struct console *c)
{
	if (c->sig_fd >= 0) {
		evloop_del(c->loop, c->sig_fd);
		close(c->sig_fd);
	}
	console_rx_unwatch_all(c);
	console_tx_stop(c);
	pthread_cond_destroy(&c->idle);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

static void console_destroy(struct virtio_dev *d)
{
	console_free(d->priv);
	d->priv = NULL;
}

static const struct virtio_dev_ops console_ops = {
	.name = "console",
	.device_id = 3,
	.num_queues = CONSOLE_NUM_QUEUES,
	.queue_max_size = CONSOLE_QUEUE_SIZE,
	.features = console_features,
	.config_size = CONSOLE_CONFIG_SIZE,
	.config_read = console_config_read,
	.config_write = console_config_write,
	.activate = console_activate,
	.queue_notify = console_queue_notify,
	.reset = console_reset,
	.destroy = console_destroy,
};

/* SIGWINCH through a signalfd (the caller blocks the signal in every thread). */
static void on_winch(void *arg, uint32_t events)
{
	struct console *c = arg;
	struct signalfd_siginfo si;

	(void)events;
	while (read(c->sig_fd, &si, sizeof(si)) == (ssize_t)sizeof(si))
		;
	pthread_mutex_lock(&c->lock);
	console_winsize_changed(c);
	pthread_mutex_unlock(&c->lock);
}

static int console_watch_winch(struct console *c)
{
	sigset_t set;
	int r;

	sigemptyset(&set);
	sigaddset(&set, SIGWINCH);
	c->sig_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (c->sig_fd < 0) {
		r = -errno;
		log_error("console: signalfd for SIGWINCH: %s", strerror(-r));
		return r;
	}
	r = evloop_add(c->loop, c->sig_fd, EPOLLIN, on_winch, c);
	if (r < 0) {
		log_error("console: watching SIGWINCH: %s", strerror(-r));
		close(c->sig_fd);
		c->sig_fd = -1;
	}
	return r;
}

static void port_init(struct console *c, unsigned int id, const char *name, int in_fd,
		      int out_fd, bool exists)
{
	struct console_port *p = &c->port[id];

	p->con = c;
	p->id = id;
	p->exists = exists;
	p->name = name;
	p->in_fd = exists ? in_fd : -1;
	p->out_fd = exists ? out_fd : -1;
	p->host_open = true;
}

/* The caller's ports, numbered as listed; the first console port is the
 * device's (a second one would be a plain port: Linux has one per device). */
static void ports_init(struct console *c, const struct console_config *cfg)
{
	for (unsigned int i = cfg->nports; i < CONSOLE_MAX_PORTS; i++)
		port_init(c, i, NULL, -1, -1, false);
	for (unsigned int i = 0; i < cfg->nports && i < CONSOLE_MAX_PORTS; i++) {
		const struct console_port_cfg *p = &cfg->ports[i];
		int in_fd = p->in_fd;

		/* One reader per fd: the evloop takes one registration per fd. */
		for (unsigned int j = 0; j < i && in_fd >= 0; j++)
			if (cfg->ports[j].in_fd == in_fd) {
				log_warn("console: port %u reads the fd port %u reads; "
					 "only port %u does", i, j, j);
				in_fd = -1;
			}
		port_init(c, i, p->name && *p->name ? p->name : NULL, in_fd, p->out_fd, true);
		if (p->console && !c->has_console) {
			c->port[i].is_console = c->has_console = true;
			c->console_id = i;
		}
	}
}

struct virtio_dev *console_create(const struct console_config *cfg, struct evloop *loop)
{
	struct virtio_dev *d = calloc(1, sizeof(*d));
	struct console *c = calloc(1, sizeof(*c));
	int console_in = cfg->console_in;
	int r = -ENOMEM;

	if (!d || !c)
		goto err_free;
	if (!loop) {
		r = -EINVAL;
		goto err_free;
	}
	/* One reader per fd: the evloop takes one registration per fd. */
	if (console_in >= 0 && console_in == cfg->port_in) {
		log_warn("console: the same fd feeds the console and krun-stdin; "
			 "only krun-stdin reads it");
		console_in = -1;
	}
	/* The transport part stays zeroed for the bus to set up (src/vmm/virtio_bus.c). */
	d->ops = &console_ops;
	d->priv = c;
	d->irqfd = -1;
	for (unsigned int i = 0; i < VIRTIO_MAX_QUEUES; i++)
		d->notify_fd[i] = -1;
	c->dev = d;
	c->loop = loop;
	c->sig_fd = -1;
	c->winsize_fd = cfg->winsize_fd;
	c->order = cfg->order;
	c->order_index = cfg->order_index;
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->idle, NULL);
	if (cfg->nports) {
		ports_init(c, cfg);
	} else {
		port_init(c, 0, NULL, console_in, cfg->console_out, true);
		port_init(c, 1, KRUN_PORT_STDIN, cfg->port_in, -1, cfg->port_in >= 0);
		port_init(c, 2, KRUN_PORT_STDOUT, -1, cfg->port_out, cfg->port_out >= 0);
		port_init(c, 3, KRUN_PORT_STDERR, -1, cfg->port_err, cfg->port_err >= 0);
		c->port[0].is_console = c->has_console = true;
	}
	if (c->order)
		console_order_join(c->order, c->order_index, c, c->has_console);

	r = console_tx_start(c);
	if (r < 0)
		goto err_console;
	if (c->winsize_fd >= 0) {
		r = console_watch_winch(c);
		if (r < 0)
			goto err_console;
	}
	return d;

err_console:
	console_free(c);
	c = NULL;
err_free:
	log_error("console: cannot create the device: %s", strerror(-r));
	free(c);
	free(d);
	return NULL;
}

int console_flush(struct virtio_dev *d)
{
	struct console *c = d->priv;

	pthread_mutex_lock(&c->lock);
	console_tx_drain(c);
	pthread_mutex_unlock(&c->lock);
	/* Nothing to restore: the fds' flags were never changed. */
	return 0;
}
