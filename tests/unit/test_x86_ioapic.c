/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The split irqchip's IOAPIC (arch/x86_64/ioapic.h) through its MMIO window,
 * as a guest driver sees it: the registers, the read-only bits, and the MSI
 * each redirection entry becomes, with a route rewrite only when that changes.
 */
#include "arch/x86_64/ioapic.h"
#include "harness.h"

static void wr(struct ioapic *io, uint64_t off, uint32_t v)
{
	ioapic_mmio_write(io, off, &v, 4);
}

static uint32_t rd(struct ioapic *io, uint64_t off)
{
	uint32_t v;

	ioapic_mmio_read(io, off, &v, 4);
	return v;
}

static uint32_t reg(struct ioapic *io, uint32_t r)
{
	wr(io, 0x00, r);
	return rd(io, 0x10);
}

static void set_reg(struct ioapic *io, uint32_t r, uint32_t v)
{
	wr(io, 0x00, r);
	wr(io, 0x10, v);
}

TEST(ioapic_resets_masked_with_its_id_and_version_24_pins)
{
	struct ioapic io;

	ioapic_init(&io, -1, 3);
	CHECK_EQ(reg(&io, 0x00), 3u << 24);
	CHECK_EQ(reg(&io, 0x01), 0x00170011u); /* 24 entries, version 0x11 */
	CHECK_EQ(reg(&io, 0x02), 3u << 24);
	for (uint32_t pin = 0; pin < IOAPIC_PINS; pin++) {
		CHECK_EQ(reg(&io, 0x10 + 2 * pin), 1u << 16);
		CHECK_EQ(reg(&io, 0x11 + 2 * pin), 0);
	}
	set_reg(&io, 0x00, 0x0a000000); /* Linux may renumber it */
	CHECK_EQ(reg(&io, 0x00), 0x0au << 24);
	set_reg(&io, 0x01, 0); /* VER is read-only */
	CHECK_EQ(reg(&io, 0x01), 0x00170011u);
	CHECK_EQ(io.routes_set, 0);
	ioapic_destroy(&io);
}

/* Linux's order: high word (destination), then low (vector, unmasked). The
 * route is rewritten once, when the entry starts to send something. */
TEST(ioapic_entry_becomes_an_msi_route_when_unmasked_and_only_on_change)
{
	struct ioapic io;
	struct ioapic_msi m;

	ioapic_init(&io, -1, 1);
	set_reg(&io, 0x10 + 2 * 5 + 1, 2u << 24);
	CHECK_EQ(io.routes_set, 0); /* still masked */
	set_reg(&io, 0x10 + 2 * 5, 0x31);
	CHECK_EQ(io.routes_set, 1);
	CHECK(ioapic_rte_msi(io.rte[5], &m));
	CHECK_EQ(m.address_lo, 0xfee02000u);
	CHECK_EQ(m.data, 0x31u);
	set_reg(&io, 0x10 + 2 * 5, 0x31); /* the same again */
	CHECK_EQ(io.routes_set, 1);
	set_reg(&io, 0x10 + 2 * 5, 0x31 | 1u << 13); /* polarity: the MSI is the same */
	CHECK_EQ(io.routes_set, 1);
	set_reg(&io, 0x10 + 2 * 5 + 1, 1u << 24); /* another CPU */
	CHECK_EQ(io.routes_set, 2);
	set_reg(&io, 0x10 + 2 * 5, 0x31 | 1u << 16); /* masked: the route goes */
	CHECK_EQ(io.routes_set, 3);
	CHECK(!ioapic_rte_msi(io.rte[5], &m));
	ioapic_destroy(&io);
}

TEST(ioapic_delivery_status_remote_irr_and_reserved_bits_stay_as_they_are)
{
	struct ioapic io;

	ioapic_init(&io, -1, 1);
	set_reg(&io, 0x10 + 2 * 23, 0xffffffffu);
	CHECK_EQ(reg(&io, 0x10 + 2 * 23), 0xffffffffu & ~(1u << 12 | 1u << 14));
	set_reg(&io, 0x11 + 2 * 23, 0xffffffffu);
	CHECK_EQ(reg(&io, 0x11 + 2 * 23), 0xff000000u);
	ioapic_destroy(&io);
}

/* Fixed and lowest-priority (with the redirection hint) in physical or
 * logical mode, NMI (vector 0); not SMI, INIT, ExtINT or vectors 0-15. */
TEST(ioapic_routes_fixed_lowest_priority_and_nmi_and_nothing_else)
{
	struct ioapic_msi m;

	CHECK(ioapic_rte_msi(0x41 | 1ULL << 11 | 0x0fULL << 56, &m)); /* logical */
	CHECK_EQ(m.address_lo, 0xfee0f004u);
	CHECK_EQ(m.data, 0x41u);
	CHECK(ioapic_rte_msi(0x41 | 1ULL << 8, &m));
	CHECK_EQ(m.address_lo, 0xfee00008u);
	CHECK_EQ(m.data, 0x141u);
	CHECK(ioapic_rte_msi(0x41 | 4ULL << 8, &m));
	CHECK_EQ(m.data, 0x400u);
	CHECK(ioapic_rte_msi(0x41 | 1ULL << 15 | 1ULL << 13, &m)); /* level: sent as an edge */
	CHECK_EQ(m.data, 0x41u);
	CHECK(!ioapic_rte_msi(0x41 | 2ULL << 8, &m));
	CHECK(!ioapic_rte_msi(0x41 | 5ULL << 8, &m));
	CHECK(!ioapic_rte_msi(0x41 | 7ULL << 8, &m));
	CHECK(!ioapic_rte_msi(0x41 | 3ULL << 8, &m));
	CHECK(!ioapic_rte_msi(0x0f, &m));
	CHECK(!ioapic_rte_msi(0x41 | 1ULL << 16, &m));
}

/* What a hostile guest can send: other sizes, other offsets, registers past
 * the table, a selector above 8 bits. Nothing changes, reads are zeros. */
TEST(ioapic_odd_accesses_read_zero_and_change_nothing)
{
	struct ioapic io;
	uint64_t q = ~0ULL;
	uint8_t b = 0xff;

	ioapic_init(&io, -1, 1);
	ioapic_mmio_read(&io, 0x10, &q, 8);
	CHECK_EQ(q, 0);
	ioapic_mmio_read(&io, 0x10, &b, 1);
	CHECK_EQ(b, 0);
	q = 0x31;
	wr(&io, 0x00, 0x10);
	ioapic_mmio_write(&io, 0x10, &q, 8);
	ioapic_mmio_write(&io, 0x10, &q, 2);
	CHECK_EQ(reg(&io, 0x10), 1u << 16);
	wr(&io, 0x04, 0x31);
	wr(&io, 0x14, 0x31);
	CHECK_EQ(rd(&io, 0x04), 0);
	CHECK_EQ(rd(&io, 0x1c), 0);
	set_reg(&io, 0x40, 0x31); /* one past the last entry's high word */
	set_reg(&io, 0xff, 0x31);
	CHECK_EQ(reg(&io, 0x40), 0);
	wr(&io, 0x00, 0x110); /* only the low byte selects */
	CHECK_EQ(rd(&io, 0x00), 0x10);
	for (uint32_t pin = 0; pin < IOAPIC_PINS; pin++)
		CHECK_EQ(io.rte[pin], 1ULL << 16);
	CHECK_EQ(io.routes_set, 0);
	ioapic_destroy(&io);
}
