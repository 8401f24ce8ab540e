#!/usr/bin/env bash
# The guest closing mid-stream: (1) the guest reads 1 MiB of a 1 GiB host
# stream and closes; the host writer's next writes fail (EPIPE/ECONNRESET)
# while the VM still runs, i.e. the device closed the host socket then, not at
# VM exit; (2) the guest sends 1 MiB and closes at once: the host gets every
# byte (the close waits for the data, §5.10.6.6).
# timeout: 300
. "$SRC/tests/vm/lib.bash"
trap 'kill $(jobs -p) 2>/dev/null' EXIT

host_serve "$TEST_TMP/src.sock" source 1 $((1 << 30))
src_pid=$!
host_serve "$TEST_TMP/sink.sock" sink 1
# The guest then waits for the test's go-ahead on port 5003 (a server that
# appears only once the host writer saw the close).
vm_run --vsock-port "5001:$TEST_TMP/src.sock" --vsock-port "5002:$TEST_TMP/sink.sock" \
	--vsock-port "5003:$TEST_TMP/go.sock" -- /bin/sh -c \
	'vsock_tool recv vsock:5001 1048576; vsock_tool send vsock:5002 1048576
	 i=0; until vsock_tool recv vsock:5003 >/dev/null 2>&1; do
		i=$((i + 1)); [ $i -gt 600 ] && { echo "no go-ahead"; exit 9; }; sleep 0.2; done
	 echo guest-done' >"$TEST_TMP/vm.out" 2>&1 &
vm_pid=$!
for i in $(seq 600); do
	kill -0 "$src_pid" 2>/dev/null || break
	sleep 0.2
done
kill -0 "$src_pid" 2>/dev/null && fail "the host writer never saw the guest's close: $(cat "$TEST_TMP/vm.out")"
kill -0 "$vm_pid" 2>/dev/null || fail "the VM ended before the host writer saw the close: $(cat "$TEST_TMP/vm.out")"
cat "$TEST_TMP/src.sock.out"
grep -qE '^source: (EPIPE|ECONNRESET) after [0-9]+ bytes' "$TEST_TMP/src.sock.out" ||
	fail "the host writer did not fail with EPIPE/ECONNRESET"
host_serve "$TEST_TMP/go.sock" source 1 1
wait "$vm_pid"
rc=$?
cat "$TEST_TMP/vm.out"
[ "$rc" = 0 ] && grep -q guest-done "$TEST_TMP/vm.out" || fail "the guest failed ($rc)"
got=$(sed -n 's/^recv \([0-9]*\) sum.*/\1/p' "$TEST_TMP/vm.out")
[ "$got" = 1048576 ] || fail "the guest read $got bytes, not 1 MiB"
sent=$(sed -n 's/^sent \([0-9]* sum [0-9a-f]*\).*/\1/p' "$TEST_TMP/vm.out")
recv=$(sed -n 's/^recv \([0-9]* sum [0-9a-f]*\).*/\1/p' "$TEST_TMP/sink.sock.out")
[ "$sent" = "$recv" ] || fail "guest sent '$sent' then closed, host got '$recv'"
echo "ok: a guest close reaches the host writer while the VM runs; data before a close arrives"
