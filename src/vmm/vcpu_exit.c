/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The report of an exit the VM cannot survive. The fields read here are those
 * api.rst §5 ("The kvm_run structure") documents for each exit_reason; the
 * arch layer adds the instruction pointer and the bytes there.
 */
#include "vmm/vcpu_exit.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "vmm/arch.h"
#include "vmm/vm.h"

/* An emulation failure's flags word and insn_size/insn_bytes overlay
 * internal.data[0..2]; ndata counts them when KVM filled them. */
#define EMUL_INSN_NDATA 3
#define INTERNAL_DATA_MAX (sizeof(((struct kvm_run *)0)->internal.data) / sizeof(uint64_t))

#define NAME(x) [x] = #x
static const char *const reason_names[] = {
	NAME(KVM_EXIT_UNKNOWN),        NAME(KVM_EXIT_EXCEPTION),
	NAME(KVM_EXIT_IO),             NAME(KVM_EXIT_HYPERCALL),
	NAME(KVM_EXIT_DEBUG),          NAME(KVM_EXIT_HLT),
	NAME(KVM_EXIT_MMIO),           NAME(KVM_EXIT_IRQ_WINDOW_OPEN),
	NAME(KVM_EXIT_SHUTDOWN),       NAME(KVM_EXIT_FAIL_ENTRY),
	NAME(KVM_EXIT_INTR),           NAME(KVM_EXIT_SET_TPR),
	NAME(KVM_EXIT_TPR_ACCESS),     NAME(KVM_EXIT_S390_SIEIC),
	NAME(KVM_EXIT_S390_RESET),     NAME(KVM_EXIT_DCR),
	NAME(KVM_EXIT_NMI),            NAME(KVM_EXIT_INTERNAL_ERROR),
	NAME(KVM_EXIT_OSI),            NAME(KVM_EXIT_PAPR_HCALL),
	NAME(KVM_EXIT_S390_UCONTROL),  NAME(KVM_EXIT_WATCHDOG),
	NAME(KVM_EXIT_S390_TSCH),      NAME(KVM_EXIT_EPR),
	NAME(KVM_EXIT_SYSTEM_EVENT),   NAME(KVM_EXIT_S390_STSI),
	NAME(KVM_EXIT_IOAPIC_EOI),     NAME(KVM_EXIT_HYPERV),
	NAME(KVM_EXIT_ARM_NISV),       NAME(KVM_EXIT_X86_RDMSR),
	NAME(KVM_EXIT_X86_WRMSR),      NAME(KVM_EXIT_DIRTY_RING_FULL),
	NAME(KVM_EXIT_AP_RESET_HOLD),  NAME(KVM_EXIT_X86_BUS_LOCK),
	NAME(KVM_EXIT_XEN),            NAME(KVM_EXIT_RISCV_SBI),
	NAME(KVM_EXIT_RISCV_CSR),      NAME(KVM_EXIT_NOTIFY),
};

static const char *const suberror_names[] = {
	NAME(KVM_INTERNAL_ERROR_EMULATION),
	NAME(KVM_INTERNAL_ERROR_SIMUL_EX),
	NAME(KVM_INTERNAL_ERROR_DELIVERY_EV),
	NAME(KVM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON),
};
#undef NAME

/* What each suberror means, from the comments beside them in linux/kvm.h. */
static const char *const suberror_what[] = {
	[KVM_INTERNAL_ERROR_EMULATION] = "KVM's instruction emulator could not run the "
					 "guest's instruction",
	[KVM_INTERNAL_ERROR_SIMUL_EX] = "an exception came while the vCPU delivered another",
	[KVM_INTERNAL_ERROR_DELIVERY_EV] = "a VM exit came while the vCPU delivered an "
					   "interrupt or exception",
	[KVM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON] = "the hardware exited for a reason "
						      "KVM does not handle",
};

static const char pvm_note[] =
	"the host's /dev/kvm is kvm_pvm, which cannot run a standard guest kernel (its "
	"instruction emulator stops at instructions like cmpxchg16b, xrstor, int3); use a "
	"host with hardware virtualization (kvm_intel/kvm_amd)";

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

const char *vcpu_exit_reason_name(uint32_t reason)
{
	return reason < ARRAY_LEN(reason_names) ? reason_names[reason] : NULL;
}

const char *vcpu_exit_suberror_name(uint32_t suberror)
{
	return suberror < ARRAY_LEN(suberror_names) ? suberror_names[suberror] : NULL;
}

bool vcpu_exit_is_fatal(uint32_t reason)
{
	switch (reason) {
	case KVM_EXIT_MMIO:
	case KVM_EXIT_SHUTDOWN:
	case KVM_EXIT_SYSTEM_EVENT:
	case KVM_EXIT_HLT:
		return false;
	default:
		/* KVM_EXIT_DEBUG included: nothing here sets KVM_SET_GUEST_DEBUG,
		 * so a debug exit has no debugger to go to. */
		return !arch_exit_handled(reason);
	}
}

unsigned int vcpu_exit_kvm_insn(const struct kvm_run *run, uint8_t buf[VCPU_FAULT_INSN_MAX])
{
	unsigned int n;

	if (run->exit_reason != KVM_EXIT_INTERNAL_ERROR ||
	    run->emulation_failure.suberror != KVM_INTERNAL_ERROR_EMULATION)
		return 0;
	/* api.rst §7.27 (KVM_CAP_EXIT_ON_EMULATION_FAILURE): the bytes are valid
	 * only with the flag; a KVM that did not fill them leaves ndata below 3 and
	 * whatever an earlier exit put in the words. */
	if (run->emulation_failure.ndata < EMUL_INSN_NDATA ||
	    !(run->emulation_failure.flags & KVM_INTERNAL_ERROR_EMULATION_FLAG_INSTRUCTION_BYTES))
		return 0;
	n = run->emulation_failure.insn_size;
	if (n > VCPU_FAULT_INSN_MAX)
		n = VCPU_FAULT_INSN_MAX;
	memcpy(buf, run->emulation_failure.insn_bytes, n);
	return n;
}

bool vcpu_exit_host_is_pvm(const char *sysfs_root)
{
	char path[256];
	int n;

	/* kvm_pvm registers as its own module, unlike kvm_intel/kvm_amd. */
	n = snprintf(path, sizeof(path), "%s/module/kvm_pvm", sysfs_root);
	if (n < 0 || (size_t)n >= sizeof(path))
		return false;
	return access(path, F_OK) == 0;
}

struct out {
	char *buf;
	size_t size, len;
};

static void __attribute__((format(printf, 2, 3))) put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->len + 1 >= o->size)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->len, o->size - o->len, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	o->len += (size_t)n;
	if (o->len >= o->size)
		o->len = o->size - 1; /* truncated */
}

/* The first line: the reason by name and number, and what it means. */
static void put_reason(struct out *o, unsigned int id, const struct kvm_run *run)
{
	uint32_t reason = run->exit_reason;
	const char *name = vcpu_exit_reason_name(reason);

	put(o, "vcpu %u: KVM exit %s (%u)", id, name ? name : "with a number linux/kvm.h "
							 "does not name", reason);
	switch (reason) {
	case KVM_EXIT_INTERNAL_ERROR: {
		uint32_t sub = run->internal.suberror;
		const char *sname = vcpu_exit_suberror_name(sub);

		put(o, ", suberror %s (%u): %s\n", sname ? sname : "unknown", sub,
		    sname ? suberror_what[sub] : "KVM internal error");
		break;
	}
	case KVM_EXIT_FAIL_ENTRY:
		put(o, ": the hardware refused to enter the guest (invalid guest state)\n");
		put(o, "vcpu %u:   hardware entry failure reason %#llx, host CPU %u\n", id,
		    (unsigned long long)run->fail_entry.hardware_entry_failure_reason,
		    run->fail_entry.cpu);
		break;
	case KVM_EXIT_UNKNOWN:
		put(o, ": KVM could not say why the vCPU exited\n");
		put(o, "vcpu %u:   hardware exit reason %#llx\n", id,
		    (unsigned long long)run->hw.hardware_exit_reason);
		break;
	case KVM_EXIT_EXCEPTION:
		put(o, ": exception %u, error code %#x\n", run->ex.exception, run->ex.error_code);
		break;
	case KVM_EXIT_DEBUG:
		put(o, ": a debug exit, and no debugger is attached\n");
		break;
	case KVM_EXIT_SHUTDOWN:
		put(o, ": triple fault or reset\n");
		break;
	default:
		put(o, ": the VMM does not handle this exit\n");
		break;
	}
}

/* internal.data[0..ndata), as KVM gave them: their layout depends on the
 * suberror and the kernel version, so they are shown raw. */
static void put_data(struct out *o, unsigned int id, const struct kvm_run *run)
{
	uint32_t ndata = run->internal.ndata;
	uint32_t n = ndata < INTERNAL_DATA_MAX ? ndata : (uint32_t)INTERNAL_DATA_MAX;

	put(o, "vcpu %u:   ndata %u:", id, ndata);
	for (uint32_t i = 0; i < n; i++)
		put(o, " %#llx", (unsigned long long)run->internal.data[i]);
	put(o, "%s\n", n < ndata ? " (more than kvm_run holds)" : "");
}

static void put_state(struct out *o, unsigned int id, const struct vcpu_fault_state *st)
{
	const char *pc = st->pc_name ? st->pc_name : "PC";

	if (st->regs_err < 0)
		put(o, "vcpu %u:   registers: cannot read them: %s\n", id, strerror(-st->regs_err));
	else
		put(o, "vcpu %u:   %s %#llx%s%s\n", id, pc, (unsigned long long)st->pc,
		    st->mode[0] ? ", " : "", st->mode);
	put(o, "vcpu %u:   instruction bytes at %s:", id, pc);
	for (unsigned int i = 0; i < st->insn_len && i < VCPU_FAULT_INSN_MAX; i++)
		put(o, " %02x", st->insn[i]);
	if (st->insn_len == 0)
		put(o, " none");
	if (st->insn_from_kvm)
		put(o, " (reported by KVM)\n");
	else
		put(o, "%s%s%s\n", st->insn_note[0] ? " (" : "", st->insn_note,
		    st->insn_note[0] ? ")" : "");
}

size_t vcpu_exit_format(char *buf, size_t size, unsigned int vcpu_id, const struct kvm_run *run,
			const struct vcpu_fault_state *st, bool host_is_pvm)
{
	struct out o = { .buf = buf, .size = size };

	if (size == 0)
		return 0;
	buf[0] = '\0';
	put_reason(&o, vcpu_id, run);
	if (run->exit_reason == KVM_EXIT_INTERNAL_ERROR)
		put_data(&o, vcpu_id, run);
	if (st)
		put_state(&o, vcpu_id, st);
	if (host_is_pvm)
		put(&o, "vcpu %u:   %s\n", vcpu_id, pvm_note);
	return o.len;
}

void vcpu_exit_log(enum log_level level, unsigned int vcpu_id, const struct kvm_run *run,
		   const struct vcpu_fault_state *st, bool host_is_pvm)
{
	char text[4096];
	const char *line = text;

	vcpu_exit_format(text, sizeof(text), vcpu_id, run, st, host_is_pvm);
	while (*line) {
		const char *end = strchrnul(line, '\n');

		log_write(level, "%.*s", (int)(end - line), line);
		line = *end ? end + 1 : end;
	}
}

void vcpu_exit_gather(struct vcpu *v, struct vcpu_fault_state *st)
{
	memset(st, 0, sizeof(*st));
	st->insn_len = vcpu_exit_kvm_insn(v->run, st->insn);
	st->insn_from_kvm = st->insn_len > 0;
	arch_fault_state(v->vm, v, st);
}

void vcpu_exit_report(struct vcpu *v, enum log_level level)
{
	struct vcpu_fault_state st;

	if (level == LOG_OFF || level > log_get_level())
		return; /* no ioctls for a report nobody reads */
	vcpu_exit_gather(v, &st);
	vcpu_exit_log(level, v->id, v->run, &st, v->vm->host_is_pvm);
}
