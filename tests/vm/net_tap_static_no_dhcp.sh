#!/usr/bin/env bash
# virtio-net on a tap (krun_add_net_tap, no flags, NET_FEATURE_CSUM and
# GUEST_CSUM: the VMM completes the guest's partial checksums, which the host
# kernel checks on what the tap gives it): in a network namespace of
# its own the VMM opens tap device ktap0 (10.78.0.1/24 on the host side); our
# init leaves eth0 down and unaddressed without NET_FLAG_DHCP_CLIENT, the
# workload configures it itself (busybox ip), then pings the host end and
# fetches a file over TCP from it (sha256 compared).
# timeout: 600
. "$SRC/tests/vm/lib.bash"
trap 'kill $(jobs -p) 2>/dev/null; tap_net_down' EXIT
tap_net_up ktap0 10.78.0.1

[ -f "$TEST_TMP/initramfs.cpio" ] || make_initramfs "$TEST_TMP/initramfs.cpio"
ip netns exec "$TAP_NS" "$KRUN_RUN" --kernel "$KERNEL" --format 1 \
	--initramfs "$TEST_TMP/initramfs.cpio" --mem 256 --net tap:ktap0 --net-flags 0 --net-features 3 -- \
	/bin/sh -c '
	echo "csum features $(cut -c1-2 /sys/class/net/eth0/device/features)" # bits 0, 1
	echo "before: $(ip -4 addr show eth0 | grep -c inet) addresses"
	[ $(($(cat /sys/class/net/eth0/flags) & 1)) = 0 ] && echo "before: down" # IFF_UP
	ip addr add 10.78.0.2/24 dev eth0 && ip link set eth0 up
	ping -c 2 -W 5 10.78.0.1
	echo "wget $(wget -q -O - http://10.78.0.1:7080/blob | sha256sum)"
	true' >"$TEST_TMP/vm.out" 2>&1
rc=$?
cat "$TEST_TMP/vm.out"
[ $rc = 0 ] || fail "the VM exited $rc"
grep -q '^csum features 11$' "$TEST_TMP/vm.out" || fail "the driver did not take CSUM and GUEST_CSUM"
grep -q '^before: 0 addresses' "$TEST_TMP/vm.out" || fail "init configured eth0 without the DHCP flag"
grep -q '^before: down' "$TEST_TMP/vm.out" || fail "init brought eth0 up without the DHCP flag"
grep -q ' 0% packet loss' "$TEST_TMP/vm.out" || fail "ICMP over the tap"
grep -q "^wget $want_sha" "$TEST_TMP/vm.out" || fail "TCP over the tap: the file's sha256 differs"
echo "ok: eth0 left alone without DHCP; static address, ping and TCP over a tap"
