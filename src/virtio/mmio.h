/* SPDX-License-Identifier: Apache-2.0 */
/*
 * virtio-mmio transport, version 2 registers (virtio 1.2 §4.2.2), apart from any
 * device. A device supplies an ops table and private state; the transport owns the
 * registers, feature negotiation, the queues' configuration and the interrupt.
 *
 * Threads: virtio_mmio_read/write run on vCPU threads (KVM_EXIT_MMIO) and take the
 * device's lock themselves. Queue notifications arrive through one KVM ioeventfd per queue
 * (on QueueNotify with datamatch = queue index), polled by the event loop, which
 * calls ops->queue_notify on the loop thread. A notify for a queue that is not
 * active is ignored.
 *
 * Register page (virtio_mmio_shadow_attach): every virtio-mmio v2 register read
 * is free of side effects, so the VMM can map the device's 4 KiB window into
 * the guest as a read-only memory slot holding what each read would return.
 * Reads then cost no exit (Linux reads InterruptStatus in every interrupt);
 * writes still exit (KVM_MEM_READONLY, api.rst §4.35) and land in
 * virtio_mmio_write, which updates the page before the vCPU resumes.
 * InterruptStatus lives in the page itself and is changed only by atomic
 * or/and; a config change the device announces (virtio_signal_config) is
 * written to the page on the event loop thread (virtio_mmio_config_refresh),
 * where no device lock is held, bracketed by two ConfigGeneration bumps so
 * that a driver reading across it retries (§2.4.1). With a page, KVM may
 * absorb InterruptAck writes of exactly USED_RING (src/vmm/virtio_regpage.c):
 * that bit then stays set until a reset.
 */
#ifndef LIBKRUN_VIRTIO_MMIO_H
#define LIBKRUN_VIRTIO_MMIO_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "virtio/queue.h"

#define VIRTIO_MMIO_SIZE 0x1000
#define VIRTIO_MAX_QUEUES 16

/* Registers (§4.2.2). */
#define VIRTIO_MMIO_MAGIC_VALUE 0x000
#define VIRTIO_MMIO_VERSION 0x004
#define VIRTIO_MMIO_DEVICE_ID 0x008
#define VIRTIO_MMIO_VENDOR_ID 0x00c
#define VIRTIO_MMIO_DEVICE_FEATURES 0x010
#define VIRTIO_MMIO_DEVICE_FEATURES_SEL 0x014
#define VIRTIO_MMIO_DRIVER_FEATURES 0x020
#define VIRTIO_MMIO_DRIVER_FEATURES_SEL 0x024
#define VIRTIO_MMIO_QUEUE_SEL 0x030
#define VIRTIO_MMIO_QUEUE_NUM_MAX 0x034
#define VIRTIO_MMIO_QUEUE_NUM 0x038
#define VIRTIO_MMIO_QUEUE_READY 0x044
#define VIRTIO_MMIO_QUEUE_NOTIFY 0x050
#define VIRTIO_MMIO_INTERRUPT_STATUS 0x060
#define VIRTIO_MMIO_INTERRUPT_ACK 0x064
#define VIRTIO_MMIO_STATUS 0x070
#define VIRTIO_MMIO_QUEUE_DESC_LOW 0x080
#define VIRTIO_MMIO_QUEUE_DESC_HIGH 0x084
#define VIRTIO_MMIO_QUEUE_AVAIL_LOW 0x090
#define VIRTIO_MMIO_QUEUE_AVAIL_HIGH 0x094
#define VIRTIO_MMIO_QUEUE_USED_LOW 0x0a0
#define VIRTIO_MMIO_QUEUE_USED_HIGH 0x0a4
#define VIRTIO_MMIO_SHM_SEL 0x0ac
#define VIRTIO_MMIO_SHM_LEN_LOW 0x0b0
#define VIRTIO_MMIO_SHM_LEN_HIGH 0x0b4
#define VIRTIO_MMIO_SHM_BASE_LOW 0x0b8
#define VIRTIO_MMIO_SHM_BASE_HIGH 0x0bc
#define VIRTIO_MMIO_CONFIG_GENERATION 0x0fc
#define VIRTIO_MMIO_CONFIG 0x100

/* Device status bits (§2.1) and common feature bits (§6). */
#define VIRTIO_STATUS_ACKNOWLEDGE 1
#define VIRTIO_STATUS_DRIVER 2
#define VIRTIO_STATUS_DRIVER_OK 4
#define VIRTIO_STATUS_FEATURES_OK 8
#define VIRTIO_STATUS_NEEDS_RESET 64
#define VIRTIO_STATUS_FAILED 128
#define VIRTIO_F_EVENT_IDX 29 /* Linux's VIRTIO_RING_F_EVENT_IDX; virtio/queue.h */
#define VIRTIO_F_VERSION_1 32

#define VIRTIO_INT_USED_RING 1
#define VIRTIO_INT_CONFIG 2

/* Shared memory regions a device may have (§2.10, §4.2.2 SHMSel): virtio-fs
 * has one, its DAX window (id 0, VIRTIO_FS_SHMCAP_ID_CACHE). */
#define VIRTIO_MMIO_MAX_SHM 2

struct virtio_shm {
	uint64_t base, len; /* guest-physical; len 0: no region with this id */
};

struct virtio_dev;

struct virtio_dev_ops {
	const char *name;   /* for logs: "console", "fs", ... */
	uint32_t device_id; /* §5: console 3, balloon 5, fs 26, vsock 19 */
	uint16_t num_queues;
	uint16_t queue_max_size;
	/* Optional: QueueNumMax per queue (num_queues entries), in place of
	 * queue_max_size; for devices whose queues differ (vhost-user's). */
	const uint16_t *queue_max_sizes;
	/* Queue kicks belong to another process (a vhost-user backend reads the
	 * ioeventfds): the event loop leaves them alone and queue_notify is unused. */
	bool external_notify;
	/* Features offered besides VIRTIO_F_VERSION_1 (which the transport adds). */
	uint64_t (*features)(struct virtio_dev *d);
	/* Device config space (§4.2.2 Config): bounds already checked against
	 * config_size; read/write len bytes at off. */
	uint32_t config_size;
	void (*config_read)(struct virtio_dev *d, uint32_t off, void *data, uint32_t len);
	void (*config_write)(struct virtio_dev *d, uint32_t off, const void *data, uint32_t len);
	/* DRIVER_OK with every ready queue activated. 0, or -errno to fail the device
	 * (the transport then sets NEEDS_RESET). Called with the device lock held. */
	int (*activate)(struct virtio_dev *d);
	/* The driver kicked queue qidx (< num_queues, active). Event loop thread. */
	void (*queue_notify)(struct virtio_dev *d, uint16_t qidx);
	/* The driver reset the device (status 0): drop in-flight state. Device lock held. */
	void (*reset)(struct virtio_dev *d);
	/* Optional: the VM ended (vCPUs and the event loop stopped, guest memory
	 * still mapped); finish what the guest asked for, e.g. deliver its last
	 * bytes. */
	void (*vm_ended)(struct virtio_dev *d);
	/* Frees priv. The transport is torn down afterwards. */
	void (*destroy)(struct virtio_dev *d);
	/* config_read answers from somewhere else (a vhost-user backend) and may
	 * change without virtio_signal_config: every read must trap, so the
	 * device gets no register page. */
	bool config_live;
};

struct virtio_dev {
	const struct virtio_dev_ops *ops;
	void *priv;
	const struct gmem *mem;
	uint64_t mmio_base; /* guest-physical base of its 4 KiB window */
	uint32_t gsi;       /* interrupt line */
	int irqfd;          /* eventfd bound to gsi with KVM_IRQFD */
	int notify_fd[VIRTIO_MAX_QUEUES]; /* ioeventfds, -1 when none */

	pthread_mutex_t lock;
	uint32_t status;
	uint32_t device_features_sel, driver_features_sel;
	uint64_t driver_features; /* as accepted at FEATURES_OK */
	uint32_t queue_sel;
	uint32_t interrupt_status; /* without a register page; atomic (__atomic_*) */
	uint32_t config_generation;
	uint32_t shm_sel;                          /* SHMSel */
	struct virtio_shm shm[VIRTIO_MMIO_MAX_SHM]; /* set before the guest runs */
	/* The register page the guest reads, or NULL (all reads trap). */
	uint32_t *shadow;
	int config_fd;        /* with a page: eventfd, set when a config refresh is owed */
	uint32_t config_owed; /* with a page: VIRTIO_INT_CONFIG once owed; atomic */
	struct vq vq[VIRTIO_MAX_QUEUES];
};

/* Register access from a vCPU thread. offset < VIRTIO_MMIO_SIZE; len 1, 2, 4 or 8.
 * Reads of unknown registers return 0; bad writes are ignored with a debug log. */
void virtio_mmio_read(struct virtio_dev *d, uint64_t offset, void *data, uint32_t len);
void virtio_mmio_write(struct virtio_dev *d, uint64_t offset, const void *data, uint32_t len);

/* Raises the used-buffer interrupt (sets bit 0 of InterruptStatus, kicks irqfd). */
void virtio_signal_used(struct virtio_dev *d);
/* Raises the configuration-change interrupt and bumps ConfigGeneration. */
void virtio_signal_config(struct virtio_dev *d);

/* Makes page (VIRTIO_MMIO_SIZE bytes, zeroed) the register page of d and fills
 * it; from then on the guest reads it instead of trapping, and virtio_signal_config
 * writes d->config_fd (which must be open) and leaves the rest to
 * virtio_mmio_config_refresh. Before the vCPUs run. */
void virtio_mmio_shadow_attach(struct virtio_dev *d, uint32_t *page);
/* Event loop thread, after d->config_fd became readable: writes the current
 * config into the register page and raises the owed configuration interrupt. */
void virtio_mmio_config_refresh(struct virtio_dev *d);

/* Whether the driver accepted feature bit `bit`. */
bool virtio_has_feature(const struct virtio_dev *d, unsigned int bit);

#endif
