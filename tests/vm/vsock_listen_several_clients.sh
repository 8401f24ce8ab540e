#!/usr/bin/env bash
# krun_add_vsock_port2 with listen: the VMM listens on a UNIX path and each host
# client arrives in the guest as a connection to the port. Six host
# connections (four clients at once, one with two streams, then one more)
# reach a guest echo server and get their bytes back. A listen path that
# exists already is refused with -EEXIST at the call.
# timeout: 300
. "$SRC/tests/vm/lib.bash"
trap 'kill $(jobs -p) 2>/dev/null' EXIT

sock=$TEST_TMP/listen.sock
vm_run --vsock-listen "6000:$sock" -- /bin/sh -c 'vsock_tool serve vsock:6000 echo 6' \
	>"$TEST_TMP/vm.out" 2>&1 &
vm_pid=$!
for i in $(seq 600); do
	grep -q LISTENING "$TEST_TMP/vm.out" && break
	kill -0 "$vm_pid" 2>/dev/null || fail "the VM ended early: $(cat "$TEST_TMP/vm.out")"
	sleep 0.2
done
grep -q LISTENING "$TEST_TMP/vm.out" || fail "the guest server did not start"
[ -S "$sock" ] || fail "no socket at $sock"
pids=()
for n in 1 2 3; do
	"$VSOCK_TOOL" echo "unix:$sock" 1 $((n * 100000)) >"$TEST_TMP/c$n.out" 2>&1 &
	pids+=($!)
done
"$VSOCK_TOOL" echo "unix:$sock" 2 65536 >"$TEST_TMP/c4.out" 2>&1 &
pids+=($!)
for p in "${pids[@]}"; do wait "$p" || fail "a host client failed: $(cat "$TEST_TMP"/c*.out)"; done
"$VSOCK_TOOL" echo "unix:$sock" 1 12345 >"$TEST_TMP/c5.out" 2>&1 || fail "the last client failed"
cat "$TEST_TMP"/c*.out
[ "$(cat "$TEST_TMP"/c*.out | grep -c '^echo ok')" = 5 ] || fail "not every client got its echo"
wait "$vm_pid" || fail "the guest server failed: $(cat "$TEST_TMP/vm.out")"

# The path exists now (the VMM never removes it): a second listener is refused.
"$KRUN_RUN" --vsock-listen "6000:$sock" -- /bin/true 2>"$TEST_TMP/eexist.err"
rc=$?
[ "$rc" = $((100 + 17)) ] || fail "listen on an existing path gave $rc: $(cat "$TEST_TMP/eexist.err")"
echo "ok: 6 host connections served by a guest listener; existing path -> EEXIST"
