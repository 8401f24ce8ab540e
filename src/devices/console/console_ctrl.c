/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The control queues of a MULTIPORT console (virtio 1.2 §5.3.6.2), as Linux's
 * drivers/char/virtio_console.c drives them:
 *   driver DEVICE_READY(1)      -> device DEVICE_ADD(id) for each port
 *   driver PORT_READY(id, 1)    -> CONSOLE_PORT(0, 1) and RESIZE for port 0,
 *                                  PORT_NAME for named ports, then PORT_OPEN(id, 1)
 *   driver PORT_OPEN(id, 0/1)   -> the guest closed/opened the port
 * Everything the guest sends is checked here; mistakes are logged at debug level
 * and ignored.
 */
#include <endian.h>
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>

#include "devices/console/console_priv.h"
#include "util/log.h"

void console_ctrl_send(struct console *c, uint32_t id, uint16_t event, uint16_t value,
		       const void *extra, uint32_t extra_len)
{
	struct console_msg *m;
	uint32_t le_id = htole32(id);
	uint16_t le_event = htole16(event), le_value = htole16(value);

	if (!c->multiport)
		return;
	if (extra_len > CONSOLE_MSG_MAX - VIRTIO_CONSOLE_CTRL_HDR ||
	    c->fifo_len == CONSOLE_FIFO_LEN) {
		log_debug("virtio console: control message %u for port %u dropped "
			  "(the driver gives no buffers)", event, id);
		return;
	}
	m = &c->fifo[(c->fifo_head + c->fifo_len) % CONSOLE_FIFO_LEN];
	memcpy(m->data, &le_id, 4);
	memcpy(m->data + 4, &le_event, 2);
	memcpy(m->data + 6, &le_value, 2);
	if (extra_len)
		memcpy(m->data + VIRTIO_CONSOLE_CTRL_HDR, extra, extra_len);
	m->len = VIRTIO_CONSOLE_CTRL_HDR + extra_len;
	c->fifo_len++;
	console_ctrl_deliver(c);
}

/* Moves queued messages into the driver's control RX buffers, in order. */
void console_ctrl_deliver(struct console *c)
{
	struct vq *q = &c->dev->vq[CONSOLE_CTRL_RXQ];
	struct vq_chain ch;
	bool signal = false;

	if (!c->active)
		return;
	while (c->fifo_len && vq_pop(q, &ch, &signal)) {
		const struct console_msg *m = &c->fifo[c->fifo_head];
		uint32_t written = 0;

		/* Linux gives PAGE_SIZE buffers; a shorter one is the driver's mistake
		 * and costs it the message rather than splitting it. */
		if (ch.in_bytes < m->len)
			log_debug("virtio console: control buffer of %llu bytes too short",
				  (unsigned long long)ch.in_bytes);
		else
			written = (uint32_t)vq_chain_write(&ch, 0, m->data, m->len);
		vq_push(q, ch.head, written);
		signal = true;
		c->fifo_head = (c->fifo_head + 1) % CONSOLE_FIFO_LEN;
		c->fifo_len--;
	}
	if (signal)
		console_signal(c, CONSOLE_CTRL_RXQ);
}

/* Linux 6.1 handle_control_message reads VIRTIO_CONSOLE_RESIZE as
 * { u16 rows; u16 cols; } after the header: rows first, unlike the spec's
 * struct virtio_console_resize. The guest we boot is Linux, so its order wins. */
static void send_resize(struct console *c)
{
	uint16_t size[2] = { htole16(c->rows), htole16(c->cols) };

	if (c->console_ready && c->rows && c->cols)
		console_ctrl_send(c, c->console_id, VIRTIO_CONSOLE_RESIZE, 0, size, sizeof(size));
}

void console_winsize_read(struct console *c)
{
	struct winsize ws;

	if (c->winsize_fd < 0)
		return;
	if (ioctl(c->winsize_fd, TIOCGWINSZ, &ws) < 0) {
		log_debug("console: TIOCGWINSZ: %s", strerror(errno));
		return;
	}
	c->cols = ws.ws_col;
	c->rows = ws.ws_row;
}

void console_winsize_changed(struct console *c)
{
	console_winsize_read(c);
	if (!c->active)
		return;
	if (c->multiport)
		send_resize(c);
	else
		virtio_signal_config(c->dev); /* Linux reads cols/rows on config change */
}

static void announce_console(struct console *c)
{
	console_ctrl_send(c, c->console_id, VIRTIO_CONSOLE_CONSOLE_PORT, 1, NULL, 0);
	c->console_ready = true;
	c->console_deferred = false;
	send_resize(c);
}

void console_ctrl_release(struct console *c)
{
	pthread_mutex_lock(&c->lock);
	if (c->active && c->console_deferred)
		announce_console(c);
	pthread_mutex_unlock(&c->lock);
}

static void port_ready(struct console *c, struct console_port *p)
{
	if (p->is_console) {
		if (console_order_turn(c->order, c->order_index))
			announce_console(c);
		else
			c->console_deferred = true; /* console_order.c says why */
	}
	if (p->name)
		console_ctrl_send(c, p->id, VIRTIO_CONSOLE_PORT_NAME, 0, p->name,
				  (uint32_t)strlen(p->name));
	/* Linux blocks writes and returns EOF on reads while !host_connected. */
	console_ctrl_send(c, p->id, VIRTIO_CONSOLE_PORT_OPEN, p->host_open, NULL, 0);
}

static void handle_msg(struct console *c, uint32_t id, uint16_t event, uint16_t value)
{
	struct console_port *p = id < CONSOLE_MAX_PORTS ? &c->port[id] : NULL;

	if (event == VIRTIO_CONSOLE_DEVICE_READY) {
		if (value != 1) {
			log_debug("virtio console: the driver failed to set up (%u)", value);
			return;
		}
		for (unsigned int i = 0; i < CONSOLE_MAX_PORTS; i++)
			if (c->port[i].exists)
				console_ctrl_send(c, i, VIRTIO_CONSOLE_DEVICE_ADD, 1, NULL, 0);
		return;
	}
	if (!p || !p->exists) {
		log_debug("virtio console: control event %u for unknown port %u", event, id);
		return;
	}
	switch (event) {
	case VIRTIO_CONSOLE_PORT_READY:
		if (value == 1)
			port_ready(c, p);
		else
			log_debug("virtio console: the driver failed to add port %u", id);
		break;
	case VIRTIO_CONSOLE_PORT_OPEN:
		/* For the console port, the end of the guest's init_port_console. */
		if (p->is_console && value && c->console_ready)
			c->console_numbered = true;
		p->guest_open = value != 0;
		if (p->guest_open)
			console_rx_pump(c, p->id);
		break;
	default:
		log_debug("virtio console: unexpected control event %u for port %u", event, id);
		break;
	}
}

/* Messages from the driver. Each buffer is returned at once: Linux's
 * __send_control_msg spins until it comes back. */
void console_ctrl_handle(struct console *c)
{
	struct vq *q = &c->dev->vq[CONSOLE_CTRL_TXQ];
	struct vq_chain ch;
	bool signal = false;

	while (c->active && vq_pop(q, &ch, &signal)) {
		uint8_t hdr[VIRTIO_CONSOLE_CTRL_HDR];
		uint32_t id;
		uint16_t event, value;

		if (vq_chain_read(&ch, 0, hdr, sizeof(hdr)) == sizeof(hdr)) {
			memcpy(&id, hdr, 4);
			memcpy(&event, hdr + 4, 2);
			memcpy(&value, hdr + 6, 2);
			handle_msg(c, le32toh(id), le16toh(event), le16toh(value));
		} else {
			log_debug("virtio console: control message of %llu bytes ignored",
				  (unsigned long long)ch.out_bytes);
		}
		vq_push(q, ch.head, 0);
		signal = true;
	}
	if (signal)
		console_signal(c, CONSOLE_CTRL_TXQ);
}
