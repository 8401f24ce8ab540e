/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A qcow2 image's backing file (qcow2.txt "backing_file_offset"). libkrun.h
 * (krun_add_disk2): a backing file is followed only because the caller named
 * the qcow2 format for this image; nothing is probed. So:
 *  - the name is resolved relative to the directory of the image that names
 *    it and may not leave it (no absolute name, no "..", no symbolic link
 *    out): an image from elsewhere cannot make us read /etc/shadow or
 *    another user's disk into the guest;
 *  - its format is the image's backing format extension ("qcow2" or "raw");
 *    without one it is raw, the format that names no further file. Guessing
 *    qcow2 from the backing file's magic would be probing, which a raw
 *    backing file the guest once wrote could exploit;
 *  - it is opened read-only, and chains stop at QCOW2_MAX_BACKING_DEPTH.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "devices/blk/disk_io.h"
#include "devices/blk/qcow2.h"
#include "util/log.h"

int qcow2_open_backing(struct qcow2 *q, const char *bname, const char *fmt, unsigned int depth)
{
	struct disk_open_params bp = { .read_only = true };
	const char *slash = strrchr(q->path, '/');
	char fdpath[32], *logical;
	bool is_qcow2;
	int fd, r;

	if (*fmt && strcmp(fmt, "raw") && strcmp(fmt, "qcow2")) {
		log_error("qcow2 %s: backing file format \"%s\" is not supported (raw or qcow2)",
			  q->path, fmt);
		return -ENOTSUP;
	}
	is_qcow2 = !strcmp(fmt, "qcow2");
	if (depth + 1 >= QCOW2_MAX_BACKING_DEPTH) {
		log_error("qcow2 %s: backing chain deeper than %d images (a loop?)", q->path,
			  QCOW2_MAX_BACKING_DEPTH);
		return -ELOOP;
	}
	r = disk_open_beside(q->path, bname, O_RDONLY, "backing file", &fd);
	if (r < 0)
		return r;
	/* The backing image's own backing file is resolved beside it: its
	 * logical path is the naming image's directory plus the name. */
	if (asprintf(&logical, "%.*s%s", slash ? (int)(slash - q->path + 1) : 0, q->path,
		     bname) < 0) {
		close(fd);
		return -ENOMEM;
	}
	snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", fd);
	bp.path = fdpath;
	r = is_qcow2 ? qcow2_open_at(&bp, logical, depth + 1, &q->backing)
		     : disk_raw_open(&bp, &q->backing);
	close(fd);
	if (r < 0)
		log_error("qcow2 %s: cannot open its backing file %s (%s)", q->path, logical,
			  is_qcow2 ? "qcow2" : "raw");
	else
		log_debug("qcow2 %s: backing file %s, %s", q->path, logical,
			  is_qcow2 ? "qcow2 (format extension)"
				   : *fmt ? "raw (format extension)" : "raw (no format named)");
	free(logical);
	return r;
}
