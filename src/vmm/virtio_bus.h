/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Puts virtio-mmio devices on a VM: a 4 KiB MMIO window and an interrupt line
 * each (from the arch layout), an irqfd for the interrupt, and one ioeventfd per
 * queue on QueueNotify (datamatch = queue index) watched by the event loop, so
 * that a queue kick costs no exit to user space on the vCPU thread.
 */
#ifndef LIBKRUN_VMM_VIRTIO_BUS_H
#define LIBKRUN_VMM_VIRTIO_BUS_H

#include "devices/console/console.h"
#include "devices/vsock/vsock.h"
#include "vmm/vm.h"
#include "vmm/vmm.h"

/* Takes ownership of d (destroyed on failure). Before vCPUs run. 0 or -errno. */
int virtio_bus_add(struct vm *vm, struct virtio_dev *d);
int virtio_bus_add_console(struct vm *vm, const struct console_config *cfg);
/* The free-page-reporting balloon (devices/balloon/balloon.h). 0 or -errno. */
int virtio_bus_add_balloon(struct vm *vm);

/* A virtio-fs share (devices/fs/virtio_fs.h) served by nworkers threads. 0 or -errno. */
int virtio_bus_add_fs(struct vm *vm, const struct vmm_fs_share *share, unsigned int nworkers);

/* A virtio-blk device (devices/blk/blk.h) on a raw image, with nqueues request
 * queues served by nworkers threads. 0 or -errno (the image cannot be opened,
 * logged). */
int virtio_bus_add_blk(struct vm *vm, const struct vmm_disk *disk, unsigned int nqueues,
		       unsigned int nworkers);

/* A virtio-net device (devices/net/net.h) on a duplicate of net->fd. 0 or -errno. */
int virtio_bus_add_net(struct vm *vm, const struct vmm_net *net);

/* A device served by a vhost-user backend (devices/vhost_user/vhost_user.h);
 * guest RAM must be shared. 0 or -errno (no backend there, logged). */
int virtio_bus_add_vhost_user(struct vm *vm, const struct vhost_user_config *cfg);

/* virtio-vsock with the given ports (devices/vsock/vsock.h). 0 or -errno
 * (-EEXIST: a listen path exists). */
int virtio_bus_add_vsock(struct vm *vm, const struct vsock_config *cfg, struct vsock_mux **mux);

/* After the event loop stopped: devices finish what the guest asked for (vsock
 * delivers its last bytes), then the console writes out what it holds. */
void virtio_bus_flush(struct vm *vm);
/* Binds fd to 32-bit guest writes of `value` to register reg of d's window,
 * which KVM then takes without an exit (KVM_IOEVENTFD with datamatch).
 * 0 or -errno. */
int virtio_bus_ioeventfd(struct vm *vm, const struct virtio_dev *d, uint32_t reg,
			 uint32_t value, int fd);

/* Destroys every device and closes their fds. */
void virtio_bus_destroy(struct vm *vm);

#endif
