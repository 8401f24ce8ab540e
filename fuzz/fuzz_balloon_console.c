/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The balloon (src/devices/balloon/) and the console (src/devices/console/),
 * their control queues above all, behind the real virtio-mmio transport, as a
 * hostile driver drives them (virtio_driver.h: registers, rings, kicks).
 *
 * The first byte picks the device and, for the console, its ports:
 *   balloon   free page reporting: reported ranges are madvise'd away in the
 *             fuzzer's guest RAM (inflate/deflate buffers completed unused)
 *   console   MULTIPORT; port 0 discards its output or writes /dev/null;
 *             krun-stdin reads a pipe the input may fill or close (EOF);
 *             krun-stdout and krun-stderr, maybe, write /dev/null (a writer
 *             thread each). Control messages (DEVICE_READY, PORT_READY, PORT_OPEN,
 *             anything else) go in on the control transmitq; the device's
 *             go out through control receiveq buffers the input gives.
 * A new device for every input; after every op that may kick a transmit
 * queue the console's writer threads are waited for (console_flush), so an
 * input runs the same way each time.
 *
 * Input: a selector byte, then ops: virtio_driver.h's, then run_op's
 * (control messages, control RX buffers, host input, EOF).
 */
#include "fuzz.h"

#include <errno.h>
#include <fcntl.h>

#include "devices/balloon/balloon.h"
#include "devices/console/console.h"
#include "vmm/evloop.h"
#include "virtio_driver.h"

#define CTRL_RX 2
#define CTRL_TX 3

static struct evloop *loop;
static int devnull = -1;
static int in_pipe[2] = { -1, -1 }, con_pipe[2] = { -1, -1 };
static bool console, writers;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	loop = vd_init_loop(1 << 20);
	devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
	FZ_CHECK(devnull >= 0);
	return 0;
}

/* The console's writer threads are done with what was kicked (no-op for the
 * balloon, or a console without output ports). */
static void settle(void)
{
	if (writers)
		FZ_CHECK(console_flush(vd.d) == 0);
}

/* A control message on the control transmitq (kicked). */
static void ctrl_msg(struct fz *z)
{
	static const uint16_t events[] = { 0, 3, 6, 6, 1, 2, 4, 5, 7, 8 };
	uint8_t m[8];
	uint32_t id = fz_u8(z);
	uint16_t ev = events[fz_u8(z) % 10], val = fz_u8(z) & 0x80 ? fz_u16(z) : fz_u8(z) % 2;

	if (id >= 4 && id != 0xff)
		id = fz_u32(z);
	else if (id == 0xff)
		id = 0xffffffffu;
	memcpy(m, &id, 4);
	memcpy(m + 4, &ev, 2);
	memcpy(m + 6, &val, 2);
	vd_buffer(CTRL_TX, vd.region_size / 2 + 0x10000, 16, sizeof(m), 0, m);
	vd_kick(CTRL_TX);
}

/* n control receiveq buffers of one size (Linux gives 4 KiB), kicked. */
static void ctrl_rx(struct fz *z)
{
	static const uint32_t sizes[] = { 4096, 4096, 8, 7, 12, 32, 1, 64 };
	unsigned int n = 1 + fz_u8(z) % 8;
	uint32_t len = sizes[fz_u8(z) % 8];

	for (unsigned int k = 0; k < n; k++)
		vd_buffer(CTRL_RX, vd.region_size / 2 + 0x20000, 4096, len, VIRTQ_DESC_F_WRITE,
			  NULL);
	vd_kick(CTRL_RX);
}

static void run_op(struct fz *z)
{
	uint8_t op = fz_u8(z);
	const uint8_t *p;
	size_t n;

	if (op % 15 < VD_NOPS) {
		vd_op(z, op % 15);
		/* Only these can kick a transmit queue (a register write may be a
		 * notify or DRIVER_OK, which kicks them all). */
		if (op % 15 == 0 || op % 15 == 6 || op % 15 == 7 || op % 15 == 9)
			settle();
		return;
	}
	if (!console) {
		/* A reported range: whole pages, or any range of RAM. */
		vd_chain(z, 2, true);
		return;
	}
	switch (op % 15) {
	case VD_NOPS: case VD_NOPS + 1:
		ctrl_msg(z);
		break;
	case VD_NOPS + 2:
		ctrl_rx(z);
		break;
	case VD_NOPS + 3: /* host input for krun-stdin or the console */
		p = fz_block(z, 8192, &n);
		if (n)
			(void)write(fz_u8(z) & 1 && con_pipe[1] >= 0 ? con_pipe[1] : in_pipe[1], p, n);
		vd_kick(fz_u8(z) & 1 ? 0 : 4);
		break;
	default: /* EOF on krun-stdin */
		if (in_pipe[1] >= 0) {
			close(in_pipe[1]);
			in_pipe[1] = -1;
		}
		vd_kick(4);
		break;
	}
}

static struct virtio_dev *console_new(uint8_t sel)
{
	struct console_config cfg = { .console_in = -1, .console_out = -1, .port_in = -1,
				      .port_out = -1, .port_err = -1, .winsize_fd = -1 };

	FZ_CHECK(pipe2(in_pipe, O_NONBLOCK | O_CLOEXEC) == 0);
	cfg.port_in = in_pipe[0];
	/* Each output port has a writer thread: half the inputs go without. */
	if (sel & 16)
		cfg.port_out = devnull;
	if (sel & 2)
		cfg.console_out = devnull;
	if (sel & 4)
		cfg.port_err = devnull;
	if (sel & 8) {
		FZ_CHECK(pipe2(con_pipe, O_NONBLOCK | O_CLOEXEC) == 0);
		cfg.console_in = con_pipe[0];
	}
	return console_create(&cfg, loop);
}

static void close_pipes(void)
{
	int *fds[] = { &in_pipe[0], &in_pipe[1], &con_pipe[0], &con_pipe[1] };

	for (unsigned int i = 0; i < 4; i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz z = { data, size };
	uint8_t sel = fz_u8(&z);
	struct virtio_dev *d;

	console = sel & 1;
	writers = console && (sel & (2 | 4 | 16)); /* console_new's output ports */
	d = console ? console_new(sel) : balloon_create();
	FZ_CHECK(d);
	vd_attach(d);
	while (!fz_empty(&z))
		run_op(&z);
	settle();
	vd_detach();
	d->ops->destroy(d);
	free(d);
	/* The loop outlives the device: nothing of it may stay registered. */
	FZ_CHECK(in_pipe[0] < 0 || evloop_del(loop, in_pipe[0]) == -ENOENT);
	FZ_CHECK(con_pipe[0] < 0 || evloop_del(loop, con_pipe[0]) == -ENOENT);
	close_pipes();
	return 0;
}
