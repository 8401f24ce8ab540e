/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A 16550A UART (the PC's COM1: I/O ports 0x3f8-0x3ff, ISA IRQ 4), for
 * krun_add_serial_console_default: the guest's 8250 driver finds it, so
 * console=ttyS0 shows the kernel's messages from the console's registration
 * on (the printk buffer is replayed from the boot's start), and /dev/ttyS0
 * carries bytes both ways.
 *
 * Registers as the National Semiconductor PC16550D data sheet has them:
 * RBR/THR, IER, IIR/FCR, LCR, MCR (loopback included, which the driver's probe
 * uses), LSR, MSR, SCR, and the divisor latch under LCR.DLAB. Transmission is
 * instant (THR is always empty again after a write), so there are no line
 * errors and no modem-status changes outside loopback.
 *
 * Host side: guest bytes are written to out_fd (blocking, from the vCPU
 * thread that wrote THR; -1 discards them); in_fd (pollable: a pipe, socket
 * or terminal) is read on the loop thread, when poll says a read will not
 * block, into a 64-byte receive buffer, only while the guest's driver has
 * receive interrupts on and the buffer has room: host input waits in the fd,
 * not in the VMM. The fds stay the caller's.
 *
 * Interrupts: the line is pulsed (irq_fd, an irqfd KVM raises as an edge)
 * whenever the highest-priority pending interrupt goes from none to some;
 * the driver's handler loops on IIR until none is left.
 *
 * Locking: one mutex; uart_io runs on vCPU threads, input on the loop thread.
 */
#ifndef LIBKRUN_DEVICES_SERIAL_UART_H
#define LIBKRUN_DEVICES_SERIAL_UART_H

#include <stdbool.h>
#include <stdint.h>

#define UART_NREGS 8

struct evloop;
struct uart;

struct uart_config {
	int in_fd;  /* host fd read into the guest's RBR, or -1 */
	int out_fd; /* host fd the guest's THR bytes go to, or -1 */
	int irq_fd; /* eventfd written to pulse the interrupt line */
};

/* NULL on error (logged). With a loop and an in_fd, input is watched from now
 * on (the loop may start later). */
struct uart *uart_create(const struct uart_config *cfg, struct evloop *loop);
/* Stops watching input; frees. NULL is fine. Not while a vCPU may call uart_io. */
void uart_destroy(struct uart *u);

/* One byte-wide access to register reg (0..7) of the UART: out writes *data,
 * an in fills it. Any thread. */
void uart_io(struct uart *u, unsigned int reg, bool out, uint8_t *data);

/* For tests and the loop: reads what in_fd has now into the receive buffer
 * (as the loop does when in_fd is readable). */
void uart_poll_input(struct uart *u);

#endif
