/* SPDX-License-Identifier: Apache-2.0 */
#include "vmm/virtio_bus.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "devices/balloon/balloon.h"
#include "devices/blk/blk.h"
#include "devices/fs/virtio_fs.h"
#include "devices/net/net.h"
#include "devices/vhost_user/vhost_user.h"
#include "util/log.h"
#include "vmm/arch.h"
#include "vmm/evloop.h"
#include "vmm/shm_window.h"
#include "vmm/virtio_regpage.h"

static void on_notify(void *arg, uint32_t events)
{
	struct virtio_notify *n = arg;
	uint64_t v;

	(void)events;
	if (read(n->dev->notify_fd[n->queue], &v, sizeof(v)) < 0)
		return;
	if (n->dev->vq[n->queue].active)
		n->dev->ops->queue_notify(n->dev, n->queue);
}

static void mmio_read(void *opaque, uint64_t offset, void *data, uint32_t len)
{
	virtio_mmio_read(opaque, offset, data, len);
}

static void mmio_write(void *opaque, uint64_t offset, const void *data, uint32_t len)
{
	virtio_mmio_write(opaque, offset, data, len);
}

int virtio_bus_ioeventfd(struct vm *vm, const struct virtio_dev *d, uint32_t reg,
			 uint32_t value, int fd)
{
	struct kvm_ioeventfd io = {
		.datamatch = value,
		.addr = d->mmio_base + reg,
		.len = 4,
		.fd = fd,
		.flags = KVM_IOEVENTFD_FLAG_DATAMATCH,
	};

	return ioctl(vm->vm_fd, KVM_IOEVENTFD, &io) < 0 ? -errno : 0;
}

static int bind_queue_notify(struct vm *vm, struct virtio_slot *slot, uint16_t q)
{
	struct virtio_dev *d = slot->dev;
	int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	int r;

	if (fd < 0)
		return -errno;
	d->notify_fd[q] = fd;
	r = virtio_bus_ioeventfd(vm, d, VIRTIO_MMIO_QUEUE_NOTIFY, q, fd);
	if (r < 0) {
		log_error("KVM_IOEVENTFD for %s queue %u: %s", d->ops->name, q, strerror(-r));
		return r;
	}
	slot->notify[q].dev = d;
	slot->notify[q].queue = q;
	if (d->ops->external_notify)
		return 0; /* its backend reads the eventfd (mmio.h) */
	return evloop_add(vm->loop, fd, EPOLLIN, on_notify, &slot->notify[q]);
}

int virtio_bus_add(struct vm *vm, struct virtio_dev *d)
{
	unsigned int i = vm->ndev;
	struct virtio_slot *slot;
	int r;

	if (i >= VM_MAX_DEVICES || i >= arch_max_virtio_devices()) {
		log_error("too many virtio devices");
		r = -ENOSPC;
		goto fail;
	}
	slot = &vm->dev[i];
	memset(slot, 0, sizeof(*slot));
	slot->dev = d;
	slot->ack_fd = -1;
	vm->ndev++; /* from here on virtio_bus_destroy cleans up */
	d->mem = &vm->mem;
	d->mmio_base = arch_virtio_mmio_base(i);
	d->gsi = arch_virtio_gsi(i);
	d->irqfd = -1;
	d->config_fd = -1;
	for (unsigned int q = 0; q < VIRTIO_MAX_QUEUES; q++)
		d->notify_fd[q] = -1;
	pthread_mutex_init(&d->lock, NULL);

	d->irqfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (d->irqfd < 0)
		return -errno;
	struct kvm_irqfd irqfd = { .fd = (uint32_t)d->irqfd, .gsi = d->gsi };
	if (ioctl(vm->vm_fd, KVM_IRQFD, &irqfd) < 0) {
		r = -errno;
		log_error("KVM_IRQFD for %s: %s", d->ops->name, strerror(-r));
		return r;
	}
	for (uint16_t q = 0; q < d->ops->num_queues; q++) {
		r = bind_queue_notify(vm, slot, q);
		if (r < 0)
			return r;
	}
	struct mmio_region region = {
		.base = d->mmio_base, .size = VIRTIO_MMIO_SIZE,
		.read = mmio_read, .write = mmio_write, .opaque = d,
	};
	r = vm_add_mmio(vm, &region);
	if (r < 0)
		return r;
	virtio_regpage_add(vm, i);
	return 0;
fail:
	if (d->ops->destroy)
		d->ops->destroy(d);
	free(d);
	return r;
}

int virtio_bus_add_console(struct vm *vm, const struct console_config *cfg)
{
	struct virtio_dev *d = console_create(cfg, vm->loop);
	unsigned int i = vm->ndev;
	int r;

	if (!d)
		return -ENOMEM;
	r = virtio_bus_add(vm, d);
	if (vm->ndev > i)
		vm->dev[i].is_console = true;
	return r;
}

int virtio_bus_add_balloon(struct vm *vm)
{
	struct virtio_dev *d = balloon_create();

	if (!d)
		return -ENOMEM;
	return virtio_bus_add(vm, d);
}

int virtio_bus_add_fs(struct vm *vm, const struct vmm_fs_share *share, unsigned int nworkers)
{
	struct virtio_fs_config cfg = {
		.tag = share->tag, .root = share->path, .nworkers = nworkers,
		.read_only = share->read_only,
		.overlays = share->overlays, .noverlays = share->noverlays,
	};
	struct virtio_dev *d;
	uint64_t gpa = 0;
	int r;

	if (share->shm_size) {
		r = vm_shm_window_add(vm, share->shm_size, &cfg.dax_window, &gpa);
		if (r < 0)
			return r; /* logged */
		cfg.dax_window_len = share->shm_size;
	}
	d = virtio_fs_create(&cfg);
	if (!d)
		return -EINVAL; /* logged */
	/* §5.11.5: region 0 is the DAX window (VIRTIO_FS_SHMCAP_ID_CACHE). */
	d->shm[0] = (struct virtio_shm){ .base = gpa, .len = cfg.dax_window_len };
	if (share->shm_size)
		log_debug("virtio-fs \"%s\": DAX window of %llu MiB at 0x%llx", share->tag,
			  (unsigned long long)(share->shm_size >> 20), (unsigned long long)gpa);
	return virtio_bus_add(vm, d);
}

int virtio_bus_add_blk(struct vm *vm, const struct vmm_disk *disk, unsigned int nqueues,
		       unsigned int nworkers)
{
	struct disk_open_params p = {
		.path = disk->path, .read_only = disk->read_only, .direct_io = disk->direct_io,
	};
	struct blk_config cfg = {
		.id = disk->id, .flush = disk->flush, .nworkers = nworkers, .nqueues = nqueues,
	};
	struct virtio_dev *d;
	struct disk *dk;
	int r;

	r = disk_open(disk->format, &p, &dk);
	if (r < 0)
		return r;
	r = blk_create(dk, &cfg, &d); /* takes dk, on failure too */
	if (r < 0)
		return r;
	return virtio_bus_add(vm, d);
}

int virtio_bus_add_net(struct vm *vm, const struct vmm_net *net)
{
	struct net_config cfg = { .kind = net->kind, .features = net->features };
	struct virtio_dev *d;
	int r;

	cfg.fd = fcntl(net->fd, F_DUPFD_CLOEXEC, 3);
	if (cfg.fd < 0) {
		r = -errno;
		log_error("virtio-net: cannot duplicate the backend's fd %d: %s", net->fd,
			  strerror(-r));
		return r;
	}
	memcpy(cfg.mac, net->mac, sizeof(cfg.mac));
	r = net_create(&cfg, vm->loop, &d); /* takes cfg.fd, on failure too */
	if (r < 0)
		return r;
	return virtio_bus_add(vm, d);
}

int virtio_bus_add_vhost_user(struct vm *vm, const struct vhost_user_config *cfg)
{
	struct virtio_dev *d;
	int r = vhost_user_create(cfg, vm->loop, &d);

	if (r < 0)
		return r;
	return virtio_bus_add(vm, d);
}

int virtio_bus_add_vsock(struct vm *vm, const struct vsock_config *cfg, struct vsock_mux **mux)
{
	struct virtio_dev *d;
	int r = vsock_create(cfg, vm->loop, &d);

	if (r < 0)
		return r;
	*mux = vsock_dev_mux(d);
	return virtio_bus_add(vm, d);
}

void virtio_bus_flush(struct vm *vm)
{
	for (unsigned int i = 0; i < vm->ndev; i++) {
		struct virtio_dev *d = vm->dev[i].dev;
		if (d->ops->vm_ended)
			d->ops->vm_ended(d);
	}
	/* The console last: what the others log on the way out is in it. */
	for (unsigned int i = 0; i < vm->ndev; i++)
		if (vm->dev[i].is_console)
			console_flush(vm->dev[i].dev);
}

void virtio_bus_destroy(struct vm *vm)
{
	for (unsigned int i = 0; i < vm->ndev; i++) {
		struct virtio_dev *d = vm->dev[i].dev;
		for (unsigned int q = 0; q < VIRTIO_MAX_QUEUES; q++) {
			if (d->notify_fd[q] < 0)
				continue;
			if (vm->loop && !d->ops->external_notify)
				evloop_del(vm->loop, d->notify_fd[q]);
			close(d->notify_fd[q]);
		}
		virtio_regpage_remove(vm, &vm->dev[i]);
		if (d->irqfd >= 0)
			close(d->irqfd);
		if (d->ops->destroy)
			d->ops->destroy(d);
		pthread_mutex_destroy(&d->lock);
		free(d);
	}
	vm->ndev = 0;
}
