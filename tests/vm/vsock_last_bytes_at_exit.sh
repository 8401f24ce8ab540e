#!/usr/bin/env bash
# The workload's last bytes reach the host although the VM ends right after:
# the guest program writes to a host sink and exits at once, without closing
# or waiting for the peer, and the VM ends with it. Init waits for the VMM to
# take its queued vsock packets before it reports the exit, and the VMM writes
# out what a host socket had not taken yet (src/vsock/mux_drain.c).
# 1. A plain vsock port whose host reader is stopped while the guest writes
#    400 KiB (more than the host socket takes: the rest waits in the VMM) and
#    exits; the reader resumes 1 s after the guest said it was done.
# 2. 4 MiB over TSI TCP to a reader that keeps up.
# timeout: 400
. "$SRC/tests/vm/lib.bash"
trap 'kill -CONT $(jobs -p) 2>/dev/null; kill $(jobs -p) 2>/dev/null; tsi_net_down' EXIT

# want BYTES: the sum of the stream the guest sends (seed 1), from the same
# tool on the host.
want() {
	host_serve "$TEST_TMP/ref$1.sock" sink 1
	"$VSOCK_TOOL" send "unix:$TEST_TMP/ref$1.sock" "$1" |
		sed -n 's/^sent [0-9]* sum \([0-9a-f]*\).*/\1/p'
}
# got FILE: "BYTES SUM" from a sink's output, once it printed it.
got() {
	for _ in $(seq 150); do grep -q '^recv' "$1" 2>/dev/null && break; sleep 0.1; done
	sed -n 's/^recv \([0-9]*\) sum \([0-9a-f]*\)$/\1 \2/p' "$1"
}

small=409600
want_small=$(want $small)
sock=$TEST_TMP/sink.sock
host_serve "$sock" sink 1
sink_pid=$!
kill -STOP "$sink_pid"
vm_run --vsock-port "5000:$sock" -- /bin/sh -c \
	"vsock_tool push vsock:5000 $small && echo PUSHED" >"$TEST_TMP/vm1.out" 2>&1 &
vm=$!
for _ in $(seq 600); do grep -q PUSHED "$TEST_TMP/vm1.out" && break; sleep 0.1; done
sleep 1
kill -CONT "$sink_pid"
wait "$vm" || fail "the vsock workload exited $?: $(cat "$TEST_TMP/vm1.out")"
r=$(got "$sock.out")
echo "vsock, stopped reader: the host got $r"
[ "$r" = "$small $want_small" ] || fail "vsock: the host got '$r', not $small bytes sum $want_small"

big=4194304
want_big=$(want $big)
tsi_net_up
host_tcp_serve tsisink tcp:10.77.0.1:7400 sink 1
vm_run_ns -- /bin/vsock_tool push tcp:10.77.0.1:7400 $big || fail "the TSI workload exited $?"
r=$(got "$TEST_TMP/tsisink.out")
echo "TSI: the host got $r"
[ "$r" = "$big $want_big" ] || fail "TSI: the host got '$r', not $big bytes sum $want_big"
echo "ok: bytes written right before exit arrived whole, over vsock (stopped reader) and TSI"
