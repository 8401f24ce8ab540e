#!/usr/bin/env bash
# A terminal container through crun's krun handler: process.terminal true.
# `crun run` in the foreground without --console-socket makes the container's
# pseudo-terminal itself, on the container's own devpts, and copies between
# it and its own stdio, which must be a terminal: script(1) gives it one.
#   - the VMM's stdin is crun's new pseudo-terminal, not script's (a terminal
#     of another devpts instance than the host's /dev/pts): what
#     process.terminal makes, as opposed to inheriting crun's terminal;
#   - the guest's console is that terminal: the workload sees a tty on fds
#     0-2, /dev/hvc0;
#   - the exit status still comes through (3).
# timeout: 180
. "$SRC/tests/vm/lib.bash"
. "$SRC/tests/vm/oci/lib.bash"
trap 'kill $(jobs -p) 2>/dev/null; oci_cleanup' EXIT
command -v script >/dev/null || fail "script(1) is missing (bsdutils)"
oci_setup

b=$TEST_TMP/bundle
oci_bundle "$b" '{"terminal": true, "user": {"uid": 0, "gid": 0},
 "args": ["/bin/sh", "-c", "while [ ! -e /go ]; do sleep 0.1; done; test -t 0 && test -t 1 && test -t 2 && echo GUEST-HAS-A-TTY; tty; exit 3"],
 "env": ["PATH=/bin", "TERM=xterm"], "cwd": "/"}'
cat >"$TEST_TMP/inner.sh" <<INNER
"$CRUN" --root "$TEST_TMP/crun-state" run -b "$b" tty
echo "status=\$?" >"$TEST_TMP/status"
INNER
script -qec "bash $TEST_TMP/inner.sh" "$TEST_TMP/typescript" </dev/null >/dev/null 2>&1 &
script_pid=$!
pid=$(oci_vmm_pid tty "$script_pid") || fail "the container did not start: $(cat "$TEST_TMP/typescript")"
vmm_tty=$(stat -L -c '%t %d' "/proc/$pid/fd/0") || fail "no stdin of the VMM $pid"
host_pts=$(stat -c %d /dev/pts) || fail "no /dev/pts"
echo "VMM stdin: $(readlink "/proc/$pid/fd/0") (major 0x${vmm_tty% *}, fs ${vmm_tty#* }); host /dev/pts: fs $host_pts"
[ "${vmm_tty% *}" = 88 ] || fail "the VMM's stdin is not a pseudo-terminal (major 136)"
[ "${vmm_tty#* }" != "$host_pts" ] ||
	fail "the VMM's stdin is a terminal of the host's /dev/pts (crun's own), not the container's"
touch "$b/rootfs/go"
wait "$script_pid"
cat "$TEST_TMP/typescript"
grep -q GUEST-HAS-A-TTY "$TEST_TMP/typescript" || fail "the workload had no terminal"
tr -d '\r' <"$TEST_TMP/typescript" | grep -qx '/dev/hvc0' || fail "the workload's terminal is not the guest's console"
grep -qx status=3 "$TEST_TMP/status" || fail "exit status: $(cat "$TEST_TMP/status" 2>/dev/null)"
echo "ok: process.terminal: crun's pseudo-terminal is the VMM's and the guest's console, status 3"
