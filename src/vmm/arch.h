/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the generic VMM needs from the architecture layer (src/arch/$ARCH/, chosen
 * by the Makefile by directory name). Called in this order:
 *   arch_ram_layout -> (gmem_create, memslots) -> arch_vm_setup -> arch_boot_setup
 *   -> arch_vcpu_setup for each vCPU -> KVM_RUN, with arch_handle_exit for exits
 *   the generic loop does not know (arch_exit_handled) and arch_fault_state
 *   when an exit ends the VM.
 * Functions that return int return 0 or -errno and log the reason once.
 */
#ifndef LIBKRUN_VMM_ARCH_H
#define LIBKRUN_VMM_ARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmm/gmem.h"
#include "vmm/vm.h"

struct vcpu_fault_state; /* vmm/vcpu_exit.h */

/* Kernel image formats, numbered as the public API's krun_set_kernel "format". */
enum kernel_format {
	KERNEL_FORMAT_RAW = 0, /* flat image with given load and entry addresses */
	KERNEL_FORMAT_ELF = 1, /* vmlinux */
	/* Not for the arch loader: refused (PE_GZ, an arm64 format), or unpacked
	 * to an ELF vmlinux first (IMAGE_*, vmm/kernel_image.h). */
	KERNEL_FORMAT_PE_GZ = 2,
	KERNEL_FORMAT_IMAGE_BZ2 = 3,
	KERNEL_FORMAT_IMAGE_GZ = 4,
	KERNEL_FORMAT_IMAGE_ZSTD = 5,
	KERNEL_FORMAT_BZIMAGE = 100, /* x86 bzImage (detected from the "HdrS" header) */
};

struct boot_spec {
	const void *kernel; /* image bytes (not copied by the caller) */
	size_t kernel_size;
	enum kernel_format format;
	uint64_t load_addr, entry; /* KERNEL_FORMAT_RAW only */
	/* KERNEL_FORMAT_RAW with kernel_mappable: the same bytes are in file
	 * kernel_fd at a page-aligned offset, so the loader may map them into
	 * guest RAM (copy-on-write) instead of copying them. */
	bool kernel_mappable;
	int kernel_fd;
	uint64_t kernel_file_offset;
	/* Of a mappable image, the offsets [kernel_cow_start, kernel_cow_end)
	 * are the part worth mapping; the rest is copied. Both 0: map it all. */
	uint64_t kernel_cow_start, kernel_cow_end;
	/* KERNEL_FORMAT_ELF with kernel_from_fd: kernel is NULL, the file is
	 * kernel_fd (kernel_size bytes), and the loader reads the headers and
	 * the loaded segments from it, not the rest (symbols, debug info). */
	bool kernel_from_fd;
	const void *initrd; /* may be NULL */
	size_t initrd_size;
	const char *cmdline;
	/* SMBIOS OEM strings (krun_set_smbios_oem_strings), already accepted by
	 * smbios_oem_check for arch_smbios_room(); n 0: no type 11 structure. */
	const char *const *oem_strings;
	size_t noem_strings;
};

/* Guest-physical address where a flat KRUN_KERNEL_FORMAT_RAW file goes, which
 * is also its entry point. */
uint64_t arch_raw_kernel_addr(void);

/* Bytes of guest memory the arch sets aside for the SMBIOS entry point and
 * tables (vmm/smbios.h), which arch_boot_setup writes there. */
uint64_t arch_smbios_room(void);

/* Splits ram_bytes of guest RAM into regions around the arch's MMIO hole.
 * *n gets the count (<= GMEM_MAX_REGIONS). -EINVAL if ram_bytes is unusable. */
int arch_ram_layout(uint64_t ram_bytes, struct gmem_region *regions, unsigned int *n);

/* Where devices' shared memory regions (virtio-fs DAX windows) may go in the
 * guest-physical space of RAM m: from arch_shm_base(m) up to arch_shm_limit(),
 * outside RAM and every MMIO window. */
uint64_t arch_shm_base(const struct gmem *m);
uint64_t arch_shm_limit(void);

/* Guest-physical window and interrupt line of the i-th virtio-mmio device. */
uint64_t arch_virtio_mmio_base(unsigned int i);
uint32_t arch_virtio_gsi(unsigned int i);
unsigned int arch_max_virtio_devices(void);
/* The interrupt line of the serial port (devices/serial/uart.h). */
uint32_t arch_serial_gsi(void);

/* Whether this host's KVM can give a guest the CPU's virtualization extension
 * (nested virtualization): 1 yes, 0 no, -errno if it could not be asked. */
int arch_nested_virt_supported(int kvm_fd);

/* Most vCPUs this host's KVM lets one VM have (and the layout supports). */
unsigned int arch_max_vcpus(int kvm_fd);

/* VM-wide setup before memory is used: in-kernel irqchip, PIT, TSS address.
 * Before the first KVM_CREATE_VCPU (KVM refuses the irqchip after it). */
int arch_vm_setup(struct vm *vm);
/* Frees what arch_vm_setup made beyond KVM's own objects. Before vm_fd closes. */
void arch_vm_destroy(struct vm *vm);

/* Loads the kernel and initrd into guest memory and writes every boot structure
 * (zero page, command line, e820, MP table, SMBIOS tables, page tables, GDT). vm->nvcpus must
 * already hold the VM's final vCPU count: the MP table lists every vCPU. */
int arch_boot_setup(struct vm *vm, const struct boot_spec *b);

/* Per-vCPU state: CPUID, MSRs, registers (the boot vCPU at the kernel entry,
 * the others waiting for INIT/SIPI), FPU, LAPIC LINT0/LINT1. After
 * arch_boot_setup; v->id is the KVM vcpu id (= APIC id), vm->nvcpus the total. */
int arch_vcpu_setup(struct vm *vm, struct vcpu *v);

/* Handles an exit the generic loop does not (KVM_EXIT_IO on x86). Returns 0 to
 * keep running, or -errno for a fatal error. May call vm_request_end. */
int arch_handle_exit(struct vm *vm, struct vcpu *v);

/* Whether arch_handle_exit serves this exit reason (x86: KVM_EXIT_IO). Pure.
 * The generic loop ends the VM on any reason neither it nor the arch serves. */
bool arch_exit_handled(uint32_t exit_reason);

/* After an exit that ends the VM, on v's thread: fills st's pc_name, pc and
 * mode from the vCPU's registers and, unless st->insn_len is already non-zero
 * (KVM reported the bytes), reads up to VCPU_FAULT_INSN_MAX bytes at pc from
 * guest RAM through vm->mem, never outside it. Does not fail: a register or
 * byte that cannot be read is said in st (regs_err, insn_note). Logs nothing. */
void arch_fault_state(struct vm *vm, struct vcpu *v, struct vcpu_fault_state *st);

#endif
