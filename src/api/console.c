/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The guest's consoles: the implicit virtio-console whose hvc0 and ports
 * carry the workload's stdio (src/api/start.c), the caller's virtio consoles
 * (one like it on other fds, or one with the ports the caller lists), and a
 * 16550 serial port (devices/serial/uart.h). The kernel's console= can be
 * chosen. What start.c makes of them: setup_consoles.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>

#include "api/ctx.h"
#include "api/export.h"
#include "libkrun.h"
#include "util/log.h"

/* The guest's PORT_NAME buffer is a page; a name is for finding a port. */
#define CONSOLE_PORT_NAME_MAX 255

static bool ctx_console_has_tty_port(const struct ctx_console *c)
{
	for (unsigned int i = 0; i < c->nports; i++)
		if (c->port[i].console)
			return true;
	return false;
}

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

static bool fd_valid(int fd)
{
	return fd == -1 || (fd >= 0 && fcntl(fd, F_GETFD) >= 0);
}

/* A new console of the caller's, or NULL (logged) when the VM has its 4. */
static struct ctx_console *console_new(struct krun_ctx *ctx, const char *fn)
{
	struct ctx_console *c;

	/* The implicit console, when on, is one of the VM's devices too. */
	if (ctx->nconsoles + !ctx->console_implicit_off >= VMM_MAX_CONSOLES) {
		log_error("%s: at most %d virtio consoles", fn, VMM_MAX_CONSOLES);
		return NULL;
	}
	c = &ctx->consoles[ctx->nconsoles++];
	memset(c, 0, sizeof(*c));
	return c;
}

KRUN_API int32_t krun_add_virtio_console_default(uint32_t ctx_id, int input_fd, int output_fd,
						 int err_fd)
{
	CTX_HOLD(ctx, ctx_id);
	struct ctx_console *c;

	if (input_fd < 0 || output_fd < 0 || err_fd < 0 || !fd_valid(input_fd) ||
	    !fd_valid(output_fd) || !fd_valid(err_fd)) {
		log_error("%s: fds %d, %d, %d: each must be open", __func__, input_fd, output_fd,
			  err_fd);
		return -EBADF;
	}
	c = console_new(ctx, __func__);
	if (!c)
		return -ENOSPC;
	c->fd[0] = input_fd;
	c->fd[1] = output_fd;
	c->fd[2] = err_fd;
	return 0;
}

/* The console_id is the index among the caller's consoles. */
KRUN_API int32_t krun_add_virtio_console_multiport(uint32_t ctx_id)
{
	CTX_HOLD(ctx, ctx_id);
	struct ctx_console *c = console_new(ctx, __func__);

	if (!c)
		return -ENOSPC;
	c->multiport = true;
	return (int32_t)(c - ctx->consoles);
}

static int add_port(uint32_t ctx_id, const char *fn, uint32_t console_id, const char *name,
		    int in_fd, int out_fd, bool console)
{
	CTX_HOLD(ctx, ctx_id);
	struct ctx_console *c;
	struct console_port_cfg *p;
	char *copy;

	if (console_id >= ctx->nconsoles || !ctx->consoles[console_id].multiport) {
		log_error("%s: %u is not a console of krun_add_virtio_console_multiport", fn,
			  console_id);
		return -EINVAL;
	}
	if (!name || strlen(name) > CONSOLE_PORT_NAME_MAX) {
		log_error("%s: the name must be a string of at most %d bytes (\"\" for none)",
			  fn, CONSOLE_PORT_NAME_MAX);
		return -EINVAL;
	}
	if (in_fd < 0 || out_fd < 0 || !fd_valid(in_fd) || !fd_valid(out_fd)) {
		log_error("%s: fds %d, %d: each must be open", fn, in_fd, out_fd);
		return -EBADF;
	}
	c = &ctx->consoles[console_id];
	if (c->nports == CONSOLE_PORTS_MAX) {
		log_error("%s: at most %d ports per console", fn, CONSOLE_PORTS_MAX);
		return -ENOSPC;
	}
	if (console && ctx_console_has_tty_port(c)) {
		log_error("%s: console %u has its TTY port already (one per device)", fn,
			  console_id);
		return -EEXIST;
	}
	copy = strdup(name);
	if (!copy)
		return -ENOMEM;
	p = &c->port[c->nports++];
	*p = (struct console_port_cfg){ copy, in_fd, out_fd, console };
	return 0;
}

KRUN_API int32_t krun_add_console_port_tty(uint32_t ctx_id, uint32_t console_id,
					   const char *name, int tty_fd)
{
	return add_port(ctx_id, __func__, console_id, name, tty_fd, tty_fd, true);
}

KRUN_API int32_t krun_add_console_port_inout(uint32_t ctx_id, uint32_t console_id,
					     const char *name, int input_fd, int output_fd)
{
	return add_port(ctx_id, __func__, console_id, name, input_fd, output_fd, false);
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


