#!/usr/bin/env bash
# TSI can be turned off: krun_disable_implicit_vsock leaves the guest with no
# way out (a TCP connect to a test host fails: there is no NIC);
# krun_add_vsock(KRUN_TSI_HIJACK_INET) turns it back on; KRUN_TSI_HIJACK_UNIX
# alone does not carry TCP; and root in the guest can switch later sockets back
# to plain TCP through /sys/module/vsock/parameters/tsi.
# timeout: 300
. "$SRC/tests/vm/lib.bash"
trap 'kill $(jobs -p) 2>/dev/null; tsi_net_down' EXIT
tsi_net_up
host_tcp_serve echo4 tcp:10.77.0.1:7001 echo 3

vm_run_ns --no-implicit-vsock -- /bin/sh -c 'vsock_tool connect tcp:10.77.0.1:7001; true' \
	>"$TEST_TMP/off.out" 2>&1 || fail "VM without vsock: $(cat "$TEST_TMP/off.out")"
grep -q '^connect: ' "$TEST_TMP/off.out" && ! grep -q '^connect ok' "$TEST_TMP/off.out" ||
	fail "TSI off, yet the guest connected: $(cat "$TEST_TMP/off.out")"

vm_run_ns --no-implicit-vsock --add-vsock 1 -- /bin/sh -c 'vsock_tool connect tcp:10.77.0.1:7001' \
	>"$TEST_TMP/on.out" 2>&1 || fail "krun_add_vsock(HIJACK_INET): $(cat "$TEST_TMP/on.out")"
grep -q '^connect ok' "$TEST_TMP/on.out" || fail "TSI back on: $(cat "$TEST_TMP/on.out")"

vm_run_ns --no-implicit-vsock --add-vsock 2 -- /bin/sh -c 'vsock_tool connect tcp:10.77.0.1:7001; true' \
	>"$TEST_TMP/unix.out" 2>&1 || fail "krun_add_vsock(HIJACK_UNIX): $(cat "$TEST_TMP/unix.out")"
grep -q '^connect: ' "$TEST_TMP/unix.out" && ! grep -q '^connect ok' "$TEST_TMP/unix.out" ||
	fail "HIJACK_UNIX alone carried TCP: $(cat "$TEST_TMP/unix.out")"

vm_run_ns -- /bin/sh -c '
	vsock_tool connect tcp:10.77.0.1:7001
	echo 0 >/sys/module/vsock/parameters/tsi
	vsock_tool connect tcp:10.77.0.1:7001
	true' >"$TEST_TMP/sysfs.out" 2>&1 || fail "sysfs switch: $(cat "$TEST_TMP/sysfs.out")"
cat "$TEST_TMP/sysfs.out"
[ "$(grep -c '^connect ok' "$TEST_TMP/sysfs.out")" = 1 ] &&
	grep -q '^connect: ' "$TEST_TMP/sysfs.out" || fail "sysfs switch did not take effect"
echo "ok: off without the implicit device, on with HIJACK_INET, not with UNIX alone, sysfs switch"
