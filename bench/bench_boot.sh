#!/usr/bin/env bash
# Boot latency: krun_start_enter of /bin/true until the process exits, median of
# RUNS runs, beside QEMU `-M microvm -accel kvm` booting the same kernel with an
# initramfs whose /init runs the same /bin/true and resets (QEMU -no-reboot exits).
# Both are timed the same way: wall clock around the whole process. Also the VMM's
# private memory: RSS minus the guest RAM it touched (from /proc/PID/smaps).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
B=$PWD/build RUNS=${RUNS:-10}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Same initramfs for both: busybox for our init's workload, true_init as QEMU's /init.
mkdir -p "$tmp/root/bin"
cp /bin/busybox "$tmp/root/bin/busybox"
ln -s busybox "$tmp/root/bin/true"
ln -s busybox "$tmp/root/bin/sleep"
ln -s busybox "$tmp/root/bin/sh"
cc -O2 -static -o "$tmp/root/init" bench/guest/true_init.c || exit 1
(cd "$tmp/root" && find . | cpio -o -H newc --quiet) >"$tmp/initrd.cpio"

median() { sort -n | awk '{ a[NR] = $1 } END { m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2; printf "%.1f", m }'; }
# time_ms CMD: its wall time in ms; a run that exits non-zero is noted in
# $tmp/failed, and the bench then prints no figures (a failed boot is fast).
time_ms() {
	local s e rc
	s=$(date +%s%N)
	"$@" >/dev/null 2>&1 </dev/null
	rc=$?
	e=$(date +%s%N)
	[ "$rc" = 0 ] || echo "$1 exited $rc" >>"$tmp/failed"
	echo $(((e - s) / 1000000))
}

ours() {
	"$B/tests/vm/krun_run" --kernel "$B/kernel/vmlinux" --format 1 \
		--initramfs "$tmp/initrd.cpio" -- /bin/true
}
peer() {
	qemu-system-x86_64 -M microvm,acpi=off -accel kvm -cpu host -m 128 -smp 1 \
		-nodefaults -no-reboot -nographic -serial none \
		-kernel "$B/kernel/vmlinux" -initrd "$tmp/initrd.cpio" \
		-append "console=ttyS0 quiet panic=-1 reboot=t"
}

ours_ms=() peer_ms=()
for _ in $(seq "$RUNS"); do
	ours_ms+=("$(time_ms ours)")
	peer_ms+=("$(time_ms peer)")
done
if [ -s "$tmp/failed" ]; then
	echo "bench_boot: runs failed, no figures: $(sort "$tmp/failed" | uniq -c | tr -s '\n ' '; ')"
	exit 1
fi
o=$(printf '%s\n' "${ours_ms[@]}" | median)
p=$(printf '%s\n' "${peer_ms[@]}" | median)
echo "boot to exit of /bin/true, median of $RUNS (ms):"
printf '  %-28s %8s ms   runs: %s\n' "libkrun-c" "$o" "${ours_ms[*]}"
printf '  %-28s %8s ms   runs: %s\n' "QEMU microvm -accel kvm" "$p" "${peer_ms[*]}"
awk -v o="$o" -v p="$p" 'BEGIN { if (o > 0) printf "  ratio QEMU/libkrun-c: %.2fx\n", p / o }'

# Private memory: run `sleep 3` with 128 MiB and read smaps after 2 s.
"$B/tests/vm/krun_run" --kernel "$B/kernel/vmlinux" --format 1 --initramfs "$tmp/initrd.cpio" \
	-- /bin/sleep 3 >/dev/null 2>&1 </dev/null &
pid=$!
sleep 2
awk '/^[0-9a-f]+-[0-9a-f]+ / { guest = 0 } /^Size:/ { guest = ($2 == 131072) }
	/^Rss:/ { total += $2; if (guest) g += $2 }
	END { printf "VMM memory with a 128 MiB guest: RSS %d KiB = guest RAM touched %d KiB + VMM private %d KiB\n", total, g, total - g }' \
	"/proc/$pid/smaps"
wait "$pid"
