#!/usr/bin/env bash
# `make check`: unit tests (ASan+UBSan, no KVM), host tests (kernel bundle, fuzz smoke runs, the
# runner's self-tests: no KVM, may boot QEMU TCG), then VM tests (real or emulated
# KVM, decided once by tests/runner/mode.sh and printed first).
#
#   tests/check.sh [FILTER]   run only tests whose name (or program) contains FILTER
#
# Ends with "N passed, N failed, N skipped" over every test; exit 1 if any failed.
# Nothing passes by default: a unit program passes only if it exits 0 after its
# summary line with no sanitizer report; any other end (a sanitizer report, a
# signal, an exit before the summary) is a FAIL of the program even if it printed
# no FAIL line. The VM runner's own exit status counts the same way.
#
# For the runner's self-test (tests/runner/test_check_*.sh):
#   CHECK_STAGES    which stages run (default "unit host vm")
#   CHECK_UNIT_DIR  where the unit programs (test_*) are (default build/tests/unit)
#   CHECK_VMTESTS   the VM runner (default tests/runner/vmtests.sh)
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
filter=${1:-}
stages=" ${CHECK_STAGES:-unit host vm} "
unit_dir=${CHECK_UNIT_DIR:-build/tests/unit}
vmtests=${CHECK_VMTESTS:-tests/runner/vmtests.sh}
passed=0 failed=0 skipped=0
failures=()

# Counts the PASS/FAIL/SKIP lines of one stage's output (printed as it runs).
tally() {
	local log=$1 p f s
	p=$(grep -c '^PASS ' "$log") f=$(grep -c '^FAIL ' "$log") s=$(grep -c '^SKIP ' "$log")
	passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
	mapfile -t -O "${#failures[@]}" failures < <(grep '^FAIL ' "$log" | cut -d' ' -f2)
}

# Why a unit program's run (its output LOG, exit status RC) cannot be trusted as
# it reads, or nothing if it ran to a clean end: its summary line, no sanitizer
# report, and an exit status that agrees with the summary.
unit_problem() {
	local log=$1 rc=$2 summary nfail
	if grep -qE '^==[0-9]+==ERROR: [A-Za-z]+Sanitizer|^SUMMARY: [A-Za-z]+Sanitizer|runtime error: ' "$log"; then
		echo "sanitizer report, exit $rc"
		return
	fi
	if [ "$rc" -gt 128 ]; then
		echo "killed by signal $((rc - 128))"
		return
	fi
	summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$' "$log" | tail -n 1)
	if [ -z "$summary" ]; then
		echo "exit $rc before its summary line"
		return
	fi
	nfail=$(cut -d' ' -f3 <<<"$summary")
	if [ "$rc" = 0 ] && [ "$nfail" = 0 ]; then
		return
	fi
	if [ "$rc" = 1 ] && [ "$nfail" -gt 0 ] && [ "$(grep -c '^FAIL ' "$log")" = "$nfail" ]; then
		return # ordinary failures: its FAIL lines say which
	fi
	echo "exit $rc, summary '$summary'"
}

log=$(mktemp)
trap 'rm -f "$log" "$log.r"' EXIT

if [[ $stages == *" vm "* ]]; then
	. tests/runner/mode.sh
	kvm_mode_decide build || exit 1
	kvm_mode_describe
fi

if [[ $stages == *" unit "* ]]; then
	echo "== unit tests (ASan+UBSan)"
	# ASan intercepts dlopen, which hides the tests' own run path from it: say
	# where libkrunfw.so.5 is. Leaks are errors (LeakSanitizer, on by default).
	export LD_LIBRARY_PATH=$PWD/build${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
	export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
	for t in "$unit_dir"/test_*; do
		[ -x "$t" ] || continue
		args=()
		[ -n "$filter" ] && [[ $(basename "$t") != *"$filter"* ]] && args=("$filter")
		"$t" "${args[@]}" >"$log" 2>&1
		rc=$?
		problem=$(unit_problem "$log" "$rc")
		if [ "$rc" = 0 ] && [ -z "$problem" ]; then
			grep -E '^(PASS|SKIP) ' "$log"
		else
			# Everything it printed (checks, sanitizer reports, logs), and a
			# FAIL line of its own when its end was not an ordinary failure.
			grep -v '^[0-9]* passed, ' "$log"
			[ -n "$problem" ] && echo "FAIL $(basename "$t") ($problem)" | tee -a "$log"
		fi
		tally "$log"
	done
fi

if [[ $stages == *" host "* ]]; then
	echo "== host tests"
	for t in tests/kernel/*.sh tests/runner/test_*.sh tests/fuzz/*.sh; do
		[ -x "$t" ] || continue
		name=$(basename "$t" .sh)
		[ -n "$filter" ] && [[ $name != *"$filter"* ]] && continue
		start=$(date +%s)
		timeout -k 5 1200 "$t" >"$log" 2>&1
		rc=$?
		secs=$(($(date +%s) - start))
		case $rc in
		0) echo "PASS $name (${secs}s)" >"$log.r" ;;
		77) echo "SKIP $name: $(tail -n 1 "$log")" >"$log.r" ;;
		*) { echo "FAIL $name (exit $rc, ${secs}s); its output:"; sed 's/^/    | /' "$log"; } >"$log.r" ;;
		esac
		cat "$log.r"
		tally "$log.r"
		rm -f "$log.r"
	done
fi

if [[ $stages == *" vm "* ]]; then
	echo "== VM tests"
	"$vmtests" ${filter:+"$filter"} 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	# The runner's status counts: one that ends badly without having reported a
	# failure (it died, or was killed) fails the run.
	if [ "$rc" != 0 ] && ! grep -q '^FAIL ' "$log"; then
		echo "FAIL vmtests (the VM runner exited $rc without reporting a failure)" | tee -a "$log"
	elif ! grep -qE '^vm: [0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$' "$log"; then
		echo "FAIL vmtests (the VM runner ended, exit $rc, without its summary line)" | tee -a "$log"
	fi
	tally "$log"
fi

if [ "$failed" -gt 0 ]; then
	echo "failed: ${failures[*]}"
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ]
