/* SPDX-License-Identifier: Apache-2.0 */
/* Building a VM from a vmm_config and running it until the workload's end. */
#include "vmm/vm.h"

#include <errno.h>
#include <malloc.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "devices/blk/blk.h"
#include "devices/serial/uart.h"
#include "devices/fs/virtio_fs.h"
#include "util/clock.h"
#include "util/log.h"
#include "vmm/evloop.h"
#include "vmm/seccomp.h"
#include "vmm/shm_window.h"
#include "vmm/shutdown.h"
#include "vmm/vcpu.h"
#include "vmm/vcpu_exit.h"
#include "vmm/virtio_bus.h"
#include "vmm/vmm.h"

void vm_request_end(struct vm *vm, enum vm_end how, int status)
{
	pthread_mutex_lock(&vm->end_lock);
	if (vm->end == VM_END_RUNNING) {
		vm->end = how;
		vm->exit_status = status;
		pthread_cond_broadcast(&vm->end_cond);
	}
	pthread_mutex_unlock(&vm->end_lock);
}

int vm_add_mmio(struct vm *vm, const struct mmio_region *r)
{
	if (vm->nmmio == VM_MAX_MMIO)
		return -ENOSPC;
	for (unsigned int i = 0; i < vm->nmmio; i++) {
		const struct mmio_region *o = &vm->mmio[i];
		if (r->base < o->base + o->size && o->base < r->base + r->size)
			return -EEXIST;
	}
	vm->mmio[vm->nmmio++] = *r;
	return 0;
}

static int open_kvm(bool quiet)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		int r = -errno;
		if (!quiet)
			log_error("cannot open /dev/kvm: %s", strerror(-r));
		return r;
	}
	if (ioctl(fd, KVM_GET_API_VERSION, 0) != KVM_API_VERSION) {
		log_error("/dev/kvm speaks an unknown API version");
		close(fd);
		return -ENOTSUP;
	}
	return fd;
}

int vmm_nested_virt_supported(void)
{
	int fd = open_kvm(true);
	if (fd < 0)
		return fd;
	int r = arch_nested_virt_supported(fd);
	close(fd);
	return r;
}

int vmm_max_vcpus(void)
{
	int fd = open_kvm(true);
	if (fd < 0)
		return fd;
	int n = (int)arch_max_vcpus(fd);
	close(fd);
	return n;
}

static int vm_map_memory(struct vm *vm, uint64_t ram_bytes, bool shared)
{
	struct gmem_region regions[GMEM_MAX_REGIONS];
	unsigned int n;
	int r;

	r = arch_ram_layout(ram_bytes, regions, &n);
	if (r < 0)
		return r;
	r = shared ? gmem_create_shared(&vm->mem, regions, n) : gmem_create(&vm->mem, regions, n);
	if (r < 0) {
		log_error("cannot map %llu MiB of guest memory", (unsigned long long)(ram_bytes >> 20));
		return r;
	}
	for (unsigned int i = 0; i < vm->mem.nregions; i++) {
		struct kvm_userspace_memory_region slot = {
			.slot = i,
			.guest_phys_addr = vm->mem.region[i].gpa,
			.memory_size = vm->mem.region[i].size,
			.userspace_addr = (uintptr_t)vm->mem.region[i].host,
		};
		if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &slot) < 0) {
			r = -errno;
			log_error("KVM_SET_USER_MEMORY_REGION %u: %s", i, strerror(-r));
			return r;
		}
	}
	return 0;
}

static void vm_destroy(struct vm *vm)
{
	virtio_bus_destroy(vm); /* unregisters from the loop first */
	vm_shm_windows_free(vm); /* the devices that mapped files there are gone */
	console_order_free(vm->console_order); /* its devices are gone */
	if (vm->loop)
		evloop_destroy(vm->loop);
	vm_shutdown_free(vm->shutdown); /* after the loop: no handler runs */
	uart_destroy(vm->serial);
	if (vm->serial_irqfd >= 0)
		close(vm->serial_irqfd);
	for (unsigned int i = 0; i < vm->vcpus_created; i++)
		vcpu_destroy(&vm->vcpu[i]);
	arch_vm_destroy(vm);
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	if (vm->kvm_fd >= 0)
		close(vm->kvm_fd);
	gmem_destroy(&vm->mem);
	pthread_mutex_destroy(&vm->end_lock);
	pthread_cond_destroy(&vm->end_cond);
	free(vm);
}

/* The 16550 on COM1, its interrupt an irqfd on the line the arch gives it. */
static int vm_add_serial(struct vm *vm, int in_fd, int out_fd)
{
	struct kvm_irqfd irqfd = { .gsi = arch_serial_gsi() };
	int r;

	vm->serial_irqfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (vm->serial_irqfd < 0)
		return -errno;
	irqfd.fd = (uint32_t)vm->serial_irqfd;
	if (ioctl(vm->vm_fd, KVM_IRQFD, &irqfd) < 0) {
		r = -errno;
		log_error("KVM_IRQFD for the serial port: %s", strerror(-r));
		return r;
	}
	vm->serial = uart_create(&(struct uart_config){ in_fd, out_fd, vm->serial_irqfd },
				 vm->loop);
	return vm->serial ? 0 : -ENOMEM;
}

/* Appends the virtio-mmio device list to the caller's command line. */
static char *build_cmdline(struct vm *vm, const char *base)
{
	size_t cap = strlen(base) + 64 * (vm->ndev + 1);
	char *s = malloc(cap);
	size_t len;

	if (!s)
		return NULL;
	len = (size_t)snprintf(s, cap, "%s", base);
	for (unsigned int i = 0; i < vm->ndev; i++)
		len += (size_t)snprintf(s + len, cap - len, " virtio_mmio.device=4K@%#llx:%u",
					(unsigned long long)arch_virtio_mmio_base(i),
					arch_virtio_gsi(i));
	return s;
}

/* Requests block in host syscalls, so a share gets more workers than vCPUs
 * (each guest vCPU can have a few requests outstanding), within a bound. */
static unsigned int fs_workers(unsigned int nvcpus)
{
	unsigned int n = 2 * nvcpus + 2;

	return n > VIRTIO_FS_MAX_WORKERS ? VIRTIO_FS_MAX_WORKERS : n;
}

/* Requests of one disk in flight at once: one per vCPU, at least 2 so that
 * a slow read does not hold a flush behind it. */
static unsigned int blk_workers(unsigned int nvcpus)
{
	unsigned int n = nvcpus < 2 ? 2 : nvcpus;

	return n > BLK_MAX_WORKERS ? BLK_MAX_WORKERS : n;
}

/* One request queue per vCPU (virtio 1.2 §5.2.2), so that Linux's blk-mq
 * maps each CPU to a queue of its own. */
static unsigned int blk_queues(unsigned int nvcpus)
{
	return nvcpus > BLK_MAX_QUEUES ? BLK_MAX_QUEUES : nvcpus;
}

static void vm_wait_end(struct vm *vm)
{
	pthread_mutex_lock(&vm->end_lock);
	while (vm->end == VM_END_RUNNING)
		pthread_cond_wait(&vm->end_cond, &vm->end_lock);
	pthread_mutex_unlock(&vm->end_lock);
}

/* Where the boot's time went (vmm/phase.h), once the devices wrote out what
 * the guest left: "stop" ends here. Info level, so that tools can ask for it
 * without the debug level's console output changing the boot. */
static void log_phases(const struct vm *vm)
{
	char line[256];

	if (log_get_level() < LOG_INFO)
		return;
	vm_phase_format(&vm->phases, monotonic_ns(), line, sizeof(line));
	log_info("boot phases: %s", line);
}

int vmm_run(const struct vmm_config *cfg, int *status)
{
	struct boot_spec boot = cfg->boot;
	struct vsock_mux *mux = NULL;
	char *cmdline = NULL;
	struct vm *vm;
	int r;

	vm = calloc(1, sizeof(*vm));
	if (!vm)
		return -ENOMEM;
	vm->kvm_fd = vm->vm_fd = vm->serial_irqfd = -1;
	vm_phase_set(&vm->phases, VM_PHASE_ENTER, cfg->start_ns ? cfg->start_ns : monotonic_ns());
	pthread_mutex_init(&vm->end_lock, NULL);
	pthread_cond_init(&vm->end_cond, NULL);

	r = vm->kvm_fd = open_kvm(false);
	if (r < 0)
		goto out;
	vm->host_is_pvm = vcpu_exit_host_is_pvm("/sys");
	vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	if (vm->vm_fd < 0) {
		r = -errno;
		log_error("KVM_CREATE_VM: %s", strerror(-r));
		goto out;
	}
	/* A vhost-user backend maps guest RAM itself: then it is a memfd. */
	r = vm_map_memory(vm, cfg->ram_bytes, cfg->nvhost_user > 0);
	if (r < 0)
		goto out;
	vm->split_irqchip = cfg->split_irqchip;
	r = arch_vm_setup(vm);
	if (r < 0)
		goto out;
	vm->loop = evloop_create();
	if (!vm->loop) {
		r = -ENOMEM;
		goto out;
	}
	/* Several consoles: numbered hvc0, hvc1, ... in this order (console.h). */
	if (cfg->nconsoles > 1 && !(vm->console_order = console_order_create())) {
		r = -ENOMEM;
		goto out;
	}
	for (unsigned int i = 0; i < cfg->nconsoles; i++) {
		struct console_config c = cfg->consoles[i];

		c.order = vm->console_order;
		c.order_index = i;
		r = virtio_bus_add_console(vm, &c);
		if (r < 0)
			goto out;
	}
	if (cfg->serial.present) {
		r = vm_add_serial(vm, cfg->serial.in_fd, cfg->serial.out_fd);
		if (r < 0)
			goto out;
	}
	/* Always there, as no API asks for it (upstream libkrun has none either):
	 * free page reporting gives the host back what the guest frees, and costs
	 * nothing while the guest does not free memory. */
	r = virtio_bus_add_balloon(vm);
	if (r < 0)
		goto out;
	/* Present unless the API turned off both TSI and ports: then the guest
	 * has nobody to reach, and no device means no guest-facing surface. */
	if (cfg->vsock.present) {
		r = virtio_bus_add_vsock(vm, &cfg->vsock, &mux);
		if (r < 0)
			goto out;
	}
	r = vm_shutdown_setup(vm, mux, cfg->shutdown_fd, &vm->shutdown);
	if (r < 0)
		goto out;
	for (unsigned int i = 0; i < cfg->nfs; i++) {
		r = virtio_bus_add_fs(vm, &cfg->fs[i], fs_workers(cfg->nvcpus));
		if (r < 0)
			goto out;
	}

	/* After the shares, so that the disks' order on the bus, and so in the
	 * guest (vda, vdb, ...), is the order they were added in. */
	for (unsigned int i = 0; i < cfg->ndisks; i++) {
		r = virtio_bus_add_blk(vm, &cfg->disks[i], blk_queues(cfg->nvcpus),
				       blk_workers(cfg->nvcpus));
		if (r < 0)
			goto out;
	}

	/* In the order added: the guest names them eth0, eth1... in bus order. */
	for (unsigned int i = 0; i < cfg->nnets; i++) {
		r = virtio_bus_add_net(vm, &cfg->nets[i]);
		if (r < 0)
			goto out;
	}
	for (unsigned int i = 0; i < cfg->nvhost_user; i++) {
		r = virtio_bus_add_vhost_user(vm, &cfg->vhost_user[i]);
		if (r < 0)
			goto out;
	}

	cmdline = build_cmdline(vm, boot.cmdline ? boot.cmdline : "");
	if (!cmdline) {
		r = -ENOMEM;
		goto out;
	}
	boot.cmdline = cmdline;
	log_debug("kernel command line: %s", cmdline);
	vm->nvcpus = cfg->nvcpus; /* the MP table and CPUID topology need it */
	vm->nested_virt = cfg->nested_virt;
	r = arch_boot_setup(vm, &boot);
	if (r < 0)
		goto out;
	if (cfg->boot_copied)
		cfg->boot_copied(cfg->boot_copied_arg);
	for (unsigned int i = 0; i < cfg->nvcpus; i++) {
		r = vcpu_create(vm, i);
		if (r < 0)
			goto out;
		vm->vcpus_created++;
	}
	/* The guest runs from here on: every thread of the process goes under
	 * the base filter first (the devices' threads that exist already are
	 * idle until the guest drives them), then each thread adds its own
	 * class's (seccomp.h), the caller's last, as the threads it starts
	 * inherit what it has. */
	r = seccomp_start();
	if (r < 0)
		goto out;
	r = evloop_start(vm->loop);
	if (r < 0)
		goto out;
	for (unsigned int i = 0; i < vm->nvcpus; i++) {
		r = vcpu_start(&vm->vcpu[i]);
		if (r < 0)
			goto out_running;
	}
	r = seccomp_enter(VMM_SECCOMP_MAIN);
	if (r < 0)
		goto out_running;
	/* The setup is over (the boot sources, the filters' programs): what it
	 * freed in the middle of the heap goes back to the host, not just to
	 * malloc (brk and madvise are in every thread's list). */
	malloc_trim(0);

	vm_wait_end(vm);
	evloop_stop(vm->loop);
	virtio_bus_flush(vm);
	log_phases(vm);
	switch (vm->end) {
	case VM_END_EXIT_REPORT:
		*status = vm->exit_status;
		break;
	case VM_END_RESET:
	case VM_END_SHUTDOWN:
		log_error("the guest stopped without reporting an exit status "
			  "(kernel panic or init crash; run with log level debug for the console)");
		*status = 1;
		break;
	default:
		log_error("the VM failed while running");
		*status = 1;
		break;
	}
	/* vCPU threads may be inside KVM_RUN still: the process is about to end, so
	 * the VM is deliberately not torn down here. */
	free(cmdline);
	return 0;

out_running:
	/* Some vCPUs run: stop the devices and report it as a VMM failure. */
	vm_request_end(vm, VM_END_ERROR, 1);
	evloop_stop(vm->loop);
	virtio_bus_flush(vm);
	free(cmdline);
	return r;
out:
	free(cmdline);
	vm_destroy(vm);
	return r;
}
