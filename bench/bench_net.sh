#!/usr/bin/env bash
# virtio-net through passt against QEMU's virtio-net on the same passt, with
# TSI beside them, one after the other in the same run, same kernel, 1 vCPU
# and 512 MiB each. Measured by the same static program
# (tests/vm/guest/vsock_tool.c) in each guest, on its clock: a guest->host and
# a host->guest TCP stream of MIB MiB (default 256; the host counts the bytes
# it got, the guest checks the sum of those it got) and CONNS guest->host
# connections (connect, 1-byte echo, close; default 500, by CONC processes at
# once, default 1), at MTU MTU in both passt guests (default 65520, passt's).
#   libkrun-c virtio-net: krun_run --net stream:SOCK (COMPAT_NET_FEATURES:
#     checksum and TSO4 offloads, done by the VMM: a stream carries no
#     virtio-net header), our init takes passt's DHCP lease, then the MTU is set;
#   QEMU: -M microvm, virtio-net-device on `-netdev stream` to a second passt
#     started the same way (QEMU offers no offload there: a stream backend has
#     no virtio-net header), its /init sets passt's address statically;
#   libkrun-c TSI: no net device, the guest's sockets are the host's.
# passt runs in a network namespace of its own (root needed) joined by a veth
# to this one, as in tests/vm/net_passt_dhcp_tcp_ping.sh: its guest is
# 10.77.0.2 and reaches the host servers at 10.77.0.1, the veth's host end;
# the TSI guest connects to the same address. With the default MTU both passt
# guests run at 65520: ours from passt's DHCP (option 26), the peer's set by
# its init to the same; MTU=1500 is what a guest gets from a proxy without
# DHCP's option 26, and where TSO counts.
# Printed side by side with the ratios to QEMU.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
B=$PWD/build MIB=${MIB:-256} CONNS=${CONNS:-500} CONC=${CONC:-1} LIMIT=${LIMIT:-900}
MTU=${MTU:-65520}
bytes=$((MIB << 20))
H=10.77.0.1 ns=kbnet-$$ veth=bneth$$
PATH=$PATH:/usr/sbin:/sbin
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; ip netns del "$ns" 2>/dev/null; ip link del "$veth" 2>/dev/null; rm -rf "$tmp"' EXIT
T=$B/tests/vm/guest/vsock_tool
[ -x "$T" ] || { echo "bench_net: build vm-test-progs first"; exit 1; }
command -v passt >/dev/null || { echo "bench_net: passt is missing (scripts/deps.sh check)"; exit 1; }
[ "$(id -u)" = 0 ] || { echo "bench_net: passt's network namespace needs root"; exit 1; }

. bench/lib.sh

ip netns add "$ns" && ip link add "$veth" type veth peer name bnetg$$ &&
	ip link set bnetg$$ netns "$ns" && ip addr add $H/24 dev "$veth" && ip link set "$veth" up &&
	ip netns exec "$ns" sh -c "ip addr add 10.77.0.2/24 dev bnetg$$ && ip link set bnetg$$ up &&
		ip link set lo up && ip route add default via $H" ||
	{ echo "bench_net: cannot make the namespace and veth for passt"; exit 1; }

# passt_up NAME: a one-client passt in the namespace on $tmp/NAME.sock (as root
# it keeps root and makes no user namespace: the emulated machine's chroot
# allows none); the gateway address is the host's, not passt's loopback.
passt_up() {
	ip netns exec "$ns" passt -f -1 -s "$tmp/$1.sock" --no-map-gw --runas 0:0 --netns-only \
		>"$tmp/$1.passt" 2>&1 &
	for _ in $(seq 100); do [ -S "$tmp/$1.sock" ] && return 0; sleep 0.1; done
	echo "bench_net: passt did not start: $(cat "$tmp/$1.passt")"
	return 1
}
# servers NAME: the host's servers for one run, their output in $tmp/NAME/.
# The sink closes after the stream instead of answering the guest's
# half-close: this passt (Debian's 2023-03-09) relays nothing to the guest
# after the guest's FIN, so a reply (or the host's close) would never arrive.
servers() {
	local tmp=$tmp/$1
	mkdir -p "$tmp"
	serve tcp:$H:5001 sink-close 1 "$bytes" && serve tcp:$H:5002 source 1 "$bytes" &&
		serve tcp:$H:5003 echo "$CONNS"
}
workload="vsock_tool send tcp:$H:5001 $bytes; vsock_tool recv tcp:$H:5002;"
workload+=" vsock_tool conns tcp:$H:5003 $CONNS $CONC"

mkroot() { # DIR: busybox (applets as links) and vsock_tool
	mkdir -p "$1/bin" "$1/dev" "$1/proc"
	cp /bin/busybox "$1/bin/busybox"
	for a in sh ip mount; do ln -s busybox "$1/bin/$a"; done
	cp "$T" "$1/bin/vsock_tool"
}
mkroot "$tmp/ours"
(cd "$tmp/ours" && find . | cpio -o -H newc --quiet) >"$tmp/ours.cpio"

# ours NAME [krun_run options]: our VMM on the workload, output in $tmp/NAME.out.
ours() {
	local name=$1
	shift
	timeout "$LIMIT" "$B/tests/vm/krun_run" --kernel "$B/kernel/vmlinux" --format 1 \
		--initramfs "$tmp/ours.cpio" --mem 512 "$@" \
		-- /bin/sh -c "$workload" >"$tmp/$name.out" 2>&1 </dev/null
	echo "exit $?" >>"$tmp/$name.out"
	kill $(jobs -p) 2>/dev/null
	wait 2>/dev/null
}

# 1. Ours, virtio-net to passt (19587: COMPAT_NET_FEATURES).
passt_up net && servers net || exit 1
workload_tsi=$workload
workload="ip link set eth0 mtu $MTU; $workload"
ours net --net "stream:$tmp/net.sock" --net-features 19587

# 2. QEMU: its /init sets up eth0 as passt's DHCP would, runs the same
# commands, then reboots (-no-reboot ends QEMU).
mkroot "$tmp/peer"
printf '#!/bin/sh\nexport PATH=/bin\nmount -t devtmpfs dev /dev\nmount -t proc proc /proc\n%s\n%s\n/bin/busybox reboot -f\n' \
	"ip link set lo up; ip link set eth0 mtu $MTU up; ip addr add 10.77.0.2/24 dev eth0; ip route add default via $H" \
	"$workload" >"$tmp/peer/init"
chmod +x "$tmp/peer/init"
(cd "$tmp/peer" && find . | cpio -o -H newc --quiet) >"$tmp/peer.cpio"
passt_up peer && servers peer || exit 1
timeout "$LIMIT" qemu-system-x86_64 -M microvm,acpi=off -accel kvm -cpu host -m 512 \
	-smp 1 -nodefaults -no-reboot -display none -serial "file:$tmp/peer.out" \
	-global virtio-mmio.force-legacy=false \
	-netdev stream,id=n0,server=off,addr.type=unix,addr.path="$tmp/peer.sock" \
	-device virtio-net-device,netdev=n0 \
	-kernel "$B/kernel/vmlinux" -initrd "$tmp/peer.cpio" \
	-append "console=ttyS0 quiet panic=-1 reboot=t" </dev/null >"$tmp/qemu.log" 2>&1
echo "exit $?" >>"$tmp/qemu.log"
kill $(jobs -p) 2>/dev/null
wait 2>/dev/null

# 3. Ours, TSI: no net device.
servers tsi || exit 1
workload=$workload_tsi
ours tsi

# figures NAME: "g2h_MBps h2g_MBps conns_per_s"; "-" for a figure whose
# command did not finish or whose bytes differ (guest->host: counted by the
# host's sink) or whose checksum differs (host->guest: the host source's).
figures() {
	{ cat "$tmp/$1"/serve.* 2>/dev/null; tr -d '\r' <"$tmp/$1.out"; } |
		awk -v mib="$MIB" -v n="$CONNS" -v b="$bytes" '
		/^closed after [0-9]+ bytes/ { if ($3 == b) got = 1 }
		$1 == "sent" && $2 == b && $5 != "in" { want = $4 }
		/^sent [0-9]+ sum .* in / { if ($2 == b && got) g2h = mib * 1.048576 / $6 }
		/^recv [0-9]+ sum .* in / { if ($2 == b && $4 == want) h2g = mib * 1.048576 / $6 }
		/^conns [0-9]+ in / { cps = n / $4 }
		END { printf "%s %s %s\n", g2h ? g2h : "-", h2g ? h2g : "-", cps ? cps : "-" }'
}
read -r ng nh nc <<<"$(figures net)"
read -r pg ph pc <<<"$(figures peer)"
read -r tg th tc <<<"$(figures tsi)"
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a + 0 > 0 && b + 0 > 0) printf "%.2f", a / b; else printf "-" }'; }
num() { awk -v a="$1" -v f="$2" 'BEGIN { if (a + 0 > 0) printf f, a; else printf "-" }'; }
echo "TCP via passt (MTU $MTU) and TSI, $MIB MiB each way, $CONNS connections ($CONC at once), guest clock:"
printf '  %-30s %12s %12s %10s\n' "" "g->h MB/s" "h->g MB/s" "conns/s"
row() { printf '  %-30s %12s %12s %10s\n' "$1" "$(num "$2" %.1f)" "$(num "$3" %.1f)" "$(num "$4" %.0f)"; }
row "libkrun-c virtio-net (passt)" "$ng" "$nh" "$nc"
row "QEMU virtio-net (passt)" "$pg" "$ph" "$pc"
row "libkrun-c TSI" "$tg" "$th" "$tc"
printf '  %-30s %12s %12s %10s\n' "ratio virtio-net / QEMU" "$(ratio "$ng" "$pg")" \
	"$(ratio "$nh" "$ph")" "$(ratio "$nc" "$pc")"
printf '  %-30s %12s %12s %10s\n' "ratio TSI / QEMU" "$(ratio "$tg" "$pg")" \
	"$(ratio "$th" "$ph")" "$(ratio "$tc" "$pc")"
rc=0
for f in net peer tsi; do # the raw lines behind the figures
	echo "  $f: $(tr -d '\r' <"$tmp/$f.out" | grep -E '^(sent|recv|conns)' | tr '\n' ';')"
	[[ " $(figures $f) " == *" - "* ]] || continue
	rc=1
	echo "  $f: a figure is missing (not finished, or bytes or checksum differ):"
	tail -n 5 "$tmp/$f.out" | sed 's/^/    /'
	if [ $f = peer ]; then tail -n 5 "$tmp/qemu.log" | sed 's/^/    qemu: /'; fi
	if [ $f != tsi ]; then tail -n 3 "$tmp/$f.passt" | sed 's/^/    passt: /'; fi
done
exit $rc
