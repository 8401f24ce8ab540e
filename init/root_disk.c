/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The root on a block device (krun_set_root_disk_remount): mount(8)'s work,
 * done small. The options string is split as mount(8) splits -o: the generic
 * flags (ro, nosuid, noatime, ...) become MS_* flags, everything else goes to
 * the file system as its data. fstype "auto" tries each file system the
 * kernel lists without "nodev" in /proc/filesystems, in its order.
 */
#include "init.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>

#define DEVICE_WAIT_MS 2000 /* virtio-blk probes before init runs; a margin */
#define OPTIONS_MAX 4096

struct flag_name {
	const char *name;
	unsigned long set, clear;
};

static const struct flag_name flag_names[] = {
	{ "ro", MS_RDONLY, 0 },        { "rw", 0, MS_RDONLY },
	{ "nosuid", MS_NOSUID, 0 },    { "suid", 0, MS_NOSUID },
	{ "nodev", MS_NODEV, 0 },      { "dev", 0, MS_NODEV },
	{ "noexec", MS_NOEXEC, 0 },    { "exec", 0, MS_NOEXEC },
	{ "sync", MS_SYNCHRONOUS, 0 }, { "async", 0, MS_SYNCHRONOUS },
	{ "dirsync", MS_DIRSYNC, 0 },  { "noatime", MS_NOATIME, 0 },
	{ "atime", 0, MS_NOATIME },    { "nodiratime", MS_NODIRATIME, 0 },
	{ "relatime", MS_RELATIME, 0 }, { "strictatime", MS_STRICTATIME, 0 },
	{ "defaults", 0, 0 },
};

/* Splits options into flags and the rest (data, at most OPTIONS_MAX bytes). */
static int split_options(const char *options, unsigned long *flags, char *data)
{
	char buf[OPTIONS_MAX], *save = NULL, *opt;
	size_t used = 0;

	if (strlen(options) >= sizeof(buf)) {
		init_log("root disk options over %d bytes", OPTIONS_MAX - 1);
		return -1;
	}
	strcpy(buf, options);
	*flags = 0;
	data[0] = '\0';
	for (opt = strtok_r(buf, ",", &save); opt; opt = strtok_r(NULL, ",", &save)) {
		size_t i, n = strlen(opt);

		for (i = 0; i < sizeof(flag_names) / sizeof(flag_names[0]); i++)
			if (strcmp(opt, flag_names[i].name) == 0)
				break;
		if (i < sizeof(flag_names) / sizeof(flag_names[0])) {
			*flags = (*flags & ~flag_names[i].clear) | flag_names[i].set;
			continue;
		}
		/* The data is never longer than the options it came from. */
		if (used)
			data[used++] = ',';
		memcpy(data + used, opt, n + 1);
		used += n;
	}
	return 0;
}

static void wait_for_device(const char *device)
{
	const struct timespec tick = { 0, 10 * 1000000L };
	struct stat st;

	for (int i = 0; i < DEVICE_WAIT_MS / 10; i++) {
		if (stat(device, &st) == 0)
			return;
		nanosleep(&tick, NULL);
	}
}

/* "auto": each block file system the kernel has. The first that mounts wins;
 * the error kept is the one of the last try, or ENODEV when none fits. */
static int mount_auto(const char *device, const char *target, unsigned long flags,
		      const char *data)
{
	FILE *f = fopen("/proc/filesystems", "re");
	char line[128], type[64];
	int err = ENODEV;

	if (!f) {
		init_log("cannot read /proc/filesystems: %m");
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "nodev", 5) == 0 || sscanf(line, " %63s", type) != 1)
			continue;
		if (mount(device, target, type, flags, data) == 0) {
			fclose(f);
			return 0;
		}
		if (errno != EINVAL && errno != ENODEV)
			err = errno; /* e.g. EACCES on a read-only device: worth saying */
	}
	fclose(f);
	errno = err;
	return -1;
}

int root_disk_mount(const char *device, const char *fstype, const char *options,
		    const char *target)
{
	char data[OPTIONS_MAX];
	unsigned long flags;
	int r;

	if (split_options(options, &flags, data) < 0)
		return -1;
	wait_for_device(device);
	for (;;) {
		if (strcmp(fstype, "auto") == 0)
			r = mount_auto(device, target, flags, data);
		else
			r = mount(device, target, fstype, flags, data);
		/* A read-only disk (VIRTIO_BLK_F_RO) cannot be mounted read-write:
		 * as mount(8) does, mount it read-only instead. */
		if (r == 0 || (flags & MS_RDONLY) || (errno != EACCES && errno != EROFS))
			break;
		init_log("%s is write-protected; mounting it read-only", device);
		flags |= MS_RDONLY;
	}
	if (r < 0) {
		init_log("cannot mount the root disk %s (%s, \"%s\"): %m", device, fstype, options);
		return -1;
	}
	return 0;
}
