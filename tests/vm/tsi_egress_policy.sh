#!/usr/bin/env bash
# TSI policy (krun_set_tsi_policy, krun_set_tsi_limit; docs/tsi.md "Policy"),
# end to end. The VMM's network namespace has listeners on its 127.0.0.1 only
# (7401), its ::1 only (7402) and 0.0.0.0 (7404, reached as 10.77.0.2, its own
# address); the test network has 10.77.0.1 and fd77::1 (7403) and a metadata
# server on 169.254.169.254 (7405), routed from the namespace.
#   no policy: 0.0.0.0, ::, ::ffff:0:0 reach those loopback-only listeners
#     (the host's kernel connects them to loopback), 169.254.169.254 answers,
#     a UDP datagram to 0.0.0.0 reaches a 127.0.0.1 socket;
#   deny-host: each of those (and ::ffff:127.0.0.1, 127.0.0.1, the host's own
#     10.77.0.2) fails with EPERM, the UDP datagram is dropped while one to
#     10.77.0.1 arrives; the test network and 169.254.169.254 still answer;
#   deny-link-local: 169.254.169.254 fails with EPERM, loopback does not;
#   allow-list-only + listen-loopback + connections=3: only the listed
#     address and port (IPv4 and IPv6) connect; a fourth connection at once
#     fails with ENOBUFS; a guest listener on 0.0.0.0 is reached from the
#     VMM's own 127.0.0.1 but refused from the test network.
# timeout: 600
. "$SRC/tests/vm/lib.bash"
trap 'kill $(jobs -p) 2>/dev/null; tsi_net_down' EXIT
tsi_net_up
ip addr add 169.254.169.254/32 dev "tsih$$" &&
	ip netns exec "$TSI_NS" ip route add 169.254.169.254/32 dev "tsig$$" ||
	fail "cannot add 169.254.169.254 to the test network"

# bg WHERE NAME ARGS...: vsock_tool ARGS in the background, in the VMM's
# namespace (WHERE ns) or on the test network (host), output in
# $TEST_TMP/NAME.out; returns once it listens.
bg() {
	local where=$1 name=$2 i
	shift 2
	if [ "$where" = ns ]; then
		ip netns exec "$TSI_NS" "$VSOCK_TOOL" "$@" >"$TEST_TMP/$name.out" 2>&1 &
	else
		"$VSOCK_TOOL" "$@" >"$TEST_TMP/$name.out" 2>&1 &
	fi
	for i in $(seq 100); do
		grep -q LISTENING "$TEST_TMP/$name.out" 2>/dev/null && return 0
		sleep 0.1
	done
	fail "the server $name did not start: $(cat "$TEST_TMP/$name.out")"
}
bg ns lo4 serve tcp:127.0.0.1:7401 echo 1000
bg ns lo6 serve tcp6:::1:7402 echo 1000
bg ns own serve tcp:0.0.0.0:7404 echo 1000
bg ns udplo udpecho udp:127.0.0.1:7407 1000
bg host peer serve tcp:10.77.0.1:7403 echo 1000
bg host peer6 serve tcp6:fd77::1:7403 echo 1000
bg host meta serve tcp:169.254.169.254:7405 echo 1000
bg host udppeer udpecho udp:10.77.0.1:7408 1000

# In the guest: c NAME ADDR prints "NAME connect ok" or "NAME connect: ERROR".
GUEST_C='c() { echo "$1 $(vsock_tool connect "$2" 2>&1)"; }'
# expect FILE NAME WHAT: the guest's line for NAME says WHAT.
expect() {
	grep -q "^$2 connect$3\$" "$1" || fail "$2: want 'connect$3': $(grep "^$2 " "$1")"
}
OK=' ok'
EPERM=': Operation not permitted'
udp_seen() { grep -c '^UDP ' "$TEST_TMP/$1.out"; }

# --- no policy: upstream's reachability ---
out=$TEST_TMP/a.out
vm_run_ns -- /bin/sh -c "$GUEST_C"'
	c zero4 tcp:0.0.0.0:7401
	c any6 tcp6::::7402
	c mapped0 tcp6:::ffff:0:0:7401
	c own tcp:10.77.0.2:7404
	c meta tcp:169.254.169.254:7405
	vsock_tool udpblast udp:0.0.0.0:7407 3 16' >"$out" 2>&1 || fail "the VM exited $?: $(cat "$out")"
cat "$out"
for n in zero4 any6 mapped0 own meta; do expect "$out" $n "$OK"; done
sleep 0.5
[ "$(udp_seen udplo)" = 3 ] || fail "no policy: UDP to 0.0.0.0 did not reach 127.0.0.1: $(cat "$TEST_TMP/udplo.out")"
echo "ok: no policy: 0.0.0.0, ::, ::ffff:0:0 reach loopback-only listeners; 169.254.169.254 answers"

# --- deny-host ---
out=$TEST_TMP/b.out
vm_run_ns --tsi-policy deny-host -- /bin/sh -c "$GUEST_C"'
	c zero4 tcp:0.0.0.0:7401
	c any6 tcp6::::7402
	c mapped0 tcp6:::ffff:0:0:7401
	c mappedlo tcp6:::ffff:127.0.0.1:7401
	c lo4 tcp:127.0.0.1:7401
	c lo6 tcp6:::1:7402
	c own tcp:10.77.0.2:7404
	c peer tcp:10.77.0.1:7403
	c peer6 tcp6:fd77::1:7403
	c meta tcp:169.254.169.254:7405
	vsock_tool udpblast udp:0.0.0.0:7407 3 16
	vsock_tool udpblast udp:10.77.0.1:7408 2 16' >"$out" 2>&1 || fail "the VM exited $?: $(cat "$out")"
cat "$out"
for n in zero4 any6 mapped0 mappedlo lo4 lo6 own; do expect "$out" $n "$EPERM"; done
for n in peer peer6 meta; do expect "$out" $n "$OK"; done
sleep 0.5
[ "$(udp_seen udplo)" = 3 ] || fail "deny-host: a datagram to 0.0.0.0 got through: $(cat "$TEST_TMP/udplo.out")"
[ "$(udp_seen udppeer)" = 2 ] || fail "deny-host: datagrams to 10.77.0.1 were lost: $(cat "$TEST_TMP/udppeer.out")"
echo "ok: deny-host: 0.0.0.0, ::, ::ffff:0:0, loopback and 10.77.0.2 refused (EPERM), UDP dropped"

# --- deny-link-local ---
out=$TEST_TMP/c.out
vm_run_ns --tsi-policy deny-link-local -- /bin/sh -c "$GUEST_C"'
	c meta tcp:169.254.169.254:7405
	c zero4 tcp:0.0.0.0:7401' >"$out" 2>&1 || fail "the VM exited $?: $(cat "$out")"
cat "$out"
expect "$out" meta "$EPERM"
expect "$out" zero4 "$OK"
echo "ok: deny-link-local: 169.254.169.254 refused (EPERM)"

# --- allow-list-only, listen-loopback, a cap ---
out=$TEST_TMP/d.out
vm_run_ns --tsi-policy allow-list-only,listen-loopback --tsi-allow 10.77.0.1:7403 \
	--tsi-allow '[fd77::1]:7403' --tsi-limit connections=3 -- /bin/sh -c "$GUEST_C"'
	c peer tcp:10.77.0.1:7403
	c peer6 tcp6:fd77::1:7403
	c otherport tcp:10.77.0.1:7409
	c meta tcp:169.254.169.254:7405
	c zero4 tcp:0.0.0.0:7401
	vsock_tool serve tcp:0.0.0.0:7406 echo 1
	sleep 3 # until the streams above have ended in the VMM too
	vsock_tool echo tcp:10.77.0.1:7403 4 100' >"$out" 2>&1 &
vm_pid=$!
wait_for "$out" LISTENING
for _ in $(seq 300); do
	ip netns exec "$TSI_NS" ss -Htln "( sport = :7406 )" | grep -q . && break
	sleep 0.1
done
listening=$(ip netns exec "$TSI_NS" ss -Htln "( sport = :7406 )")
"$VSOCK_TOOL" connect tcp:10.77.0.2:7406 >"$TEST_TMP/d-outside.out" 2>&1
ip netns exec "$TSI_NS" "$VSOCK_TOOL" echo tcp:127.0.0.1:7406 1 1000 >"$TEST_TMP/d-inside.out" 2>&1 ||
	fail "listen-loopback: the VMM's 127.0.0.1 did not reach the guest: $(cat "$TEST_TMP/d-inside.out")"
wait "$vm_pid"
cat "$out"
echo "host listener: $listening"
expect "$out" peer "$OK"
expect "$out" peer6 "$OK"
for n in otherport meta zero4; do expect "$out" $n "$EPERM"; done
grep -q '^connect 3: No buffer space available' "$out" || fail "connections=3: no ENOBUFS for the fourth"
grep -q 'ECONNREFUSED' "$TEST_TMP/d-outside.out" ||
	fail "listen-loopback: the test network reached the guest listener: $(cat "$TEST_TMP/d-outside.out")"
echo "$listening" | grep -q '127.0.0.1:7406' || fail "listen-loopback: host listener '$listening'"
echo "ok: allow-list-only (address and port), listen-loopback, connections=3 gives ENOBUFS"
