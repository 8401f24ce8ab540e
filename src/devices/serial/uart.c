/* SPDX-License-Identifier: Apache-2.0 */
#include "devices/serial/uart.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "util/log.h"
#include "vmm/evloop.h"

/* Register offsets (PC16550D, "Register Summary"). */
enum { REG_RBR_THR = 0, REG_IER = 1, REG_IIR_FCR = 2, REG_LCR = 3, REG_MCR = 4,
       REG_LSR = 5, REG_MSR = 6, REG_SCR = 7 };

#define IER_RDI 0x01  /* received data available */
#define IER_THRI 0x02 /* THR empty */
#define IER_MASK 0x0f
#define IIR_NONE 0x01
#define IIR_THRI 0x02
#define IIR_RDI 0x04
#define IIR_FIFO 0xc0 /* FIFOs enabled: what tells a 16550A from a 16550 */
#define FCR_ENABLE 0x01
#define FCR_CLEAR_RX 0x02
#define LCR_DLAB 0x80
#define MCR_DTR 0x01
#define MCR_RTS 0x02
#define MCR_OUT1 0x04
#define MCR_OUT2 0x08
#define MCR_LOOP 0x10
#define MCR_MASK 0x1f
#define LSR_DR 0x01
#define LSR_THRE 0x20
#define LSR_TEMT 0x40
#define MSR_CTS 0x10
#define MSR_DSR 0x20
#define MSR_RI 0x40
#define MSR_DCD 0x80

#define RX_SIZE 64

struct uart {
	pthread_mutex_t lock;
	struct evloop *loop;
	int in_fd, out_fd, irq_fd;
	bool watching, in_eof;

	uint8_t ier, lcr, mcr, scr, dll, dlm;
	bool fifo;
	bool thre_pending; /* the THR-empty interrupt, until IIR reports it */
	bool irq_was_pending;
	uint8_t rx[RX_SIZE];
	unsigned int rx_head, rx_len;
};

static uint8_t iir_locked(const struct uart *u)
{
	uint8_t fifo = u->fifo ? IIR_FIFO : 0;

	/* Priority: received data over THR empty (no line or modem status
	 * interrupts can happen here). */
	if ((u->ier & IER_RDI) && u->rx_len)
		return fifo | IIR_RDI;
	if ((u->ier & IER_THRI) && u->thre_pending)
		return fifo | IIR_THRI;
	return fifo | IIR_NONE;
}

/* Pulses the line when an interrupt becomes pending. Lock held. */
static void irq_update(struct uart *u)
{
	bool pending = (iir_locked(u) & IIR_NONE) == 0;
	uint64_t one = 1;

	if (pending && !u->irq_was_pending && u->irq_fd >= 0 &&
	    write(u->irq_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		log_debug("uart: irq: %s", strerror(errno));
	u->irq_was_pending = pending;
}

static void rx_push(struct uart *u, uint8_t b)
{
	if (u->rx_len == RX_SIZE)
		return; /* an overrun: only loopback can get here */
	u->rx[(u->rx_head + u->rx_len) % RX_SIZE] = b;
	u->rx_len++;
}

/* Watches in_fd exactly while the guest takes input (its driver has the
 * port open: receive interrupts on) and the buffer has room, so that host
 * bytes wait in the fd rather than being lost to the driver's FIFO reset at
 * open. Lock held; from a vCPU thread this is one epoll_ctl. */
static void watch_update(struct uart *u)
{
	bool want = u->in_fd >= 0 && !u->in_eof && u->rx_len < RX_SIZE && (u->ier & IER_RDI);

	if (!u->loop || want == u->watching)
		return;
	if (evloop_mod(u->loop, u->in_fd, want ? EPOLLIN : 0) == 0)
		u->watching = want;
}

static void input_locked(struct uart *u)
{
	struct pollfd pfd = { .fd = u->in_fd, .events = POLLIN };
	uint8_t buf[RX_SIZE];
	ssize_t n;

	if (u->in_fd < 0 || u->in_eof || u->rx_len == RX_SIZE)
		return;
	/* The fd keeps the caller's flags: read only what will not block. */
	if (poll(&pfd, 1, 0) <= 0)
		return;
	n = read(u->in_fd, buf, RX_SIZE - u->rx_len);
	if (n <= 0) {
		if (n == 0 || (errno != EAGAIN && errno != EINTR))
			u->in_eof = true; /* the guest just gets no more input */
		return;
	}
	for (ssize_t i = 0; i < n; i++)
		rx_push(u, buf[i]);
}

void uart_poll_input(struct uart *u)
{
	pthread_mutex_lock(&u->lock);
	input_locked(u);
	irq_update(u);
	watch_update(u);
	pthread_mutex_unlock(&u->lock);
}

static void on_input(void *arg, uint32_t events)
{
	(void)events;
	uart_poll_input(arg);
}

static uint8_t msr_locked(const struct uart *u)
{
	if (!(u->mcr & MCR_LOOP))
		return MSR_DCD | MSR_DSR | MSR_CTS; /* a cable that is always ready */
	/* Loopback (PC16550D "MCR bit 4"): the modem outputs feed the inputs. */
	return (u->mcr & MCR_RTS ? MSR_CTS : 0) | (u->mcr & MCR_DTR ? MSR_DSR : 0) |
	       (u->mcr & MCR_OUT1 ? MSR_RI : 0) | (u->mcr & MCR_OUT2 ? MSR_DCD : 0);
}

static void write_thr(struct uart *u, uint8_t b)
{
	if (u->mcr & MCR_LOOP) {
		rx_push(u, b);
	} else if (u->out_fd >= 0) {
		ssize_t n;

		do
			n = write(u->out_fd, &b, 1);
		while (n < 0 && errno == EINTR);
		if (n < 0 && errno != EAGAIN) {
			log_debug("uart: output: %s; discarding it from now on", strerror(errno));
			u->out_fd = -1;
		}
	}
	/* Sent at once: THR is empty again. */
	u->thre_pending = true;
}

static void reg_write(struct uart *u, unsigned int reg, uint8_t v)
{
	bool dlab = u->lcr & LCR_DLAB;

	switch (reg) {
	case REG_RBR_THR:
		if (dlab)
			u->dll = v;
		else
			write_thr(u, v);
		break;
	case REG_IER:
		if (dlab) {
			u->dlm = v;
		} else {
			/* Enabling the THR interrupt while THR is empty raises it. */
			if ((v & IER_THRI) && !(u->ier & IER_THRI))
				u->thre_pending = true;
			u->ier = v & IER_MASK;
		}
		break;
	case REG_IIR_FCR:
		u->fifo = v & FCR_ENABLE;
		if (v & FCR_CLEAR_RX)
			u->rx_len = 0;
		break;
	case REG_LCR:
		u->lcr = v;
		break;
	case REG_MCR:
		u->mcr = v & MCR_MASK;
		break;
	case REG_SCR:
		u->scr = v;
		break;
	default: /* LSR and MSR are read-only here */
		break;
	}
}

static uint8_t reg_read(struct uart *u, unsigned int reg)
{
	bool dlab = u->lcr & LCR_DLAB;
	uint8_t v = 0;

	switch (reg) {
	case REG_RBR_THR:
		if (dlab)
			return u->dll;
		if (u->rx_len) {
			v = u->rx[u->rx_head];
			u->rx_head = (u->rx_head + 1) % RX_SIZE;
			u->rx_len--;
		}
		return v;
	case REG_IER:
		return dlab ? u->dlm : u->ier;
	case REG_IIR_FCR:
		v = iir_locked(u);
		/* Reading IIR while it reports THR empty clears that interrupt. */
		if ((v & 0x0f) == IIR_THRI)
			u->thre_pending = false;
		return v;
	case REG_LCR:
		return u->lcr;
	case REG_MCR:
		return u->mcr;
	case REG_LSR:
		return LSR_THRE | LSR_TEMT | (u->rx_len ? LSR_DR : 0);
	case REG_MSR:
		return msr_locked(u);
	default:
		return u->scr;
	}
}

void uart_io(struct uart *u, unsigned int reg, bool out, uint8_t *data)
{
	if (reg >= UART_NREGS) {
		if (!out)
			*data = 0xff;
		return;
	}
	pthread_mutex_lock(&u->lock);
	if (out)
		reg_write(u, reg, *data);
	else
		*data = reg_read(u, reg);
	irq_update(u);
	watch_update(u);
	pthread_mutex_unlock(&u->lock);
}

struct uart *uart_create(const struct uart_config *cfg, struct evloop *loop)
{
	struct uart *u = calloc(1, sizeof(*u));
	int r;

	if (!u) {
		log_error("uart: out of memory");
		return NULL;
	}
	pthread_mutex_init(&u->lock, NULL);
	u->in_fd = cfg->in_fd;
	u->out_fd = cfg->out_fd;
	u->irq_fd = cfg->irq_fd;
	/* Registered unwatched; watch_update turns it on when the guest opens
	 * the port. A regular file cannot be watched (EPERM): no input then. */
	if (loop && u->in_fd >= 0) {
		r = evloop_add(loop, u->in_fd, 0, on_input, u);
		if (r == -EPERM) {
			log_warn("uart: input fd %d cannot be polled (a regular file?): "
				 "the guest gets no serial input", u->in_fd);
			u->in_fd = -1;
		} else if (r < 0) {
			log_error("uart: cannot watch its input fd %d: %s", u->in_fd, strerror(-r));
			pthread_mutex_destroy(&u->lock);
			free(u);
			return NULL;
		} else {
			u->loop = loop;
		}
	}
	return u;
}

void uart_destroy(struct uart *u)
{
	if (!u)
		return;
	if (u->loop)
		evloop_del(u->loop, u->in_fd);
	pthread_mutex_destroy(&u->lock);
	free(u);
}
