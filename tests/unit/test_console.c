/* SPDX-License-Identifier: Apache-2.0 */
/* virtio-console: config space, the control protocol, window size, reset.
 * The data path is in test_console_io.c; the fake driver in console_fake_driver.h. */
#include "console_fake_driver.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <termios.h>

static uint32_t read_cfg16(struct drv *t, unsigned int off)
{
	uint16_t v;
	virtio_mmio_read(t->d, VIRTIO_MMIO_CONFIG + off, &v, 2);
	return v;
}

TEST(console_config_reports_four_ports_and_no_size_without_a_terminal)
{
	struct fx f;
	struct drv *t;
	uint32_t v;

	fx_pipes(&f);
	t = fx_start(&f, false);
	virtio_mmio_read(t->d, VIRTIO_MMIO_CONFIG + 4, &v, 4);
	CHECK_EQ(v, 4);
	CHECK_EQ(read_cfg16(t, 0), 0);
	CHECK_EQ(read_cfg16(t, 2), 0);
	fx_stop(&f);
}

TEST(console_handshake_adds_given_ports_with_names_console_and_open)
{
	struct fx f;

	fx_pipes(&f);
	fx_start(&f, true); /* handshake() checks every message; no port 3 */
	fx_stop(&f);
}

TEST(console_control_messages_wait_for_rx_buffers_and_keep_order)
{
	struct fx f;
	struct drv *t;
	struct msg m;

	fx_pipes(&f);
	t = fx_start(&f, false);
	ctrl_send(t, 0xffffffffu, DEVICE_READY, 1);
	ctrl_send(t, 1, PORT_READY, 1);
	usleep(50000);
	CHECK_EQ(used_idx(t, CTRL_RX), 0);
	for (int i = 0; i < 8; i++)
		drv_add(t, CTRL_RX, NULL, 4096, true);
	for (unsigned int i = 0; i < 3; i++)
		expect_msg(t, i, DEVICE_ADD, 1);
	CHECK(ctrl_recv(t, &m, 2000));
	CHECK_EQ(m.event, PORT_NAME);
	expect_msg(t, 1, PORT_OPEN, 1);
	fx_stop(&f);
}

TEST(console_hostile_control_messages_are_ignored)
{
	struct fx f;
	struct drv *t;
	uint32_t id, len;

	fx_pipes(&f);
	t = fx_start(&f, false);
	/* A control RX buffer too short for a message costs the driver that message. */
	drv_add(t, CTRL_RX, NULL, 4, true);
	for (int i = 0; i < 4; i++)
		drv_add(t, CTRL_RX, NULL, 4096, true);
	drv_add(t, CTRL_TX, "\x03\0\0\0", 4, false); /* short */
	CHECK(drv_used(t, CTRL_TX, &id, &len, 2000));
	drv_add(t, CTRL_TX, NULL, 8, true); /* nothing readable */
	CHECK(drv_used(t, CTRL_TX, &id, &len, 2000));
	ctrl_send(t, 99, PORT_READY, 1);
	ctrl_send(t, 3, PORT_READY, 1); /* no stderr fd: no port 3 */
	ctrl_send(t, 3, PORT_OPEN, 1);
	ctrl_send(t, 0, 42, 1);
	ctrl_send(t, 1, DEVICE_ADD, 1);
	ctrl_send(t, 2, PORT_READY, 0);
	ctrl_send(t, 0xffffffffu, DEVICE_READY, 0);
	CHECK_EQ(used_idx(t, CTRL_RX), 0);
	ctrl_send(t, 0xffffffffu, DEVICE_READY, 1);
	CHECK(drv_used(t, CTRL_RX, &id, &len, 2000)); /* the short one, empty */
	CHECK_EQ(len, 0);
	for (unsigned int i = 1; i < 3; i++)
		expect_msg(t, i, DEVICE_ADD, 1);
	expect_no_msg(t);
	fx_stop(&f);
}

static void expect_resize(struct drv *t, uint16_t rows, uint16_t cols)
{
	struct msg m;
	uint16_t got[2];

	CHECK(ctrl_recv(t, &m, 2000));
	CHECK_EQ(m.id, 0);
	CHECK_EQ(m.event, RESIZE);
	CHECK_EQ(m.extra_len, 4);
	memcpy(got, m.extra, 4);
	CHECK_EQ(got[0], rows); /* Linux reads rows first */
	CHECK_EQ(got[1], cols);
}

TEST(console_window_size_goes_to_port0_at_start_and_on_sigwinch)
{
	struct fx f;
	struct drv *t;
	struct winsize ws = { .ws_row = 33, .ws_col = 101 };
	sigset_t winch, old;
	int m = posix_openpt(O_RDWR | O_NOCTTY), s;

	if (m < 0)
		SKIP("no pseudo-terminal: %s", strerror(errno));
	CHECK(grantpt(m) == 0 && unlockpt(m) == 0);
	s = open(ptsname(m), O_RDWR | O_NOCTTY);
	CHECK(s >= 0);
	CHECK_EQ(ioctl(m, TIOCSWINSZ, &ws), 0);
	/* As the VMM does: blocked in every thread, taken by the device's signalfd. */
	sigemptyset(&winch);
	sigaddset(&winch, SIGWINCH);
	pthread_sigmask(SIG_BLOCK, &winch, &old);
	fx_pipes(&f);
	f.cfg.winsize_fd = s;
	t = fx_start(&f, false);
	CHECK_EQ(read_cfg16(t, 0), 101);
	CHECK_EQ(read_cfg16(t, 2), 33);
	for (int i = 0; i < 8; i++)
		drv_add(t, CTRL_RX, NULL, 4096, true);
	ctrl_send(t, 0xffffffffu, DEVICE_READY, 1);
	for (unsigned int i = 0; i < 3; i++)
		expect_msg(t, i, DEVICE_ADD, 1);
	ctrl_send(t, 0, PORT_READY, 1);
	expect_msg(t, 0, CONSOLE_PORT, 1);
	expect_resize(t, 33, 101);
	expect_msg(t, 0, PORT_OPEN, 1);
	ws = (struct winsize){ .ws_row = 40, .ws_col = 120 };
	CHECK_EQ(ioctl(m, TIOCSWINSZ, &ws), 0);
	kill(getpid(), SIGWINCH);
	expect_resize(t, 40, 120);
	CHECK_EQ(read_cfg16(t, 0), 120);
	fx_stop(&f);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	close(s);
	close(m);
}

TEST(console_reset_with_a_chain_in_flight_then_works_again)
{
	struct fx f;
	struct drv *t;
	char buf[16] = { 0 };
	uint32_t id, len;
	int sz;

	fx_pipes(&f);
	sz = fill_pipe(f.out[1]);
	t = fx_start(&f, true);
	drv_add(t, TXQ(2), "old", 3, false);
	usleep(50000);
	mw(t, VIRTIO_MMIO_STATUS, 0); /* the writer holds "old" */
	drain(f.out[0], (size_t)sz + 3);
	drv_bringup(t);
	handshake(t);
	drv_add(t, TXQ(2), "new", 3, false);
	CHECK(drv_used(t, TXQ(2), &id, &len, 2000));
	CHECK_EQ(read(f.out[0], buf, sizeof(buf)), 3);
	CHECK_STR_EQ(buf, "new");
	fx_stop(&f);
}
