/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The guest's consoles: the implicit virtio-console whose hvc0 and ports
 * carry the workload's stdio (src/api/start.c), and a 16550 serial port
 * (devices/serial/uart.h). The kernel's console= can be chosen; explicit
 * virtio-console devices are not in libkrun-c, and their calls check the
 * context, say so and return -ENOSYS.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>

#include "api/ctx.h"
#include "api/export.h"
#include "libkrun.h"
#include "util/log.h"

#define NO_CONSOLES "explicit console device (the implicit virtio-console is the only one)"

KRUN_API int32_t krun_set_kernel_console(uint32_t ctx_id, const char *console_id)
{
	CTX_HOLD(ctx, ctx_id);

	/* One word of the command line: a blank would start another parameter. */
	if (!console_id || !*console_id || strpbrk(console_id, " \t\n")) {
		log_error("%s: want a console name such as hvc0, without blanks", __func__);
		return -EINVAL;
	}
	return ctx_set_string(&ctx->kernel_console, console_id);
}

KRUN_API int32_t krun_disable_implicit_console(uint32_t ctx_id)
{
	CTX_HOLD(ctx, ctx_id);

	ctx->console_implicit_off = true;
	return 0;
}

/* Defined after krun_add_serial_console_default's helper, below. */
static bool fd_valid(int fd);

KRUN_API int32_t krun_add_virtio_console_default(uint32_t ctx_id, int input_fd, int output_fd,
						 int err_fd)
{
	CTX_HOLD(ctx, ctx_id);

	if (input_fd < 0 || output_fd < 0 || err_fd < 0 || !fd_valid(input_fd) ||
	    !fd_valid(output_fd) || !fd_valid(err_fd)) {
		log_error("%s: fds %d, %d, %d: each must be open", __func__, input_fd, output_fd,
			  err_fd);
		return -EBADF;
	}
	/* The implicit console, when on, is one of the VM's devices too. */
	if (ctx->nconsoles + !ctx->console_implicit_off >= VMM_MAX_CONSOLES) {
		log_error("%s: at most %d virtio consoles", __func__, VMM_MAX_CONSOLES);
		return -ENOSPC;
	}
	ctx->consoles[ctx->nconsoles].fd[0] = input_fd;
	ctx->consoles[ctx->nconsoles].fd[1] = output_fd;
	ctx->consoles[ctx->nconsoles].fd[2] = err_fd;
	ctx->nconsoles++;
	return 0;
}

static bool fd_valid(int fd)
{
	return fd == -1 || (fd >= 0 && fcntl(fd, F_GETFD) >= 0);
}

/* One port: the bundled kernel has one legacy UART (CONFIG_SERIAL_8250_NR_UARTS). */
KRUN_API int32_t krun_add_serial_console_default(uint32_t ctx_id, int input_fd, int output_fd)
{
	CTX_HOLD(ctx, ctx_id);

	if (!fd_valid(input_fd) || !fd_valid(output_fd)) {
		log_error("%s: input fd %d or output fd %d is not open", __func__, input_fd,
			  output_fd);
		return -EBADF;
	}
	if (ctx->serial) {
		log_error("%s: the guest has one serial port (ttyS0), already added", __func__);
		return -ENOSPC;
	}
	ctx->serial = true;
	ctx->serial_in = input_fd;
	ctx->serial_out = output_fd;
	return 0;
}

KRUN_API int32_t krun_add_virtio_console_multiport(uint32_t ctx_id)
{
	return ctx_unsupported(ctx_id, __func__, NO_CONSOLES, -ENOSYS);
}

KRUN_API int32_t krun_add_console_port_tty(uint32_t ctx_id, uint32_t console_id,
					   const char *name, int tty_fd)
{
	(void)console_id, (void)name, (void)tty_fd;
	return ctx_unsupported(ctx_id, __func__, NO_CONSOLES, -ENOSYS);
}

KRUN_API int32_t krun_add_console_port_inout(uint32_t ctx_id, uint32_t console_id,
					     const char *name, int input_fd, int output_fd)
{
	(void)console_id, (void)name, (void)input_fd, (void)output_fd;
	return ctx_unsupported(ctx_id, __func__, NO_CONSOLES, -ENOSYS);
}
