#!/usr/bin/env bash
# krun_set_console_output: the workload's output goes to the file, stdin is empty.
# timeout: 300
. "$SRC/tests/vm/lib.bash"
vm_run --console-output "$TEST_TMP/console.txt" -- /bin/sh -c \
	'echo out-line; echo err-line >&2; cat; echo after-eof' >"$TEST_TMP/stdout" ||
	fail "workload failed"
grep -qx out-line "$TEST_TMP/console.txt" || fail "no stdout in the file"
grep -qx err-line "$TEST_TMP/console.txt" || fail "no stderr in the file"
grep -qx after-eof "$TEST_TMP/console.txt" || fail "stdin was not empty"
[ -s "$TEST_TMP/stdout" ] && fail "output leaked to stdout: $(cat "$TEST_TMP/stdout")"
echo "ok: console output in the file, nothing on stdout"
