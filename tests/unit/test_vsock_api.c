/* SPDX-License-Identifier: Apache-2.0 */
/* krun_add_vsock_port and krun_add_vsock_port2 with bad and good input. */
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "libkrun.h"

static uint32_t new_ctx(void)
{
	int ctx = krun_create_ctx();
	if (ctx < 0)
		harness_fail(__FILE__, __LINE__, "krun_create_ctx: %d (is build/libkrunfw.so.5 built?)", ctx);
	return (uint32_t)ctx;
}

TEST(vsock_api_checks_context_path_and_port)
{
	char longpath[200];
	uint32_t ctx;

	krun_set_log_level(KRUN_LOG_LEVEL_OFF);
	CHECK_EQ(krun_add_vsock_port(999, 1, "/tmp/x"), -ENOENT);
	ctx = new_ctx();
	CHECK_EQ(krun_add_vsock_port(ctx, 1, NULL), -EINVAL);
	CHECK_EQ(krun_add_vsock_port(ctx, 1, ""), -EINVAL);
	memset(longpath, 'a', sizeof(longpath) - 1);
	longpath[sizeof(longpath) - 1] = '\0';
	CHECK_EQ(krun_add_vsock_port(ctx, 1, longpath), -ENAMETOOLONG);
	CHECK_EQ(krun_add_vsock_port(ctx, 0xffffffffu, "/tmp/x"), -EINVAL);
	CHECK_EQ(krun_add_vsock_port(ctx, 1, "/tmp/x"), 0);
	CHECK_EQ(krun_add_vsock_port2(ctx, 1, "/tmp/y", false), -EEXIST); /* port taken */
	CHECK_EQ(krun_add_vsock_port2(ctx, 2, "/tmp/x", false), 0);      /* a path twice is fine */
	CHECK_EQ(krun_free_ctx(ctx), 0);
	krun_set_log_level(KRUN_LOG_LEVEL_WARN);
}

TEST(vsock_api_listen_path_must_not_exist)
{
	char dir[] = "/tmp/vsock-api-XXXXXX", path[64];
	uint32_t ctx;
	int fd;

	krun_set_log_level(KRUN_LOG_LEVEL_OFF);
	CHECK(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/sock", dir);
	ctx = new_ctx();
	CHECK_EQ(krun_add_vsock_port2(ctx, 10, path, true), 0); /* not there yet */
	fd = open(path, O_CREAT | O_WRONLY, 0600);
	CHECK(fd >= 0);
	close(fd);
	CHECK_EQ(krun_add_vsock_port2(ctx, 11, path, true), -EEXIST);
	CHECK_EQ(krun_add_vsock_port2(ctx, 12, path, false), 0); /* connect mode: it may exist */
	unlink(path);
	rmdir(dir);
	CHECK_EQ(krun_free_ctx(ctx), 0);
	krun_set_log_level(KRUN_LOG_LEVEL_WARN);
}

TEST(vsock_api_has_room_for_64_ports)
{
	uint32_t ctx = new_ctx();

	krun_set_log_level(KRUN_LOG_LEVEL_OFF);
	for (uint32_t p = 0; p < 64; p++)
		CHECK_EQ(krun_add_vsock_port(ctx, 1000 + p, "/tmp/s"), 0);
	CHECK_EQ(krun_add_vsock_port(ctx, 2000, "/tmp/s"), -ENOSPC);
	CHECK_EQ(krun_free_ctx(ctx), 0); /* LeakSanitizer: every path freed */
	krun_set_log_level(KRUN_LOG_LEVEL_WARN);
}

TEST(vsock_api_implicit_device_and_tsi_features)
{
	uint32_t ctx;

	krun_set_log_level(KRUN_LOG_LEVEL_OFF);
	CHECK_EQ(krun_disable_implicit_vsock(999), -ENOENT);
	CHECK_EQ(krun_add_vsock(999, 0), -ENOENT);
	ctx = new_ctx();
	CHECK_EQ(krun_add_vsock(ctx, KRUN_TSI_HIJACK_INET), -EINVAL); /* implicit one still on */
	CHECK_EQ(krun_disable_implicit_vsock(ctx), 0);
	CHECK_EQ(krun_add_vsock(ctx, 1u << 5), -EINVAL);
	CHECK_EQ(krun_add_vsock(ctx, KRUN_TSI_HIJACK_INET | KRUN_TSI_HIJACK_UNIX), 0);
	CHECK_EQ(krun_add_vsock(ctx, 0), -EINVAL); /* once */
	CHECK_EQ(krun_free_ctx(ctx), 0);
	krun_set_log_level(KRUN_LOG_LEVEL_WARN);
}

TEST(vsock_api_tsi_unix_paths_are_checked)
{
	char longpath[200];
	uint32_t ctx;

	krun_set_log_level(KRUN_LOG_LEVEL_OFF);
	CHECK_EQ(krun_allow_tsi_unix_path(999, "/run/a.sock"), -ENOENT);
	ctx = new_ctx();
	CHECK_EQ(krun_allow_tsi_unix_path(ctx, NULL), -EINVAL);
	CHECK_EQ(krun_allow_tsi_unix_path(ctx, "relative.sock"), -EINVAL);
	CHECK_EQ(krun_allow_tsi_unix_path(ctx, "/a,b.sock"), -EINVAL); /* the list's separator */
	CHECK_EQ(krun_allow_tsi_unix_path(ctx, "/a b.sock"), -EINVAL); /* the command line's */
	longpath[0] = '/';
	memset(longpath + 1, 'a', sizeof(longpath) - 2);
	longpath[sizeof(longpath) - 1] = '\0';
	CHECK_EQ(krun_allow_tsi_unix_path(ctx, longpath), -ENAMETOOLONG);
	CHECK_EQ(krun_allow_tsi_unix_path(ctx, "/run/a.sock"), 0);
	CHECK_EQ(krun_allow_tsi_unix_path(ctx, "/run/a.sock"), -EEXIST);
	for (int i = 1; i < KRUN_MAX_TSI_UNIX_PATHS; i++) {
		char p[32];
		snprintf(p, sizeof(p), "/run/%d.sock", i);
		CHECK_EQ(krun_allow_tsi_unix_path(ctx, p), 0);
	}
	CHECK_EQ(krun_allow_tsi_unix_path(ctx, "/run/one-more.sock"), -ENOSPC);
	CHECK_EQ(krun_free_ctx(ctx), 0);
	krun_set_log_level(KRUN_LOG_LEVEL_WARN);
}
