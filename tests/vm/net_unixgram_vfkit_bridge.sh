#!/usr/bin/env bash
# virtio-net on a unixgram proxy (krun_add_net_unixgram with a path and
# NET_FLAG_VFKIT): our net_gram_bridge plays gvproxy in vfkit mode, bridging
# the socket to tap ktap1 (10.79.0.1/24) in a network namespace. The VMM binds
# PATH-krun.sock, sends "VFKT" first (the bridge checks), then frames move
# one per datagram: the workload configures eth0 itself, pings the host end
# and fetches a file over TCP (sha256 compared).
# timeout: 600
. "$SRC/tests/vm/lib.bash"
trap 'kill $(jobs -p) 2>/dev/null; tap_net_down' EXIT
tap_net_up ktap1 10.79.0.1

sock=$TEST_TMP/gv.sock
ip netns exec "$TAP_NS" "$BUILD/tests/vm/net_gram_bridge" "$sock" ktap1 >"$TEST_TMP/bridge.out" 2>&1 &
for _ in $(seq 100); do grep -q LISTENING "$TEST_TMP/bridge.out" 2>/dev/null && break; sleep 0.1; done
grep -q LISTENING "$TEST_TMP/bridge.out" || fail "the bridge did not start: $(cat "$TEST_TMP/bridge.out")"

vm_run --mem 256 --net "gram:$sock" --net-flags 1 -- /bin/sh -c '
	ip addr add 10.79.0.2/24 dev eth0 && ip link set eth0 up
	ping -c 2 -W 5 10.79.0.1
	echo "wget $(wget -q -O - http://10.79.0.1:7080/blob | sha256sum)"
	true' >"$TEST_TMP/vm.out" 2>&1
rc=$?
cat "$TEST_TMP/vm.out" "$TEST_TMP/bridge.out"
[ $rc = 0 ] || fail "the VM exited $rc"
grep -q '^MAGIC ok' "$TEST_TMP/bridge.out" || fail "the bridge got no VFKT first"
[ -S "$sock-krun.sock" ] || fail "the VMM did not bind $sock-krun.sock"
grep -q ' 0% packet loss' "$TEST_TMP/vm.out" || fail "ICMP over the unixgram proxy"
grep -q "^wget $want_sha" "$TEST_TMP/vm.out" || fail "TCP over the unixgram proxy: sha256 differs"
echo "ok: VFKT first, PATH-krun.sock bound, ping and TCP one frame a datagram"
