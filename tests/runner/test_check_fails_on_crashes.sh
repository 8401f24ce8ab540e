#!/usr/bin/env bash
# tests/check.sh cannot be fooled by a program that ends badly: a heap overflow,
# a leak, undefined behaviour and an early exit(0) each come out FAIL (none of
# them prints a FAIL line of its own), a clean program comes out PASS, and a VM
# runner that dies without its summary fails the run. The fixtures are
# tests/runner/fixtures/check/, built with the unit tests' flags (ASan+UBSan).
set -u
fix=build/tests/runner/fixtures
fail() { echo "check self-test: $*"; exit 1; }
for p in heap_overflow leak undefined exits_early passes; do
	[ -x "$fix/test_$p" ] || fail "$fix/test_$p is missing (make unit-tests)"
done

out=$(CHECK_STAGES=unit CHECK_UNIT_DIR=$fix tests/check.sh 2>&1)
rc=$?
echo "$out"
[ "$rc" -ne 0 ] || fail "check.sh exited 0 although fixtures crashed"
grep -q '^FAIL test_heap_overflow (sanitizer report' <<<"$out" || fail "heap overflow not a FAIL"
grep -q 'AddressSanitizer: heap-buffer-overflow' <<<"$out" || fail "ASan's report not shown"
grep -q '^FAIL test_leak (sanitizer report' <<<"$out" || fail "leak not a FAIL"
grep -q '^FAIL test_undefined (sanitizer report' <<<"$out" || fail "UB not a FAIL"
grep -q '^FAIL test_exits_early (exit 0 before its summary line)' <<<"$out" ||
	fail "early exit not a FAIL"
grep -q '^PASS fixture_clean_program_passes$' <<<"$out" || fail "the clean program did not pass"
grep -q '^3 passed, 4 failed, 0 skipped$' <<<"$out" || fail "wrong summary line"

out=$(CHECK_STAGES=vm LIBKRUN_TEST_MODE=direct \
	CHECK_VMTESTS=tests/runner/fixtures/check/dying_vm_runner.sh tests/check.sh 2>&1)
rc=$?
echo "$out"
[ "$rc" -ne 0 ] || fail "check.sh exited 0 although the VM runner died"
grep -q '^FAIL vmtests (the VM runner exited 3 without reporting a failure)' <<<"$out" ||
	fail "the dying runner was not a FAIL"
grep -q '^1 passed, 1 failed, 0 skipped$' <<<"$out" || fail "wrong summary after the dying runner"
echo "check self-test: every purpose-made crash and the dying runner came out FAIL"
