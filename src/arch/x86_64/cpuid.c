/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One vCPU's CPUID, made from KVM_GET_SUPPORTED_CPUID: its APIC id, a topology
 * of one package with nvcpus cores of one thread each, the hypervisor bit, and
 * the TSC frequency; VMX/SVM only when nested virtualization is asked for (KVM
 * offers them only with its `nested` module parameter on). Leaf layouts: Intel SDM vol. 2A "CPUID", AMD APM vol. 3
 * appendix E; the KVM leaves: Documentation/virt/kvm/x86/cpuid.rst.
 */
#include <errno.h>
#include <string.h>

#include "arch/x86_64/x86.h"
#include "util/log.h"

#define LEAF1_ECX_TSC_DEADLINE (1U << 24)
#define LEAF1_ECX_HYPERVISOR (1U << 31)
#define LEAF1_EDX_HTT (1U << 28)
#define LEAF6_EAX_ARAT (1U << 2)
#define LEAF1_ECX_VMX (1U << 5)
#define LEAF_EXT1_ECX_SVM (1U << 2) /* leaf 0x80000001 */
#define LEAF_SVM 0x8000000aU         /* SVM revision and features (AMD APM) */

#define KVM_LEAF_SIGNATURE 0x40000000U
#define KVM_LEAF_FEATURES 0x40000001U
/* The "generic timing" leaf hypervisors use (VMware's convention, also read by
 * Linux's vmware.c): EAX TSC kHz, EBX LAPIC bus kHz. KVM's LAPIC timer counts
 * in nanoseconds (APIC_BUS_CYCLE_NS = 1), a 1 GHz bus. */
#define LEAF_TSC_INFO 0x40000010U
#define LAPIC_BUS_KHZ 1000000U

/* Extended-topology level types (leaf 0xB/0x1F ECX[15:8]). */
#define TOPO_SMT 1U
#define TOPO_CORE 2U

static unsigned int order(unsigned int n) /* ceil(log2(n)) */
{
	unsigned int b = 0;

	while ((1U << b) < n)
		b++;
	return b;
}

static bool vendor_is_amd(const struct kvm_cpuid_entry2 *e, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		if (e[i].function != 0)
			continue;
		/* "AuthenticAMD" / "HygonGenuine": EBX holds the first four bytes. */
		return e[i].ebx == 0x68747541 /* "Auth" */ ||
		       e[i].ebx == 0x6f677948 /* "Hygo" */;
	}
	return false;
}

/* Cache-parameter leaves (Intel 4, AMD 0x8000001D): EAX[25:14] is the number
 * of logical CPUs sharing the cache - 1: a core's own L1/L2, the package's L3. */
static uint32_t cache_sharing(uint32_t eax, unsigned int nvcpus)
{
	unsigned int level = (eax >> 5) & 7;
	uint32_t share = level >= 3 ? nvcpus - 1 : 0;

	return (eax & ~(0xfffU << 14)) | ((share & 0xfff) << 14);
}

static void topology_leaf(struct kvm_cpuid_entry2 *e, const struct x86_cpuid_params *p)
{
	switch (e->index) {
	case 0: /* SMT: one thread per core, so no APIC id bits for it */
		e->eax = 0;
		e->ebx = 1;
		e->ecx = TOPO_SMT << 8;
		break;
	case 1: /* cores: all vCPUs in the one package */
		e->eax = order(p->nvcpus);
		e->ebx = p->nvcpus;
		e->ecx = (TOPO_CORE << 8) | 1;
		break;
	default: /* invalid level: ECX echoes the subleaf */
		e->eax = 0;
		e->ebx = 0;
		e->ecx = e->index & 0xff;
		break;
	}
	e->edx = p->apic_id; /* x2APIC id, in every subleaf */
}

static void filter_one(struct kvm_cpuid_entry2 *e, const struct x86_cpuid_params *p,
		       bool amd, bool tsc_leaf)
{
	switch (e->function) {
	case 1:
		e->ebx &= 0xffff; /* brand index, CLFLUSH line size */
		if (((e->ebx >> 8) & 0xff) == 0)
			e->ebx |= 8 << 8; /* 64-byte lines, in 8-byte units */
		e->ebx |= (p->apic_id << 24) | ((p->nvcpus > 255 ? 255 : p->nvcpus) << 16);
		e->ecx |= LEAF1_ECX_HYPERVISOR;
		if (p->tsc_deadline)
			e->ecx |= LEAF1_ECX_TSC_DEADLINE;
		if (p->nvcpus > 1)
			e->edx |= LEAF1_EDX_HTT; /* EBX[23:16] is valid */
		else
			e->edx &= ~LEAF1_EDX_HTT;
		if (!p->nested)
			e->ecx &= ~LEAF1_ECX_VMX;
		break;
	case 4:
		if ((e->eax & 0x1f) == 0)
			break; /* no cache at this subleaf */
		e->eax = cache_sharing(e->eax, p->nvcpus);
		e->eax = (e->eax & ~(0x3fU << 26)) | ((p->nvcpus - 1) << 26);
		break;
	case 6:
		/* No power management to show; ARAT stays as KVM reports it: the
		 * LAPIC timer of a vCPU never stops in an idle state. */
		e->eax &= LEAF6_EAX_ARAT;
		e->ebx = e->ecx = e->edx = 0;
		break;
	case 0xb:
	case 0x1f:
		topology_leaf(e, p);
		break;
	case KVM_LEAF_SIGNATURE:
		e->eax = tsc_leaf ? LEAF_TSC_INFO : KVM_LEAF_FEATURES;
		memcpy(&e->ebx, "KVMK", 4);
		memcpy(&e->ecx, "VMKV", 4);
		memcpy(&e->edx, "M\0\0\0", 4);
		break;
	case 0x80000001:
		if (!p->nested)
			e->ecx &= ~LEAF_EXT1_ECX_SVM;
		break;
	case 0x80000002:
	case 0x80000003:
	case 0x80000004:
		/* KVM (arch/x86/kvm/cpuid.c, __do_cpuid_func) zeroes these: the
		 * brand is the VMM's to give, and the host's is what QEMU's
		 * "-cpu host" gives. A brand KVM did fill stays. */
		if (p->brand && !(e->eax | e->ebx | e->ecx | e->edx)) {
			const uint32_t *b = p->brand + 4 * (e->function - 0x80000002);

			e->eax = b[0];
			e->ebx = b[1];
			e->ecx = b[2];
			e->edx = b[3];
		}
		break;
	case LEAF_SVM:
		if (!p->nested)
			e->eax = e->ebx = e->ecx = e->edx = 0;
		break;
	case 0x80000008:
		if (amd) /* NC = cores - 1, ApicIdCoreIdSize */
			e->ecx = (e->ecx & ~0xf0ffU) | (order(p->nvcpus) << 12) |
				 (p->nvcpus - 1);
		break;
	case 0x8000001d:
		if (amd && (e->eax & 0x1f) != 0)
			e->eax = cache_sharing(e->eax, p->nvcpus);
		break;
	case 0x8000001e:
		if (!amd)
			break;
		e->eax = p->apic_id; /* extended APIC id */
		e->ebx = (e->ebx & ~0xffffU) | (p->apic_id & 0xff); /* 1 thread/core */
		e->ecx &= ~0x7ffU; /* node 0 of 1 */
		break;
	default:
		break;
	}
}

bool x86_cpuid_has_virt(const struct kvm_cpuid_entry2 *e, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		if (e[i].function == 1 && (e[i].ecx & LEAF1_ECX_VMX))
			return true;
		if (e[i].function == 0x80000001 && (e[i].ecx & LEAF_EXT1_ECX_SVM))
			return true;
	}
	return false;
}

int x86_cpuid_filter(struct kvm_cpuid_entry2 *e, unsigned int *n, unsigned int cap,
		     const struct x86_cpuid_params *p)
{
	struct kvm_cpuid_entry2 *tsc = NULL;
	bool has_kvm_leaf = false, tsc_leaf;
	const bool amd = vendor_is_amd(e, *n);

	if (p->nvcpus == 0 || p->nvcpus > VM_MAX_VCPUS || p->apic_id >= p->nvcpus || *n > cap) {
		log_error("x86: bad CPUID parameters (vCPU %u of %u)", p->apic_id, p->nvcpus);
		return -EINVAL;
	}
	for (unsigned int i = 0; i < *n; i++) {
		if (e[i].function == KVM_LEAF_SIGNATURE)
			has_kvm_leaf = true;
		if (e[i].function == LEAF_TSC_INFO)
			tsc = &e[i];
	}
	/* The TSC leaf is reachable only through the KVM leaf's max-leaf field. */
	tsc_leaf = has_kvm_leaf && p->tsc_khz != 0;
	if (tsc_leaf && !tsc) {
		if (*n >= cap) {
			log_error("x86: no room for the TSC CPUID leaf");
			return -ENOSPC;
		}
		tsc = &e[(*n)++];
	}
	if (tsc_leaf)
		*tsc = (struct kvm_cpuid_entry2){ .function = LEAF_TSC_INFO,
						  .eax = p->tsc_khz,
						  .ebx = LAPIC_BUS_KHZ };
	for (unsigned int i = 0; i < *n; i++)
		filter_one(&e[i], p, amd, tsc_leaf);
	return 0;
}
