#!/usr/bin/env bash
# vsock stream throughput guest->host and host->guest (MIB MiB each, default
# 256) and connections per second (CONNS one-byte echo connections, default
# 500), measured by the same static program (tests/vm/guest/vsock_tool.c) in
# the guest, in our VMM (vsock <-> host UNIX socket, krun_add_vsock_port) and in
# QEMU `-M microvm -accel kvm -device vhost-vsock-device` (the kernel's
# vhost_vsock, host side AF_VSOCK), one after the other in the same run, with
# the same kernel, 1 vCPU and 512 MiB each. Printed side by side with our/QEMU
# ratios. Timings come from the guest's clock in both VMs.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
B=$PWD/build MIB=${MIB:-256} CONNS=${CONNS:-500} LIMIT=${LIMIT:-900}
bytes=$((MIB << 20))
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$tmp"' EXIT
T=$B/tests/vm/guest/vsock_tool
[ -x "$T" ] || { echo "bench_vsock: build vm-test-progs first"; exit 1; }

. bench/lib.sh

workload="vsock_tool send vsock:5001 $bytes; vsock_tool recv vsock:5002; vsock_tool conns vsock:5003 $CONNS"

# Ours: busybox for our init's sh, vsock_tool as the workload.
mkdir -p "$tmp/ours/bin" "$tmp/peer/bin"
cp /bin/busybox "$tmp/ours/bin/busybox"
ln -s busybox "$tmp/ours/bin/sh"
cp "$T" "$tmp/ours/bin/vsock_tool"
(cd "$tmp/ours" && find . | cpio -o -H newc --quiet) >"$tmp/ours.cpio"
serve "unix:$tmp/sink.sock" sink 1 && serve "unix:$tmp/src.sock" source 1 "$bytes" &&
	serve "unix:$tmp/echo.sock" echo "$CONNS" || exit 1
timeout "$LIMIT" "$B/tests/vm/krun_run" --kernel "$B/kernel/vmlinux" --format 1 \
	--initramfs "$tmp/ours.cpio" --mem 512 --vsock-port "5001:$tmp/sink.sock" \
	--vsock-port "5002:$tmp/src.sock" --vsock-port "5003:$tmp/echo.sock" \
	-- /bin/sh -c "$workload" >"$tmp/ours.out" 2>&1 </dev/null
kill $(jobs -p) 2>/dev/null
wait 2>/dev/null

# The peer: a busybox /init runs the same commands, then reboots (-no-reboot
# ends QEMU). Host side over the kernel's vhost_vsock (guest CID 3).
cp /bin/busybox "$tmp/peer/bin/busybox"
ln -s busybox "$tmp/peer/bin/sh"
cp "$T" "$tmp/peer/bin/vsock_tool"
printf '#!/bin/sh\nexport PATH=/bin\n%s\n/bin/busybox reboot -f\n' "$workload" >"$tmp/peer/init"
chmod +x "$tmp/peer/init"
(cd "$tmp/peer" && find . | cpio -o -H newc --quiet) >"$tmp/peer.cpio"
if [ -c /dev/vhost-vsock ]; then
	serve "vsock:5001" sink 1 && serve "vsock:5002" source 1 "$bytes" &&
		serve "vsock:5003" echo "$CONNS" || exit 1
	timeout "$LIMIT" qemu-system-x86_64 -M microvm,acpi=off -accel kvm -cpu host -m 512 \
		-smp 1 -nodefaults -no-reboot -display none -serial "file:$tmp/peer.out" \
		-global virtio-mmio.force-legacy=false \
		-device vhost-vsock-device,guest-cid=3 \
		-kernel "$B/kernel/vmlinux" -initrd "$tmp/peer.cpio" \
		-append "console=ttyS0 quiet panic=-1 reboot=t" </dev/null >"$tmp/qemu.log" 2>&1
	kill $(jobs -p) 2>/dev/null
	wait 2>/dev/null
else
	echo "  no /dev/vhost-vsock here (modprobe vhost_vsock): the peer cannot run" >"$tmp/peer.out"
fi

# figures FILE: "g2h_MBps h2g_MBps conns_per_s" from vsock_tool's lines.
figures() {
	awk -v mib="$MIB" -v n="$CONNS" '
		/^sent [0-9]+ sum .* in / { g2h = mib * 1.048576 / $6 }
		/^recv [0-9]+ sum .* in / { h2g = mib * 1.048576 / $6 }
		/^conns [0-9]+ in / { cps = n / $4 }
		END { printf "%s %s %s\n", g2h ? g2h : "-", h2g ? h2g : "-", cps ? cps : "-" }' "$1" | tr -d '\r'
}
read -r og oh oc <<<"$(figures "$tmp/ours.out")"
read -r pg ph pc <<<"$(figures "$tmp/peer.out")"
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a + 0 > 0 && b + 0 > 0) printf "%.2f", a / b; else printf "-" }'; }
echo "vsock streams, $MIB MiB each way, $CONNS connections (guest clock):"
printf '  %-28s %14s %14s %12s\n' "" "guest->host" "host->guest" "conns/s"
printf '  %-28s %11.1f MB/s %9.1f MB/s %12.0f\n' "libkrun-c (vsock<->UNIX)" "$og" "$oh" "$oc" 2>/dev/null ||
	printf '  %-28s %14s %14s %12s\n' "libkrun-c (vsock<->UNIX)" "$og" "$oh" "$oc"
printf '  %-28s %11.1f MB/s %9.1f MB/s %12.0f\n' "QEMU vhost-vsock" "$pg" "$ph" "$pc" 2>/dev/null ||
	printf '  %-28s %14s %14s %12s\n' "QEMU vhost-vsock" "$pg" "$ph" "$pc"
printf '  %-28s %14s %14s %12s\n' "ratio libkrun-c / QEMU" "$(ratio "$og" "$pg")" \
	"$(ratio "$oh" "$ph")" "$(ratio "$oc" "$pc")"
grep -q '^conns' "$tmp/ours.out" || { echo "  our run did not finish:"; tail -n 5 "$tmp/ours.out"; }
grep -q '^conns' "$tmp/peer.out" ||
	{ echo "  QEMU's run did not finish:"; tail -n 5 "$tmp/qemu.log" "$tmp/peer.out"; }
