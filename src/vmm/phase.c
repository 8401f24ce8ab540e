/* SPDX-License-Identifier: Apache-2.0 */
#include "vmm/phase.h"

#include <stdbool.h>
#include <stdio.h>

#include "util/clock.h"

void vm_phase_set(struct vm_phases *ph, enum vm_phase p, uint64_t t)
{
	uint64_t unset = 0;

	if ((unsigned int)p >= VM_PHASES || t == 0)
		return;
	/* Marks may come from several vCPU threads; the log reads them after
	 * the VM ended (vm_request_end's lock orders that). */
	__atomic_compare_exchange_n(&ph->ns[p], &unset, t, false, __ATOMIC_RELAXED,
				    __ATOMIC_RELAXED);
}

void vm_phase_mark(struct vm_phases *ph, enum vm_phase p)
{
	vm_phase_set(ph, p, monotonic_ns());
}

/* What each interval is called: the one that ends at the next mark. */
static const char *const interval_name[VM_PHASES] = {
	[VM_PHASE_ENTER] = "setup",         /* to the first KVM_RUN */
	[VM_PHASE_FIRST_RUN] = "kernel",    /* to init */
	[VM_PHASE_INIT] = "init",           /* to the workload */
	[VM_PHASE_WORKLOAD] = "workload",   /* to its exit report */
	[VM_PHASE_EXIT_REPORT] = "stop",    /* to end_ns */
};

void vm_phase_format(const struct vm_phases *ph, uint64_t end_ns, char *buf, size_t len)
{
	size_t used = 0;

	if (len == 0)
		return;
	buf[0] = '\0';
	for (unsigned int p = 0; p < VM_PHASES; p++) {
		uint64_t from = __atomic_load_n(&ph->ns[p], __ATOMIC_RELAXED), to = 0;
		unsigned int q;
		int n;

		if (!from)
			continue;
		/* The interval runs to the next mark there is; those missing in
		 * between (no init of ours) are named with it: "kernel+init". */
		n = snprintf(buf + used, len - used, "%s%s", used ? ", " : "", interval_name[p]);
		for (q = p + 1; q < VM_PHASES; q++) {
			to = __atomic_load_n(&ph->ns[q], __ATOMIC_RELAXED);
			if (to)
				break;
			if (n >= 0 && (size_t)n < len - used)
				n += snprintf(buf + used + n, len - used - (size_t)n, "+%s",
					      interval_name[q]);
		}
		if (!to)
			to = end_ns;
		if (n >= 0 && (size_t)n < len - used)
			n += snprintf(buf + used + n, len - used - (size_t)n, " %.1f ms",
				      to >= from ? (double)(to - from) / 1e6 : 0.0);
		if (n < 0 || (size_t)n >= len - used) {
			buf[used] = '\0';
			return;
		}
		used += (size_t)n;
		p = q - 1;
	}
}
