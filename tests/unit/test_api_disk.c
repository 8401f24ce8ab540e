/* SPDX-License-Identifier: Apache-2.0 */
/*
 * krun_add_disk[23], krun_set_root_disk, krun_set_data_disk and
 * krun_set_root_disk_remount with good and bad input: upstream's rules (the
 * two families exclusive, the format named not probed), clear errnos, a log
 * line each, and (LeakSanitizer) nothing leaked.
 */
#include "harness.h"
#include "logcap.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "libkrun.h"

static void make_image(char *path, size_t size)
{
	int fd;

	snprintf(path, 64, "/tmp/test_api_disk.XXXXXX");
	fd = mkstemp(path);
	CHECK(fd >= 0);
	CHECK_EQ(ftruncate(fd, (off_t)size), 0);
	close(fd);
}

TEST(api_disk_calls_check_the_context_first)
{
	struct logcap c;

	cap_start(&c);
	CHECK_EQ(krun_add_disk(4242, "d", "/tmp", false), -ENOENT);
	CHECK_EQ(krun_add_disk2(4242, "d", "/tmp", KRUN_DISK_FORMAT_RAW, false), -ENOENT);
	CHECK_EQ(krun_add_disk3(4242, "d", "/tmp", 0, false, false, 0), -ENOENT);
	CHECK_EQ(krun_set_root_disk(4242, "/tmp"), -ENOENT);
	CHECK_EQ(krun_set_data_disk(4242, "/tmp"), -ENOENT);
	CHECK_EQ(krun_set_root_disk_remount(4242, "/dev/vda", NULL, NULL), -ENOENT);
	CHECK(strstr(cap_end(&c), "unknown context id 4242"));
}

TEST(api_add_disk_checks_every_argument)
{
	uint32_t ctx = new_ctx();
	struct logcap c;
	char img[64];
	const char *log;

	make_image(img, 1 << 20);
	cap_start(&c);
	CHECK_EQ(krun_add_disk(ctx, NULL, img, false), -EINVAL);
	CHECK_EQ(krun_add_disk(ctx, "", img, false), -EINVAL);
	CHECK_EQ(krun_add_disk(ctx, "d", NULL, false), -EINVAL);
	CHECK_EQ(krun_add_disk(ctx, "d", "", false), -EINVAL);
	CHECK_EQ(krun_add_disk(ctx, "d", "/nonexistent/disk.img", false), -ENOENT);
	CHECK_EQ(krun_add_disk2(ctx, "d", img, 7, false), -EINVAL);
	CHECK_EQ(krun_add_disk3(ctx, "d", img, KRUN_DISK_FORMAT_RAW, false, false, 3), -EINVAL);
	char long_id[300];
	memset(long_id, 'x', sizeof(long_id) - 1);
	long_id[sizeof(long_id) - 1] = '\0';
	CHECK_EQ(krun_add_disk(ctx, long_id, img, false), -EINVAL);
	log = cap_end(&c);
	CHECK(strstr(log, "krun_add_disk: the block id must be"));
	CHECK(strstr(log, "krun_add_disk: no disk image given"));
	CHECK(strstr(log, "/nonexistent/disk.img"));
	CHECK(strstr(log, "unknown disk format 7"));
	CHECK(strstr(log, "unknown sync mode 3"));
	/* qcow2 and VMDK are opened as the format named: a raw image is neither. */
	cap_start(&c);
	CHECK_EQ(krun_add_disk2(ctx, "q", img, KRUN_DISK_FORMAT_QCOW2, false), -EINVAL);
	CHECK_EQ(krun_add_disk3(ctx, "v", img, KRUN_DISK_FORMAT_VMDK, true, false, 0), -EINVAL);
	log = cap_end(&c);
	CHECK(strstr(log, "not a qcow2 image"));
	CHECK(strstr(log, "not a VMDK text descriptor"));
	CHECK(strstr(log, "is not a usable qcow2 image"));
	/* Good ones, then a taken id. */
	CHECK_EQ(krun_add_disk(ctx, "root", img, false), 0);
	CHECK_EQ(krun_add_disk2(ctx, "data", img, KRUN_DISK_FORMAT_RAW, true), 0);
	CHECK_EQ(krun_add_disk3(ctx, "fast", img, KRUN_DISK_FORMAT_RAW, false, true,
				KRUN_SYNC_NONE), 0);
	cap_start(&c);
	CHECK_EQ(krun_add_disk(ctx, "data", img, false), -EEXIST);
	CHECK(strstr(cap_end(&c), "block id \"data\" is already in use"));
	CHECK_EQ(krun_free_ctx(ctx), 0);
	unlink(img);
}

TEST(api_add_disk_opens_the_image_in_the_mode_asked)
{
	uint32_t ctx = new_ctx();
	struct logcap c;
	char img[64];

	make_image(img, 4096);
	CHECK_EQ(chmod(img, 0444), 0);
	CHECK_EQ(krun_add_disk(ctx, "ro", img, true), 0);
	if (geteuid() != 0) {
		/* Root opens it read-write anyway. */
		cap_start(&c);
		CHECK_EQ(krun_add_disk(ctx, "rw", img, false), -EACCES);
		CHECK(strstr(cap_end(&c), "read-write"));
	}
	CHECK_EQ(krun_free_ctx(ctx), 0);
	unlink(img);
}

TEST(api_at_most_eight_disks)
{
	uint32_t ctx = new_ctx();
	struct logcap c;
	char img[64], id[16];

	make_image(img, 4096);
	for (int i = 0; i < 8; i++) {
		snprintf(id, sizeof(id), "d%d", i);
		CHECK_EQ(krun_add_disk(ctx, id, img, true), 0);
	}
	cap_start(&c);
	CHECK_EQ(krun_add_disk(ctx, "d8", img, true), -ENOSPC);
	CHECK(strstr(cap_end(&c), "at most 8 disks"));
	CHECK_EQ(krun_free_ctx(ctx), 0);
	unlink(img);
}

TEST(api_old_and_new_disk_calls_are_exclusive)
{
	uint32_t a = new_ctx(), b = new_ctx();
	struct logcap c;
	char img[64];

	make_image(img, 4096);
	CHECK_EQ(krun_set_root_disk(a, img), 0);
	CHECK_EQ(krun_set_root_disk(a, img), 0); /* replaces */
	CHECK_EQ(krun_set_data_disk(a, img), 0);
	cap_start(&c);
	CHECK_EQ(krun_add_disk(a, "d", img, false), -EINVAL);
	CHECK(strstr(cap_end(&c), "cannot be used together"));
	CHECK_EQ(krun_add_disk(b, "d", img, false), 0);
	cap_start(&c);
	CHECK_EQ(krun_set_root_disk(b, img), -EINVAL);
	CHECK_EQ(krun_set_data_disk(b, img), -EINVAL);
	CHECK(strstr(cap_end(&c), "cannot be used together"));
	cap_start(&c);
	CHECK_EQ(krun_set_root_disk(a, NULL), -EINVAL);
	CHECK_EQ(krun_set_data_disk(a, "/nonexistent/x.img"), -ENOENT);
	cap_end(&c);
	CHECK_EQ(krun_free_ctx(a), 0);
	CHECK_EQ(krun_free_ctx(b), 0);
	unlink(img);
}

TEST(api_root_disk_remount_checks_its_arguments)
{
	uint32_t ctx = new_ctx();
	struct logcap c;
	char *big = malloc(5000);

	CHECK(big);
	memset(big, 'o', 4999);
	big[4999] = '\0';
	cap_start(&c);
	CHECK_EQ(krun_set_root_disk_remount(ctx, NULL, "ext4", NULL), -EINVAL);
	CHECK_EQ(krun_set_root_disk_remount(ctx, "vda", "ext4", NULL), -EINVAL);
	CHECK_EQ(krun_set_root_disk_remount(ctx, "/dev/", "ext4", NULL), -EINVAL);
	CHECK_EQ(krun_set_root_disk_remount(ctx, "/dev/vda", "", NULL), -EINVAL);
	CHECK_EQ(krun_set_root_disk_remount(ctx, "/dev/vda", "ext4", big), -EINVAL);
	CHECK(strstr(cap_end(&c), "krun_set_root_disk_remount"));
	free(big);
	CHECK_EQ(krun_set_root_disk_remount(ctx, "/dev/vda", "ext4", "ro,noatime"), 0);
	CHECK_EQ(krun_set_root_disk_remount(ctx, "/dev/vdb1", NULL, NULL), 0); /* replaces */
	/* No disk to mount: start refuses before building anything. */
	cap_start(&c);
	CHECK_EQ(krun_start_enter(ctx), -EINVAL);
	CHECK(strstr(cap_end(&c), "with no disk"));
}
