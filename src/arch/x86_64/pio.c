/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Port I/O the in-kernel devices (PIC, PIT, IOAPIC) leave to us:
 *   KRUN_EXIT_PORT  32-bit out: init's exit report (vmm/guest_abi.h)
 *   KRUN_PHASE_PORT 32-bit out: init's boot phase marks (vmm/phase.h)
 *   0x64            i8042 status/command: reads 0 (no data, input buffer empty,
 *                   so the kernel's kb_wait passes), 0xfe = pulse reset line
 *   0x3f8..0x3ff    COM1: the 16550 of krun_add_serial_console_default
 *                   (devices/serial/uart.h) when there is one; else just
 *                   enough for earlyprintk=serial: THR writes are logged at
 *                   debug level, LSR reads "transmitter empty", IER reads 0,
 *                   so the 8250 driver's probe finds no UART.
 *   anything else   writes ignored, reads all-ones (nothing on the bus)
 */
#include <errno.h>
#include <string.h>

#include "arch/x86_64/layout.h"
#include "arch/x86_64/x86.h"
#include "devices/serial/uart.h"
#include "util/log.h"
#include "vmm/guest_abi.h"

#define I8042_CMD_RESET 0xfe
#define UART_THR 0
#define UART_LSR 5
#define UART_LSR_THRE_TEMT 0x60 /* holding register and transmitter empty */
#define UART_PORTS 8

static void con_flush(struct vcpu *v)
{
	if (v->con_len == 0)
		return;
	log_debug("guest: %.*s", (int)v->con_len, v->con_line);
	v->con_len = 0;
}

/* Guest bytes go to the host's log: only printable ASCII is kept, so a guest
 * cannot send terminal escapes through it. */
static void con_put(struct vcpu *v, uint8_t c)
{
	if (c == '\n') {
		con_flush(v);
		return;
	}
	if (c < 0x20 || c == 0x7f)
		return; /* \r, and the divisor latch bytes written while DLAB is set */
	if (c > 0x7f)
		c = '?';
	v->con_line[v->con_len++] = (char)c;
	if (v->con_len == sizeof(v->con_line))
		con_flush(v);
}

static void uart(struct vcpu *v, unsigned int reg, bool out, uint8_t *data, unsigned int size)
{
	for (unsigned int i = 0; i < size; i++, reg++) {
		if (out) {
			if (reg == UART_THR && log_get_level() >= LOG_DEBUG)
				con_put(v, data[i]);
		} else {
			data[i] = reg == UART_LSR ? UART_LSR_THRE_TEMT : 0;
		}
	}
}

void x86_pio(struct vm *vm, struct vcpu *v, uint16_t port, bool out, uint8_t *data,
	     unsigned int size)
{
	uint32_t val = 0;

	if (out)
		memcpy(&val, data, size); /* x86 is little-endian, as is the host */
	if (port == KRUN_EXIT_PORT) {
		if (out && size == 4) {
			vm_phase_mark(&vm->phases, VM_PHASE_EXIT_REPORT);
			vm_request_end(vm, VM_END_EXIT_REPORT, (int)val);
		} else if (!out) {
			memset(data, 0xff, size);
		}
		return;
	}
	if (port == KRUN_PHASE_PORT) {
		if (out && size == 4 && val == KRUN_PHASE_INIT)
			vm_phase_mark(&vm->phases, VM_PHASE_INIT);
		else if (out && size == 4 && val == KRUN_PHASE_WORKLOAD)
			vm_phase_mark(&vm->phases, VM_PHASE_WORKLOAD);
		else if (!out)
			memset(data, 0xff, size);
		return;
	}
	if (port == LAYOUT_PORT_I8042_CMD) {
		if (!out)
			memset(data, 0, size);
		else if (size == 1 && val == I8042_CMD_RESET)
			vm_request_end(vm, VM_END_RESET, 0);
		return;
	}
	if (port >= LAYOUT_PORT_COM1 && port < LAYOUT_PORT_COM1 + UART_PORTS) {
		if (!vm->serial) {
			uart(v, port - LAYOUT_PORT_COM1, out, data, size);
			return;
		}
		for (unsigned int i = 0; i < size; i++) {
			unsigned int reg = port - LAYOUT_PORT_COM1 + i;

			if (reg < UART_PORTS)
				uart_io(vm->serial, reg, out, &data[i]);
			else if (!out)
				data[i] = 0xff;
		}
		return;
	}
	if (!out)
		memset(data, 0xff, size);
}

int arch_handle_exit(struct vm *vm, struct vcpu *v)
{
	struct kvm_run *run = v->run;
	uint8_t dir, size;
	uint16_t port;
	uint32_t count;
	uint64_t off;

	if (run->exit_reason != KVM_EXIT_IO) {
		log_error("x86: vCPU %u: unexpected KVM exit %u", v->id, run->exit_reason);
		return -EINVAL;
	}
	/* Read each field once and check it before use: the data must lie in the
	 * run mapping after struct kvm_run, whole (KVM puts it in the next page). */
	dir = run->io.direction;
	size = run->io.size;
	port = run->io.port;
	count = run->io.count;
	off = run->io.data_offset;
	if ((size != 1 && size != 2 && size != 4) || count == 0 || off < sizeof(*run) ||
	    off > v->run_size || (uint64_t)size * count > v->run_size - off) {
		log_error("x86: vCPU %u: malformed I/O exit (port 0x%x size %u count %u "
			  "offset %llu)", v->id, port, size, count, (unsigned long long)off);
		return -EINVAL;
	}
	uint8_t *data = (uint8_t *)run + off;
	for (uint32_t i = 0; i < count; i++)
		x86_pio(vm, v, port, dir == KVM_EXIT_IO_OUT, data + (size_t)i * size, size);
	return 0;
}
