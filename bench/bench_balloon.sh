#!/usr/bin/env bash
# Free page reporting: the VMM process's RSS every 0.5 s while the guest touches
# MIB MiB (default 512), holds it 2 s, frees it and idles 15 s; beside QEMU
# `-M microvm -accel kvm -device virtio-balloon-device,free-page-reporting=on`
# booting the same kernel and running the same program (tests/vm/guest/memhog.c)
# as /init, one after the other in the same run. Both guests: 1 GiB, 1 vCPU.
# QEMU's own RSS is larger; compare the rise and the fall, not the levels.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
B=$PWD/build MIB=${MIB:-512} LIMIT=${LIMIT:-120}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
args=("$MIB" 2 15)

[ -x "$B/tests/vm/guest/memhog" ] || { echo "bench_balloon: build vm-test-progs first"; exit 1; }
# Ours: busybox for our init, memhog as the workload.
mkdir -p "$tmp/ours/bin" "$tmp/peer"
cp /bin/busybox "$tmp/ours/bin/busybox"
ln -s busybox "$tmp/ours/bin/sh"
cp "$B/tests/vm/guest/memhog" "$tmp/ours/bin/memhog"
(cd "$tmp/ours" && find . | cpio -o -H newc --quiet) >"$tmp/ours.cpio"
# The peer: memhog is /init and takes its arguments from after "--" on the kernel
# command line; when it exits the kernel panics, panic=-1 reboots, and
# -no-reboot makes QEMU exit.
cp "$B/tests/vm/guest/memhog" "$tmp/peer/init"
(cd "$tmp/peer" && find . | cpio -o -H newc --quiet) >"$tmp/peer.cpio"

# sample PID OUTPUT SERIES: "seconds rss_kib marker" every 0.5 s while PID lives.
sample() {
	local pid=$1 out=$2 series=$3 start now rss mark
	start=$(date +%s%N)
	while kill -0 "$pid" 2>/dev/null; do
		now=$((($(date +%s%N) - start) / 1000000))
		rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status" 2>/dev/null)
		mark=$(grep -aoE '^(READY|TOUCHED|FREED|DONE)' "$out" | tail -n 1)
		[ -n "$rss" ] && echo "$now $rss ${mark:--}" >>"$series"
		if [ "$now" -gt $((LIMIT * 1000)) ]; then
			kill "$pid"
			break
		fi
		sleep 0.5
	done
	wait "$pid" 2>/dev/null
}

"$B/tests/vm/krun_run" --kernel "$B/kernel/vmlinux" --format 1 --initramfs "$tmp/ours.cpio" \
	--mem 1024 -- /bin/memhog "${args[@]}" >"$tmp/ours.out" 2>&1 </dev/null &
sample $! "$tmp/ours.out" "$tmp/ours.series"

qemu-system-x86_64 -M microvm,acpi=off -accel kvm -cpu host -m 1024 -smp 1 \
	-nodefaults -no-reboot -display none -serial "file:$tmp/peer.out" \
	-global virtio-mmio.force-legacy=false \
	-device virtio-balloon-device,free-page-reporting=on \
	-kernel "$B/kernel/vmlinux" -initrd "$tmp/peer.cpio" \
	-append "console=ttyS0 quiet panic=-1 -- ${args[*]}" </dev/null >"$tmp/qemu.log" 2>&1 &
sample $! "$tmp/peer.out" "$tmp/peer.series"

# Baseline at READY, peak, the last value, and how long after FREED the RSS
# first came within 10% of the baseline.
summary() {
	awk -v name="$1" '
		$3 == "READY" && base == "" { base = $2 }
		$2 > peak { peak = $2 }
		$3 == "FREED" && freed == "" { freed = $1 }
		freed != "" && fell == "" && base != "" && $2 <= base * 1.1 { fell = ($1 - freed) / 1000 }
		{ last = $2 }
		END {
			printf "  %-30s baseline %6.1f MiB  peak %6.1f MiB  end %6.1f MiB  ", name,
				base / 1024, peak / 1024, last / 1024
			if (fell != "") printf "within 10%% of baseline %.1f s after FREED\n", fell
			else printf "never within 10%% of baseline\n"
		}' "$2"
}

echo "VMM RSS while a 1 GiB guest touches ${MIB} MiB, holds it 2 s, frees it, idles 15 s:"
# One row per 0.5 s slot, the last sample of each series in it.
awk 'FNR == 1 { f++ } { slot = int($1 / 500); v[f, slot] = sprintf("%7.1f %s", $2 / 1024, $3)
		if (slot > max) max = slot }
	END { printf "  %6s  %-22s  %-22s\n", "t (s)", "libkrun-c RSS MiB", "QEMU microvm RSS MiB"
		for (i = 0; i <= max; i++)
			if ((1, i) in v || (2, i) in v)
				printf "  %6.1f  %-22s  %-22s\n", i / 2, v[1, i], v[2, i] }' \
	"$tmp/ours.series" "$tmp/peer.series"
summary "libkrun-c" "$tmp/ours.series"
summary "QEMU microvm + virtio-balloon" "$tmp/peer.series"
grep -q FREED "$tmp/peer.out" || { echo "  QEMU's guest did not report FREED:"; tail -n 5 "$tmp/qemu.log" "$tmp/peer.out"; }
