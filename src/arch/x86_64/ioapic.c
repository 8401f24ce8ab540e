/* SPDX-License-Identifier: Apache-2.0 */
/* The IOAPIC of a split irqchip, its pins routed as MSIs; ioapic.h has the contract. */
#include "arch/x86_64/ioapic.h"

#include <errno.h>
#include <linux/kvm.h>
#include <string.h>
#include <sys/ioctl.h>

#include "util/log.h"

/* Datasheet §3.1: the two registers the guest sees; §3.2: the indirect ones. */
#define IOREGSEL 0x00
#define IOWIN 0x10
#define REG_ID 0x00
#define REG_VER 0x01
#define REG_ARB 0x02
#define REG_RTE 0x10
#define IOAPIC_VERSION 0x11
#define IOAPIC_VER_VALUE ((uint32_t)(IOAPIC_PINS - 1) << 16 | IOAPIC_VERSION)

/* Bits the guest may write: the low word but the read-only delivery status
 * and remote IRR, and the destination byte of the high word. */
#define RTE_WRITABLE_LO (0xffffffffULL & ~(IOAPIC_RTE_DELIVS | IOAPIC_RTE_REMOTE_IRR))
#define RTE_WRITABLE_HI (0xffULL << IOAPIC_RTE_DEST_SHIFT)

/* SDM vol. 3 §11.11.1-2: the MSI address and data. */
#define MSI_ADDR_BASE 0xfee00000u
#define MSI_ADDR_DEST_SHIFT 12
#define MSI_ADDR_RH (1u << 3)
#define MSI_ADDR_DM (1u << 2)
#define DELMODE_FIXED 0
#define DELMODE_LOWPRI 1
#define DELMODE_NMI 4

bool ioapic_rte_msi(uint64_t rte, struct ioapic_msi *msi)
{
	unsigned int mode = (unsigned int)(rte >> IOAPIC_RTE_DELMODE_SHIFT) & 7;
	uint32_t vector = (uint32_t)(rte & IOAPIC_RTE_VECTOR);
	uint32_t dest = (uint32_t)(rte >> IOAPIC_RTE_DEST_SHIFT);

	if (rte & IOAPIC_RTE_MASK)
		return false;
	/* SMI, INIT and ExtINT (no PIC behind it) are not sent; vectors 0-15
	 * are reserved for exceptions (SDM §11.5.2: the APIC refuses them). */
	if (mode == DELMODE_NMI)
		vector = 0;
	else if ((mode != DELMODE_FIXED && mode != DELMODE_LOWPRI) || vector < 16)
		return false;
	msi->address_lo = MSI_ADDR_BASE | dest << MSI_ADDR_DEST_SHIFT |
			  (rte & IOAPIC_RTE_DESTMODE ? MSI_ADDR_DM : 0) |
			  (mode == DELMODE_LOWPRI ? MSI_ADDR_RH : 0);
	/* An edge whatever the trigger bit: ioapic.h says why. */
	msi->data = vector | mode << 8;
	return true;
}

/* Rewrites every pin's GSI route from the entries. io->lock held. */
static void ioapic_set_routes(struct ioapic *io)
{
	/* The table with room for an entry per pin (entries[] is flexible). */
	union {
		struct kvm_irq_routing hdr;
		uint8_t room[sizeof(struct kvm_irq_routing) +
			     IOAPIC_PINS * sizeof(struct kvm_irq_routing_entry)];
	} t;
	struct ioapic_msi msi;

	memset(&t, 0, sizeof(t));
	for (uint32_t pin = 0; pin < IOAPIC_PINS; pin++) {
		struct kvm_irq_routing_entry *e = &t.hdr.entries[t.hdr.nr];

		if (!ioapic_rte_msi(io->rte[pin], &msi))
			continue;
		e->gsi = pin;
		e->type = KVM_IRQ_ROUTING_MSI;
		e->u.msi.address_lo = msi.address_lo;
		e->u.msi.data = msi.data;
		t.hdr.nr++;
	}
	io->routes_set++;
	if (io->vm_fd >= 0 && ioctl(io->vm_fd, KVM_SET_GSI_ROUTING, &t) < 0)
		log_error("ioapic: KVM_SET_GSI_ROUTING: %s", strerror(errno));
}

void ioapic_init(struct ioapic *io, int vm_fd, uint8_t id)
{
	memset(io, 0, sizeof(*io));
	pthread_mutex_init(&io->lock, NULL);
	io->vm_fd = vm_fd;
	io->id = id & 0xf;
	for (unsigned int pin = 0; pin < IOAPIC_PINS; pin++)
		io->rte[pin] = IOAPIC_RTE_MASK; /* datasheet §3.2.4: masked at reset */
}

void ioapic_destroy(struct ioapic *io)
{
	pthread_mutex_destroy(&io->lock);
}

/* The indirect register regsel selects. io->lock held. */
static uint32_t reg_read(const struct ioapic *io, uint32_t reg)
{
	if (reg == REG_ID || reg == REG_ARB)
		return (uint32_t)io->id << 24;
	if (reg == REG_VER)
		return IOAPIC_VER_VALUE;
	if (reg >= REG_RTE && reg < REG_RTE + 2 * IOAPIC_PINS) {
		uint64_t rte = io->rte[(reg - REG_RTE) / 2];

		return (uint32_t)(reg & 1 ? rte >> 32 : rte);
	}
	return 0;
}

static void reg_write(struct ioapic *io, uint32_t reg, uint32_t val)
{
	uint64_t *rte, old;

	if (reg == REG_ID) {
		io->id = (uint8_t)(val >> 24 & 0xf);
		return;
	}
	if (reg < REG_RTE || reg >= REG_RTE + 2 * IOAPIC_PINS)
		return; /* VER, ARB and the rest are read-only or absent */
	rte = &io->rte[(reg - REG_RTE) / 2];
	old = *rte;
	if (reg & 1)
		*rte = (old & ~RTE_WRITABLE_HI) | ((uint64_t)val << 32 & RTE_WRITABLE_HI);
	else
		*rte = (old & ~RTE_WRITABLE_LO) | (val & RTE_WRITABLE_LO);
	/* Linux writes the high word, then the low one: a route changes only
	 * where what the entry sends changed. */
	struct ioapic_msi a, b;
	bool was = ioapic_rte_msi(old, &a), is = ioapic_rte_msi(*rte, &b);

	if (was == is && (!is || !memcmp(&a, &b, sizeof(a))))
		return;
	if (is)
		log_debug("ioapic: pin %u routed: MSI address %#x data %#x",
			  (reg - REG_RTE) / 2, b.address_lo, b.data);
	else
		log_debug("ioapic: pin %u unrouted (masked or not deliverable)", (reg - REG_RTE) / 2);
	ioapic_set_routes(io);
}

void ioapic_mmio_read(void *opaque, uint64_t offset, void *data, uint32_t len)
{
	struct ioapic *io = opaque;
	uint32_t v = 0;

	memset(data, 0, len);
	if (len != 4)
		return;
	pthread_mutex_lock(&io->lock);
	if (offset == IOREGSEL)
		v = io->regsel;
	else if (offset == IOWIN)
		v = reg_read(io, io->regsel);
	pthread_mutex_unlock(&io->lock);
	memcpy(data, &v, sizeof(v));
}

void ioapic_mmio_write(void *opaque, uint64_t offset, const void *data, uint32_t len)
{
	struct ioapic *io = opaque;
	uint32_t v;

	if (len != 4)
		return;
	memcpy(&v, data, sizeof(v));
	pthread_mutex_lock(&io->lock);
	if (offset == IOREGSEL)
		io->regsel = v & 0xff;
	else if (offset == IOWIN)
		reg_write(io, io->regsel, v);
	pthread_mutex_unlock(&io->lock);
}
