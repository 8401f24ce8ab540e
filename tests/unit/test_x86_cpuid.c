/* SPDX-License-Identifier: Apache-2.0 */
/* CPUID filtering on a synthetic KVM_GET_SUPPORTED_CPUID table. */
#include <errno.h>

#include "test_x86_util.h"

#define CAP 32

struct table {
	struct kvm_cpuid_entry2 e[CAP];
	unsigned int n;
};

static void add(struct table *t, uint32_t fn, uint32_t idx, uint32_t a, uint32_t b, uint32_t c,
		uint32_t d)
{
	CHECK(t->n < CAP);
	t->e[t->n++] = (struct kvm_cpuid_entry2){ .function = fn, .index = idx,
						  .eax = a, .ebx = b, .ecx = c, .edx = d };
}

static const struct kvm_cpuid_entry2 *find(const struct table *t, uint32_t fn, uint32_t idx)
{
	for (unsigned int i = 0; i < t->n; i++)
		if (t->e[i].function == fn && t->e[i].index == idx)
			return &t->e[i];
	CHECK(!"leaf missing");
	return NULL;
}

/* What an Intel host's KVM reports, with the host's own topology in it. */
static void intel(struct table *t)
{
	memset(t, 0, sizeof(*t));
	add(t, 0, 0, 0x1f, 0x756e6547, 0x6c65746e, 0x49656e69); /* GenuineIntel */
	add(t, 1, 0, 0x000906ea, 0x07100800, 0x7ffafbbf, 0xbfebfbff);
	add(t, 4, 0, 0x1c004121, 0x01c0003f, 0x3f, 0); /* L1d, 8 sharing */
	add(t, 4, 1, 0x1c004122, 0x01c0003f, 0x3f, 0); /* L1i */
	add(t, 4, 2, 0x1c004143, 0x01c0003f, 0x3ff, 0); /* L2 */
	add(t, 4, 3, 0x1c03c163, 0x03c0003f, 0x3fff, 6); /* L3 */
	add(t, 4, 4, 0, 0, 0, 0);
	add(t, 6, 0, 0x000027f7, 2, 9, 0);
	add(t, 0xb, 0, 1, 2, 0x100, 7);
	add(t, 0xb, 1, 4, 12, 0x201, 7);
	add(t, 0xb, 2, 0, 0, 2, 7);
	add(t, 0x1f, 0, 1, 2, 0x100, 7);
	add(t, 0x1f, 1, 4, 12, 0x201, 7);
	add(t, 0x40000000, 0, 0x40000001, 0, 0, 0);
	add(t, 0x40000001, 0, 0x01007afb, 0, 0, 0);
	add(t, 0x80000008, 0, 0x3027, 0, 0, 0);
}

static void filter(struct table *t, unsigned int apic, unsigned int n, uint32_t khz)
{
	struct x86_cpuid_params p = { .apic_id = apic, .nvcpus = n, .tsc_khz = khz,
				      .tsc_deadline = true };

	CHECK_EQ(x86_cpuid_filter(t->e, &t->n, CAP, &p), 0);
}

TEST(x86_cpuid_leaf1_has_apic_id_count_and_hypervisor_bit)
{
	struct table t;

	intel(&t);
	filter(&t, 3, 4, 0);
	const struct kvm_cpuid_entry2 *l1 = find(&t, 1, 0);
	CHECK_EQ(l1->ebx >> 24, 3);
	CHECK_EQ((l1->ebx >> 16) & 0xff, 4);
	CHECK_EQ(l1->ebx & 0xffff, 0x0800); /* CLFLUSH size kept */
	CHECK(l1->ecx & (1U << 31));
	CHECK(l1->ecx & (1U << 24));
	CHECK(l1->edx & (1U << 28));
	intel(&t);
	filter(&t, 0, 1, 0);
	CHECK_EQ(find(&t, 1, 0)->ebx >> 16, 1);
	CHECK_EQ(find(&t, 1, 0)->edx & (1U << 28), 0);
}

TEST(x86_cpuid_topology_is_n_cores_of_one_thread)
{
	struct table t;

	intel(&t);
	filter(&t, 5, 6, 0);
	for (unsigned int leaf = 0xb; leaf <= 0x1f; leaf += 0x1f - 0xb) {
		const struct kvm_cpuid_entry2 *smt = find(&t, leaf, 0), *core = find(&t, leaf, 1);
		CHECK_EQ(smt->eax, 0);
		CHECK_EQ(smt->ebx, 1);
		CHECK_EQ(smt->ecx, 0x100);
		CHECK_EQ(smt->edx, 5);
		CHECK_EQ(core->eax, 3); /* 6 cores need 3 APIC id bits */
		CHECK_EQ(core->ebx, 6);
		CHECK_EQ(core->ecx, 0x201);
		CHECK_EQ(core->edx, 5);
	}
	CHECK_EQ(find(&t, 0xb, 2)->ecx, 2);
	CHECK_EQ(find(&t, 0xb, 2)->ebx, 0);
	CHECK_EQ(find(&t, 0xb, 2)->edx, 5);
	/* Leaf 4: cores per package - 1 in EAX[31:26]; L1/L2 per core, L3 shared. */
	CHECK_EQ(find(&t, 4, 0)->eax >> 26, 5);
	CHECK_EQ((find(&t, 4, 0)->eax >> 14) & 0xfff, 0);
	CHECK_EQ((find(&t, 4, 2)->eax >> 14) & 0xfff, 0);
	CHECK_EQ((find(&t, 4, 3)->eax >> 14) & 0xfff, 5);
	CHECK_EQ(find(&t, 4, 3)->eax & 0x3fff, 0x0163 & 0x3fff); /* cache type/level kept */
	CHECK_EQ(find(&t, 4, 4)->eax, 0);
	CHECK_EQ(find(&t, 0x80000008, 0)->ecx, 0); /* AMD-only fields left alone */
}

TEST(x86_cpuid_leaf6_keeps_only_arat)
{
	struct table t;

	intel(&t);
	filter(&t, 0, 1, 0);
	const struct kvm_cpuid_entry2 *l6 = find(&t, 6, 0);
	CHECK_EQ(l6->eax, 4);
	CHECK(l6->ebx == 0 && l6->ecx == 0 && l6->edx == 0);
}

TEST(x86_cpuid_kvm_leaves_and_tsc_frequency)
{
	struct table t;

	intel(&t);
	filter(&t, 0, 2, 2500000);
	const struct kvm_cpuid_entry2 *sig = find(&t, 0x40000000, 0);
	char name[13] = { 0 };
	memcpy(name, &sig->ebx, 4);
	memcpy(name + 4, &sig->ecx, 4);
	memcpy(name + 8, &sig->edx, 4);
	CHECK_STR_EQ(name, "KVMKVMKVM");
	CHECK_EQ(sig->eax, 0x40000010);
	CHECK_EQ(find(&t, 0x40000001, 0)->eax, 0x01007afb); /* as KVM supports */
	const struct kvm_cpuid_entry2 *tsc = find(&t, 0x40000010, 0);
	CHECK_EQ(tsc->eax, 2500000);
	CHECK_EQ(tsc->ebx, 1000000);

	intel(&t); /* unknown frequency: no leaf, max stays at the features leaf */
	unsigned int before = t.n;
	filter(&t, 0, 2, 0);
	CHECK_EQ(t.n, before);
	CHECK_EQ(find(&t, 0x40000000, 0)->eax, 0x40000001);
}

TEST(x86_cpuid_amd_topology_leaves)
{
	struct table t;

	memset(&t, 0, sizeof(t));
	add(&t, 0, 0, 0x10, 0x68747541, 0x444d4163, 0x69746e65); /* AuthenticAMD */
	add(&t, 1, 0, 0x00a00f11, 0x12100800, 0x7ef8320b, 0x178bfbff);
	add(&t, 0x80000008, 0, 0x3030, 0, 0x700f, 0);
	add(&t, 0x8000001d, 0, 0x00004121, 0, 0, 0);
	add(&t, 0x8000001d, 3, 0x0003c163, 0, 0, 0);
	add(&t, 0x8000001e, 0, 0x12, 0x0109, 0x0100, 0);
	filter(&t, 2, 3, 0);
	CHECK_EQ(find(&t, 0x80000008, 0)->ecx, 0x2002); /* ApicIdSize 2, NC 2 */
	CHECK_EQ((find(&t, 0x8000001d, 0)->eax >> 14) & 0xfff, 0);
	CHECK_EQ((find(&t, 0x8000001d, 3)->eax >> 14) & 0xfff, 2);
	CHECK_EQ(find(&t, 0x8000001e, 0)->eax, 2);
	CHECK_EQ(find(&t, 0x8000001e, 0)->ebx, 2); /* core 2, 1 thread per core */
	CHECK_EQ(find(&t, 0x8000001e, 0)->ecx, 0);
}

TEST(x86_cpuid_rejects_bad_params_and_a_full_table)
{
	struct table t;
	struct x86_cpuid_params p = { .apic_id = 0, .nvcpus = 1, .tsc_khz = 1000 };

	intel(&t);
	CHECK_EQ(x86_cpuid_filter(t.e, &t.n, t.n, &p), -ENOSPC);
	p.nvcpus = 0;
	CHECK_EQ(x86_cpuid_filter(t.e, &t.n, CAP, &p), -EINVAL);
	p.nvcpus = 2;
	p.apic_id = 2;
	CHECK_EQ(x86_cpuid_filter(t.e, &t.n, CAP, &p), -EINVAL);
	p.apic_id = 0;
	p.nvcpus = VM_MAX_VCPUS + 1;
	CHECK_EQ(x86_cpuid_filter(t.e, &t.n, CAP, &p), -EINVAL);
}

/* KVM leaves the brand leaves zero; the host's brand fills them, a brand KVM
 * gave stays, and without one they stay zero. */
TEST(x86_cpuid_brand_string_is_the_hosts_where_kvm_left_it_blank)
{
	static const char name[48] = "AMD EPYC Test Processor";
	uint32_t brand[12];
	struct table t;
	struct x86_cpuid_params p = { .apic_id = 0, .nvcpus = 1, .brand = brand };

	memcpy(brand, name, sizeof(brand));
	intel(&t);
	add(&t, 0x80000002, 0, 0, 0, 0, 0);
	add(&t, 0x80000003, 0, 0, 0, 0, 0);
	add(&t, 0x80000004, 0, 0, 0, 0, 0);
	CHECK_EQ(x86_cpuid_filter(t.e, &t.n, CAP, &p), 0);
	char got[48];
	for (uint32_t i = 0; i < 3; i++) {
		const struct kvm_cpuid_entry2 *e = find(&t, 0x80000002 + i, 0);
		uint32_t r[4] = { e->eax, e->ebx, e->ecx, e->edx };

		memcpy(got + 16 * i, r, 16);
	}
	CHECK(!memcmp(got, name, sizeof(got)));

	intel(&t);
	add(&t, 0x80000002, 0, 0x41414141, 0, 0, 0); /* a brand of KVM's own */
	CHECK_EQ(x86_cpuid_filter(t.e, &t.n, CAP, &p), 0);
	CHECK_EQ(find(&t, 0x80000002, 0)->eax, 0x41414141);
	CHECK_EQ(find(&t, 0x80000002, 0)->ebx, 0);

	intel(&t);
	add(&t, 0x80000003, 0, 0, 0, 0, 0);
	p.brand = NULL;
	CHECK_EQ(x86_cpuid_filter(t.e, &t.n, CAP, &p), 0);
	CHECK_EQ(find(&t, 0x80000003, 0)->eax, 0);
}
