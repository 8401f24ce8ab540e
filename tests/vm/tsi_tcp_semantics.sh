#!/usr/bin/env bash
# TSI, what programs rely on: TCP_NODELAY and SO_RCVBUF set and read back,
# SO_TYPE, getpeername/getsockname after connect, FIONREAD, half-close, bind(0)
# on a guest listener, accept4 on a non-blocking listener returning at once,
# a guest-local client named the same on both ends (vsock_tool tcpsem); and a
# host reader that stalls for seconds mid-transfer loses no byte (the guest is
# throttled by credit, the checksums match).
# timeout: 600
. "$SRC/tests/vm/lib.bash"
trap 'kill -CONT $(jobs -p) 2>/dev/null; kill $(jobs -p) 2>/dev/null; tsi_net_down' EXIT
tsi_net_up

host_tcp_serve echo tcp:10.77.0.1:7501 echo 1
host_tcp_serve sink tcp:10.77.0.1:7502 sink 1
sink_pid=$(jobs -p | tail -n 1)
out=$TEST_TMP/vm.out
vm_run_ns -- /bin/sh -c '
	vsock_tool tcpsem tcp:10.77.0.1:7501
	vsock_tool send tcp:10.77.0.1:7502 67108864' >"$out" 2>&1 &
vm_pid=$!
# Stall the host reader once bytes flow, for 4 s.
for _ in $(seq 300); do
	grep -q '^tcpsem' "$out" 2>/dev/null && break
	sleep 0.2
done
sleep 1
kill -STOP "$sink_pid"
sleep 4
kill -CONT "$sink_pid"
wait "$vm_pid" || fail "the VM exited $?: $(cat "$out")"
cat "$out" "$TEST_TMP/sink.out"
grep -q '^tcpsem ok' "$out" || fail "TCP semantics"
sent=$(sed -n 's/^sent 67108864 sum \([0-9a-f]*\).*/\1/p' "$out")
got=$(sed -n 's/^recv 67108864 sum \([0-9a-f]*\).*/\1/p' "$TEST_TMP/sink.out")
[ -n "$sent" ] && [ "$sent" = "$got" ] || fail "stalled reader: guest sent '$sent', host got '$got'"
echo "ok: socket semantics; 64 MiB through a host reader stalled for 4 s, checksums equal"
