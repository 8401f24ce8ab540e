#!/usr/bin/env bash
# At log level info the VMM logs where the boot's time went (src/vmm/phase.h):
# setup (krun_start_enter to the first KVM_RUN), kernel (to our init's first
# mark), init (to the workload's start), workload (to the exit report) and
# stop. The figures are measured, not made up: a workload that sleeps 2 s
# gets a workload interval of at least 2 s, and the five add up to no more
# than the process's wall time. (Missing marks, as with a caller's own init,
# and repeated ones: tests/unit/test_phase.c and test_x86_pio.c.)
# timeout: 300
. "$SRC/tests/vm/lib.bash"

root=$TEST_TMP/root
make_root "$root"

# phases FILE: the five figures in ms, in order, from the "boot phases" line.
phases() {
	sed -n 's/.*boot phases: setup \([0-9.]*\) ms, kernel \([0-9.]*\) ms, init \([0-9.]*\) ms, workload \([0-9.]*\) ms, stop \([0-9.]*\) ms$/\1 \2 \3 \4 \5/p' "$1"
}

start=$(date +%s%N)
root_run "$root" --log-level 3 -- /bin/sleep 2 >/dev/null 2>"$TEST_TMP/err" </dev/null
rc=$?
wall=$((($(date +%s%N) - start) / 1000000))
[ "$rc" = 0 ] || fail "status $rc: $(tail -n 20 "$TEST_TMP/err")"
grep 'boot phases' "$TEST_TMP/err"
read -r setup kernel init work stop <<<"$(phases "$TEST_TMP/err")"
[ -n "${stop:-}" ] || fail "no complete boot phases line: $(tail -n 20 "$TEST_TMP/err")"
awk -v s="$setup" -v k="$kernel" -v i="$init" -v w="$work" -v t="$stop" -v wall="$wall" 'BEGIN {
	sum = s + k + i + w + t
	if (w < 2000 || w > wall) { print "workload " w " ms: not the 2 s sleep (wall " wall " ms)"; exit 1 }
	if (k <= 0 || s <= 0) { print "setup " s " ms, kernel " k " ms: not measured"; exit 1 }
	if (sum > wall) { print "the phases add up to " sum " ms, more than the wall time " wall " ms"; exit 1 }
	printf "ok: phases add up to %.1f of %d ms wall; workload %.1f ms for a 2 s sleep\n", sum, wall, w
}' || fail "implausible boot phases"

# The default log level (warn) keeps the line out.
root_run "$root" -- /bin/true >/dev/null 2>"$TEST_TMP/err" </dev/null || fail "plain run failed"
grep -q 'boot phases' "$TEST_TMP/err" && fail "the boot phases were logged at the default level"
echo "ok: not logged at the default level"
