/* SPDX-License-Identifier: Apache-2.0 */
#include "harness.h"

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "virtio/mmio.h"

/* A fake device: 2 queues of at most 16, features bits 0, EVENT_IDX and 40, 8
 * config bytes. */
#define FAKE_FEATURES (1ULL << 0 | 1ULL << VIRTIO_F_EVENT_IDX | 1ULL << 40)

struct fake {
	struct virtio_dev d;
	struct gmem m;
	uint8_t config[8];
	int activated, resets, activate_result;
};

static uint64_t fake_features(struct virtio_dev *d)
{
	(void)d;
	return FAKE_FEATURES;
}

static void fake_config_read(struct virtio_dev *d, uint32_t off, void *data, uint32_t len)
{
	struct fake *f = d->priv;
	memcpy(data, f->config + off, len);
}

static void fake_config_write(struct virtio_dev *d, uint32_t off, const void *data, uint32_t len)
{
	struct fake *f = d->priv;
	memcpy(f->config + off, data, len);
}

static int fake_activate(struct virtio_dev *d)
{
	struct fake *f = d->priv;
	f->activated++;
	return f->activate_result;
}

static void fake_reset(struct virtio_dev *d)
{
	struct fake *f = d->priv;
	f->resets++;
	f->config[1]++; /* a device whose config a reset changes (register page tests) */
}

static const struct virtio_dev_ops fake_ops = {
	.name = "fake",
	.device_id = 42,
	.num_queues = 2,
	.queue_max_size = 16,
	.features = fake_features,
	.config_size = sizeof(((struct fake *)0)->config),
	.config_read = fake_config_read,
	.config_write = fake_config_write,
	.activate = fake_activate,
	.reset = fake_reset,
};

static void fake_setup(struct fake *f)
{
	const struct gmem_region reg[] = { { 0, 0x10000 } };
	memset(f, 0, sizeof(*f));
	CHECK_EQ(gmem_create(&f->m, reg, 1), 0);
	/* As the VMM's bus sets a device up. */
	f->d.ops = &fake_ops;
	f->d.priv = f;
	f->d.mem = &f->m;
	f->d.irqfd = -1;
	for (unsigned int i = 0; i < VIRTIO_MAX_QUEUES; i++)
		f->d.notify_fd[i] = -1;
	CHECK_EQ(pthread_mutex_init(&f->d.lock, NULL), 0);
	for (unsigned int i = 0; i < sizeof(f->config); i++)
		f->config[i] = (uint8_t)(0x10 + i);
}

static void fake_teardown(struct fake *f)
{
	if (f->d.irqfd >= 0)
		close(f->d.irqfd);
	pthread_mutex_destroy(&f->d.lock);
	gmem_destroy(&f->m);
}

static uint32_t rd(struct fake *f, uint64_t off)
{
	uint32_t v = 0xdeadbeef;
	virtio_mmio_read(&f->d, off, &v, 4);
	return v;
}

static void wr(struct fake *f, uint64_t off, uint32_t v)
{
	virtio_mmio_write(&f->d, off, &v, 4);
}

static void negotiate(struct fake *f, uint64_t features)
{
	wr(f, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE);
	wr(f, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	wr(f, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	wr(f, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)features);
	wr(f, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	wr(f, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(features >> 32));
	wr(f, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
					  VIRTIO_STATUS_FEATURES_OK);
}

#define OK_STATUS (VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK)
#define V1 (1ULL << VIRTIO_F_VERSION_1)

/* Sets up queue qidx with rings at base (size 8, all inside RAM). */
static void setup_queue(struct fake *f, uint32_t qidx, uint32_t base, bool ready)
{
	wr(f, VIRTIO_MMIO_QUEUE_SEL, qidx);
	CHECK_EQ(rd(f, VIRTIO_MMIO_QUEUE_NUM_MAX), 16);
	wr(f, VIRTIO_MMIO_QUEUE_NUM, 8);
	wr(f, VIRTIO_MMIO_QUEUE_DESC_LOW, base);
	wr(f, VIRTIO_MMIO_QUEUE_DESC_HIGH, 0);
	wr(f, VIRTIO_MMIO_QUEUE_AVAIL_LOW, base + 0x200);
	wr(f, VIRTIO_MMIO_QUEUE_USED_LOW, base + 0x400);
	if (ready)
		wr(f, VIRTIO_MMIO_QUEUE_READY, 1);
}

static bool fd_readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	return poll(&p, 1, 0) == 1;
}

TEST(mmio_identifies_as_a_version_2_virtio_device)
{
	struct fake f;
	fake_setup(&f);
	CHECK_EQ(rd(&f, VIRTIO_MMIO_MAGIC_VALUE), 0x74726976);
	CHECK_EQ(rd(&f, VIRTIO_MMIO_VERSION), 2);
	CHECK_EQ(rd(&f, VIRTIO_MMIO_DEVICE_ID), 42);
	CHECK_EQ(rd(&f, VIRTIO_MMIO_STATUS), 0);
	CHECK_EQ(rd(&f, 0x0f0), 0); /* unknown register */
	CHECK_EQ(rd(&f, VIRTIO_MMIO_SHM_LEN_LOW), 0xffffffff);
	CHECK_EQ(rd(&f, VIRTIO_MMIO_SHM_LEN_HIGH), 0xffffffff);
	fake_teardown(&f);
}

TEST(mmio_offers_device_features_plus_version_1)
{
	struct fake f;
	fake_setup(&f);
	CHECK_EQ(rd(&f, VIRTIO_MMIO_DEVICE_FEATURES), 1U << VIRTIO_F_EVENT_IDX | 1U);
	wr(&f, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
	CHECK_EQ(rd(&f, VIRTIO_MMIO_DEVICE_FEATURES), (1U << 8) | 1U);
	wr(&f, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 2);
	CHECK_EQ(rd(&f, VIRTIO_MMIO_DEVICE_FEATURES), 0);
	fake_teardown(&f);
}

TEST(mmio_accepts_a_subset_of_offered_features_at_features_ok)
{
	struct fake f;
	fake_setup(&f);
	negotiate(&f, V1 | 1ULL << 40);
	CHECK_EQ(rd(&f, VIRTIO_MMIO_STATUS), OK_STATUS);
	CHECK(virtio_has_feature(&f.d, 40));
	CHECK(virtio_has_feature(&f.d, VIRTIO_F_VERSION_1));
	CHECK(!virtio_has_feature(&f.d, 0));
	CHECK(!virtio_has_feature(&f.d, 200));
	/* Feature writes after FEATURES_OK change nothing. */
	wr(&f, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	wr(&f, VIRTIO_MMIO_DRIVER_FEATURES, 1);
	CHECK(!virtio_has_feature(&f.d, 0));
	fake_teardown(&f);
}

TEST(mmio_refuses_unknown_features_or_missing_version_1)
{
	struct fake f;
	fake_setup(&f);
	negotiate(&f, V1 | 1ULL << 3);
	CHECK_EQ(rd(&f, VIRTIO_MMIO_STATUS), VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	CHECK(!virtio_has_feature(&f.d, VIRTIO_F_VERSION_1));
	wr(&f, VIRTIO_MMIO_STATUS, 0);
	negotiate(&f, 1ULL << 40);
	CHECK_EQ(rd(&f, VIRTIO_MMIO_STATUS), VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	/* DRIVER_OK without FEATURES_OK does not activate anything. */
	setup_queue(&f, 0, 0x1000, true);
	wr(&f, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
					   VIRTIO_STATUS_DRIVER_OK);
	CHECK_EQ(rd(&f, VIRTIO_MMIO_STATUS), VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	CHECK_EQ(f.activated, 0);
	CHECK(!f.d.vq[0].active);
	fake_teardown(&f);
}

TEST(mmio_driver_ok_activates_ready_queues_then_the_device)
{
	struct fake f;
	fake_setup(&f);
	negotiate(&f, V1);
	setup_queue(&f, 0, 0x1000, true);
	setup_queue(&f, 1, 0x2000, false);
	CHECK_EQ(rd(&f, VIRTIO_MMIO_QUEUE_NUM), 8);
	wr(&f, VIRTIO_MMIO_QUEUE_SEL, 0);
	CHECK_EQ(rd(&f, VIRTIO_MMIO_QUEUE_READY), 1);
	CHECK_EQ(rd(&f, VIRTIO_MMIO_QUEUE_AVAIL_LOW), 0x1200);
	wr(&f, VIRTIO_MMIO_STATUS, OK_STATUS | VIRTIO_STATUS_DRIVER_OK);
	CHECK_EQ(rd(&f, VIRTIO_MMIO_STATUS), OK_STATUS | VIRTIO_STATUS_DRIVER_OK);
	CHECK_EQ(f.activated, 1);
	CHECK(f.d.vq[0].active);
	CHECK(!f.d.vq[1].active);
	CHECK(f.d.vq[0].mem == &f.m);
	fake_teardown(&f);
}

TEST(mmio_driver_ok_with_bad_rings_sets_needs_reset_and_signals_config)
{
	struct fake f;
	fake_setup(&f);
	f.d.irqfd = eventfd(0, EFD_NONBLOCK);
	CHECK(f.d.irqfd >= 0);
	negotiate(&f, V1);
	setup_queue(&f, 0, 0x1000, false);
	wr(&f, VIRTIO_MMIO_QUEUE_USED_LOW, 0xfff0); /* runs past RAM */
	wr(&f, VIRTIO_MMIO_QUEUE_READY, 1);
	uint32_t gen = rd(&f, VIRTIO_MMIO_CONFIG_GENERATION);
	wr(&f, VIRTIO_MMIO_STATUS, OK_STATUS | VIRTIO_STATUS_DRIVER_OK);
	CHECK(rd(&f, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_NEEDS_RESET);
	CHECK_EQ(f.activated, 0);
	CHECK(!f.d.vq[0].active);
	CHECK_EQ(rd(&f, VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_INT_CONFIG);
	CHECK(rd(&f, VIRTIO_MMIO_CONFIG_GENERATION) != gen);
	CHECK(fd_readable(f.d.irqfd));
	/* The driver writing status back without NEEDS_RESET does not clear it. */
	wr(&f, VIRTIO_MMIO_STATUS, OK_STATUS | VIRTIO_STATUS_DRIVER_OK | VIRTIO_STATUS_FAILED);
	CHECK(rd(&f, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_NEEDS_RESET);
	fake_teardown(&f);
}

TEST(mmio_device_activate_failure_sets_needs_reset)
{
	struct fake f;
	fake_setup(&f);
	f.activate_result = -ENOMEM;
	negotiate(&f, V1);
	setup_queue(&f, 0, 0x1000, true);
	wr(&f, VIRTIO_MMIO_STATUS, OK_STATUS | VIRTIO_STATUS_DRIVER_OK);
	CHECK_EQ(f.activated, 1);
	CHECK(rd(&f, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_NEEDS_RESET);
	CHECK(!f.d.vq[0].active);
	fake_teardown(&f);
}

TEST(mmio_queue_size_must_be_a_power_of_two_within_max)
{
	struct fake f;
	fake_setup(&f);
	wr(&f, VIRTIO_MMIO_QUEUE_SEL, 1);
	wr(&f, VIRTIO_MMIO_QUEUE_NUM, 12);
	CHECK_EQ(rd(&f, VIRTIO_MMIO_QUEUE_NUM), 0);
	wr(&f, VIRTIO_MMIO_QUEUE_NUM, 32);
	CHECK_EQ(rd(&f, VIRTIO_MMIO_QUEUE_NUM), 0);
	wr(&f, VIRTIO_MMIO_QUEUE_NUM, 0x10010); /* 16 in the low half only */
	CHECK_EQ(rd(&f, VIRTIO_MMIO_QUEUE_NUM), 0);
	wr(&f, VIRTIO_MMIO_QUEUE_NUM, 16);
	CHECK_EQ(rd(&f, VIRTIO_MMIO_QUEUE_NUM), 16);
	fake_teardown(&f);
}

TEST(mmio_queue_sel_out_of_range_reads_zero_and_ignores_writes)
{
	struct fake f;
	const uint32_t sels[] = { 2, VIRTIO_MAX_QUEUES, 0xffffffff };
	fake_setup(&f);
	for (unsigned int i = 0; i < 3; i++) {
		wr(&f, VIRTIO_MMIO_QUEUE_SEL, sels[i]);
		CHECK_EQ(rd(&f, VIRTIO_MMIO_QUEUE_NUM_MAX), 0);
		wr(&f, VIRTIO_MMIO_QUEUE_NUM, 8);
		wr(&f, VIRTIO_MMIO_QUEUE_READY, 1);
		CHECK_EQ(rd(&f, VIRTIO_MMIO_QUEUE_NUM), 0);
		CHECK_EQ(rd(&f, VIRTIO_MMIO_QUEUE_READY), 0);
	}
	for (unsigned int i = 0; i < VIRTIO_MAX_QUEUES; i++)
		CHECK(f.d.vq[i].size == 0 && !f.d.vq[i].ready);
	fake_teardown(&f);
}

TEST(mmio_ignores_queue_writes_once_ready_or_after_driver_ok)
{
	struct fake f;
	fake_setup(&f);
	negotiate(&f, V1);
	setup_queue(&f, 0, 0x1000, true);
	wr(&f, VIRTIO_MMIO_QUEUE_NUM, 4);
	wr(&f, VIRTIO_MMIO_QUEUE_DESC_LOW, 0x5000);
	wr(&f, VIRTIO_MMIO_QUEUE_READY, 0);
	CHECK_EQ(f.d.vq[0].size, 8);
	CHECK_EQ(f.d.vq[0].desc_gpa, 0x1000);
	CHECK(f.d.vq[0].ready);
	setup_queue(&f, 1, 0x2000, false);
	wr(&f, VIRTIO_MMIO_STATUS, OK_STATUS | VIRTIO_STATUS_DRIVER_OK);
	wr(&f, VIRTIO_MMIO_QUEUE_SEL, 1);
	wr(&f, VIRTIO_MMIO_QUEUE_READY, 1); /* too late: stays off */
	CHECK(!f.d.vq[1].ready && !f.d.vq[1].active);
	fake_teardown(&f);
}

/* §2.7.10: a queue uses EVENT_IDX only when the driver took it (the device
 * offered it, or FEATURES_OK would have been refused). */
TEST(mmio_driver_ok_gives_queues_event_idx_only_when_negotiated)
{
	struct fake f;
	fake_setup(&f);
	negotiate(&f, V1 | 1ULL << VIRTIO_F_EVENT_IDX);
	setup_queue(&f, 0, 0x1000, true);
	setup_queue(&f, 1, 0x2000, true);
	wr(&f, VIRTIO_MMIO_STATUS, OK_STATUS | VIRTIO_STATUS_DRIVER_OK);
	CHECK(f.d.vq[0].active && f.d.vq[0].event_idx);
	CHECK(f.d.vq[1].active && f.d.vq[1].event_idx);
	wr(&f, VIRTIO_MMIO_STATUS, 0);
	CHECK(!f.d.vq[0].event_idx && !f.d.vq[1].event_idx);
	negotiate(&f, V1);
	setup_queue(&f, 0, 0x1000, true);
	wr(&f, VIRTIO_MMIO_STATUS, OK_STATUS | VIRTIO_STATUS_DRIVER_OK);
	CHECK(f.d.vq[0].active && !f.d.vq[0].event_idx);
	fake_teardown(&f);
}

TEST(mmio_status_zero_resets_device_queues_and_interrupts)
{
	struct fake f;
	fake_setup(&f);
	negotiate(&f, V1 | 1);
	setup_queue(&f, 0, 0x1000, true);
	wr(&f, VIRTIO_MMIO_STATUS, OK_STATUS | VIRTIO_STATUS_DRIVER_OK);
	virtio_signal_used(&f.d);
	wr(&f, VIRTIO_MMIO_STATUS, 0);
	CHECK_EQ(f.resets, 1);
	CHECK_EQ(rd(&f, VIRTIO_MMIO_STATUS), 0);
	CHECK_EQ(rd(&f, VIRTIO_MMIO_INTERRUPT_STATUS), 0);
	CHECK(!virtio_has_feature(&f.d, 0));
	CHECK_EQ(f.d.driver_features, 0);
	CHECK(!f.d.vq[0].active && !f.d.vq[0].ready);
	CHECK_EQ(f.d.vq[0].size, 0);
	CHECK_EQ(rd(&f, VIRTIO_MMIO_QUEUE_NUM_MAX), 16);
	/* The device can be set up again from scratch. */
	negotiate(&f, V1);
	setup_queue(&f, 0, 0x3000, true);
	wr(&f, VIRTIO_MMIO_STATUS, OK_STATUS | VIRTIO_STATUS_DRIVER_OK);
	CHECK(f.d.vq[0].active);
	CHECK_EQ(f.activated, 2);
	fake_teardown(&f);
}

TEST(mmio_status_write_clearing_bits_is_ignored)
{
	struct fake f;
	fake_setup(&f);
	negotiate(&f, V1);
	wr(&f, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE);
	CHECK_EQ(rd(&f, VIRTIO_MMIO_STATUS), OK_STATUS);
	fake_teardown(&f);
}

TEST(mmio_interrupt_ack_clears_only_acked_bits_and_signal_kicks_irqfd)
{
	struct fake f;
	uint64_t n;
	fake_setup(&f);
	f.d.irqfd = eventfd(0, EFD_NONBLOCK);
	CHECK(f.d.irqfd >= 0);
	virtio_signal_used(&f.d);
	CHECK(fd_readable(f.d.irqfd));
	CHECK_EQ(read(f.d.irqfd, &n, sizeof(n)), 8);
	virtio_signal_config(&f.d);
	CHECK_EQ(rd(&f, VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_INT_USED_RING | VIRTIO_INT_CONFIG);
	wr(&f, VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_INT_USED_RING);
	CHECK_EQ(rd(&f, VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_INT_CONFIG);
	wr(&f, VIRTIO_MMIO_INTERRUPT_ACK, 0xffffffff);
	CHECK_EQ(rd(&f, VIRTIO_MMIO_INTERRUPT_STATUS), 0);
	wr(&f, VIRTIO_MMIO_INTERRUPT_STATUS, 3); /* read-only */
	CHECK_EQ(rd(&f, VIRTIO_MMIO_INTERRUPT_STATUS), 0);
	fake_teardown(&f);
}

TEST(mmio_config_space_is_bounds_checked)
{
	struct fake f;
	uint8_t b8[8];
	uint32_t v;
	uint16_t h = 0xabcd;
	fake_setup(&f);
	virtio_mmio_read(&f.d, VIRTIO_MMIO_CONFIG + 4, &v, 4);
	CHECK_EQ(v, 0x17161514);
	virtio_mmio_read(&f.d, VIRTIO_MMIO_CONFIG, b8, 8);
	CHECK_EQ(b8[7], 0x17);
	v = 0xffffffff;
	virtio_mmio_read(&f.d, VIRTIO_MMIO_CONFIG + 6, &v, 4); /* crosses the end */
	CHECK_EQ(v, 0);
	v = 0xffffffff;
	virtio_mmio_read(&f.d, VIRTIO_MMIO_SIZE - 4, &v, 4);
	CHECK_EQ(v, 0);
	virtio_mmio_write(&f.d, VIRTIO_MMIO_CONFIG + 7, &h, 2); /* crosses the end */
	CHECK_EQ(f.config[7], 0x17);
	virtio_mmio_write(&f.d, VIRTIO_MMIO_CONFIG + 2, &h, 2);
	CHECK_EQ(f.config[2], 0xcd);
	CHECK_EQ(f.config[3], 0xab);
	fake_teardown(&f);
}

TEST(mmio_ignores_register_accesses_that_are_not_aligned_32_bit)
{
	struct fake f;
	uint16_t h = 0xffff;
	uint32_t v = 1;
	fake_setup(&f);
	virtio_mmio_read(&f.d, VIRTIO_MMIO_MAGIC_VALUE, &h, 2);
	CHECK_EQ(h, 0);
	h = VIRTIO_STATUS_ACKNOWLEDGE;
	virtio_mmio_write(&f.d, VIRTIO_MMIO_STATUS, &h, 2);
	virtio_mmio_write(&f.d, VIRTIO_MMIO_STATUS + 1, &v, 4);
	CHECK_EQ(rd(&f, VIRTIO_MMIO_STATUS), 0);
	fake_teardown(&f);
}

TEST(mmio_queue_notify_goes_to_the_queue_eventfd_only_for_active_queues)
{
	struct fake f;
	fake_setup(&f);
	f.d.notify_fd[0] = eventfd(0, EFD_NONBLOCK);
	f.d.notify_fd[1] = eventfd(0, EFD_NONBLOCK);
	CHECK(f.d.notify_fd[0] >= 0 && f.d.notify_fd[1] >= 0);
	negotiate(&f, V1);
	setup_queue(&f, 0, 0x1000, true);
	wr(&f, VIRTIO_MMIO_QUEUE_NOTIFY, 0); /* not active yet */
	CHECK(!fd_readable(f.d.notify_fd[0]));
	wr(&f, VIRTIO_MMIO_STATUS, OK_STATUS | VIRTIO_STATUS_DRIVER_OK);
	wr(&f, VIRTIO_MMIO_QUEUE_NOTIFY, 1); /* never made ready */
	wr(&f, VIRTIO_MMIO_QUEUE_NOTIFY, 2);
	wr(&f, VIRTIO_MMIO_QUEUE_NOTIFY, 0xffffffff);
	CHECK(!fd_readable(f.d.notify_fd[1]));
	wr(&f, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	CHECK(fd_readable(f.d.notify_fd[0]));
	close(f.d.notify_fd[0]);
	close(f.d.notify_fd[1]);
	fake_teardown(&f);
}

/* The register page (mmio.h): what the guest reads from memory instead of
 * trapping. fake_setup's device with a page attached, an eventfd for config
 * refreshes, and an irqfd. */
static uint32_t *page_attach(struct fake *f)
{
	uint32_t *page = aligned_alloc(VIRTIO_MMIO_SIZE, VIRTIO_MMIO_SIZE);

	CHECK(page != NULL);
	memset(page, 0, VIRTIO_MMIO_SIZE);
	f->d.config_fd = eventfd(0, EFD_NONBLOCK);
	f->d.irqfd = eventfd(0, EFD_NONBLOCK);
	CHECK(f->d.config_fd >= 0 && f->d.irqfd >= 0);
	virtio_mmio_shadow_attach(&f->d, page);
	return page;
}

static void page_detach(struct fake *f, uint32_t *page)
{
	close(f->d.config_fd);
	f->d.shadow = NULL;
	free(page);
}

/* Every control register and config byte of the page equals what a trapped
 * read returns (InterruptStatus apart: only signals and acks move it). */
static bool page_matches(struct fake *f, const uint32_t *page)
{
	const uint8_t *cfg = (const uint8_t *)page + VIRTIO_MMIO_CONFIG;

	for (uint32_t off = 0; off < VIRTIO_MMIO_CONFIG; off += 4)
		if (page[off / 4] != rd(f, off)) {
			fprintf(stderr, "  register 0x%03x: page 0x%x, trapped read 0x%x\n", off,
				page[off / 4], rd(f, off));
			return false;
		}
	return !memcmp(cfg, f->config, sizeof(f->config));
}

TEST(mmio_register_page_matches_trapped_reads_through_random_writes)
{
	static const uint32_t regs[] = {
		VIRTIO_MMIO_DEVICE_FEATURES_SEL, VIRTIO_MMIO_DRIVER_FEATURES,
		VIRTIO_MMIO_DRIVER_FEATURES_SEL, VIRTIO_MMIO_QUEUE_SEL, VIRTIO_MMIO_QUEUE_NUM,
		VIRTIO_MMIO_QUEUE_READY, VIRTIO_MMIO_QUEUE_DESC_LOW, VIRTIO_MMIO_QUEUE_DESC_HIGH,
		VIRTIO_MMIO_QUEUE_AVAIL_LOW, VIRTIO_MMIO_QUEUE_USED_LOW, VIRTIO_MMIO_STATUS,
		VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_MMIO_QUEUE_NOTIFY, VIRTIO_MMIO_MAGIC_VALUE,
		VIRTIO_MMIO_CONFIG, VIRTIO_MMIO_CONFIG + 4, VIRTIO_MMIO_SHM_SEL,
	};
	static const uint32_t vals[] = { 0, 1, 2, 3, 8, 0x1000, 0x1200, 0x1400, OK_STATUS,
					 OK_STATUS | VIRTIO_STATUS_DRIVER_OK, 0xffffffff };
	unsigned int seed = 12345;
	struct fake f;
	uint32_t *page;

	fake_setup(&f);
	f.d.shm[1] = (struct virtio_shm){ .base = 0x1000000000ULL, .len = 3ULL << 30 };
	page = page_attach(&f);
	CHECK_EQ(page[VIRTIO_MMIO_MAGIC_VALUE / 4], 0x74726976);
	CHECK_EQ(page[VIRTIO_MMIO_DEVICE_ID / 4], 42);
	CHECK(page_matches(&f, page));
	for (int i = 0; i < 4000; i++) {
		uint32_t off = regs[rand_r(&seed) % (sizeof(regs) / sizeof(regs[0]))];
		uint32_t v = vals[rand_r(&seed) % (sizeof(vals) / sizeof(vals[0]))];

		if (rand_r(&seed) % 4 == 0) {
			/* Garbage as a hostile driver sends it: 1, 2 or 8 bytes, at any
			 * offset of the window, into control registers, across the
			 * config's end or past it. */
			static const uint32_t lens[] = { 1, 2, 8 };
			uint64_t big = (uint64_t)v << 32 | (uint32_t)rand_r(&seed);

			off = (uint32_t)rand_r(&seed) % (VIRTIO_MMIO_CONFIG + 16);
			virtio_mmio_write(&f.d, off, &big, lens[rand_r(&seed) % 3]);
		} else {
			wr(&f, off, v);
		}
		if (!page_matches(&f, page)) {
			fprintf(stderr, "  after write %d: 0x%x to 0x%03x\n", i, v, off);
			CHECK(false);
			break;
		}
	}
	page_detach(&f, page);
	fake_teardown(&f);
}

TEST(mmio_register_page_holds_interrupt_status_and_config_changes_come_via_the_loop)
{
	struct fake f;
	uint32_t *page, gen;
	uint64_t n;

	fake_setup(&f);
	page = page_attach(&f);
	virtio_signal_used(&f.d);
	CHECK_EQ(page[VIRTIO_MMIO_INTERRUPT_STATUS / 4], VIRTIO_INT_USED_RING);
	CHECK(fd_readable(f.d.irqfd));
	CHECK_EQ(read(f.d.irqfd, &n, sizeof(n)), 8);
	wr(&f, VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_INT_USED_RING);
	CHECK_EQ(page[VIRTIO_MMIO_INTERRUPT_STATUS / 4], 0);

	/* A device's config change: nothing in the page until the loop's refresh,
	 * as the caller may hold locks config_read takes. */
	gen = page[VIRTIO_MMIO_CONFIG_GENERATION / 4];
	f.config[5] = 0x99;
	virtio_signal_config(&f.d);
	CHECK_EQ(page[VIRTIO_MMIO_INTERRUPT_STATUS / 4], 0);
	CHECK(!fd_readable(f.d.irqfd));
	CHECK(fd_readable(f.d.config_fd));
	CHECK_EQ(read(f.d.config_fd, &n, sizeof(n)), 8);
	virtio_mmio_config_refresh(&f.d);
	CHECK_EQ(((uint8_t *)page)[VIRTIO_MMIO_CONFIG + 5], 0x99);
	/* Before and after the bytes, so that a read across them retries. */
	CHECK((uint32_t)(page[VIRTIO_MMIO_CONFIG_GENERATION / 4] - gen) >= 2);
	CHECK_EQ(page[VIRTIO_MMIO_CONFIG_GENERATION / 4], rd(&f, VIRTIO_MMIO_CONFIG_GENERATION));
	CHECK_EQ(page[VIRTIO_MMIO_INTERRUPT_STATUS / 4], VIRTIO_INT_CONFIG);
	CHECK(fd_readable(f.d.irqfd));
	CHECK_EQ(read(f.d.irqfd, &n, sizeof(n)), 8);
	/* Nothing owed: a refresh changes nothing and raises nothing. */
	gen = page[VIRTIO_MMIO_CONFIG_GENERATION / 4];
	virtio_mmio_config_refresh(&f.d);
	CHECK_EQ(page[VIRTIO_MMIO_CONFIG_GENERATION / 4], gen);
	CHECK(!fd_readable(f.d.irqfd));
	/* Reset clears the page's InterruptStatus too. */
	virtio_signal_used(&f.d);
	wr(&f, VIRTIO_MMIO_STATUS, 0);
	CHECK_EQ(page[VIRTIO_MMIO_INTERRUPT_STATUS / 4], 0);
	page_detach(&f, page);
	fake_teardown(&f);
}

TEST(mmio_register_page_config_writes_show_at_once_and_move_the_generation_only_on_change)
{
	struct fake f;
	uint32_t *page, gen;
	uint16_t h = 0xabcd;

	fake_setup(&f);
	page = page_attach(&f);
	gen = page[VIRTIO_MMIO_CONFIG_GENERATION / 4];
	virtio_mmio_write(&f.d, VIRTIO_MMIO_CONFIG + 2, &h, 2);
	CHECK_EQ(((uint8_t *)page)[VIRTIO_MMIO_CONFIG + 2], 0xcd);
	CHECK_EQ(((uint8_t *)page)[VIRTIO_MMIO_CONFIG + 3], 0xab);
	CHECK((uint32_t)(page[VIRTIO_MMIO_CONFIG_GENERATION / 4] - gen) >= 2);
	gen = page[VIRTIO_MMIO_CONFIG_GENERATION / 4];
	virtio_mmio_write(&f.d, VIRTIO_MMIO_CONFIG + 2, &h, 2); /* the same bytes */
	CHECK_EQ(page[VIRTIO_MMIO_CONFIG_GENERATION / 4], gen);
	page_detach(&f, page);
	fake_teardown(&f);
}

/* §4.2.2: SHMSel picks a region; its length and base read back as 64-bit
 * pairs, a region the device lacks reads as length -1. The page follows. */
TEST(mmio_shared_memory_regions_read_by_selector_trapped_and_from_the_page)
{
	struct fake f;
	uint32_t *page;

	fake_setup(&f);
	f.d.shm[0] = (struct virtio_shm){ .base = 0x140000000ULL, .len = 0x280000000ULL };
	page = page_attach(&f);
	for (int trapped = 0; trapped < 2; trapped++) {
		wr(&f, VIRTIO_MMIO_SHM_SEL, 0);
		uint32_t lo = trapped ? rd(&f, VIRTIO_MMIO_SHM_LEN_LOW) : page[VIRTIO_MMIO_SHM_LEN_LOW / 4];
		uint32_t hi = trapped ? rd(&f, VIRTIO_MMIO_SHM_LEN_HIGH) : page[VIRTIO_MMIO_SHM_LEN_HIGH / 4];
		CHECK_EQ(lo, 0x80000000u);
		CHECK_EQ(hi, 2u);
		lo = trapped ? rd(&f, VIRTIO_MMIO_SHM_BASE_LOW) : page[VIRTIO_MMIO_SHM_BASE_LOW / 4];
		hi = trapped ? rd(&f, VIRTIO_MMIO_SHM_BASE_HIGH) : page[VIRTIO_MMIO_SHM_BASE_HIGH / 4];
		CHECK_EQ(lo, 0x40000000u);
		CHECK_EQ(hi, 1u);
		/* Region 1 is not there, nor is a selector past every region. */
		for (uint32_t sel = 1; sel < 4; sel += 2) {
			wr(&f, VIRTIO_MMIO_SHM_SEL, sel == 3 ? 0xffffffffu : sel);
			CHECK_EQ(trapped ? rd(&f, VIRTIO_MMIO_SHM_LEN_LOW) : page[VIRTIO_MMIO_SHM_LEN_LOW / 4],
				 0xffffffffu);
			CHECK_EQ(trapped ? rd(&f, VIRTIO_MMIO_SHM_LEN_HIGH) : page[VIRTIO_MMIO_SHM_LEN_HIGH / 4],
				 0xffffffffu);
		}
	}
	/* A reset selects region 0 again. */
	wr(&f, VIRTIO_MMIO_STATUS, 0);
	CHECK_EQ(page[VIRTIO_MMIO_SHM_LEN_HIGH / 4], 2u);
	page_detach(&f, page);
	fake_teardown(&f);
}
