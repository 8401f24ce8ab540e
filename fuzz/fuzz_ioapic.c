/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The split irqchip's IOAPIC (src/arch/x86_64/ioapic.c) as a hostile guest
 * drives it: reads and writes of any size at any offset of its window, any
 * selector, any value. No KVM: the route table is rebuilt but not given to
 * one (vm_fd -1), and counted.
 *
 * Input: an id byte, then ops: an op byte (bit 2: write; bits 0-1: the access
 * size, 1, 2, 4 or 8 bytes), an offset byte, and for a write a 64-bit value.
 * Checked after every op: the read-only bits of every entry (delivery status,
 * remote IRR, the reserved high bits) are still 0; VER still reads 24 pins,
 * version 0x11; the routes were rewritten exactly when what some entry sends
 * changed; and what an entry sends is a fixed or lowest-priority MSI with a
 * vector of 16 or more, or an NMI, to the APIC's address range.
 */
#include "fuzz.h"

#include "arch/x86_64/ioapic.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fz_log_setup();
	return 0;
}

/* What each pin sends now: ok[pin] false for none. */
static FZ_NOCOV void snapshot(const struct ioapic *io, bool ok[IOAPIC_PINS],
			      struct ioapic_msi msi[IOAPIC_PINS])
{
	for (unsigned int pin = 0; pin < IOAPIC_PINS; pin++) {
		uint64_t rte = io->rte[pin];

		FZ_CHECK(!(rte & (IOAPIC_RTE_DELIVS | IOAPIC_RTE_REMOTE_IRR)));
		FZ_CHECK(!(rte & 0x00ffffff00000000ULL));
		memset(&msi[pin], 0, sizeof(msi[pin]));
		ok[pin] = ioapic_rte_msi(rte, &msi[pin]);
		if (!ok[pin])
			continue;
		FZ_CHECK((msi[pin].address_lo & 0xfff00000u) == 0xfee00000u);
		unsigned int mode = msi[pin].data >> 8 & 7;
		FZ_CHECK(mode == 0 || mode == 1 || mode == 4);
		FZ_CHECK(mode == 4 || (msi[pin].data & 0xff) >= 16);
		FZ_CHECK(!(msi[pin].data & 0xc000)); /* edge, no level assert */
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz z = { data, size };
	struct ioapic io;
	bool ok[2][IOAPIC_PINS];
	struct ioapic_msi msi[2][IOAPIC_PINS];

	ioapic_init(&io, -1, fz_u8(&z));
	snapshot(&io, ok[0], msi[0]);
	while (!fz_empty(&z)) {
		uint8_t op = fz_u8(&z), off = fz_u8(&z);
		uint32_t len = 1u << (op & 3);
		unsigned int before = io.routes_set;
		uint64_t v = 0;
		bool changed = false;

		if (op & 4) {
			v = fz_u64(&z);
			ioapic_mmio_write(&io, off, &v, len);
		} else {
			ioapic_mmio_read(&io, off, &v, len);
			FZ_CHECK(len == 4 || v == 0);
		}
		snapshot(&io, ok[1], msi[1]);
		for (unsigned int pin = 0; pin < IOAPIC_PINS; pin++)
			changed |= ok[0][pin] != ok[1][pin] ||
				   (ok[1][pin] && memcmp(&msi[0][pin], &msi[1][pin], sizeof(msi[0][pin])));
		FZ_CHECK(io.routes_set == before + (changed ? 1 : 0));
		memcpy(ok[0], ok[1], sizeof(ok[0]));
		memcpy(msi[0], msi[1], sizeof(msi[0]));
	}
	/* VER cannot be changed, whatever came before. */
	uint32_t sel = 1, ver = 0;
	ioapic_mmio_write(&io, 0x00, &sel, 4);
	ioapic_mmio_read(&io, 0x10, &ver, 4);
	FZ_CHECK(ver == 0x00170011u);
	ioapic_destroy(&io);
	return 0;
}
