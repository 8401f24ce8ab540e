/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The boot phase breakdown (src/vmm/phase.h) on times the test sets: each
 * interval runs to the next mark there is, missing marks merge their
 * intervals into one named after all of them, and the first time of a phase
 * is the one kept.
 */
#include <string.h>

#include "harness.h"

#include "vmm/phase.h"

#define MS 1000000ull

TEST(phase_every_mark_gives_its_interval)
{
	struct vm_phases ph = { 0 };
	char line[256];

	vm_phase_set(&ph, VM_PHASE_ENTER, 1000 * MS);
	vm_phase_set(&ph, VM_PHASE_FIRST_RUN, 1120 * MS);
	vm_phase_set(&ph, VM_PHASE_INIT, 1500 * MS);
	vm_phase_set(&ph, VM_PHASE_WORKLOAD, 1575 * MS);
	vm_phase_set(&ph, VM_PHASE_EXIT_REPORT, 1600 * MS + MS / 2);
	vm_phase_format(&ph, 1603 * MS, line, sizeof(line));
	CHECK_STR_EQ(line, "setup 120.0 ms, kernel 380.0 ms, init 75.0 ms, workload 25.5 ms, "
			  "stop 2.5 ms");
}

TEST(phase_missing_marks_merge_into_the_interval_before)
{
	struct vm_phases ph = { 0 };
	char line[256];

	/* A caller's initramfs: no init of ours, so no guest marks but the
	 * exit report (which its own init may still write). */
	vm_phase_set(&ph, VM_PHASE_ENTER, 10 * MS);
	vm_phase_set(&ph, VM_PHASE_FIRST_RUN, 30 * MS);
	vm_phase_format(&ph, 530 * MS, line, sizeof(line));
	CHECK_STR_EQ(line, "setup 20.0 ms, kernel+init+workload+stop 500.0 ms");
	vm_phase_set(&ph, VM_PHASE_EXIT_REPORT, 500 * MS);
	vm_phase_format(&ph, 530 * MS, line, sizeof(line));
	CHECK_STR_EQ(line, "setup 20.0 ms, kernel+init+workload 470.0 ms, stop 30.0 ms");
}

TEST(phase_first_time_wins_and_bad_input_is_ignored)
{
	struct vm_phases ph = { 0 };
	char line[8];

	vm_phase_set(&ph, VM_PHASE_INIT, 5 * MS);
	vm_phase_set(&ph, VM_PHASE_INIT, 9 * MS);
	CHECK_EQ(ph.ns[VM_PHASE_INIT], 5 * MS);
	vm_phase_set(&ph, VM_PHASES, 7 * MS); /* out of range: nothing written */
	vm_phase_set(&ph, VM_PHASE_ENTER, 0);  /* no time: not a mark */
	CHECK_EQ(ph.ns[VM_PHASE_ENTER], 0);
	vm_phase_mark(&ph, VM_PHASE_WORKLOAD);
	CHECK(ph.ns[VM_PHASE_WORKLOAD] > 0);
	/* A short buffer holds whole items only, always terminated. */
	vm_phase_format(&ph, ph.ns[VM_PHASE_WORKLOAD], line, sizeof(line));
	CHECK(strlen(line) < sizeof(line));
	CHECK_EQ(line[0], '\0');
}
