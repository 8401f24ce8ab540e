/* SPDX-License-Identifier: Apache-2.0 */
/*
 * krun_add_vhost_user_device's checks (api/vhost_user.c): what it refuses,
 * with -EINVAL and a log line, and what it records; the device itself is
 * tested in test_vhost_user and, with real backends, by the VM tests
 * vhost_user_*.
 */
#include "harness.h"
#include "logcap.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "libkrun.h"

static int add(uint32_t ctx, uint32_t type, const char *path, uint16_t nq, const uint16_t *sizes,
	       const char *says)
{
	struct logcap c;

	cap_start(&c);
	int r = krun_add_vhost_user_device(ctx, type, path, "dev", nq, sizes);
	const char *log = cap_end(&c);
	if (r < 0 && (!says || !strstr(log, says)))
		harness_fail(__FILE__, __LINE__, "error %d logged \"%s\", no \"%s\"", r, log,
			     says ? says : "(nothing expected)");
	return r;
}

TEST(api_vhost_user_refuses_bad_arguments_and_says_why)
{
	uint32_t ctx = new_ctx();
	char long_path[200];
	const uint16_t odd[] = { 256, 100 };
	const uint16_t big[] = { 2048 };
	uint16_t many[18];

	memset(long_path, 'a', sizeof(long_path) - 1);
	long_path[sizeof(long_path) - 1] = '\0';
	for (int i = 0; i < 18; i++)
		many[i] = 64;
	many[17] = 0;
	CHECK_EQ(add(ctx, 4, NULL, 1, NULL, "socket path"), -EINVAL);
	CHECK_EQ(add(ctx, 4, "", 1, NULL, "socket path"), -EINVAL);
	CHECK_EQ(add(ctx, 4, long_path, 1, NULL, "socket path"), -EINVAL);
	CHECK_EQ(add(ctx, 0, "/run/a.sock", 1, NULL, "not a virtio device id"), -EINVAL);
	CHECK_EQ(add(ctx, 0x10000, "/run/a.sock", 1, NULL, "not a virtio device id"), -EINVAL);
	CHECK_EQ(add(ctx, 4, "/run/a.sock", 17, NULL, "at most 16"), -EINVAL);
	CHECK_EQ(add(ctx, 4, "/run/a.sock", 2, odd, "queue 1 size 100"), -EINVAL);
	CHECK_EQ(add(ctx, 4, "/run/a.sock", 1, big, "queue 0 size 2048"), -EINVAL);
	/* num_queues 0: the sizes are 0-terminated; 17 of them cannot be. */
	CHECK_EQ(add(ctx, 4, "/run/a.sock", 0, many, "more than 16 queue sizes"), -EINVAL);
	CHECK_EQ(krun_free_ctx(ctx), 0);
}

TEST(api_vhost_user_records_up_to_eight_devices)
{
	uint32_t ctx = new_ctx();
	const uint16_t sizes[] = { 128, 128, 64, 64, 0 };

	CHECK_EQ(add(ctx, KRUN_VIRTIO_DEVICE_CONSOLE, "/run/c.sock", KRUN_VHOST_USER_CONSOLE_NUM_QUEUES,
		     KRUN_VHOST_USER_CONSOLE_QUEUE_SIZES, NULL), 0);
	CHECK_EQ(add(ctx, KRUN_VIRTIO_DEVICE_RNG, "/run/r.sock", 0, NULL, NULL), 0);
	CHECK_EQ(add(ctx, KRUN_VIRTIO_DEVICE_SND, "/run/s.sock", 0, sizes, NULL), 0);
	/* Any virtio id: the backend decides what the device is (passt's net is 1). */
	CHECK_EQ(add(ctx, 1, "/run/n.sock", 2, NULL, NULL), 0);
	for (int i = 0; i < 4; i++)
		CHECK_EQ(add(ctx, KRUN_VIRTIO_DEVICE_RNG, "/run/r.sock", 1, NULL, NULL), 0);
	CHECK_EQ(add(ctx, KRUN_VIRTIO_DEVICE_RNG, "/run/r.sock", 1, NULL, "at most 8"), -ENOSPC);
	/* Freed with the context (the sanitizer's leak check sees the copies). */
	CHECK_EQ(krun_free_ctx(ctx), 0);
}
