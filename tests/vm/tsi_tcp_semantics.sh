#!/usr/bin/env bash
# TSI, what programs rely on: TCP_NODELAY and SO_RCVBUF set and read back,
# SO_TYPE, getpeername/getsockname after connect, FIONREAD, half-close, bind(0)
# on a guest listener, accept4 on a non-blocking listener returning at once,
# a guest-local client named the same on both ends (vsock_tool tcpsem); and a
# host reader stopped (SIGSTOP) for 6 s mid-transfer: the guest's writer,
# paused after its first MiB so that the stop lands mid-stream, writes on
# after the stop until the buffers on the way are full, then stops advancing
# short of the end (throttled by credit, not buffered without bound in the
# VMM) while the reader's socket holds unread bytes; once the reader resumes
# every byte arrives (checksums equal).
# timeout: 600
. "$SRC/tests/vm/lib.bash"
trap 'kill -CONT $(jobs -p) 2>/dev/null; kill $(jobs -p) 2>/dev/null; tsi_net_down' EXIT
tsi_net_up

# 64 MiB: more than the buffers between the two ends hold.
total=67108864
host_tcp_serve echo tcp:10.77.0.1:7501 echo 1
host_tcp_serve sink tcp:10.77.0.1:7502 sink 1
sink_pid=$(jobs -p | tail -n 1)
out=$TEST_TMP/vm.out
vm_run_ns -- /bin/sh -c "
	vsock_tool tcpsem tcp:10.77.0.1:7501
	vsock_tool send tcp:10.77.0.1:7502 $total 1 1048576 2" >"$out" 2>&1 &
vm_pid=$!
# The guest writer's last report, in bytes written.
written() { sed -n 's/^progress \([0-9]*\).*/\1/p' "$out" | tail -n 1; }
# Bytes queued unread on the host reader's socket.
unread() { ss -Htn state established '( sport = :7502 )' | awk '{ print $1; exit }'; }

# Stop the host reader while the writer pauses after its first MiB.
wait_for "$out" '^progress '
kill -STOP "$sink_pid"
w0=$(written)
sleep 4 # the writer's pause ends, it fills the buffers on the way, then must block
w1=$(written)
q1=$(unread)
sleep 2
w2=$(written)
ended=$(grep -c '^sent ' "$out")
kill -CONT "$sink_pid"
echo "reader stopped at $w0 bytes written; then written $w1, 2 s later $w2; unread on the host socket: ${q1:-none}"
[ "$ended" = 0 ] && [ "$w2" -lt "$total" ] ||
	fail "the guest wrote all $total bytes while the host reader was stopped: not throttled"
[ "$w1" -gt "$w0" ] || fail "the guest writer did not write on after the reader stopped ($w0 -> $w1)"
[ "$w1" = "$w2" ] || fail "the guest writer kept advancing ($w1 -> $w2) while the host reader was stopped"
[ -n "$q1" ] && [ "$q1" -gt 0 ] || fail "the stopped reader's socket held no unread bytes ('$q1'): not stalled mid-transfer"

wait "$vm_pid" || fail "the VM exited $?: $(cat "$out")"
grep -v '^progress' "$out"
cat "$TEST_TMP/sink.out"
grep -q '^tcpsem ok' "$out" || fail "TCP semantics"
sent=$(sed -n "s/^sent $total sum \([0-9a-f]*\).*/\1/p" "$out")
got=$(sed -n "s/^recv $total sum \([0-9a-f]*\).*/\1/p" "$TEST_TMP/sink.out")
[ -n "$sent" ] && [ "$sent" = "$got" ] || fail "stalled reader: guest sent '$sent', host got '$got'"
echo "ok: socket semantics; a host reader stopped 6 s mid-transfer blocked the guest writer at $w2 of $total bytes, then all arrived, checksums equal"
