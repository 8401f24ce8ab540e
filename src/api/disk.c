/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Block devices: krun_add_disk[23], krun_set_root_disk_remount and the old
 * krun_set_root_disk / krun_set_data_disk. What each call records is checked
 * now (the image opened once in the mode asked, then closed), so a typo or a
 * missing permission fails here, not at start; the device opens it again at
 * start (src/devices/blk/). Rules from upstream's header: the old and the new
 * calls do not mix; the format is the caller's word, never probed; the guest
 * sees the disks in the order they were added (vda, vdb, ...).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/ctx.h"
#include "api/export.h"
#include "libkrun.h"
#include "util/log.h"

#define MAX_BLOCK_ID 256
#define MAX_MOUNT_ARG 4096 /* mount(2) reads at most a page of options */

void ctx_disk_release(struct ctx_disk *d)
{
	free(d->id);
	free(d->path);
	memset(d, 0, sizeof(*d));
}

/* The calls of the other family were used on this context: -EINVAL. */
static int check_api(struct krun_ctx *ctx, const char *fn, enum ctx_disk_api want)
{
	if (ctx->disk_api == CTX_DISK_API_NONE || ctx->disk_api == want)
		return 0;
	log_error("%s: krun_add_disk* and krun_set_root_disk/krun_set_data_disk cannot be "
		  "used together (libkrun.h)", fn);
	return -EINVAL;
}

/* Resolves path and opens it in the mode asked, so that errors show now. */
static int check_image(const char *fn, const char *path, bool read_only, char **out)
{
	char *abs;
	int fd, r;

	if (!path || !*path) {
		log_error("%s: no disk image given", fn);
		return -EINVAL;
	}
	abs = realpath(path, NULL);
	if (!abs) {
		r = -errno;
		log_error("%s: %s: %s", fn, path, strerror(-r));
		return r;
	}
	fd = open(abs, (read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		log_error("%s: cannot open %s %s: %s", fn, abs,
			  read_only ? "read-only" : "read-write", strerror(-r));
		free(abs);
		return r;
	}
	close(fd);
	*out = abs;
	return 0;
}

static int check_format(const char *fn, uint32_t format, enum disk_format *out)
{
	switch (format) {
	case KRUN_DISK_FORMAT_RAW:
		*out = DISK_FORMAT_RAW;
		return 0;
	case KRUN_DISK_FORMAT_QCOW2:
		*out = DISK_FORMAT_QCOW2;
		return 0;
	case KRUN_DISK_FORMAT_VMDK:
		*out = DISK_FORMAT_VMDK;
		return 0;
	default:
		log_error("%s: unknown disk format %u", fn, format);
		return -EINVAL;
	}
}

/* A qcow2 or VMDK image is opened as its format now, so that a malformed one,
 * an unsupported feature or a backing file out of bounds fails here. */
static int check_format_open(const char *fn, const struct ctx_disk *d)
{
	struct disk_open_params p = { .path = d->path, .read_only = d->read_only };
	struct disk *dk;
	int r;

	if (d->format == DISK_FORMAT_RAW)
		return 0; /* check_image opened it; a raw image has nothing more */
	r = disk_open(d->format, &p, &dk);
	if (r < 0) {
		log_error("%s: %s is not a usable %s image", fn, d->path,
			  d->format == DISK_FORMAT_QCOW2 ? "qcow2" : "VMDK");
		return r;
	}
	disk_close(dk);
	return 0;
}

static int add_disk(uint32_t ctx_id, const char *fn, const char *block_id, const char *path,
		    uint32_t format, bool read_only, bool direct_io, uint32_t sync_mode)
{
	CTX_HOLD(ctx, ctx_id);
	struct ctx_disk d = { .read_only = read_only, .direct_io = direct_io,
			      .sync_mode = sync_mode };
	int r;

	if ((r = check_api(ctx, fn, CTX_DISK_API_NEW)) < 0 ||
	    (r = check_format(fn, format, &d.format)) < 0)
		return r;
	if (!block_id || !*block_id || strlen(block_id) > MAX_BLOCK_ID) {
		log_error("%s: the block id must be 1 to %d bytes", fn, MAX_BLOCK_ID);
		return -EINVAL;
	}
	if (sync_mode > KRUN_SYNC_FULL) {
		log_error("%s: unknown sync mode %u", fn, sync_mode);
		return -EINVAL;
	}
	for (unsigned int i = 0; i < ctx->ndisks; i++)
		if (!strcmp(ctx->disks[i].id, block_id)) {
			log_error("%s: block id \"%s\" is already in use", fn, block_id);
			return -EEXIST;
		}
	if (ctx->ndisks == VMM_MAX_DISKS) {
		log_error("%s: at most %d disks", fn, VMM_MAX_DISKS);
		return -ENOSPC;
	}
	r = check_image(fn, path, read_only, &d.path);
	if (r < 0)
		return r;
	r = check_format_open(fn, &d);
	if (r < 0) {
		ctx_disk_release(&d);
		return r;
	}
	d.id = strdup(block_id);
	if (!d.id) {
		ctx_disk_release(&d);
		return -ENOMEM;
	}
	ctx->disks[ctx->ndisks++] = d;
	ctx->disk_api = CTX_DISK_API_NEW;
	return 0;
}

KRUN_API int32_t krun_add_disk(uint32_t ctx_id, const char *block_id, const char *disk_path,
			       bool read_only)
{
	/* Raw only, as upstream: this call cannot name a format, and none is probed. */
	return add_disk(ctx_id, __func__, block_id, disk_path, KRUN_DISK_FORMAT_RAW, read_only,
			false, KRUN_SYNC_FULL);
}

KRUN_API int32_t krun_add_disk2(uint32_t ctx_id, const char *block_id, const char *disk_path,
				uint32_t disk_format, bool read_only)
{
	return add_disk(ctx_id, __func__, block_id, disk_path, disk_format, read_only, false,
			KRUN_SYNC_FULL);
}

KRUN_API int32_t krun_add_disk3(uint32_t ctx_id, const char *block_id, const char *disk_path,
				uint32_t disk_format, bool read_only, bool direct_io,
				uint32_t sync_mode)
{
	return add_disk(ctx_id, __func__, block_id, disk_path, disk_format, read_only, direct_io,
			sync_mode);
}

/* The old calls: one root and one data disk, read-write, raw; set again, replaced. */
static int set_old_disk(uint32_t ctx_id, const char *fn, const char *path, bool root)
{
	CTX_HOLD(ctx, ctx_id);
	struct ctx_disk *slot = root ? &ctx->root_disk : &ctx->data_disk;
	struct ctx_disk d = { .sync_mode = KRUN_SYNC_FULL };
	int r;

	if ((r = check_api(ctx, fn, CTX_DISK_API_OLD)) < 0)
		return r;
	r = check_image(fn, path, false, &d.path);
	if (r < 0)
		return r;
	d.id = strdup(root ? "root" : "data");
	if (!d.id) {
		ctx_disk_release(&d);
		return -ENOMEM;
	}
	ctx_disk_release(slot);
	*slot = d;
	ctx->disk_api = CTX_DISK_API_OLD;
	return 0;
}

KRUN_API int32_t krun_set_root_disk(uint32_t ctx_id, const char *disk_path)
{
	return set_old_disk(ctx_id, __func__, disk_path, true);
}

KRUN_API int32_t krun_set_data_disk(uint32_t ctx_id, const char *disk_path)
{
	return set_old_disk(ctx_id, __func__, disk_path, false);
}

static bool mount_arg_ok(const char *s)
{
	return strlen(s) < MAX_MOUNT_ARG;
}

/*
 * The guest's init mounts device (a guest path, e.g. /dev/vda) as the root
 * and runs the workload there. Which disk it is cannot be checked here (the
 * guest names it); that some disk exists is checked at start. fstype NULL or
 * "auto": init tries each block file system the guest kernel has.
 */
KRUN_API int32_t krun_set_root_disk_remount(uint32_t ctx_id, const char *device,
					    const char *fstype, const char *options)
{
	CTX_HOLD(ctx, ctx_id);
	char *dev = NULL, *fs = NULL, *opts = NULL;

	if (!device || strncmp(device, "/dev/", 5) != 0 || !device[5] || !mount_arg_ok(device)) {
		log_error("%s: the device must be a guest path under /dev/, e.g. /dev/vda",
			  __func__);
		return -EINVAL;
	}
	if ((fstype && (!*fstype || !mount_arg_ok(fstype))) ||
	    (options && !mount_arg_ok(options))) {
		log_error("%s: empty file system type, or an argument over %d bytes", __func__,
			  MAX_MOUNT_ARG - 1);
		return -EINVAL;
	}
	dev = strdup(device);
	fs = strdup(fstype ? fstype : "auto");
	opts = strdup(options ? options : "");
	if (!dev || !fs || !opts) {
		free(dev);
		free(fs);
		free(opts);
		return -ENOMEM;
	}
	free(ctx->root_device);
	free(ctx->root_fstype);
	free(ctx->root_options);
	ctx->root_device = dev;
	ctx->root_fstype = fs;
	ctx->root_options = opts;
	return 0;
}
