#!/usr/bin/env bash
# TSI networking against QEMU's user-mode network (slirp, `-netdev user` with
# hostfwd), one after the other in the same run, same kernel, 1 vCPU and
# 512 MiB each. Measured by the same static program (tests/vm/guest/vsock_tool.c):
#   guest->host and host->guest stream throughput (MIB MiB each, default 256),
#   guest->host connections per second (CONNS connect/1-byte echo/close, default 500,
#   by CONC processes at once, default 16),
#   host->guest connections per second (the same from the host to a guest
#   listener: our port map, QEMU's hostfwd).
# Guest figures come from the guest's clock, host->guest connections from the
# host's. Printed side by side with our/QEMU ratios.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
B=$PWD/build MIB=${MIB:-256} CONNS=${CONNS:-500} CONC=${CONC:-16} LIMIT=${LIMIT:-900}
bytes=$((MIB << 20))
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$tmp"' EXIT
T=$B/tests/vm/guest/vsock_tool
[ -x "$T" ] || { echo "bench_tsi: build vm-test-progs first"; exit 1; }

. bench/lib.sh

# host_conns OUT PORT: waits until the guest is done with its own figures and
# its listener waits (READY in OUT), then times CONNS connections from the
# host; prints "conns N in S s" into OUT.h.
host_conns() {
	local out=$1 port=$2
	# Once a second, with no process but sleep: a poll that forks often
	# would take CPU from the VM being measured.
	for _ in $(seq 900); do
		[ -f "$out" ] && while read -r line; do [[ $line == READY* ]] && break 2; done <"$out"
		sleep 1
	done
	"$T" conns "tcp:127.0.0.1:$port" "$CONNS" "$CONC" >"$out.h" 2>&1
}

# The workload, with H the host's address as the guest sees it: one figure at
# a time, the host's connections last (the listener serves them, then exits).
workload() {
	echo "vsock_tool serve tcp:0.0.0.0:5080 echo $CONNS >/dev/null & sleep 1;" \
		"vsock_tool send tcp:$1:5001 $bytes; vsock_tool recv tcp:$1:5002;" \
		"vsock_tool conns tcp:$1:5003 $CONNS $CONC; echo READY; wait"
}

mkroot() { # DIR: busybox (applets as links) and vsock_tool
	mkdir -p "$1/bin"
	cp /bin/busybox "$1/bin/busybox"
	for a in sh ip sleep mount; do ln -s busybox "$1/bin/$a"; done
	mkdir -p "$1/dev" "$1/proc"
	cp "$T" "$1/bin/vsock_tool"
}

# Ours: TSI, the guest reaches the host's loopback; guest port 5080 on 5180.
mkroot "$tmp/ours"
(cd "$tmp/ours" && find . | cpio -o -H newc --quiet) >"$tmp/ours.cpio"
serve tcp:127.0.0.1:5001 sink 1 && serve tcp:127.0.0.1:5002 source 1 "$bytes" &&
	serve tcp:127.0.0.1:5003 echo "$CONNS" || exit 1
host_conns "$tmp/ours.out" 5180 &
timeout "$LIMIT" "$B/tests/vm/krun_run" --kernel "$B/kernel/vmlinux" --format 1 \
	--initramfs "$tmp/ours.cpio" --mem 512 --port-map 5180:5080 \
	-- /bin/sh -c "$(workload 127.0.0.1)" >"$tmp/ours.out" 2>&1 </dev/null
wait $(jobs -p) 2>/dev/null

# The peer: slirp, the host's loopback is 10.0.2.2; guest port 5080 on 5280.
mkroot "$tmp/peer"
# /dev first: busybox sh starts a background job with stdin from /dev/null.
printf '#!/bin/sh\nexport PATH=/bin\nmount -t devtmpfs dev /dev\nmount -t proc proc /proc\nip link set eth0 up\nip addr add 10.0.2.15/24 dev eth0\nip route add default via 10.0.2.2\n%s\n/bin/busybox reboot -f\n' \
	"$(workload 10.0.2.2)" >"$tmp/peer/init"
chmod +x "$tmp/peer/init"
(cd "$tmp/peer" && find . | cpio -o -H newc --quiet) >"$tmp/peer.cpio"
serve tcp:127.0.0.1:5001 sink 1 && serve tcp:127.0.0.1:5002 source 1 "$bytes" &&
	serve tcp:127.0.0.1:5003 echo "$CONNS" || exit 1
host_conns "$tmp/peer.out" 5280 &
timeout "$LIMIT" qemu-system-x86_64 -M microvm,acpi=off -accel kvm -cpu host -m 512 \
	-smp 1 -nodefaults -no-reboot -display none -serial "file:$tmp/peer.out" \
	-global virtio-mmio.force-legacy=false \
	-netdev user,id=n0,hostfwd=tcp:127.0.0.1:5280-:5080 -device virtio-net-device,netdev=n0 \
	-kernel "$B/kernel/vmlinux" -initrd "$tmp/peer.cpio" \
	-append "console=ttyS0 quiet panic=-1 reboot=t" </dev/null >"$tmp/qemu.log" 2>&1
wait $(jobs -p) 2>/dev/null

# figures FILE: "g2h_MBps h2g_MBps g2h_conns_per_s h2g_conns_per_s".
figures() {
	# The console file may end without a newline: one between the files.
	{ cat "$1"; echo; cat "$1.h"; } 2>/dev/null | tr -d '\r' | awk -v mib="$MIB" -v n="$CONNS" '
		/^sent [0-9]+ sum .* in / { g2h = mib * 1.048576 / $6 }
		/^recv [0-9]+ sum .* in / { h2g = mib * 1.048576 / $6 }
		/^conns [0-9]+ in / { if (c++) hc = n / $4; else gc = n / $4 }
		END { printf "%s %s %s %s\n", g2h ? g2h : "-", h2g ? h2g : "-", gc ? gc : "-", hc ? hc : "-" }'
}
read -r og oh oc ohc <<<"$(figures "$tmp/ours.out")"
read -r pg ph pc phc <<<"$(figures "$tmp/peer.out")"
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a + 0 > 0 && b + 0 > 0) printf "%.2f", a / b; else printf "-" }'; }
num() { awk -v a="$1" -v f="$2" 'BEGIN { if (a + 0 > 0) printf f, a; else printf "-" }'; }
echo "TCP over TSI vs QEMU user-mode network, $MIB MiB each way, $CONNS connections ($CONC at once):"
printf '  %-26s %12s %12s %14s %14s\n' "" "g->h MB/s" "h->g MB/s" "g->h conns/s" "h->g conns/s"
for who in ours peer; do
	if [ $who = ours ]; then set -- "libkrun-c TSI" "$og" "$oh" "$oc" "$ohc"
	else set -- "QEMU -netdev user" "$pg" "$ph" "$pc" "$phc"; fi
	printf '  %-26s %12s %12s %14s %14s\n' "$1" "$(num "$2" %.1f)" "$(num "$3" %.1f)" \
		"$(num "$4" %.0f)" "$(num "$5" %.0f)"
done
printf '  %-26s %12s %12s %14s %14s\n' "ratio libkrun-c / QEMU" "$(ratio "$og" "$pg")" \
	"$(ratio "$oh" "$ph")" "$(ratio "$oc" "$pc")" "$(ratio "$ohc" "$phc")"
grep -q '^conns' "$tmp/ours.out" || { echo "  our run did not finish:"; tail -n 5 "$tmp/ours.out"; }
grep -q '^conns' "$tmp/peer.out" ||
	{ echo "  QEMU's run did not finish:"; tail -n 5 "$tmp/qemu.log" "$tmp/peer.out"; }
for f in ours peer; do # the raw lines behind the figures
	echo "  $f: $({ cat "$tmp/$f.out"; echo; cat "$tmp/$f.out.h"; } 2>/dev/null | tr -d '\r' |
		grep -E '^(sent|recv|conns)' | tr '\n' ';')"
done
