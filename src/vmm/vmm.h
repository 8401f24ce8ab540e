/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The VMM's entry point for the API layer: a complete, validated description of
 * the VM in, the workload's exit status out.
 */
#ifndef LIBKRUN_VMM_VMM_H
#define LIBKRUN_VMM_VMM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "devices/blk/disk.h"
#include "devices/console/console.h"
#include "devices/net/backend.h"
#include "devices/vhost_user/vhost_user.h"
#include "devices/vsock/vsock.h"
#include "vmm/arch.h"

#define VMM_MAX_RAM_MIB (256u * 1024u) /* 256 GiB */
#define VMM_MAX_FS 8 /* virtio-fs shares per VM (root included) */
#define VMM_MAX_DISKS 8 /* virtio-blk devices per VM */
#define VMM_MAX_CONSOLES 4 /* virtio-console devices per VM */
#define VMM_MAX_NETS 4  /* virtio-net devices per VM */
#define VMM_MAX_VHOST_USER 8 /* vhost-user devices per VM */

/* One virtio-fs share: a host directory the guest mounts by tag. */
struct vmm_fs_share {
	const char *tag;
	const char *path;
	bool read_only; /* the server refuses every change (-EROFS) */
	const struct fs_overlay_spec *overlays; /* virtual entries (fs/overlay.h) */
	unsigned int noverlays;
	uint64_t shm_size; /* the DAX window: 0 or a multiple of VMM_SHM_GRANULE */
};

/* DAX windows: Linux's virtio-fs maps files in 2 MiB ranges (fs/fuse/dax.c
 * FUSE_DAX_SZ); a window is a whole number of them, up to VMM_MAX_SHM. */
#define VMM_SHM_GRANULE (2ULL << 20)
#define VMM_MAX_SHM (32ULL << 30) /* 16 384 ranges: memory areas to spare */

/* One virtio-blk device; the guest sees them in order (vda, vdb...). */
struct vmm_disk {
	const char *id;   /* the caller's block_id, GET_ID's answer */
	const char *path;
	enum disk_format format;
	bool read_only;
	bool direct_io;
	bool flush; /* honour FLUSH (not KRUN_SYNC_NONE) */
};

/* One virtio-net device on a connected backend; the guest names them in
 * order (eth0, eth1...). */
struct vmm_net {
	int fd; /* the VMM works on a duplicate: the caller keeps this one */
	enum netbe_kind kind;
	uint8_t mac[6];
	uint32_t features; /* NET_FEATURE_* asked for */
};

struct vmm_config {
	unsigned int nvcpus;
	uint64_t ram_bytes;
	struct boot_spec boot; /* kernel, initrd (complete, ours appended), cmdline */
	/* virtio-console devices in guest order (hvc0, hvc1, ...); the first
	 * carries the workload's stdio ports. None at all: no console device. */
	struct console_config consoles[VMM_MAX_CONSOLES];
	unsigned int nconsoles;
	struct vsock_config vsock; /* no ports: no vsock device */
	struct vmm_fs_share fs[VMM_MAX_FS];
	unsigned int nfs;
	struct vmm_disk disks[VMM_MAX_DISKS];
	unsigned int ndisks;
	/* krun_get_shutdown_eventfd's eventfd, or -1; SIGTERM is watched either
	 * way (vmm/shutdown.h): the caller blocks it in every thread first. */
	int shutdown_fd;
	bool nested_virt; /* show the guest VMX/SVM where KVM offers it */
	bool split_irqchip; /* the IOAPIC in the VMM, KVM keeping the LAPICs (vm.h) */
	/* The serial port (devices/serial/uart.h): present, and its fds (-1: none). */
	struct {
		bool present;
		int in_fd, out_fd;
	} serial;
	struct vmm_net nets[VMM_MAX_NETS];
	unsigned int nnets;
	/* vhost-user devices, after every other device; any of them makes guest
	 * RAM a shared memfd (vmm/gmem.h). */
	struct vhost_user_config vhost_user[VMM_MAX_VHOST_USER];
	unsigned int nvhost_user;
	/* Called once the kernel and initrd are in guest RAM, before any vCPU
	 * runs: the caller may free what boot points to. May be NULL. */
	void (*boot_copied)(void *arg);
	void *boot_copied_arg;
	/* When krun_start_enter was called (monotonic_ns), the first boot phase
	 * mark; 0: when vmm_run starts. */
	uint64_t start_ns;
};

/* Most vCPUs per VM on this host, or a negative errno (no usable /dev/kvm). */
int vmm_max_vcpus(void);
/* 1 if this host's KVM offers nested virtualization, 0 if not, -errno (no
 * usable /dev/kvm). */
int vmm_nested_virt_supported(void);

/*
 * Builds the VM and runs it until the guest reports its exit or stops.
 * Returns -errno if the VM could not be built (nothing is left behind), else 0
 * with *status set: the reported exit status, or 1 (logged) if the guest stopped
 * without reporting one. On return the console output is flushed; vCPU threads
 * may still exist (the caller ends the process).
 */
int vmm_run(const struct vmm_config *cfg, int *status);

#endif
