/* SPDX-License-Identifier: Apache-2.0 */
/* virtio-console data path: host fds <-> guest buffers, EOF, back-pressure, flush.
 * The fake driver is in console_fake_driver.h. */
#include "console_fake_driver.h"

TEST(console_stdin_waits_for_guest_open_then_reaches_rx_buffers)
{
	struct fx f;
	struct drv *t;

	fx_pipes(&f);
	t = fx_start(&f, true);
	CHECK_EQ(write(f.in[1], "hello", 5), 5);
	drv_add(t, RXQ(1), NULL, 64, true);
	usleep(50000);
	CHECK_EQ(used_idx(t, RXQ(1)), 0); /* Linux would drop it: port not open */
	ctrl_send(t, 1, PORT_OPEN, 1);
	rx_expect(t, RXQ(1), "hello");
	CHECK_EQ(write(f.in[1], "world", 5), 5);
	usleep(20000);
	drv_add(t, RXQ(1), NULL, 64, true); /* a kick resumes reading */
	rx_expect(t, RXQ(1), "world");
	fx_stop(&f);
}

TEST(console_terminal_input_goes_to_port0_after_console_open)
{
	struct fx f;
	struct drv *t;

	fx_pipes(&f);
	t = fx_start(&f, true);
	drv_add(t, RXQ(0), NULL, 64, true);
	ctrl_send(t, 0, PORT_OPEN, 1); /* Linux's init_port_console */
	CHECK_EQ(write(f.con_in[1], "\x03q", 2), 2);
	rx_expect(t, RXQ(0), "\x03q");
	fx_stop(&f);
}

TEST(console_stdin_eof_sends_port_open_zero_after_the_data)
{
	struct fx f;
	struct drv *t;

	fx_pipes(&f);
	t = fx_start(&f, true);
	CHECK_EQ(write(f.in[1], "last", 4), 4);
	close(f.in[1]);
	f.in[1] = -1;
	drv_add(t, RXQ(1), NULL, 64, true);
	drv_add(t, RXQ(1), NULL, 64, true);
	ctrl_send(t, 1, PORT_OPEN, 1);
	expect_msg(t, 1, PORT_OPEN, 0);
	/* The data was in the used ring before the message was. */
	CHECK_EQ(used_idx(t, RXQ(1)), 1);
	rx_expect(t, RXQ(1), "last");
	expect_no_msg(t);
	fx_stop(&f);
}

TEST(console_stdin_regular_file_is_read_till_eof)
{
	struct fx f;
	struct drv *t;
	char path[] = "/tmp/test_console_XXXXXX";
	int fd = mkstemp(path);

	CHECK(fd >= 0);
	unlink(path);
	CHECK_EQ(write(fd, "from a file", 11), 11);
	CHECK_EQ(lseek(fd, 0, SEEK_SET), 0);
	fx_pipes(&f);
	f.cfg.port_in = fd; /* epoll refuses regular files */
	t = fx_start(&f, true);
	drv_add(t, RXQ(1), NULL, 4, true);
	drv_add(t, RXQ(1), NULL, 64, true);
	ctrl_send(t, 1, PORT_OPEN, 1);
	rx_expect(t, RXQ(1), "from");
	rx_expect(t, RXQ(1), " a file");
	drv_add(t, RXQ(1), NULL, 64, true); /* EOF once a read finds nothing more */
	expect_msg(t, 1, PORT_OPEN, 0);
	fx_stop(&f);
	close(fd);
}

TEST(console_rx_chain_without_writable_space_is_completed_empty)
{
	struct fx f;
	struct drv *t;
	uint32_t id, len;

	fx_pipes(&f);
	t = fx_start(&f, true);
	drv_add(t, RXQ(1), "ro", 2, false);
	ctrl_send(t, 1, PORT_OPEN, 1);
	CHECK(drv_used(t, RXQ(1), &id, &len, 2000));
	CHECK_EQ(len, 0);
	CHECK_EQ(write(f.in[1], "ok", 2), 2);
	drv_add(t, RXQ(1), NULL, 16, true);
	rx_expect(t, RXQ(1), "ok");
	fx_stop(&f);
}

TEST(console_guest_tx_reaches_the_host_fd_in_order)
{
	struct fx f;
	struct drv *t;
	char buf[64] = { 0 };
	uint32_t id, len;

	fx_pipes(&f);
	t = fx_start(&f, true);
	drv_add_segs(t, TXQ(2), "abcdef", 2, 3, 0, false); /* one chain, 3 segments */
	drv_add(t, TXQ(2), "gh", 2, false);
	drv_add(t, TXQ(0), "console", 7, false);
	for (int i = 0; i < 2; i++) {
		CHECK(drv_used(t, TXQ(2), &id, &len, 2000));
		CHECK_EQ(len, 0);
	}
	CHECK_EQ(read(f.out[0], buf, sizeof(buf)), 8);
	CHECK_STR_EQ(buf, "abcdefgh");
	CHECK(drv_used(t, TXQ(0), &id, &len, 2000));
	memset(buf, 0, sizeof(buf));
	CHECK_EQ(read(f.con_out[0], buf, sizeof(buf)), 7);
	CHECK_STR_EQ(buf, "console");
	fx_stop(&f);
}

TEST(console_full_pipe_keeps_the_chain_until_the_reader_drains)
{
	struct fx f;
	struct drv *t;
	char buf[16] = { 0 };
	uint32_t id, len;
	int sz;

	fx_pipes(&f);
	sz = fill_pipe(f.out[1]);
	t = fx_start(&f, true);
	drv_add(t, TXQ(2), "late", 4, false);
	drv_add(t, TXQ(2), "r", 1, false);
	usleep(100000);
	CHECK_EQ(used_idx(t, TXQ(2)), 0);
	drain(f.out[0], (size_t)sz);
	CHECK(drv_used(t, TXQ(2), &id, &len, 2000));
	CHECK(drv_used(t, TXQ(2), &id, &len, 2000));
	CHECK_EQ(read(f.out[0], buf, sizeof(buf)), 5);
	CHECK_STR_EQ(buf, "later");
	fx_stop(&f);
}

struct reader {
	int fd;
	size_t want, got;
	char buf[16384];
};

static void *reader_thread(void *arg)
{
	struct reader *r = arg;

	usleep(100000);
	while (r->got < r->want) {
		ssize_t n = read(r->fd, r->buf + r->got, r->want - r->got);
		if (n <= 0)
			break;
		r->got += (size_t)n;
	}
	return NULL;
}

TEST(console_flush_writes_pending_and_unkicked_chains_in_order)
{
	struct fx f;
	struct drv *t;
	struct reader *r = calloc(1, sizeof(*r));
	pthread_t th;
	int sz;

	CHECK(r);
	fx_pipes(&f);
	sz = fill_pipe(f.out[1]);
	t = fx_start(&f, true);
	drv_add(t, TXQ(2), "one,", 4, false);
	drv_add_segs(t, TXQ(2), "two,", 4, 1, 0, false); /* never kicked */
	drv_add_segs(t, TXQ(2), "three", 5, 1, 0, false);
	usleep(50000);
	evloop_stop(t->loop);
	r->fd = f.out[0];
	r->want = (size_t)sz + 13;
	CHECK_EQ(pthread_create(&th, NULL, reader_thread, r), 0);
	CHECK_EQ(console_flush(t->d), 0);
	pthread_join(th, NULL);
	CHECK_EQ(r->got, r->want);
	r->buf[r->got] = 0;
	CHECK_STR_EQ(r->buf + sz, "one,two,three");
	CHECK_EQ(used_idx(t, TXQ(2)), 3);
	CHECK_EQ(fcntl(f.out[1], F_GETFL) & O_NONBLOCK, 0); /* flags untouched */
	fx_stop(&f);
	free(r);
}

TEST(console_closed_reader_discards_output_without_hanging)
{
	struct fx f;
	struct drv *t;
	uint32_t id, len;

	fx_pipes(&f);
	close(f.out[0]);
	f.out[0] = -1;
	t = fx_start(&f, true);
	for (int i = 0; i < 3; i++)
		drv_add(t, TXQ(2), "lost", 4, false);
	for (int i = 0; i < 3; i++)
		CHECK(drv_used(t, TXQ(2), &id, &len, 2000)); /* and no SIGPIPE death */
	fx_stop(&f);
}

#define STREAM_BYTES (4u << 20)

static uint8_t pattern(size_t i)
{
	return (uint8_t)((i * 2654435761u) >> 11 ^ i >> 16);
}

struct stream {
	int fd;
	size_t done;
	bool bad;
};

static void *feed_thread(void *arg)
{
	struct stream *st = arg;
	uint8_t buf[5000];

	while (st->done < STREAM_BYTES) {
		size_t n = STREAM_BYTES - st->done < sizeof(buf) ? STREAM_BYTES - st->done : sizeof(buf);
		for (size_t i = 0; i < n; i++)
			buf[i] = pattern(st->done + i);
		ssize_t w = write(st->fd, buf, n);
		if (w <= 0)
			break;
		st->done += (size_t)w;
	}
	close(st->fd);
	return NULL;
}

static void *check_thread(void *arg)
{
	struct stream *st = arg;
	uint8_t buf[7000];
	ssize_t n;

	while (st->done < STREAM_BYTES && (n = read(st->fd, buf, sizeof(buf))) > 0) {
		for (ssize_t i = 0; i < n; i++)
			st->bad |= buf[i] != pattern(st->done + (size_t)i);
		st->done += (size_t)n;
	}
	return NULL;
}

TEST(console_streams_megabytes_both_ways_without_loss_or_reordering)
{
	struct fx f;
	struct drv *t;
	struct stream in = { 0 }, out = { 0 };
	pthread_t feeder, checker;
	uint8_t buf[BUFSZ];
	size_t got = 0, sent = 0;
	unsigned int outstanding = 0;
	uint32_t id, len;

	fx_pipes(&f);
	t = fx_start(&f, true);
	in.fd = f.in[1];
	f.in[1] = -1;
	out.fd = f.out[0];
	CHECK_EQ(pthread_create(&feeder, NULL, feed_thread, &in), 0);
	CHECK_EQ(pthread_create(&checker, NULL, check_thread, &out), 0);
	for (int i = 0; i < QSZ; i++)
		drv_add(t, RXQ(1), NULL, 4096, true);
	ctrl_send(t, 1, PORT_OPEN, 1);
	while (got < STREAM_BYTES) {
		CHECK(drv_used(t, RXQ(1), &id, &len, 5000));
		CHECK(len > 0 && len <= 4096);
		CHECK_EQ(gmem_read(&t->mem, BUF(RXQ(1), id), buf, len), 0);
		for (uint32_t i = 0; i < len; i++)
			CHECK_EQ(buf[i], pattern(got + i));
		got += len;
		drv_add(t, RXQ(1), NULL, 4096, true);
	}
	expect_msg(t, 1, PORT_OPEN, 0);
	while (sent < STREAM_BYTES || outstanding) {
		if (sent < STREAM_BYTES && outstanding < QSZ) {
			size_t n = STREAM_BYTES - sent < BUFSZ ? STREAM_BYTES - sent : BUFSZ;
			for (size_t i = 0; i < n; i++)
				buf[i] = pattern(sent + i);
			drv_add(t, TXQ(2), buf, (uint32_t)n, false);
			sent += n;
			outstanding++;
		} else {
			CHECK(drv_used(t, TXQ(2), &id, &len, 5000));
			outstanding--;
		}
	}
	pthread_join(feeder, NULL);
	pthread_join(checker, NULL);
	CHECK_EQ(out.done, STREAM_BYTES);
	CHECK(!out.bad);
	fx_stop(&f);
}

/* Fills krun-stdin's receive queue as Linux's add_inbuf does (a kick asked
 * for after every buffer), then streams both ways; returns the kicks the fill
 * cost. event_idx false: a driver that does not take VIRTIO_F_EVENT_IDX. */
static unsigned int fill_kicks_then_stream(bool event_idx)
{
	struct fx f;
	char out[16] = { 0 };
	uint32_t id, len;
	unsigned int kicks;

	fx_pipes(&f);
	fx_start(&f, false);
	if (!event_idx) {
		f.t.no_event_idx = true;
		drv_bringup(&f.t); /* a reset, then the features again */
	}
	CHECK_EQ(f.t.event_idx, event_idx);
	handshake(&f.t);
	for (int i = 0; i < QSZ - 1; i++)
		drv_add(&f.t, RXQ(1), NULL, 64, true);
	kicks = f.t.kicks[RXQ(1)];
	/* The device takes buffers because host data came, not for a kick. */
	ctrl_send(&f.t, 1, PORT_OPEN, 1);
	CHECK_EQ(write(f.in[1], "hi", 2), 2);
	rx_expect(&f.t, RXQ(1), "hi");
	CHECK_EQ(write(f.in[1], "there", 5), 5);
	rx_expect(&f.t, RXQ(1), "there");
	for (int i = 0; i < 3; i++) { /* each after the writer found the ring empty */
		bool used;

		drv_add(&f.t, TXQ(2), "out", 3, false);
		used = drv_used(&f.t, TXQ(2), &id, &len, 2000);
		CHECK(used);
		if (!used)
			break; /* a lost kick: the read below would block for good */
		CHECK_EQ(read(f.out[0], out, sizeof(out)), 3);
	}
	CHECK_STR_EQ(out, "out");
	fx_stop(&f);
	return kicks;
}

/* VIRTIO_F_EVENT_IDX, as Linux negotiates it: the fill costs one kick, not
 * one per buffer, and data still flows. */
TEST(console_event_idx_one_kick_fills_a_receive_queue)
{
	CHECK_EQ(fill_kicks_then_stream(true), 1);
}

TEST(console_without_event_idx_every_buffer_kicks_and_data_flows)
{
	CHECK_EQ(fill_kicks_then_stream(false), QSZ - 1);
}
