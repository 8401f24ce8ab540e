#!/usr/bin/env bash
# krun_add_virtio_console_multiport with krun_add_console_port_inout and
# krun_add_console_port_tty:
#   - next to the implicit console, a console with two generic ports: one
#     named (found by name in /sys/class/virtio-ports) carrying bytes both
#     ways, one unnamed fed from a regular file, which the guest reads to EOF;
#   - with the implicit console off, a console whose TTY port is a terminal
#     (script(1)'s pty): it is the guest's hvc0, so the workload's stdio.
# timeout: 240
. "$SRC/tests/vm/lib.bash"
command -v script >/dev/null || fail "no script(1) (bsdutils)"

root=$TEST_TMP/root
make_root "$root"

feed_when_ready "$TEST_TMP/io.in" "$TEST_TMP/io.out" hello-port
printf 'file-data\n' >"$TEST_TMP/file.in"
: >"$TEST_TMP/unnamed.out"

out=$(root_run "$root" --console-multiport \
	--console-port-inout "0,krun-test-io,3,4" --console-port-inout "0,,5,6" -- /bin/sh -c '
	die() { echo "FAIL (guest): $*"; exit 1; }
	dev=
	for n in /sys/class/virtio-ports/*/name; do
		[ "$(cat "$n")" = krun-test-io ] && dev=/dev/$(basename "$(dirname "$n")")
	done
	[ -n "$dev" ] || die "no port named krun-test-io: $(ls /sys/class/virtio-ports)"
	unnamed=${dev%p0}p1
	[ -c "$unnamed" ] || die "no second port $unnamed"
	exec 7<>"$dev"
	echo ready-for-input >&7
	read -r line <&7 || die "nothing from the host on $dev"
	echo "port said [$line]"
	echo "unnamed said [$(cat "$unnamed")]"' \
	3<"$TEST_TMP/io.in" 4>"$TEST_TMP/io.out" 5<"$TEST_TMP/file.in" 6>"$TEST_TMP/unnamed.out" 2>&1)
rc=$?
echo "$out"; echo "io.out:"; cat "$TEST_TMP/io.out"
[ "$rc" = 0 ] || fail "multiport console: exit $rc"
grep -q "^port said \[hello-port\]" <<<"$out" || fail "the host's line did not reach the named port"
grep -q "^unnamed said \[file-data\]" <<<"$out" || fail "the unnamed port did not carry the file to EOF"
grep -q "port said" "$TEST_TMP/io.out" && fail "the workload's stdout went to the port"
echo "ok: a multiport console's named and unnamed ports carry bytes both ways, EOF included"

# The TTY port as the only console: script(1) gives the VMM a terminal on fd 0.
cat >"$TEST_TMP/inner.sh" <<INNER
"$KRUN_RUN" --root "$root" --no-implicit-console --console-multiport \
	--console-port-tty "0,con,0" -- /bin/sh -c 'echo "tty is \$(tty)"; exit 4'
echo "exit=\$?"
INNER
script -qec "bash $TEST_TMP/inner.sh" "$TEST_TMP/typescript" </dev/null >/dev/null 2>&1
typescript=$(tr -d '\r' <"$TEST_TMP/typescript")
echo "$typescript" | tail -n 5
grep -q "^tty is /dev/hvc0" <<<"$typescript" || fail "the TTY port is not the workload's terminal hvc0"
grep -q "^exit=4" <<<"$typescript" || fail "the workload's status did not come back"
echo "ok: a TTY port is the guest's hvc0 and carries the workload's terminal"
