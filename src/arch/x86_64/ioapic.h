/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The IOAPIC in the VMM, for krun_split_irqchip (KVM_CAP_SPLIT_IRQCHIP: the
 * local APICs stay in KVM, the IOAPIC and PIC do not). An 82093AA-style
 * IOAPIC (version 0x11, 24 pins) at LAYOUT_IOAPIC_BASE: IOREGSEL at +0x00,
 * IOWIN at +0x10; registers ID, VER, ARB and the 24 64-bit redirection
 * entries (Intel 82093AA datasheet §3.2).
 *
 * Interrupts are not injected by the VMM: each pin's line stays an irqfd on
 * GSI pin (as with the in-kernel irqchip), and the GSI's route is rewritten,
 * with KVM_SET_GSI_ROUTING, to the MSI its redirection entry describes
 * whenever the guest changes one (api.rst, KVM_CAP_SPLIT_IRQCHIP: "the
 * IOAPIC ... must be emulated in userspace", with MSI routes). A masked pin
 * has no route. Every line here is an edge (the MP table makes every ISA
 * pin one), so the MSIs are sent as edges whatever the trigger bit says: no
 * remote IRR, no EOI exits. ExtINT, SMI and INIT entries are not routed.
 *
 * Guest writes come from vCPU threads; the state is under its own lock.
 */
#ifndef LIBKRUN_ARCH_X86_64_IOAPIC_H
#define LIBKRUN_ARCH_X86_64_IOAPIC_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#define IOAPIC_PINS 24
#define IOAPIC_MMIO_SIZE 0x20

/* Redirection entry bits (datasheet §3.2.4). */
#define IOAPIC_RTE_VECTOR 0xffULL
#define IOAPIC_RTE_DELMODE_SHIFT 8
#define IOAPIC_RTE_DESTMODE (1ULL << 11)
#define IOAPIC_RTE_DELIVS (1ULL << 12)
#define IOAPIC_RTE_POLARITY (1ULL << 13)
#define IOAPIC_RTE_REMOTE_IRR (1ULL << 14)
#define IOAPIC_RTE_TRIGGER (1ULL << 15)
#define IOAPIC_RTE_MASK (1ULL << 16)
#define IOAPIC_RTE_DEST_SHIFT 56

/* The MSI a redirection entry sends (Intel SDM vol. 3 §11.11). */
struct ioapic_msi {
	uint32_t address_lo;
	uint32_t data;
};

struct ioapic {
	pthread_mutex_t lock;
	int vm_fd;       /* KVM_SET_GSI_ROUTING goes here; -1 in tests */
	uint8_t id;      /* bits 24..27 of the ID register */
	uint32_t regsel; /* IOREGSEL */
	uint64_t rte[IOAPIC_PINS];
	unsigned int routes_set; /* KVM_SET_GSI_ROUTING calls made, for tests */
};

/* A reset IOAPIC (every pin masked) on vm_fd, with no route yet. */
void ioapic_init(struct ioapic *io, int vm_fd, uint8_t id);
void ioapic_destroy(struct ioapic *io);

/* MMIO at offset from the base, len bytes (vm.h's mmio_region callbacks).
 * Only 32-bit accesses to IOREGSEL and IOWIN do anything; others read as
 * zeros and are dropped. */
void ioapic_mmio_read(void *opaque, uint64_t offset, void *data, uint32_t len);
void ioapic_mmio_write(void *opaque, uint64_t offset, const void *data, uint32_t len);

/* The MSI pin's entry sends: true with *msi, or false for an entry that is
 * masked or whose delivery mode is not routed. Pure. */
bool ioapic_rte_msi(uint64_t rte, struct ioapic_msi *msi);

#endif
