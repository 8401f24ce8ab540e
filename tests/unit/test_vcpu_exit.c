/* SPDX-License-Identifier: Apache-2.0 */
/* The report of a fatal KVM exit, fed hand-made kvm_run exits (no KVM). */
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "logcap.h"
#include "test_x86_util.h"
#include "vmm/vcpu_exit.h"

/* lock cmpxchg16b (%rsi): the instruction kvm_pvm's emulator stops at. */
static const uint8_t cmpxchg16b[] = { 0xf0, 0x48, 0x0f, 0xc7, 0x0e };
#define CMPXCHG16B_HEX "f0 48 0f c7 0e"
#define PVM_NOTE                                                                        \
	"the host's /dev/kvm is kvm_pvm, which cannot run a standard guest kernel (its "  \
	"instruction emulator stops at instructions like cmpxchg16b, xrstor, int3); use a " \
	"host with hardware virtualization (kvm_intel/kvm_amd)"

/* Fails, showing the text, unless needle is (found) or is not (!found) in text. */
#define CHECK_FIND(text, needle, found)                                        \
	do {                                                                   \
		if ((strstr((text), (needle)) != NULL) != (found))             \
			harness_fail(__FILE__, __LINE__, "\"%s\" %s in:\n%s",    \
				     (needle), (found) ? "not" : "found", (text)); \
	} while (0)
#define CHECK_HAS(text, needle) CHECK_FIND(text, needle, true)
#define CHECK_LACKS(text, needle) CHECK_FIND(text, needle, false)

struct report {
	struct kvm_run run;
	struct vcpu_fault_state st;
	char text[4096];
};

/* A vCPU stopped in 64-bit code at a kernel address, its bytes not read yet. */
static struct report *new_report(uint32_t reason)
{
	struct report *r = calloc(1, sizeof(*r));

	CHECK(r);
	r->run.exit_reason = reason;
	r->st.pc_name = "RIP";
	r->st.pc = 0xffffffff81a2b3c4ULL;
	snprintf(r->st.mode, sizeof(r->st.mode), "CS base 0, 64-bit long mode");
	return r;
}

static const char *format(struct report *r, bool pvm)
{
	vcpu_exit_format(r->text, sizeof(r->text), 1, &r->run, &r->st, pvm);
	return r->text;
}

static void set_emulation_failure(struct kvm_run *run, const uint8_t *insn, uint8_t n,
				  uint32_t ndata)
{
	run->exit_reason = KVM_EXIT_INTERNAL_ERROR;
	run->emulation_failure.suberror = KVM_INTERNAL_ERROR_EMULATION;
	run->emulation_failure.ndata = ndata;
	run->emulation_failure.flags = KVM_INTERNAL_ERROR_EMULATION_FLAG_INSTRUCTION_BYTES;
	run->emulation_failure.insn_size = n;
	memcpy(run->emulation_failure.insn_bytes, insn, n);
}

TEST(exit_names_come_from_linux_kvm_h_and_unknown_numbers_have_none)
{
	CHECK_STR_EQ(vcpu_exit_reason_name(KVM_EXIT_INTERNAL_ERROR), "KVM_EXIT_INTERNAL_ERROR");
	CHECK_STR_EQ(vcpu_exit_reason_name(KVM_EXIT_FAIL_ENTRY), "KVM_EXIT_FAIL_ENTRY");
	CHECK_STR_EQ(vcpu_exit_reason_name(KVM_EXIT_UNKNOWN), "KVM_EXIT_UNKNOWN");
	CHECK_STR_EQ(vcpu_exit_reason_name(KVM_EXIT_NOTIFY), "KVM_EXIT_NOTIFY");
	CHECK(vcpu_exit_reason_name(4242) == NULL);
	CHECK(vcpu_exit_reason_name(UINT32_MAX) == NULL);
	CHECK_STR_EQ(vcpu_exit_suberror_name(KVM_INTERNAL_ERROR_EMULATION),
		     "KVM_INTERNAL_ERROR_EMULATION");
	CHECK_STR_EQ(vcpu_exit_suberror_name(KVM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON),
		     "KVM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON");
	CHECK(vcpu_exit_suberror_name(0) == NULL);
	CHECK(vcpu_exit_suberror_name(5) == NULL);
}

TEST(exit_errors_debug_and_unknown_reasons_are_fatal_served_exits_are_not)
{
	static const uint32_t fatal[] = {
		KVM_EXIT_INTERNAL_ERROR, KVM_EXIT_FAIL_ENTRY, KVM_EXIT_UNKNOWN,
		KVM_EXIT_EXCEPTION, KVM_EXIT_DEBUG, KVM_EXIT_HYPERCALL, KVM_EXIT_X86_RDMSR,
		4242, UINT32_MAX,
	};
	static const uint32_t served[] = {
		KVM_EXIT_MMIO, KVM_EXIT_IO, KVM_EXIT_SHUTDOWN, KVM_EXIT_SYSTEM_EVENT,
		KVM_EXIT_HLT,
	};

	for (size_t i = 0; i < sizeof(fatal) / sizeof(fatal[0]); i++)
		CHECK(vcpu_exit_is_fatal(fatal[i]));
	for (size_t i = 0; i < sizeof(served) / sizeof(served[0]); i++)
		CHECK(!vcpu_exit_is_fatal(served[i]));
}

TEST(exit_internal_error_names_each_suberror_with_data_rip_and_bytes)
{
	struct report *r = new_report(KVM_EXIT_INTERNAL_ERROR);
	char want[96];

	r->run.internal.ndata = 2;
	r->run.internal.data[0] = 0x80000021;
	r->run.internal.data[1] = 0xabc;
	memcpy(r->st.insn, cmpxchg16b, sizeof(cmpxchg16b));
	r->st.insn_len = sizeof(cmpxchg16b);
	snprintf(r->st.insn_note, sizeof(r->st.insn_note), "GPA 0x1a2b3c4");
	for (uint32_t sub = 1; sub <= 4; sub++) {
		r->run.internal.suberror = sub;
		snprintf(want, sizeof(want), "vcpu 1: KVM exit KVM_EXIT_INTERNAL_ERROR (17), "
			 "suberror %s (%u): ", vcpu_exit_suberror_name(sub), sub);
		CHECK_HAS(format(r, false), want);
		CHECK_HAS(r->text, "vcpu 1:   ndata 2: 0x80000021 0xabc\n");
		CHECK_HAS(r->text, "vcpu 1:   RIP 0xffffffff81a2b3c4, CS base 0, 64-bit long "
				   "mode\n");
		CHECK_HAS(r->text, "instruction bytes at RIP: " CMPXCHG16B_HEX
				   " (GPA 0x1a2b3c4)\n");
		CHECK_LACKS(r->text, "kvm_pvm");
	}
	free(r);
}

TEST(exit_emulation_failure_without_kvm_bytes_takes_none_from_kvm_run)
{
	struct kvm_run run;
	uint8_t buf[VCPU_FAULT_INSN_MAX];
	uint8_t long_insn[VCPU_FAULT_INSN_MAX + 1];

	memset(&run, 0, sizeof(run));
	memset(long_insn, 0x90, sizeof(long_insn));
	set_emulation_failure(&run, cmpxchg16b, sizeof(cmpxchg16b), 0);
	CHECK_EQ(vcpu_exit_kvm_insn(&run, buf), 0); /* ndata does not cover them: stale */
	set_emulation_failure(&run, cmpxchg16b, sizeof(cmpxchg16b), 3);
	run.emulation_failure.flags = 0;
	CHECK_EQ(vcpu_exit_kvm_insn(&run, buf), 0); /* flag clear */
	set_emulation_failure(&run, cmpxchg16b, sizeof(cmpxchg16b), 3);
	run.emulation_failure.suberror = KVM_INTERNAL_ERROR_DELIVERY_EV;
	CHECK_EQ(vcpu_exit_kvm_insn(&run, buf), 0); /* another suberror's layout */
	set_emulation_failure(&run, cmpxchg16b, sizeof(cmpxchg16b), 3);
	run.exit_reason = KVM_EXIT_FAIL_ENTRY;
	CHECK_EQ(vcpu_exit_kvm_insn(&run, buf), 0);
	set_emulation_failure(&run, long_insn, VCPU_FAULT_INSN_MAX, 3);
	run.emulation_failure.insn_size = 200; /* more than insn_bytes holds */
	CHECK_EQ(vcpu_exit_kvm_insn(&run, buf), VCPU_FAULT_INSN_MAX);
}

TEST(exit_internal_error_shows_only_the_data_kvm_run_holds)
{
	struct report *r = new_report(KVM_EXIT_INTERNAL_ERROR);

	r->run.internal.suberror = 99;
	r->run.internal.ndata = 1000;
	for (unsigned int i = 0; i < 16; i++)
		r->run.internal.data[i] = i;
	CHECK_HAS(format(r, false), "suberror unknown (99): KVM internal error\n");
	CHECK_HAS(r->text, "ndata 1000: 0 0x1 0x2 0x3 0x4 0x5 0x6 0x7 0x8 0x9 0xa 0xb 0xc 0xd "
			   "0xe 0xf (more than kvm_run holds)\n");
	free(r);
}

TEST(exit_fail_entry_gives_the_hardware_reason_and_cpu)
{
	struct report *r = new_report(KVM_EXIT_FAIL_ENTRY);

	r->run.fail_entry.hardware_entry_failure_reason = 0x80000021;
	r->run.fail_entry.cpu = 3;
	CHECK_HAS(format(r, false), "vcpu 1: KVM exit KVM_EXIT_FAIL_ENTRY (9): the hardware "
				    "refused");
	CHECK_HAS(r->text, "hardware entry failure reason 0x80000021, host CPU 3\n");
	CHECK_LACKS(r->text, "ndata"); /* internal.data is another exit's layout */
	free(r);
}

TEST(exit_shutdown_unknown_debug_and_unnamed_reasons_are_named)
{
	struct report *r = new_report(KVM_EXIT_SHUTDOWN);

	CHECK_HAS(format(r, false), "vcpu 1: KVM exit KVM_EXIT_SHUTDOWN (8): triple fault");
	r->run.exit_reason = KVM_EXIT_UNKNOWN;
	r->run.hw.hardware_exit_reason = 0x30;
	CHECK_HAS(format(r, false), "KVM exit KVM_EXIT_UNKNOWN (0): KVM could not say why");
	CHECK_HAS(r->text, "hardware exit reason 0x30\n");
	r->run.exit_reason = KVM_EXIT_DEBUG;
	CHECK_HAS(format(r, false), "KVM exit KVM_EXIT_DEBUG (4): a debug exit, and no debugger");
	r->run.exit_reason = KVM_EXIT_EXCEPTION;
	r->run.ex.exception = 6;
	CHECK_HAS(format(r, false), "KVM exit KVM_EXIT_EXCEPTION (1): exception 6");
	r->run.exit_reason = 4242;
	CHECK_HAS(format(r, false), "vcpu 1: KVM exit with a number linux/kvm.h does not name "
				    "(4242): the VMM does not handle this exit\n");
	CHECK_HAS(r->text, "RIP 0xffffffff81a2b3c4");
	free(r);
}

TEST(exit_report_says_when_registers_or_bytes_are_missing)
{
	struct report *r = new_report(KVM_EXIT_INTERNAL_ERROR);

	r->st.regs_err = -EBADF;
	CHECK_HAS(format(r, false), "registers: cannot read them: Bad file descriptor\n");
	CHECK_HAS(r->text, "instruction bytes at RIP: none\n");
	CHECK_LACKS(r->text, "0xffffffff81a2b3c4");
	vcpu_exit_format(r->text, sizeof(r->text), 0, &r->run, NULL, false);
	CHECK_LACKS(r->text, "RIP");
	CHECK_HAS(r->text, "vcpu 0: KVM exit KVM_EXIT_INTERNAL_ERROR (17)");
	free(r);
}

TEST(exit_report_is_truncated_to_the_buffer)
{
	struct report *r = new_report(KVM_EXIT_FAIL_ENTRY);
	char small[24];

	CHECK_EQ(vcpu_exit_format(small, sizeof(small), 0, &r->run, &r->st, true),
		 sizeof(small) - 1);
	CHECK_STR_EQ(small, "vcpu 0: KVM exit KVM_EX");
	CHECK_EQ(vcpu_exit_format(small, 0, 0, &r->run, &r->st, true), 0);
	free(r);
}

TEST(exit_pvm_host_is_detected_from_sysfs_and_named_in_the_report)
{
	char root[] = "/tmp/krun-sysfs-XXXXXX", module[64], pvm[80];
	struct report *r = new_report(KVM_EXIT_INTERNAL_ERROR);

	CHECK(mkdtemp(root));
	snprintf(module, sizeof(module), "%s/module", root);
	snprintf(pvm, sizeof(pvm), "%s/kvm_pvm", module);
	CHECK_EQ(mkdir(module, 0700), 0);
	CHECK(!vcpu_exit_host_is_pvm(root)); /* a kvm_intel host: no kvm_pvm module */
	CHECK(!vcpu_exit_host_is_pvm("/nonexistent"));
	CHECK_LACKS(format(r, vcpu_exit_host_is_pvm(root)), "kvm_pvm");
	CHECK_EQ(mkdir(pvm, 0700), 0);
	CHECK(vcpu_exit_host_is_pvm(root));
	CHECK_HAS(format(r, vcpu_exit_host_is_pvm(root)), "vcpu 1:   " PVM_NOTE "\n");
	rmdir(pvm);
	rmdir(module);
	rmdir(root);
	free(r);
}

TEST(exit_emulation_failure_logs_the_bytes_kvm_reports_one_error_line_each)
{
	struct report *r = new_report(KVM_EXIT_INTERNAL_ERROR);
	struct logcap cap;
	const char *text;

	set_emulation_failure(&r->run, cmpxchg16b, sizeof(cmpxchg16b), 3);
	CHECK_EQ(vcpu_exit_kvm_insn(&r->run, r->st.insn), sizeof(cmpxchg16b));
	r->st.insn_len = sizeof(cmpxchg16b);
	r->st.insn_from_kvm = true;
	cap_start(&cap);
	vcpu_exit_log(LOG_ERROR, 0, &r->run, &r->st, true);
	vcpu_exit_log(LOG_DEBUG, 0, &r->run, &r->st, true); /* below the level: nothing */
	text = cap_end(&cap);
	CHECK_HAS(text, "libkrun: error: vcpu 0: KVM exit KVM_EXIT_INTERNAL_ERROR (17), "
			"suberror KVM_INTERNAL_ERROR_EMULATION (1): KVM's instruction emulator");
	CHECK_HAS(text, "\nlibkrun: error: vcpu 0:   ndata 3: 0x1 ");
	CHECK_HAS(text, "\nlibkrun: error: vcpu 0:   RIP 0xffffffff81a2b3c4, CS base 0");
	CHECK_HAS(text, "\nlibkrun: error: vcpu 0:   instruction bytes at RIP: " CMPXCHG16B_HEX
			" (reported by KVM)\n");
	/* The note is the last line: the debug-level call logged nothing. */
	CHECK_STR_EQ(strstr(text, "\nlibkrun: error: vcpu 0:   the host's /dev/kvm is kvm_pvm"),
		     "\nlibkrun: error: vcpu 0:   " PVM_NOTE "\n");
	free(r);
}

/* x86: the bytes at RIP, from guest RAM through a fake KVM_TRANSLATE that
 * maps linear pages 0x7000 / 0x8000 at page_gpa[0] / [1] (UINT64_MAX: not
 * mapped), and a vCPU in 64-bit mode. */
struct x86_fixture {
	uint64_t page_gpa[2];
	unsigned int calls;   /* translations asked for */
	uint64_t last_la;
	struct kvm_regs regs;
	struct kvm_sregs s;
	struct gmem m;
	struct report r;
};

static int fake_translate(void *opaque, uint64_t la, uint64_t *gpa)
{
	struct x86_fixture *f = opaque;
	uint64_t page = la & ~0xfffULL;

	f->calls++;
	f->last_la = la;
	if ((page != 0x7000 && page != 0x8000) || f->page_gpa[page == 0x8000] == UINT64_MAX)
		return -EFAULT;
	*gpa = f->page_gpa[page == 0x8000] + (la & 0xfff);
	return 0;
}

static struct x86_fixture *x86_setup(uint64_t gpa0, uint64_t gpa1, uint64_t rip)
{
	struct x86_fixture *f = calloc(1, sizeof(*f));

	CHECK(f);
	f->page_gpa[0] = gpa0;
	f->page_gpa[1] = gpa1;
	x86_sregs_long_mode(&f->s);
	f->regs.rip = rip;
	x86_test_mem(&f->m, 64ULL << 20);
	return f;
}

static void x86_fill(struct x86_fixture *f)
{
	x86_fault_fill(&f->m, &f->regs, &f->s, fake_translate, f, &f->r.st);
}

static void x86_teardown(struct x86_fixture *f)
{
	gmem_destroy(&f->m);
	free(f);
}

TEST(x86_fault_reads_the_bytes_at_rip_through_the_translation)
{
	struct x86_fixture *f = x86_setup(0x200000, UINT64_MAX, 0x7100);

	memcpy(x86_test_at(&f->m, 0x200100, sizeof(cmpxchg16b)), cmpxchg16b,
	       sizeof(cmpxchg16b));
	x86_fill(f);
	CHECK_EQ(f->r.st.insn_len, VCPU_FAULT_INSN_MAX);
	CHECK(memcmp(f->r.st.insn, cmpxchg16b, sizeof(cmpxchg16b)) == 0);
	CHECK_EQ(f->calls, 1);
	CHECK_STR_EQ(f->r.st.insn_note, "GPA 0x200100");
	CHECK_HAS(format(&f->r, false), "RIP 0x7100, CS base 0, 64-bit long mode with paging, CPL 0\n");
	CHECK_HAS(f->r.text, "instruction bytes at RIP: " CMPXCHG16B_HEX
			   " 00 00 00 00 00 00 00 00 00 00 (GPA 0x200100)\n");
	x86_teardown(f);
}

TEST(x86_fault_does_not_read_a_rip_that_translates_outside_guest_ram)
{
	struct x86_fixture *f = x86_setup(0xfee00000, UINT64_MAX, 0x7010); /* the LAPIC */

	x86_fill(f);
	CHECK_EQ(f->r.st.insn_len, 0);
	CHECK_STR_EQ(f->r.st.insn_note,
		     "linear 0x7010 is GPA 0xfee00010, outside guest RAM: not read");
	CHECK_HAS(format(&f->r, false), "instruction bytes at RIP: none (linear 0x7010 is GPA "
			       "0xfee00010, outside guest RAM: not read)\n");
	memset(&f->r.st, 0, sizeof(f->r.st));
	f->regs.rip = 0x123456;
	x86_fill(f);
	CHECK_EQ(f->r.st.insn_len, 0);
	CHECK_STR_EQ(f->r.st.insn_note, "linear 0x123456 is not mapped by the guest's page tables");
	x86_teardown(f);
}

TEST(x86_fault_follows_an_instruction_across_a_page_and_stops_where_ram_ends)
{
	struct x86_fixture *f = x86_setup(0x300000, 0x100000, 0x7ffd); /* pages apart */

	memcpy(x86_test_at(&f->m, 0x300ffd, 3), cmpxchg16b, 3);
	memcpy(x86_test_at(&f->m, 0x100000, 2), cmpxchg16b + 3, 2);
	x86_fill(f);
	CHECK_EQ(f->r.st.insn_len, VCPU_FAULT_INSN_MAX);
	CHECK(memcmp(f->r.st.insn, cmpxchg16b, sizeof(cmpxchg16b)) == 0);
	CHECK_EQ(f->calls, 2);

	/* The second page lies past the end of guest RAM: only the first is read. */
	f->page_gpa[1] = 64ULL << 20;
	memset(&f->r.st, 0, sizeof(f->r.st));
	x86_fill(f);
	CHECK_EQ(f->r.st.insn_len, 3);
	CHECK_STR_EQ(f->r.st.insn_note, "GPA 0x300ffd; the bytes from linear 0x8000 on are "
				      "outside guest RAM");
	x86_teardown(f);
}

TEST(x86_fault_uses_cs_base_outside_64_bit_mode_and_keeps_kvm_bytes)
{
	struct x86_fixture *f = x86_setup(0x200000, UINT64_MAX, 0x100);

	f->s.efer = 0;
	f->s.cs.l = 0;
	f->s.cs.db = 1;
	f->s.cs.base = 0x7000;
	x86_fill(f);
	CHECK_EQ(f->last_la, 0x7100); /* CS base + EIP */
	CHECK_HAS(f->r.st.mode, "CS base 0x7000, 32-bit protected mode");

	/* Bytes KVM already gave are kept: guest RAM is not read for them. */
	memset(&f->r.st, 0, sizeof(f->r.st));
	memcpy(f->r.st.insn, cmpxchg16b, sizeof(cmpxchg16b));
	f->r.st.insn_len = sizeof(cmpxchg16b);
	f->calls = 0;
	x86_fill(f);
	CHECK_EQ(f->calls, 0);
	CHECK_EQ(f->r.st.insn_len, sizeof(cmpxchg16b));
	x86_teardown(f);
}
