/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The 16550A model (devices/serial/uart.h) as Linux's 8250 driver probes and
 * drives it: scratch and IER registers, loopback modem lines, the FIFO's IIR
 * bits, the divisor latch apart from THR/IER, THR-empty and receive
 * interrupts (each an edge on the irq eventfd), host input bounded by the
 * 64-byte buffer, and bad register numbers.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "devices/serial/uart.h"
#include "harness.h"

struct rig {
	struct uart *u;
	int in[2], out[2], irq;
};

static void rig_up(struct rig *r)
{
	CHECK(pipe2(r->in, O_CLOEXEC) == 0 && pipe2(r->out, O_CLOEXEC | O_NONBLOCK) == 0);
	r->irq = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	CHECK(r->irq >= 0);
	r->u = uart_create(&(struct uart_config){ r->in[0], r->out[1], r->irq }, NULL);
	CHECK(r->u != NULL);
}

static void rig_down(struct rig *r)
{
	uart_destroy(r->u);
	close(r->in[0]), close(r->in[1]), close(r->out[0]), close(r->out[1]), close(r->irq);
}

static void out8(struct rig *r, unsigned int reg, uint8_t v)
{
	uart_io(r->u, reg, true, &v);
}

static uint8_t in8(struct rig *r, unsigned int reg)
{
	uint8_t v = 0x5a;

	uart_io(r->u, reg, false, &v);
	return v;
}

/* Interrupt edges since the last call. */
static uint64_t pulses(struct rig *r)
{
	uint64_t n = 0;

	if (read(r->irq, &n, sizeof(n)) < 0)
		CHECK(errno == EAGAIN);
	return n;
}

TEST(uart_passes_the_8250_drivers_probe_as_a_16550a)
{
	struct rig r;

	rig_up(&r);
	out8(&r, 7, 0xa5); /* scratch */
	CHECK_EQ(in8(&r, 7), 0xa5);
	out8(&r, 1, 0x0f); /* IER keeps its four bits */
	CHECK_EQ(in8(&r, 1), 0x0f);
	out8(&r, 1, 0xff);
	CHECK_EQ(in8(&r, 1), 0x0f);
	out8(&r, 1, 0);
	out8(&r, 4, 0x1a); /* loopback, RTS, OUT2: CTS and DCD */
	CHECK_EQ(in8(&r, 6) & 0xf0, 0x90);
	out8(&r, 4, 0x1f);
	CHECK_EQ(in8(&r, 6) & 0xf0, 0xf0);
	out8(&r, 4, 0x08);
	CHECK_EQ(in8(&r, 6) & 0xf0, 0xb0); /* no loopback: a ready cable */
	out8(&r, 2, 0x01); /* FIFO on: IIR's top bits say 16550A */
	CHECK_EQ(in8(&r, 2), 0xc1);
	out8(&r, 2, 0x00);
	CHECK_EQ(in8(&r, 2), 0x01);
	CHECK_EQ(in8(&r, 5) & 0x61, 0x60); /* THR and transmitter empty, no data */
	rig_down(&r);
}

TEST(uart_divisor_latch_is_apart_from_thr_and_ier)
{
	struct rig r;
	char buf[8];

	rig_up(&r);
	out8(&r, 1, 0x05);
	out8(&r, 3, 0x83); /* DLAB, 8N1 */
	out8(&r, 0, 0x01);
	out8(&r, 1, 0x00);
	CHECK_EQ(in8(&r, 0), 0x01);
	CHECK_EQ(in8(&r, 1), 0x00);
	out8(&r, 3, 0x03);
	CHECK_EQ(in8(&r, 1), 0x05);
	CHECK_EQ(in8(&r, 3), 0x03);
	CHECK(read(r.out[0], buf, sizeof(buf)) < 0 && errno == EAGAIN); /* nothing sent */
	rig_down(&r);
}

TEST(uart_thr_bytes_reach_the_host_with_thr_empty_interrupts)
{
	struct rig r;
	char buf[16] = "";

	rig_up(&r);
	for (const char *p = "hi\n"; *p; p++)
		out8(&r, 0, (uint8_t)*p);
	CHECK_EQ(read(r.out[0], buf, sizeof(buf)), 3);
	CHECK(!memcmp(buf, "hi\n", 3));
	CHECK_EQ(pulses(&r), 0); /* interrupts off */
	out8(&r, 1, 0x02);       /* THR empty now: raised at once */
	CHECK_EQ(pulses(&r), 1);
	CHECK_EQ(in8(&r, 2), 0x02);
	CHECK_EQ(in8(&r, 2), 0x01); /* reading IIR cleared it */
	out8(&r, 0, 'x');           /* sent, empty again: raised again */
	CHECK_EQ(pulses(&r), 1);
	CHECK_EQ(in8(&r, 2), 0x02);
	out8(&r, 1, 0x00);
	CHECK_EQ(pulses(&r), 0);
	rig_down(&r);
}

TEST(uart_loopback_sends_thr_to_rbr_not_the_host)
{
	struct rig r;
	char buf[4];

	rig_up(&r);
	out8(&r, 4, 0x10);
	out8(&r, 0, 'L');
	CHECK_EQ(in8(&r, 5) & 0x01, 0x01);
	CHECK_EQ(in8(&r, 0), 'L');
	CHECK_EQ(in8(&r, 5) & 0x01, 0x00);
	CHECK(read(r.out[0], buf, sizeof(buf)) < 0 && errno == EAGAIN);
	rig_down(&r);
}

TEST(uart_host_input_is_bounded_and_interrupts_when_enabled)
{
	struct rig r;
	uint8_t data[200];
	unsigned int got = 0;

	rig_up(&r);
	for (unsigned int i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)i;
	CHECK_EQ(write(r.in[1], data, sizeof(data)), (ssize_t)sizeof(data));
	uart_poll_input(r.u);
	CHECK_EQ(pulses(&r), 0); /* receive interrupts off */
	out8(&r, 1, 0x01);
	CHECK_EQ(pulses(&r), 1);
	CHECK_EQ(in8(&r, 2), 0x04);
	/* 64 bytes taken; the rest waits in the pipe. */
	while (in8(&r, 5) & 0x01)
		CHECK_EQ(in8(&r, 0), data[got++]);
	CHECK_EQ(got, 64);
	CHECK_EQ(in8(&r, 2), 0x01);
	uart_poll_input(r.u);
	CHECK_EQ(pulses(&r), 1);
	while (in8(&r, 5) & 0x01)
		CHECK_EQ(in8(&r, 0), data[got++]);
	CHECK_EQ(got, 128);
	out8(&r, 2, 0x03); /* FIFO reset drops what is buffered */
	uart_poll_input(r.u);
	out8(&r, 2, 0x03);
	CHECK_EQ(in8(&r, 5) & 0x01, 0);
	rig_down(&r);
}

TEST(uart_bad_register_reads_all_ones_and_closed_output_is_dropped)
{
	struct rig r;
	uint8_t v = 0;

	rig_up(&r);
	uart_io(r.u, 8, false, &v);
	CHECK_EQ(v, 0xff);
	v = 0x42;
	uart_io(r.u, 200, true, &v);
	/* A reader that went away: EPIPE (krun_start_enter ignores SIGPIPE, as
	 * this test does), and the output is dropped from then on. */
	signal(SIGPIPE, SIG_IGN);
	close(r.out[0]);
	r.out[0] = open("/dev/null", O_RDONLY | O_CLOEXEC);
	out8(&r, 0, 'z');
	out8(&r, 0, 'z');
	CHECK_EQ(in8(&r, 5) & 0x60, 0x60);
	rig_down(&r);
}
