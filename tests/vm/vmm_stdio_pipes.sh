#!/usr/bin/env bash
# With pipes, stdin, stdout and stderr stay three streams end to end: 100 MiB in
# through stdin comes back on stdout unchanged, stderr apart, and EOF reaches the
# workload (cat ends).
# timeout: 900
. "$SRC/tests/vm/lib.bash"
size=${STDIO_MIB:-100}
# The input comes from a user-space generator: the emulated machine froze
# four times out of four at this step while its kernel made 100 MiB from
# /dev/urandom (QEMU idle, its CPU halted with interrupts on), and never
# elsewhere. Not our code, but it cost whole CI runs.
"$VSOCK_TOOL" gen "$((size << 20))" 7 >"$TEST_TMP/in" ||
	fail "cannot make the input"
start=$(date +%s)
vm_run -- /bin/sh -c 'cat; echo to-stderr >&2; echo to-stdout-end' \
	<"$TEST_TMP/in" >"$TEST_TMP/out" 2>"$TEST_TMP/err" || fail "workload failed: $(cat "$TEST_TMP/err")"
secs=$(($(date +%s) - start))
printf 'to-stdout-end\n' >>"$TEST_TMP/in"
cmp "$TEST_TMP/in" "$TEST_TMP/out" || fail "stdout differs from stdin (+ marker)"
grep -qx to-stderr "$TEST_TMP/err" || fail "stderr lacks the marker: $(head -c 500 "$TEST_TMP/err")"
grep -q to-stderr "$TEST_TMP/out" && fail "stderr leaked into stdout"
echo "ok: $size MiB stdin -> stdout intact in ${secs}s, stderr separate"
