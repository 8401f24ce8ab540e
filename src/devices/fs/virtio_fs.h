/* SPDX-License-Identifier: Apache-2.0 */
/*
 * virtio-fs (virtio 1.2 §5.11, device id 26): one shared host directory, served
 * by the FUSE server of src/fs/ (fuse_server.h) from a pool of worker threads.
 *
 * Queues (§5.11.2): 0 hiprio (FORGET, BATCH_FORGET, INTERRUPT), then
 * num_request_queues request queues; we announce one, which is all Linux 6.1
 * uses. Offered besides VERSION_1: VIRTIO_F_EVENT_IDX only; no notification
 * queue. With a DAX window, the device has shared memory region 0 (§5.11.5,
 * VIRTIO_FS_SHMCAP_ID_CACHE), which the bus maps (src/vmm/shm_window.c) and
 * the server fills (src/fs/ops_dax.c).
 *
 * Threads: the event loop only wakes the workers (queue_notify never blocks).
 * Each worker pops a chain from either queue (hiprio first) under the device's
 * queue lock, serves it with the lock released, then pushes it back and raises
 * the interrupt. A worker that took a chain wakes another, so a burst of
 * requests spreads over the pool. Reset (vCPU thread) waits a bounded time
 * for the requests in flight; one still blocked in the host after that (a
 * file on a hung mount inside the share) is abandoned: the reset's
 * generation count makes its late reply be dropped, never pushed onto a
 * queue the driver took back (virtio_fs.c, fs_reset).
 */
#ifndef LIBKRUN_DEVICES_FS_VIRTIO_FS_H
#define LIBKRUN_DEVICES_FS_VIRTIO_FS_H

#include <stdbool.h>

#include "virtio/mmio.h"

#define VIRTIO_FS_TAG_MAX 36      /* §5.11.4: tag[36], UTF-8, NUL-padded */
#define VIRTIO_FS_QUEUE_SIZE 1024 /* a 1 MiB WRITE is ~260 descriptors (no indirect) */
#define VIRTIO_FS_MAX_WORKERS 16

struct virtio_fs_config {
	const char *tag;      /* 1..VIRTIO_FS_TAG_MAX bytes */
	const char *root;     /* host directory */
	unsigned int nworkers; /* 1..VIRTIO_FS_MAX_WORKERS */
	/* fuse_server_config.passthrough_privileges: off unless a caller opts in
	 * for a trusted guest (docs/security.md, "virtio-fs"). */
	bool passthrough_privileges;
	/* fuse_server_config.read_only: krun_add_virtiofs3's flag, enforced by
	 * the server, since the guest can remount its side read-write. */
	bool read_only;
	const struct fs_overlay_spec *overlays; /* fuse_server_config's */
	unsigned int noverlays;
	void *dax_window; /* fuse_server_config's; NULL: none */
	uint64_t dax_window_len;
};

/* Opens the share and starts the workers. NULL on error (logged). */
struct virtio_dev *virtio_fs_create(const struct virtio_fs_config *cfg);

#endif
