#!/usr/bin/env bash
# TSI for AF_UNIX: a guest connect to a host path the caller allow-listed
# (krun_allow_tsi_unix_path) reaches the host UNIX socket there; a host socket
# that is not on the list is not reached (the guest gets ENOENT, as for any
# missing path); UNIX sockets between guest programs keep working; without
# the list nothing leaves the guest.
# timeout: 300
. "$SRC/tests/vm/lib.bash"
trap 'kill $(jobs -p) 2>/dev/null' EXIT

ok=$TEST_TMP/allowed.sock other=$TEST_TMP/other.sock
host_serve "$ok" echo 1
host_serve "$other" echo 1
other_pid=$! # it would end after one client
vm_run --tsi-unix "$ok" -- /bin/sh -c "
	vsock_tool echo unix:$ok 1 100000
	vsock_tool connect unix:$other
	vsock_tool serve unix:/tmp/guest.sock echo 1 >/dev/null & sleep 1
	vsock_tool echo unix:/tmp/guest.sock 1 1000
	wait; true" >"$TEST_TMP/vm.out" 2>&1 || fail "the VM exited $?: $(cat "$TEST_TMP/vm.out")"
cat "$TEST_TMP/vm.out"
[ "$(grep -c '^echo ok' "$TEST_TMP/vm.out")" = 2 ] || fail "allowed path or guest-local socket"
grep -q '^connect: ENOENT' "$TEST_TMP/vm.out" || fail "a path not on the list"
kill -0 "$other_pid" 2>/dev/null || fail "the host socket off the list was reached"

vm_run -- /bin/sh -c "vsock_tool connect unix:$ok; true" >"$TEST_TMP/off.out" 2>&1
grep -q '^connect: ENOENT' "$TEST_TMP/off.out" || fail "without a list: $(cat "$TEST_TMP/off.out")"
echo "ok: allow-listed path reached, others not, guest-local UNIX sockets unaffected"
