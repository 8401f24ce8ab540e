#!/usr/bin/env bash
# `make check`: unit tests (ASan+UBSan, no KVM), host tests (kernel bundle, runner
# self-test: no KVM, may boot QEMU TCG), then VM tests (real or emulated KVM).
#
#   tests/check.sh [FILTER]   run only tests whose name (or program) contains FILTER
#
# Ends with "N passed, N failed, N skipped" over every test; exit 1 if any failed.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
filter=${1:-}
passed=0 failed=0 skipped=0
failures=()

# Counts the PASS/FAIL/SKIP lines of one stage's output (printed as it runs).
tally() {
	local log=$1 p f s
	p=$(grep -c '^PASS ' "$log") f=$(grep -c '^FAIL ' "$log") s=$(grep -c '^SKIP ' "$log")
	passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
	mapfile -t -O "${#failures[@]}" failures < <(grep '^FAIL ' "$log" | cut -d' ' -f2)
}

log=$(mktemp)
trap 'rm -f "$log"' EXIT

echo "== unit tests (ASan+UBSan)"
# ASan intercepts dlopen, which hides the tests' own run path from it: say where
# libkrunfw.so.5 is.
export LD_LIBRARY_PATH=$PWD/build${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
for t in build/tests/unit/test_*; do
	[ -x "$t" ] || continue
	args=()
	[ -n "$filter" ] && [[ $(basename "$t") != *"$filter"* ]] && args=("$filter")
	"$t" "${args[@]}" >"$log" 2>&1
	rc=$?
	[ "$rc" -gt 1 ] && echo "FAIL $(basename "$t") (crashed, exit $rc)" >>"$log"
	if [ "$rc" = 0 ]; then
		grep -E '^(PASS|SKIP) ' "$log"
	else
		# A failing program: everything it printed (checks, sanitizer reports, logs).
		grep -v '^[0-9]* passed, ' "$log"
	fi
	tally "$log"
done

echo "== host tests"
for t in tests/kernel/*.sh tests/runner/test_*.sh; do
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

echo "== VM tests"
tests/runner/vmtests.sh ${filter:+"$filter"} 2>&1 | tee "$log"
tally "$log"

if [ "$failed" -gt 0 ]; then
	echo "failed: ${failures[*]}"
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ]
