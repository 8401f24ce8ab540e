#!/usr/bin/env bash
# virtio-net on a tap (krun_add_net_tap, no flags, COMPAT_NET_FEATURES plus
# the TSO6 pair: the VMM completes the guest's partial checksums and cuts its
# TSO super-frames into MTU segments, which the host kernel checks on what the
# tap gives it): in a network namespace of its own the VMM opens tap device
# ktap0 (10.78.0.1/24 and fd78::1/64 on the host side); our init leaves eth0
# down and unaddressed without NET_FLAG_DHCP_CLIENT, the workload configures
# it itself (busybox ip), then pings the host end, fetches a file over TCP
# from it (sha256 compared) and sends it 8 MiB over IPv4 and over IPv6 at MTU
# 1500 (checksums compared). The guest counts a super-frame as one packet and
# the host each segment, so the host must see several times more packets than
# the guest sent: the offload was used, and the segments were good.
# timeout: 600
. "$SRC/tests/vm/lib.bash"
trap 'kill $(jobs -p) 2>/dev/null; tap_net_down' EXIT
tap_net_up ktap0 10.78.0.1
ip netns exec "$TAP_NS" ip -6 addr add fd78::1/64 dev ktap0 nodad || fail "IPv6 on the tap"
up=8388608
want_sum=$("$VSOCK_TOOL" gen $up 7 | "$VSOCK_TOOL" sum | awk '{ print $4 }')
ip netns exec "$TAP_NS" "$VSOCK_TOOL" serve tcp:10.78.0.1:7081 sink 1 >"$TEST_TMP/sink4.out" 2>&1 &
ip netns exec "$TAP_NS" "$VSOCK_TOOL" serve tcp6:fd78::1:7081 sink 1 >"$TEST_TMP/sink6.out" 2>&1 &
for i in $(seq 100); do
	[ "$(cat "$TEST_TMP"/sink?.out 2>/dev/null | grep -c LISTENING)" = 2 ] && break
	sleep 0.1
done

[ -f "$TEST_TMP/initramfs.cpio" ] || make_initramfs "$TEST_TMP/initramfs.cpio"
ip netns exec "$TAP_NS" "$KRUN_RUN" --kernel "$KERNEL" --format 1 \
	--initramfs "$TEST_TMP/initramfs.cpio" --mem 256 --net tap:ktap0 --net-flags 0 --net-features 23939 -- \
	/bin/sh -c '
	echo "features $(cut -c1-16 /sys/class/net/eth0/device/features)"
	echo "before: $(ip -4 addr show eth0 | grep -c inet) addresses"
	[ $(($(cat /sys/class/net/eth0/flags) & 1)) = 0 ] && echo "before: down" # IFF_UP
	ip addr add 10.78.0.2/24 dev eth0 && ip link set eth0 up
	ping -c 2 -W 5 10.78.0.1
	echo "wget $(wget -q -O - http://10.78.0.1:7080/blob | sha256sum)"
	echo 0 >/proc/sys/net/ipv6/conf/eth0/accept_dad
	ip -6 addr add fd78::2/64 dev eth0
	tx0=$(cat /sys/class/net/eth0/statistics/tx_packets)
	vsock_tool send tcp:10.78.0.1:7081 '$up' 7
	vsock_tool send tcp6:fd78::1:7081 '$up' 7
	echo "guest tx packets $(($(cat /sys/class/net/eth0/statistics/tx_packets) - tx0))"
	true' >"$TEST_TMP/vm.out" 2>&1
rc=$?
cat "$TEST_TMP/vm.out"
[ $rc = 0 ] || fail "the VM exited $rc"
# CSUM GUEST_CSUM MAC GUEST_TSO4/6 GUEST_UFO HOST_TSO4/6 HOST_UFO MRG_RXBUF
grep -q '^features 1100010110111011$' "$TEST_TMP/vm.out" ||
	fail "the driver did not take the checksum and segmentation offloads"
grep -q '^before: 0 addresses' "$TEST_TMP/vm.out" || fail "init configured eth0 without the DHCP flag"
grep -q '^before: down' "$TEST_TMP/vm.out" || fail "init brought eth0 up without the DHCP flag"
grep -q ' 0% packet loss' "$TEST_TMP/vm.out" || fail "ICMP over the tap"
grep -q "^wget $want_sha" "$TEST_TMP/vm.out" || fail "TCP over the tap: the file's sha256 differs"
for v in 4 6; do
	grep -q "^recv $up sum $want_sum" "$TEST_TMP/sink$v.out" ||
		fail "8 MiB over IPv$v: the host got $(cat "$TEST_TMP/sink$v.out")"
done
guest_tx=$(sed -n 's/^guest tx packets //p' "$TEST_TMP/vm.out")
host_rx=$(ip netns exec "$TAP_NS" cat /sys/class/net/ktap0/statistics/rx_packets)
echo "guest sent $guest_tx packets, the host got $host_rx frames"
[ -n "$guest_tx" ] && [ "$host_rx" -ge $((3 * guest_tx)) ] && [ "$host_rx" -ge 11000 ] ||
	fail "no sign of TSO: guest $guest_tx packets, host $host_rx frames"
echo "ok: eth0 left alone without DHCP; static address, ping, TCP both ways and 16 MiB of TSO over a tap"
