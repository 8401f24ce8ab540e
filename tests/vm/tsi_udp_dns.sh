#!/usr/bin/env bash
# TSI, UDP and DNS: the guest's default resolver (glibc getaddrinfo through
# `getent`, resolv.conf with only a nameserver line, no "options use-vc") asks
# dnsmasq on the test network for A and AAAA records, over an IPv4 and then
# an IPv6 name server, with AI_ADDRCONFIG (getent ahostsv4/v6; init gives lo
# the addresses that flag looks for); one UDP socket talks to two host peers and gets each
# reply whole from the right address, with datagrams of 100 and 65507 bytes,
# over IPv4 and over IPv6.
# timeout: 600
. "$SRC/tests/vm/lib.bash"
trap 'kill $(jobs -p) 2>/dev/null; tsi_net_down' EXIT
PATH=$PATH:/usr/sbin:/sbin
command -v dnsmasq >/dev/null || { echo "SKIP: dnsmasq is missing (dnsmasq-base)"; exit 77; }
tsi_net_up

dnsmasq --keep-in-foreground --no-resolv --no-hosts --bind-interfaces --port=53 \
	--listen-address=10.77.0.1 --listen-address=fd77::1 --user=root --group=root \
	--host-record=web.tsi.test,10.77.0.1,fd77::1 --pid-file="$TEST_TMP/dnsmasq.pid" \
	--log-queries --log-facility="$TEST_TMP/dnsmasq.log" &
udp_echo() { # NAME ADDR COUNT
	"$VSOCK_TOOL" udpecho "$2" "$3" >"$TEST_TMP/$1.out" 2>&1 &
	for _ in $(seq 100); do
		grep -q LISTENING "$TEST_TMP/$1.out" 2>/dev/null && return 0
		sleep 0.1
	done
	fail "udp echo $1: $(cat "$TEST_TMP/$1.out")"
}
udp_echo e1 udp:10.77.0.1:7301 2
udp_echo e2 udp:10.77.0.1:7302 2
udp_echo e6 udp6:fd77::1:7303 2
udp_echo e7 udp6:fd77::1:7304 2
for _ in $(seq 100); do # dnsmasq answers once it logged its start
	grep -q 'dnsmasq.*started' "$TEST_TMP/dnsmasq.log" 2>/dev/null && break
	sleep 0.1
done
sleep 0.5

# A root with busybox, vsock_tool and glibc's getent (dynamic: the real resolver).
root=$TEST_TMP/root
make_root "$root"
cp "$VSOCK_TOOL" "$root/bin/"
mkdir -p "$root/usr/bin" "$root/lib64" "$root/lib/x86_64-linux-gnu"
cp /usr/bin/getent "$root/usr/bin/getent"
for lib in $(ldd /usr/bin/getent | grep -o '/[^ ]*'); do
	mkdir -p "$root$(dirname "$lib")"
	cp -L "$lib" "$root$lib"
done
printf 'hosts: files dns\n' >"$root/etc/nsswitch.conf"
: >"$root/etc/hosts"

run_guest() { # OUT RESOLVER SCRIPT
	printf 'nameserver %s\n' "$2" >"$root/etc/resolv.conf"
	ip netns exec "$TSI_NS" "$KRUN_RUN" --root "$root" -- /bin/sh -c "$3" >"$1" 2>&1 ||
		fail "the VM exited $?: $(cat "$1")"
	cat "$1"
}
run_guest "$TEST_TMP/v4.out" 10.77.0.1 '
	echo "A $(/usr/bin/getent ahostsv4 web.tsi.test | head -n 1)"
	echo "AAAA $(/usr/bin/getent ahostsv6 web.tsi.test | head -n 1)"
	vsock_tool udp udp:10.77.0.1:7301 udp:10.77.0.1:7302 100
	vsock_tool udp udp:10.77.0.1:7301 udp:10.77.0.1:7302 65507'
grep -q '^A 10.77.0.1 ' "$TEST_TMP/v4.out" || fail "no A record over UDP"
grep -q '^AAAA fd77::1 ' "$TEST_TMP/v4.out" || fail "no AAAA record over UDP"
grep -q '^udp ok: 2 peers, 100 bytes' "$TEST_TMP/v4.out" || fail "UDP to two peers"
grep -q '^udp ok: 2 peers, 65507 bytes' "$TEST_TMP/v4.out" || fail "64 KiB datagrams"
grep -q 'from 10.77.0.2 ' "$TEST_TMP/e1.out" || fail "the datagrams did not come from the VMM"

run_guest "$TEST_TMP/v6.out" fd77::1 '
	echo "v6 $(/usr/bin/getent hosts web.tsi.test)"
	vsock_tool udp udp6:fd77::1:7303 udp6:fd77::1:7304 100
	vsock_tool udp udp6:fd77::1:7303 udp6:fd77::1:7304 65507'
grep -q '^v6 fd77::1 *web.tsi.test' "$TEST_TMP/v6.out" || fail "the IPv6 name server"
grep -q '^udp ok: 2 peers, 100 bytes' "$TEST_TMP/v6.out" || fail "IPv6 UDP to two peers"
grep -q '^udp ok: 2 peers, 65507 bytes' "$TEST_TMP/v6.out" || fail "IPv6 64 KiB datagrams"
for e in e6 e7; do
	[ "$(grep -c '^UDP [0-9]* from fd77::2 ' "$TEST_TMP/$e.out")" = 2 ] ||
		fail "IPv6 datagrams to $e did not come from the VMM: $(cat "$TEST_TMP/$e.out")"
done
grep -q 'query\[A\] web.tsi.test from 10.77.0.2' "$TEST_TMP/dnsmasq.log" ||
	fail "dnsmasq saw no query from the VMM: $(cat "$TEST_TMP/dnsmasq.log")"
echo "ok: A and AAAA via the default resolver over UDP (v4 and v6 servers), two peers, 64 KiB, over IPv4 and IPv6"
