/* SPDX-License-Identifier: Apache-2.0 */
/* krun_set_root, krun_add_virtiofs(2) and krun_set_port_map with good and bad
 * input: clear errnos, a log line, and (LeakSanitizer) nothing leaked. */
#include "harness.h"
#include "logcap.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "libkrun.h"

TEST(api_set_root_checks_the_directory)
{
	uint32_t ctx = new_ctx();
	struct logcap c;

	cap_start(&c);
	CHECK_EQ(krun_set_root(ctx, NULL), -EINVAL);
	CHECK_EQ(krun_set_root(ctx, ""), -EINVAL);
	CHECK_EQ(krun_set_root(ctx, "/nonexistent/dir"), -ENOENT);
	CHECK_EQ(krun_set_root(ctx, "/etc/passwd"), -ENOTDIR);
	const char *log = cap_end(&c);
	CHECK(strstr(log, "krun_set_root: no directory given"));
	CHECK(strstr(log, "/nonexistent/dir"));
	CHECK(strstr(log, "/etc/passwd is not a directory"));
	CHECK_EQ(krun_set_root(ctx, "/tmp"), 0);
	CHECK_EQ(krun_set_root(ctx, "/"), 0); /* replaces */
	CHECK_EQ(krun_free_ctx(ctx), 0);
}

TEST(api_add_virtiofs_checks_tags_and_counts)
{
	uint32_t ctx = new_ctx();
	char tag[40];
	struct logcap c;

	cap_start(&c);
	CHECK_EQ(krun_add_virtiofs(ctx, NULL, "/tmp"), -EINVAL);
	CHECK_EQ(krun_add_virtiofs(ctx, "", "/tmp"), -EINVAL);
	memset(tag, 'a', 37);
	tag[37] = '\0';
	CHECK_EQ(krun_add_virtiofs(ctx, tag, "/tmp"), -EINVAL);
	CHECK(strstr(cap_end(&c), "tag must be 1 to 36 bytes"));
	tag[36] = '\0';
	CHECK_EQ(krun_add_virtiofs(ctx, tag, "/tmp"), 0); /* exactly 36 */
	cap_start(&c);
	CHECK_EQ(krun_add_virtiofs(ctx, tag, "/"), -EEXIST);
	CHECK_EQ(krun_add_virtiofs(ctx, "missing", "/nonexistent"), -ENOENT);
	CHECK(strstr(cap_end(&c), "already in use"));
	CHECK_EQ(krun_set_root(ctx, "/tmp"), 0);
	CHECK_EQ(krun_add_virtiofs(ctx, "/dev/root", "/tmp"), -EEXIST);
	/* A DAX window: at most 32 GiB, refused with nothing added. */
	cap_start(&c);
	CHECK_EQ(krun_add_virtiofs2(ctx, "dax", "/tmp", (32ULL << 30) + 1), -EINVAL);
	CHECK(strstr(cap_end(&c), "at most 32 GiB"));
	CHECK_EQ(krun_add_virtiofs2(ctx, "dax", "/tmp", 1ULL << 30), 0);
	/* Root, the 36-byte tag, dax: five more fit, then the table is full. */
	for (int i = 0; i < 5; i++) {
		snprintf(tag, sizeof(tag), "share%d", i);
		CHECK_EQ(krun_add_virtiofs(ctx, tag, "/tmp"), 0);
	}
	CHECK_EQ(krun_add_virtiofs(ctx, "one-too-many", "/tmp"), -ENOSPC);
	CHECK_EQ(krun_set_root(ctx, "/"), 0); /* replacing the root still works */
	CHECK_EQ(krun_add_virtiofs(ctx, "x", "/tmp"), -ENOSPC);
	CHECK_EQ(krun_free_ctx(ctx), 0);
}

TEST(api_port_map_validates_every_entry)
{
	static const char *const bad[] = { "1", "65536:1", "1:65536", "1:2:3", "a:b", "1:",
					   ":1", " 1:2", "1:2 ", "-1:2", "1234567:1" };
	const char *const good[] = { "18000:8000", "1:65535", "65535:1", NULL };
	const char *const empty[] = { NULL };
	uint32_t ctx = new_ctx();
	struct logcap c;

	cap_start(&c);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *const one[] = { "8080:80", bad[i], NULL };
		CHECK_EQ(krun_set_port_map(ctx, one), -EINVAL);
	}
	CHECK(strstr(cap_end(&c), "entry 1 \"1\" is not HOST:GUEST"));
	CHECK_EQ(krun_set_port_map(ctx, good), 0);
	CHECK_EQ(krun_set_port_map(ctx, empty), 0);
	CHECK_EQ(krun_set_port_map(ctx, NULL), 0);
	CHECK_EQ(krun_set_port_map(ctx, good), 0);
	CHECK_EQ(krun_free_ctx(ctx), 0);
	CHECK_EQ(krun_set_port_map(ctx, good), -ENOENT);
}

/* Upstream (lib.rs): a guest listener has one host port, so a guest port may
 * appear once, as may a host port; a failed call keeps the earlier map. */
TEST(api_port_map_refuses_a_port_mapped_twice_either_side)
{
	const char *const host_twice[] = { "80:1", "80:2", NULL };
	const char *const guest_twice[] = { "80:1", "81:2", "82:1", NULL };
	const char *const zero_twice[] = { "0:1", "0:2", NULL };
	uint32_t ctx = new_ctx();
	struct logcap c;

	cap_start(&c);
	CHECK_EQ(krun_set_port_map(ctx, host_twice), -EINVAL);
	CHECK_EQ(krun_set_port_map(ctx, guest_twice), -EINVAL);
	CHECK_EQ(krun_set_port_map(ctx, zero_twice), -EINVAL);
	const char *log = cap_end(&c);
	CHECK(strstr(log, "entry 1 \"80:2\": host port 80 is mapped twice"));
	CHECK(strstr(log, "entry 2 \"82:1\": guest port 1 is mapped twice"));
	CHECK(strstr(log, "host port 0 is mapped twice"));
	CHECK_EQ(krun_free_ctx(ctx), 0);
}

/* Upstream parses each side as a u16: 0 is a port like any other there. */
TEST(api_port_map_accepts_port_zero_as_upstream)
{
	const char *const zero[] = { "0:80", "8080:0", NULL };
	const char *const both[] = { "0:0", NULL };
	uint32_t ctx = new_ctx();

	CHECK_EQ(krun_set_port_map(ctx, zero), 0);
	CHECK_EQ(krun_set_port_map(ctx, both), 0);
	CHECK_EQ(krun_free_ctx(ctx), 0);
}

/* krun_add_virtiofs3 adds read-write and read-only shares under unique tags;
 * with KRUN_FS_ROOT_TAG it replaces the root rather than colliding with it.
 * (That the server refuses writes to a read-only share: test_fs_io and the
 * VM test fs_virtiofs3_read_only.) */
TEST(api_add_virtiofs3_shares_read_write_and_read_only)
{
	uint32_t ctx = new_ctx();
	struct logcap c;

	CHECK_EQ(krun_add_virtiofs3(ctx, "rw", "/tmp", 0, false), 0);
	CHECK_EQ(krun_add_virtiofs3(ctx, "rw", "/tmp", 0, false), -EEXIST);
	CHECK_EQ(krun_add_virtiofs3(ctx, "ro", "/tmp", 0, true), 0);
	CHECK_EQ(krun_add_virtiofs3(ctx, "ro", "/tmp", 0, true), -EEXIST);
	CHECK_EQ(krun_set_root(ctx, "/"), 0);
	CHECK_EQ(krun_add_virtiofs3(ctx, KRUN_FS_ROOT_TAG, "/tmp", 0, true), 0);
	CHECK_EQ(krun_set_root(ctx, "/"), 0);
	CHECK_EQ(krun_add_virtiofs3(ctx, "ro2", "/no/such/dir/krun", 0, true), -ENOENT);
	cap_start(&c);
	CHECK_EQ(krun_add_virtiofs3(4242, "ro", "/tmp", 0, true), -ENOENT);
	CHECK_EQ(krun_set_mapped_volumes(ctx, NULL), -EINVAL);
	const char *log = cap_end(&c);
	CHECK(strstr(log, "krun_set_mapped_volumes: no longer supported"));
	CHECK_EQ(krun_free_ctx(ctx), 0);
}
