/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A virtio-mmio device's register window as a read-only memory slot
 * (src/virtio/mmio.h, "Register page"): the guest's register reads stop
 * exiting. Linux's vm_interrupt reads InterruptStatus on every interrupt, and
 * a probe reads dozens of registers; each read was an exit to this process.
 *
 * KVM_MEM_READONLY (Documentation/virt/kvm/api.rst, KVM_SET_USER_MEMORY_REGION):
 * reads are served from the page, writes exit as KVM_EXIT_MMIO, after the
 * in-kernel MMIO bus had its turn, so QueueNotify's ioeventfds still catch
 * their writes. Where KVM lacks the capability, or the device's config is
 * answered live (vhost-user), or LIBKRUN_VIRTIO_REG_PAGE=off, or the page
 * cannot be set up (a warning), reads trap as before.
 *
 * The other exit of every interrupt is the driver's InterruptAck write of
 * what it read. An ack of exactly USED_RING is absorbed by an ioeventfd with
 * that datamatch, which nothing reads: the bit stays set in the page. Linux's
 * vm_interrupt (drivers/virtio/virtio_mmio.c) takes the bit as "look at every
 * queue", which costs a used-index compare per queue and never misses a buffer;
 * clearing it late instead, after the device set it again for a new buffer,
 * would make the driver skip that buffer. Acks with the config bit still
 * trap, and clear at once, so a config change is seen exactly once.
 */
#include "vmm/virtio_regpage.h"

#include <errno.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "util/log.h"
#include "vmm/evloop.h"
#include "vmm/gmem.h"
#include "vmm/virtio_bus.h"

/* Guest RAM takes slots 0..GMEM_MAX_REGIONS-1 (vm.c); device i takes this + i. */
#define REGPAGE_SLOT_BASE GMEM_MAX_REGIONS

static void on_config(void *arg, uint32_t events)
{
	struct virtio_dev *d = arg;
	uint64_t v;

	(void)events;
	if (read(d->config_fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		log_debug("virtio %s: config eventfd: %s", d->ops->name, strerror(errno));
	virtio_mmio_config_refresh(d);
}

static bool regpage_wanted(const struct vm *vm, const struct virtio_dev *d)
{
	const char *env = getenv("LIBKRUN_VIRTIO_REG_PAGE");

	if (d->ops->config_live || (env && !strcmp(env, "off")))
		return false;
	return ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_READONLY_MEM) > 0;
}

/* The InterruptAck ioeventfd. Without it acks trap, as before. */
static void absorb_used_acks(struct vm *vm, struct virtio_slot *slot)
{
	int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK), r;

	if (fd < 0)
		return;
	r = virtio_bus_ioeventfd(vm, slot->dev, VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_INT_USED_RING, fd);
	if (r < 0) {
		log_debug("virtio %s: KVM_IOEVENTFD for InterruptAck: %s", slot->dev->ops->name,
			  strerror(-r));
		close(fd);
		return;
	}
	slot->ack_fd = fd;
}

/* The page, its config eventfd and its slot; 0 or -errno with nothing left. */
static int map_page(struct vm *vm, unsigned int index)
{
	struct virtio_dev *d = vm->dev[index].dev;
	uint32_t *page;
	int r;

	page = mmap(NULL, VIRTIO_MMIO_SIZE, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (page == MAP_FAILED)
		return -errno;
	d->config_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (d->config_fd < 0) {
		r = -errno;
		goto fail_unmap;
	}
	r = evloop_add(vm->loop, d->config_fd, EPOLLIN, on_config, d);
	if (r < 0)
		goto fail_close;
	/* Filled before the slot exists: the guest never sees a blank page. */
	virtio_mmio_shadow_attach(d, page);
	struct kvm_userspace_memory_region slot = {
		.slot = REGPAGE_SLOT_BASE + index,
		.flags = KVM_MEM_READONLY,
		.guest_phys_addr = d->mmio_base,
		.memory_size = VIRTIO_MMIO_SIZE,
		.userspace_addr = (uintptr_t)page,
	};
	if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &slot) < 0) {
		r = -errno;
		d->shadow = NULL; /* nothing ran yet: the page held nothing of its own */
		evloop_del(vm->loop, d->config_fd);
		goto fail_close;
	}
	return 0;
fail_close:
	close(d->config_fd);
	d->config_fd = -1;
fail_unmap:
	munmap(page, VIRTIO_MMIO_SIZE);
	return r;
}

void virtio_regpage_add(struct vm *vm, unsigned int index)
{
	struct virtio_dev *d = vm->dev[index].dev;
	int r;

	if (!regpage_wanted(vm, d))
		return;
	r = map_page(vm, index);
	if (r < 0) {
		/* Only slower: every read traps, as without the capability. */
		log_warn("virtio %s: no register page (%s); its register reads trap",
			 d->ops->name, strerror(-r));
		return;
	}
	absorb_used_acks(vm, &vm->dev[index]);
	log_debug("virtio %s: registers read from a page at 0x%llx%s", d->ops->name,
		  (unsigned long long)d->mmio_base,
		  vm->dev[index].ack_fd >= 0 ? ", used-buffer acks absorbed" : "");
}

void virtio_regpage_remove(struct vm *vm, struct virtio_slot *slot)
{
	struct virtio_dev *d = slot->dev;

	if (slot->ack_fd >= 0)
		close(slot->ack_fd);
	slot->ack_fd = -1;
	if (!d->shadow)
		return;
	if (vm->loop)
		evloop_del(vm->loop, d->config_fd);
	close(d->config_fd);
	d->config_fd = -1;
	/* No vCPU runs now; the slot itself goes with the VM. */
	munmap(d->shadow, VIRTIO_MMIO_SIZE);
	d->shadow = NULL;
}
