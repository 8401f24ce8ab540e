#!/usr/bin/env bash
# krun_disable_implicit_console and krun_add_virtio_console_default:
#   - implicit console off, one of the caller's on fds 3/4/5 (files and a
#     pipe): the workload's stdin, stdout and stderr are those fds, kept apart
#     as with the implicit console; this process's own stdout gets nothing;
#   - the implicit console plus one of the caller's: that one is the guest's
#     /dev/hvc1, its output fd gets what the guest writes there and its input
#     fd reaches the guest;
#   - no console at all: the workload still runs (its stdio is /dev/null in
#     the guest) and its exit status is the VMM's.
# timeout: 240
. "$SRC/tests/vm/lib.bash"

root=$TEST_TMP/root
make_root "$root"

printf 'from-fd-3\n' >"$TEST_TMP/in"
out=$(root_run "$root" --no-implicit-console --console-default 3,4,5 -- /bin/sh -c '
	read -r line; echo "stdout got [$line]"; echo "on-stderr" >&2; exit 6' \
	3<"$TEST_TMP/in" 4>"$TEST_TMP/out" 5>"$TEST_TMP/err" 2>"$TEST_TMP/vmm-err")
rc=$?
echo "own stdout: [$out]"; echo "fd 4:"; cat "$TEST_TMP/out"; echo "fd 5:"; cat "$TEST_TMP/err"
[ "$rc" = 6 ] || fail "implicit console off: exit $rc, expected 6: $(cat "$TEST_TMP/vmm-err")"
[ "$(tr -d '\r' <"$TEST_TMP/out")" = "stdout got [from-fd-3]" ] ||
	fail "the workload's stdout is not fd 4, or its stdin not fd 3"
grep -qx "on-stderr" <<<"$(tr -d '\r' <"$TEST_TMP/err")" || fail "the workload's stderr is not fd 5"
[ -z "$out" ] || fail "the process's own stdout got output: [$out]"
echo "ok: implicit console off: the caller's console carries stdin/stdout/stderr"

# The second console: the host's line is sent once the guest holds hvc1 open.
feed_when_ready "$TEST_TMP/hvc1.in" "$TEST_TMP/hvc1.out" to-hvc1
out=$(root_run "$root" --console-default 3,4,4 -- /bin/sh -c '
	die() { echo "FAIL (guest): $*"; exit 1; }
	[ -c /dev/hvc1 ] || die "no /dev/hvc1"
	exec 5<>/dev/hvc1
	stty -echo <&5 2>/dev/null
	echo "from-hvc1" >&5
	echo ready-for-input >&5
	read -r line <&5 || die "nothing from the host on hvc1"
	echo "hvc1 said [$line]"' 3<"$TEST_TMP/hvc1.in" 4>"$TEST_TMP/hvc1.out" 2>&1)
rc=$?
echo "$out"; echo "hvc1 output:"; cat "$TEST_TMP/hvc1.out"
[ "$rc" = 0 ] || fail "second console: exit $rc"
grep -q "^hvc1 said \[to-hvc1\]" <<<"$(tr -d '\r' <<<"$out")" || fail "the host's line did not reach hvc1"
grep -q "from-hvc1" "$TEST_TMP/hvc1.out" || fail "the guest's hvc1 output did not reach fd 4"
grep -q "hvc1 said" "$TEST_TMP/hvc1.out" && fail "the workload's stdout went to the second console"
echo "ok: a second console is /dev/hvc1 with its own fds, both ways"

out=$(root_run "$root" --no-implicit-console -- /bin/sh -c 'echo lost; exit 9' 2>"$TEST_TMP/vmm-err")
rc=$?
[ "$rc" = 9 ] || fail "no console: exit $rc, expected 9: $(cat "$TEST_TMP/vmm-err")"
[ -z "$out" ] || fail "no console, yet output: [$out]"
echo "ok: no console at all: the workload ran and its status 9 came back"
