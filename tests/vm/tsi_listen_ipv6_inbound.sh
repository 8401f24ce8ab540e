#!/usr/bin/env bash
# TSI, inbound TCP over IPv6: a guest listener on [::] is exposed on the VMM's
# host (a network namespace, fd77::2) and host clients reach it over IPv6,
# data checked both ways (vsock_tool echo: every byte sent comes back):
#   no port map: guest port 7091 on host port 7091, reached on the VMM's
#     loopback [::1] and from the test network's fd77::1; the guest's accept()
#     names each real peer (::1, fd77::1) and getsockname the listener (::);
#   port map 7191:81: the host's [::1]:7191 reaches guest port 81.
# timeout: 600
. "$SRC/tests/vm/lib.bash"
trap 'kill $(jobs -p) 2>/dev/null; tsi_net_down' EXIT
tsi_net_up

# host_listening PORT: until the VMM listens on PORT in the namespace (it
# opens its host listener after the guest's listen() returned).
host_listening() {
	local i
	for i in $(seq 300); do
		ip netns exec "$TSI_NS" ss -Htln "( sport = :$1 )" | grep -q . && return 0
		kill -0 "$vm_pid" 2>/dev/null || break
		sleep 0.1
	done
	fail "the VMM opened no host listener on port $1: $(ip netns exec "$TSI_NS" ss -tln)"
}

# vsock_tool takes ADDR:PORT with the port after the last colon: tcp6::::7091
# is [::]:7091, tcp6:::1:7091 is [::1]:7091.
# --- no port map ---
out=$TEST_TMP/a.out
vm_run_ns -- /bin/vsock_tool serve tcp6::::7091 echo 2 >"$out" 2>&1 &
vm_pid=$!
wait_for "$out" LISTENING
host_listening 7091
ip netns exec "$TSI_NS" "$VSOCK_TOOL" echo tcp6:::1:7091 1 50000 >"$TEST_TMP/h1.out" 2>&1 ||
	fail "host client on [::1]:7091: $(cat "$TEST_TMP/h1.out")"
"$VSOCK_TOOL" echo tcp6:fd77::2:7091 1 50000 >"$TEST_TMP/h2.out" 2>&1 ||
	fail "host client from fd77::1 to [fd77::2]:7091: $(cat "$TEST_TMP/h2.out")"
wait "$vm_pid" || fail "the VM exited $?: $(cat "$out")"
cat "$out" "$TEST_TMP/h1.out" "$TEST_TMP/h2.out"
tr -d '\r' <"$out" | grep -q '^PEER ::1 [0-9]* LOCAL :: 7091$' ||
	fail "accept()/getsockname for the [::1] client"
tr -d '\r' <"$out" | grep -q '^PEER fd77::1 [0-9]* LOCAL :: 7091$' ||
	fail "accept()/getsockname for the fd77::1 client"
echo "ok: no map: [::]:7091 reached on [::1] and [fd77::2], 50000 bytes each way, peers named"

# --- port map 7191:81 ---
out=$TEST_TMP/b.out
vm_run_ns --port-map 7191:81 -- /bin/vsock_tool serve tcp6::::81 echo 1 >"$out" 2>&1 &
vm_pid=$!
wait_for "$out" LISTENING
host_listening 7191
ip netns exec "$TSI_NS" "$VSOCK_TOOL" echo tcp6:::1:7191 1 50000 >"$TEST_TMP/h3.out" 2>&1 ||
	fail "host [::1]:7191 to guest port 81: $(cat "$TEST_TMP/h3.out")"
wait "$vm_pid" || fail "the VM exited $?: $(cat "$out")"
cat "$out" "$TEST_TMP/h3.out"
tr -d '\r' <"$out" | grep -q '^PEER ::1 [0-9]* LOCAL :: 81$' ||
	fail "port map: the [::1] client was not named in the guest"
echo "ok: port map 7191:81 over IPv6"
