#!/usr/bin/env bash
# virtio-net through passt (krun_add_net_unixstream + NET_FLAG_DHCP_CLIENT,
# COMPAT_NET_FEATURES = 19587: checksum, TSO4 and UFO offloads, done in the VMM):
# passt runs in a network namespace joined by a veth to the test hosts
# (10.77.0.1); the guest's init gets eth0's address, netmask, router, name
# server and MTU from passt's DHCP; over eth0 alone (no TSI with an interface) the
# guest fetches a file over TCP (busybox wget, sha256 compared), resolves a
# name at dnsmasq on the test network (the server passt announced, reached
# through passt's UDP), and pings the test host (ICMP echo through passt).
# Then, at MTU 1500, it sends the test host 8 MiB (checksums compared): TSO
# super-frames cut by the VMM into 1500-byte frames that passt takes.
# timeout: 600
. "$SRC/tests/vm/lib.bash"
trap 'kill $(jobs -p) 2>/dev/null; tsi_net_down' EXIT
PATH=$PATH:/usr/sbin:/sbin
# scripts/deps.sh installs both: missing, they are a broken setup, not a skip.
command -v passt >/dev/null || fail "passt is missing (scripts/deps.sh check)"
command -v dnsmasq >/dev/null || fail "dnsmasq is missing (dnsmasq-base, scripts/deps.sh check)"
tsi_net_up
# passt takes the namespace's default route as the guest's; ICMP goes out
# through ping sockets, which the group passt runs as must be allowed.
ip netns exec "$TSI_NS" ip route add default via 10.77.0.1 || fail "default route"
ip netns exec "$TSI_NS" sh -c 'echo "0 2147483647" >/proc/sys/net/ipv4/ping_group_range' ||
	fail "ping_group_range"

dnsmasq --keep-in-foreground --no-resolv --no-hosts --bind-interfaces --port=53 \
	--listen-address=10.77.0.1 --user=root --group=root \
	--host-record=web.net.test,10.77.0.1 --pid-file="$TEST_TMP/dnsmasq.pid" \
	--log-facility="$TEST_TMP/dnsmasq.log" &
mkdir -p "$TEST_TMP/www"
head -c 1048576 /dev/urandom >"$TEST_TMP/www/blob"
busybox httpd -f -p 10.77.0.1:7080 -h "$TEST_TMP/www" &
want_sha=$(sha256sum <"$TEST_TMP/www/blob" | cut -d' ' -f1)
up=8388608
want_sum=$("$VSOCK_TOOL" gen $up 5 | "$VSOCK_TOOL" sum | awk '{ print $4 }')
# The sink closes after the stream (see bench/bench_net.sh: this passt
# relays no reply to the guest after the guest's FIN).
host_tcp_serve sink tcp:10.77.0.1:7081 sink-close 1 $up

# passt as root keeps root (--runas 0:0) and makes no user namespace for its
# sandbox (--netns-only): the emulated machine runs the tests in a chroot,
# where neither a user namespace nor, for nobody, the other namespaces can be
# made.
sock_dir=$TEST_TMP/passt
mkdir -p "$sock_dir"
ip netns exec "$TSI_NS" passt -f -1 -s "$sock_dir/passt.sock" --no-map-gw -D 10.77.0.1 \
	--runas 0:0 --netns-only >"$TEST_TMP/passt.log" 2>&1 &
for _ in $(seq 100); do [ -S "$sock_dir/passt.sock" ] && break; sleep 0.1; done
[ -S "$sock_dir/passt.sock" ] || fail "passt did not start: $(cat "$TEST_TMP/passt.log")"

vm_run --mem 256 --net "stream:$sock_dir/passt.sock" --net-features 19587 -- /bin/sh -c '
	echo "features $(cut -c1-16 /sys/class/net/eth0/device/features)"
	echo "mtu $(cat /sys/class/net/eth0/mtu)"
	ip -4 addr show eth0; ip route; cat /etc/resolv.conf
	echo "wget $(wget -q -O - http://10.77.0.1:7080/blob | sha256sum)"
	nslookup web.net.test
	ping -c 2 -W 5 10.77.0.1
	ip link set eth0 mtu 1500
	vsock_tool send tcp:10.77.0.1:7081 '$up' 5
	true' >"$TEST_TMP/vm.out" 2>&1
rc=$?
cat "$TEST_TMP/vm.out"
[ $rc = 0 ] || fail "the VM exited $rc (passt: $(cat "$TEST_TMP/passt.log"))"
# CSUM, GUEST_CSUM, MAC, GUEST_TSO4 (7), GUEST_UFO (10), HOST_TSO4 (11),
# HOST_UFO (14), MRG_RXBUF (15) taken.
grep -q '^features 1100010100110011$' "$TEST_TMP/vm.out" || fail "offered features"
grep -q 'inet 10\.77\.0\.2/24' "$TEST_TMP/vm.out" || fail "eth0 has no DHCP address 10.77.0.2/24"
# passt offers its 65520-byte MTU in DHCP option 26; init applies it, and the
# TCP, DNS and ICMP below go through with it.
grep -q '^mtu 65520$' "$TEST_TMP/vm.out" || fail "eth0's MTU is not the 65520 passt offers"
grep -q '^default via 10\.77\.0\.1 dev eth0' "$TEST_TMP/vm.out" || fail "no default route via DHCP's router"
grep -q '^nameserver 10\.77\.0\.1' "$TEST_TMP/vm.out" || fail "no name server in /etc/resolv.conf"
grep -q "^wget $want_sha" "$TEST_TMP/vm.out" || fail "TCP: the file's sha256 differs"
grep -A3 'web\.net\.test' "$TEST_TMP/vm.out" | grep -q 'Address:* *10\.77\.0\.1$' ||
	fail "DNS: web.net.test not resolved"
grep -q ' 0% packet loss' "$TEST_TMP/vm.out" || fail "ICMP: no echo reply"
grep -q "^closed after $up bytes sum $want_sum" "$TEST_TMP/sink.out" ||
	fail "8 MiB at MTU 1500 through passt: the host got $(cat "$TEST_TMP/sink.out")"
echo "ok: DHCP address, route, DNS server and MTU; TCP wget sha256; DNS name; ICMP ping; 8 MiB of TSO at MTU 1500"
