#!/usr/bin/env bash
# TSI, inbound TCP: a guest listener is exposed on the VMM's host (a network
# namespace, 10.77.0.2) and works inside the guest too. Each workload ends
# right after its last echo: those bytes still arrive (docs/tsi.md, "The last
# bytes").
#   no port map: guest port 7090 on host port 7090; a guest-local client
#     (127.0.0.1) stays in the guest; the host client's real address
#     (10.77.0.1) is what the guest's accept() returns, and getsockname on
#     that socket names the listener; bind(0) + listen reports the port
#     bound, which the host reaches as well;
#   port map 7180:80: the host reaches guest port 80 on 7180;
#   empty port map: nothing exposed (refused), the guest listener still works.
# timeout: 600
. "$SRC/tests/vm/lib.bash"
trap 'kill $(jobs -p) 2>/dev/null; tsi_net_down' EXIT
tsi_net_up

# --- no port map ---
out=$TEST_TMP/a.out
vm_run_ns -- /bin/sh -c '
	vsock_tool serve tcp:0.0.0.0:7090 echo 2 & s=$!
	sleep 1
	vsock_tool echo tcp:127.0.0.1:7090 1 1000
	vsock_tool serve tcp:0.0.0.0:0 echo 1
	wait $s' >"$out" 2>&1 &
vm_pid=$!
wait_for "$out" "^echo ok"
"$VSOCK_TOOL" echo tcp:10.77.0.2:7090 1 50000 >"$TEST_TMP/h1.out" 2>&1 ||
	fail "host client to guest port 7090: $(cat "$TEST_TMP/h1.out")"
wait_for "$out" "LISTENING port=[1-9]"
port=$(sed -n 's/^LISTENING port=\([0-9]*\)$/\1/p' "$out" | grep -v '^7090$' | head -n 1)
[ -n "$port" ] || fail "bind(0) reported no port: $(cat "$out")"
"$VSOCK_TOOL" echo "tcp:10.77.0.2:$port" 1 1000 >"$TEST_TMP/h2.out" 2>&1 ||
	fail "host client to the bind(0) port $port: $(cat "$TEST_TMP/h2.out")"
wait "$vm_pid" || fail "the VM exited $?: $(cat "$out")"
cat "$out"
grep -q '^PEER 127.0.0.1 ' "$out" || fail "the guest-local client"
[ "$(grep -c '^PEER 10.77.0.1 ' "$out")" = 2 ] || fail "accept() did not name the host clients"
tr -d '\r' <"$out" | grep -q '^PEER 10.77.0.1 [0-9]* LOCAL 0.0.0.0 7090$' ||
	fail "getsockname on a host client's socket did not name the listener"
tr -d '\r' <"$out" | grep -q "^PEER 10.77.0.1 [0-9]* LOCAL 0.0.0.0 $port\$" ||
	fail "getsockname on the bind(0) listener's client"
echo "ok: no map: same port, guest-local client, peer address, bind(0) port $port"

# --- port map 7180:80 ---
out=$TEST_TMP/b.out
vm_run_ns --port-map 7180:80 -- /bin/vsock_tool serve tcp:0.0.0.0:80 echo 1 >"$out" 2>&1 &
vm_pid=$!
wait_for "$out" LISTENING
sleep 0.5
"$VSOCK_TOOL" echo tcp:10.77.0.2:7180 1 1000 >"$TEST_TMP/h3.out" 2>&1 ||
	fail "host port 7180 to guest port 80: $(cat "$TEST_TMP/h3.out")"
wait "$vm_pid" || fail "the VM exited $?: $(cat "$out")"
tr -d '\r' <"$out" | grep -q '^PEER 10.77.0.1 [0-9]* LOCAL 0.0.0.0 80$' ||
	fail "port map: no host client in the guest named on both ends"
echo "ok: port map 7180:80"

# --- empty port map ---
out=$TEST_TMP/c.out
vm_run_ns --empty-port-map -- /bin/sh -c '
	vsock_tool serve tcp:0.0.0.0:7090 echo 1 & s=$!
	sleep 1
	echo ready
	sleep 2
	vsock_tool echo tcp:127.0.0.1:7090 1 1000
	wait $s' >"$out" 2>&1 &
vm_pid=$!
wait_for "$out" "^ready"
"$VSOCK_TOOL" connect tcp:10.77.0.2:7090 >"$TEST_TMP/h4.out" 2>&1
grep -q 'ECONNREFUSED' "$TEST_TMP/h4.out" || fail "empty map exposed the port: $(cat "$TEST_TMP/h4.out")"
wait "$vm_pid" || fail "the VM exited $?: $(cat "$out")"
grep -q '^echo ok' "$out" || fail "empty map: the guest-local client failed"
echo "ok: empty map: refused on the host, works in the guest"
