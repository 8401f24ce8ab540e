#!/usr/bin/env bash
# The VM test runner turns a failing VM test into a failed run: non-zero exit, the
# test's own output shown, and a summary that counts it. Runs the two fixtures in
# tests/runner/fixtures through the same mode (direct or emulated) as the real suite.
set -u
out=$(tests/runner/vmtests.sh --suite tests/runner/fixtures 2>&1)
rc=$?
echo "$out"
fail() { echo "runner self-test: $*"; exit 1; }
[ "$rc" -ne 0 ] || fail "the runner exited 0 although a test failed"
grep -q '^PASS passes' <<<"$out" || fail "the passing fixture was not reported as passed"
grep -q '^FAIL fails_on_purpose (exit 3' <<<"$out" || fail "the failing fixture was not reported"
grep -q 'FIXTURE-OUTPUT-MARKER' <<<"$out" || fail "the failing test's output was not shown"
grep -q '^vm: 1 passed, 1 failed, 0 skipped$' <<<"$out" || fail "wrong summary line"
echo "runner self-test: a failing VM test fails the run, with its output shown"
