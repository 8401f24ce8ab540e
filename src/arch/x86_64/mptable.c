/* SPDX-License-Identifier: Apache-2.0 */
/*
 * MP table (Intel MultiProcessor Specification 1.4): how a kernel without ACPI
 * (CONFIG_X86_MPPARSE) learns the CPUs, the IOAPIC and the ISA interrupt wiring.
 * Layout: the 16-byte floating pointer at the EBDA start, the configuration
 * table right after it: header, processors, bus, IOAPIC, interrupt entries.
 */
#include <errno.h>
#include <string.h>

#include "arch/x86_64/layout.h"
#include "arch/x86_64/x86.h"
#include "util/checksum.h"
#include "util/log.h"

/* MP spec 1.4 §4.1, table 4-1. */
struct mpf_intel {
	char signature[4]; /* "_MP_" */
	uint32_t physptr;  /* configuration table */
	uint8_t length;    /* in 16-byte units: 1 */
	uint8_t spec;      /* 4 = version 1.4 */
	uint8_t checksum;  /* all 16 bytes sum to 0 */
	uint8_t feature[5]; /* feature[0] = 0: a configuration table is present */
} __attribute__((packed));

/* §4.2, table 4-2. */
struct mpc_table {
	char signature[4]; /* "PCMP" */
	uint16_t length;   /* base table, header included */
	uint8_t spec;
	uint8_t checksum;  /* base table sums to 0 */
	char oem[8];
	char product[12];
	uint32_t oemptr;
	uint16_t oemsize;
	uint16_t count;    /* entries */
	uint32_t lapic;    /* local APIC address */
	uint16_t ext_length;
	uint8_t ext_checksum;
	uint8_t reserved;
} __attribute__((packed));

/* §4.3.1, table 4-4. */
struct mpc_cpu {
	uint8_t type, apicid, apicver, cpuflag;
	uint32_t signature, features;
	uint32_t reserved[2];
} __attribute__((packed));

/* §4.3.2 bus, §4.3.3 IOAPIC, §4.3.4 I/O interrupt, §4.3.5 local interrupt: all 8 bytes. */
struct mpc_bus {
	uint8_t type, busid;
	char bustype[6];
} __attribute__((packed));

struct mpc_ioapic {
	uint8_t type, apicid, apicver, flags;
	uint32_t addr;
} __attribute__((packed));

struct mpc_intsrc {
	uint8_t type, irqtype;
	uint16_t irqflag; /* 0: polarity and trigger conform to the bus */
	uint8_t srcbus, srcbusirq, dstapic, dstirq;
} __attribute__((packed));

enum { MP_PROCESSOR = 0, MP_BUS = 1, MP_IOAPIC = 2, MP_INTSRC = 3, MP_LINTSRC = 4 };
enum { MP_INT = 0, MP_NMI = 1, MP_EXTINT = 3 };
#define CPU_ENABLED 1
#define CPU_BSP 2
/* KVM's LAPIC version register reads 0x14 and its IOAPIC reports 0x11
 * (arch/x86/kvm/lapic.c APIC_VERSION, ioapic.h IOAPIC_VERSION_ID). */
#define LAPIC_VERSION 0x14
#define IOAPIC_VERSION 0x11
/* Family 6, FPU | APIC in the feature flags: what the entry format expects;
 * Linux takes the real values from CPUID. */
#define CPU_SIGNATURE 0x600
#define CPU_FEATURES 0x201
#define ISA_BUS 0

static size_t mp_size(unsigned int ncpus)
{
	return sizeof(struct mpf_intel) + sizeof(struct mpc_table) +
	       ncpus * sizeof(struct mpc_cpu) + sizeof(struct mpc_bus) +
	       sizeof(struct mpc_ioapic) + (LAYOUT_IOAPIC_PINS + 2) * sizeof(struct mpc_intsrc);
}

/* Appends one entry at *pos and counts it. */
static void put(uint8_t **pos, uint16_t *count, const void *entry, size_t len)
{
	memcpy(*pos, entry, len);
	*pos += len;
	(*count)++;
}

int x86_mptable_write(const struct gmem *m, unsigned int ncpus)
{
	const uint8_t ioapic_id = (uint8_t)ncpus; /* after the CPUs' APIC ids */
	struct mpf_intel mpf = { .signature = "_MP_", .length = 1, .spec = 4 };
	struct mpc_table hdr = {
		.signature = "PCMP",
		.spec = 4,
		.oem = "LIBKRUN ",
		.product = "MICROVM     ",
		.lapic = (uint32_t)LAYOUT_LAPIC,
	};
	uint8_t *base, *pos;
	uint16_t count = 0;

	if (ncpus == 0 || ncpus > X86_MPTABLE_MAX_CPUS ||
	    mp_size(ncpus) > LAYOUT_EBDA_SIZE) {
		log_error("x86: MP table cannot describe %u CPUs", ncpus);
		return -EINVAL;
	}
	base = gmem_ptr(m, LAYOUT_EBDA, LAYOUT_EBDA_SIZE);
	if (!base) {
		log_error("x86: no guest RAM for the MP table at 0x%llx", LAYOUT_EBDA);
		return -ENOMEM;
	}
	memset(base, 0, LAYOUT_EBDA_SIZE);
	pos = base + sizeof(mpf) + sizeof(hdr);

	for (unsigned int i = 0; i < ncpus; i++) {
		struct mpc_cpu c = {
			.type = MP_PROCESSOR,
			.apicid = (uint8_t)i,
			.apicver = LAPIC_VERSION,
			.cpuflag = CPU_ENABLED | (i == 0 ? CPU_BSP : 0),
			.signature = CPU_SIGNATURE,
			.features = CPU_FEATURES,
		};
		put(&pos, &count, &c, sizeof(c));
	}
	struct mpc_bus bus = { .type = MP_BUS, .busid = ISA_BUS, .bustype = "ISA   " };
	put(&pos, &count, &bus, sizeof(bus));
	struct mpc_ioapic io = { .type = MP_IOAPIC, .apicid = ioapic_id,
				 .apicver = IOAPIC_VERSION, .flags = 1,
				 .addr = (uint32_t)LAYOUT_IOAPIC };
	put(&pos, &count, &io, sizeof(io));
	/* ISA IRQ n -> IOAPIC pin n, IRQ 0 included: that is KVM's default GSI
	 * routing (kvm_setup_default_irq_routing), where the PIT raises GSI 0. */
	for (unsigned int pin = 0; pin < LAYOUT_IOAPIC_PINS; pin++) {
		struct mpc_intsrc e = { .type = MP_INTSRC, .irqtype = MP_INT,
					.srcbus = ISA_BUS, .srcbusirq = (uint8_t)pin,
					.dstapic = ioapic_id, .dstirq = (uint8_t)pin };
		put(&pos, &count, &e, sizeof(e));
	}
	/* Virtual-wire wiring of the local APICs: LINT0 ExtINT on the BSP (the
	 * 8259 path), LINT1 NMI on all (dstapic 0xff), as a PC BIOS declares. */
	struct mpc_intsrc lint0 = { .type = MP_LINTSRC, .irqtype = MP_EXTINT,
				    .srcbus = ISA_BUS, .dstapic = 0, .dstirq = 0 };
	struct mpc_intsrc lint1 = { .type = MP_LINTSRC, .irqtype = MP_NMI,
				    .srcbus = ISA_BUS, .dstapic = 0xff, .dstirq = 1 };
	put(&pos, &count, &lint0, sizeof(lint0));
	put(&pos, &count, &lint1, sizeof(lint1));

	hdr.length = (uint16_t)(pos - base - sizeof(mpf));
	hdr.count = count;
	memcpy(base + sizeof(mpf), &hdr, sizeof(hdr));
	base[sizeof(mpf) + offsetof(struct mpc_table, checksum)] =
		(uint8_t)-byte_sum(base + sizeof(mpf), hdr.length);

	mpf.physptr = (uint32_t)(LAYOUT_EBDA + sizeof(mpf));
	mpf.checksum = (uint8_t)-byte_sum((const uint8_t *)&mpf, sizeof(mpf));
	memcpy(base, &mpf, sizeof(mpf));
	return 0;
}
