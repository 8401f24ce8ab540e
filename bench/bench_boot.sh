#!/usr/bin/env bash
# Boot latency: krun_start_enter of /bin/true until the process exits, median of
# RUNS runs, beside QEMU `-M microvm -accel kvm` booting the same kernel with an
# initramfs whose /init runs the same /bin/true and resets (QEMU -no-reboot exits).
# Ours twice: as users get it, the bundled kernel (libkrunfw.so.5, mapped into
# guest RAM copy-on-write) with the same files as its root over virtio-fs
# (krun_set_root, no initramfs of the caller's), and the same kernel's ELF
# through krun_set_kernel (copied) with the initramfs, as the peer has it.
# The peer gets the command-line options our VMM gives (src/api/start.c), with
# its serial console and triple-fault reset. All are timed the same way: wall
# clock around the whole process; every run's exit status is checked. Also the
# VMM's private memory: RSS minus the guest RAM it touched (from /proc/PID/smaps),
# and where our boot's time goes, from the VMM's phase marks (src/vmm/phase.h),
# beside the peer's, from its own kvm_vcpu_ioctl trace.
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
# Our root share: the same busybox, with the mount points our init needs.
scripts/mkroot.sh "$tmp/share" >/dev/null || exit 1

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
	"$B/tests/vm/krun_run" --root "$tmp/share" -- /bin/true
}
ours_elf() {
	"$B/tests/vm/krun_run" --kernel "$B/kernel/vmlinux" --format 1 \
		--initramfs "$tmp/initrd.cpio" -- /bin/true
}
peer() {
	qemu-system-x86_64 -M microvm,acpi=off -accel kvm -cpu host -m 128 -smp 1 \
		-nodefaults -no-reboot -nographic -serial none \
		-kernel "$B/kernel/vmlinux" -initrd "$tmp/initrd.cpio" \
		-append "reboot=k panic=-1 no_timer_check tsc=reliable console=ttyS0 quiet reboot=t"
}

ours_ms=() elf_ms=() peer_ms=()
for _ in $(seq "$RUNS"); do
	ours_ms+=("$(time_ms ours)")
	elf_ms+=("$(time_ms ours_elf)")
	peer_ms+=("$(time_ms peer)")
done
if [ -s "$tmp/failed" ]; then
	echo "bench_boot: runs failed, no figures: $(sort "$tmp/failed" | uniq -c | tr -s '\n ' '; ')"
	exit 1
fi
o=$(printf '%s\n' "${ours_ms[@]}" | median)
e=$(printf '%s\n' "${elf_ms[@]}" | median)
p=$(printf '%s\n' "${peer_ms[@]}" | median)
echo "boot to exit of /bin/true, median of $RUNS (ms):"
printf '  %-34s %8s ms   runs: %s\n' "libkrun-c, bundled kernel (CoW)" "$o" "${ours_ms[*]}"
printf '  %-34s %8s ms   runs: %s\n' "libkrun-c, krun_set_kernel ELF" "$e" "${elf_ms[*]}"
printf '  %-34s %8s ms   runs: %s\n' "QEMU microvm -accel kvm" "$p" "${peer_ms[*]}"
awk -v o="$o" -v e="$e" -v p="$p" 'BEGIN { if (o > 0 && e > 0)
	printf "  ours / QEMU (time; below 1: we are faster): bundled %.2f, ELF %.2f\n", o / p, e / p }'

# Phases, PHASE_RUNS times each (default 3), from host timestamps on each line
# of output ($EPOCHREALTIME) and the guest's /proc/uptime read by the workload
# (ours: `cat /proc/uptime` on the bundled path; the peer: an /init script that
# does the same, then resets): the host time at which the guest's clock
# started (the uptime line's time minus the uptime), the guest's uptime, and
# the time from that line to the process's exit (teardown). The guest's uptime
# is its own clock, and in the emulated machine it falls behind the host's
# during a boot (by 0.2 s and more against the VMM's marks below, which are
# host time): the first figure is then too large and the second too small, for
# both VMMs alike.
PHASE_RUNS=${PHASE_RUNS:-3}
mkdir -p "$tmp/pinit/bin" "$tmp/pinit/proc"
cp /bin/busybox "$tmp/pinit/bin/busybox"
printf '#!/bin/busybox sh\necho init\n/bin/busybox mount -t proc proc /proc\necho "uptime $(/bin/busybox cat /proc/uptime)"\n/bin/busybox reboot -f\n' \
	>"$tmp/pinit/init"
chmod +x "$tmp/pinit/init"
(cd "$tmp/pinit" && find . | cpio -o -H newc --quiet) >"$tmp/pinit.cpio"
# Each line stamped as it comes: no stdio filter in between, which would hold
# the lines back until the process exits (tr's output to a pipe is buffered).
stamp() { while IFS= read -r l; do echo "$EPOCHREALTIME ${l%$'\r'}"; done; }
median_s() { sort -n | awk '{ a[NR] = $1 } END { if (!NR) { printf "-"; exit }
	m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2; printf "%.3f", m }'; }
# phase FILE: "clock-start uptime teardown" in seconds, from a stamped run.
phase() {
	awk '/ START$/ { t0 = $1 } / END$/ { t1 = $1 } / uptime [0-9.]+ / { t = $1; u = $3 }
		END { if (u == "") print "- - -"; else printf "%.3f %.3f %.3f\n", t - u - t0, u, t1 - t }' "$1"
}
for i in $(seq "$PHASE_RUNS"); do
	{ echo "$EPOCHREALTIME START"
	  "$B/tests/vm/krun_run" --root "$tmp/share" -- /bin/sh -c 'echo "uptime $(cat /proc/uptime)"' \
		2>&1 </dev/null | stamp
	  echo "$EPOCHREALTIME END"; } >"$tmp/phase.ours.$i"
	{ echo "$EPOCHREALTIME START"
	  qemu-system-x86_64 -M microvm,acpi=off -accel kvm -cpu host -m 128 -smp 1 \
		-nodefaults -no-reboot -nographic -serial stdio \
		-msg timestamp=on -trace kvm_vcpu_ioctl -D "$tmp/qtrace.$i" \
		-kernel "$B/kernel/vmlinux" -initrd "$tmp/pinit.cpio" \
		-append "reboot=k panic=-1 no_timer_check tsc=reliable console=ttyS0 quiet reboot=t" \
		2>&1 </dev/null | stamp
	  echo "$EPOCHREALTIME END"; } >"$tmp/phase.peer.$i"
done
echo "phases, median of $PHASE_RUNS (s): process start to the guest's clock / guest uptime at the workload / workload's output to process exit"
for w in ours peer; do
	for k in 1 2 3; do
		for i in $(seq "$PHASE_RUNS"); do phase "$tmp/phase.$w.$i" | cut -d' ' -f$k; done |
			grep -v -- - | median_s >"$tmp/m.$w.$k"
		echo >>"$tmp/m.$w.$k"
	done
	printf '  %-34s %8s / %8s / %8s\n' "$([ $w = ours ] && echo "libkrun-c, bundled kernel" || echo "QEMU microvm -accel kvm")" \
		"$(cat "$tmp/m.$w.1")" "$(cat "$tmp/m.$w.2")" "$(cat "$tmp/m.$w.3")"
done

# The peer in the same steps as ours below, from its own trace: process start
# to its first KVM_RUN (QEMU's kvm_vcpu_ioctl trace event, timestamped by
# -msg timestamp=on), from there to its /init's first line (stamped on
# arrival), and from that line to the process's exit (/init's work, then
# QEMU's teardown). "-" where QEMU wrote no trace (a build without the log
# trace backend).
qphase() {
	awk '/ START$/ { t0 = $1 } / END$/ { t1 = $1 } f == 1 && / init$/ && !ti { ti = $1 }
		FNR == 1 { f++ } f == 2 && /kvm_vcpu_ioctl/ && /type 0xae80/ && !tr {
			split($1, a, "@"); sub(/:.*/, "", a[2]); tr = a[2] }
		END { if (!tr || !ti) print "- - -"
		      else printf "%.1f %.1f %.1f\n", (tr - t0) * 1000, (ti - tr) * 1000, (t1 - ti) * 1000 }' \
		"$1" "$2"
}
for i in $(seq "$PHASE_RUNS"); do
	[ -s "$tmp/qtrace.$i" ] || : >"$tmp/qtrace.$i"
	qphase "$tmp/phase.peer.$i" "$tmp/qtrace.$i"
done >"$tmp/qphase"
printf 'QEMU by its trace, median of %s (ms): process start to its first KVM_RUN / to /init'"'"'s first line / from there to exit:' "$PHASE_RUNS"
for k in 1 2 3; do
	v=$(cut -d' ' -f$k "$tmp/qphase" | grep -v -- -)
	printf ' %s' "$([ -n "$v" ] && median <<<"$v" || echo -)"
done
echo

# Ours in finer steps, from the VMM's own marks (src/vmm/phase.h, logged at
# info level): krun_start_enter to the first KVM_RUN, the kernel to our init,
# init to the workload, the workload (/bin/true) to init's exit report, and
# the report to the devices' last output. Median of PHASE_RUNS, bundled path.
for i in $(seq "$PHASE_RUNS"); do
	"$B/tests/vm/krun_run" --log-level 3 --root "$tmp/share" -- /bin/true \
		>/dev/null 2>"$tmp/vmm.$i" </dev/null || { echo "bench_boot: a phase run failed"; exit 1; }
	sed -n 's/.*boot phases: setup \([0-9.]*\) ms, kernel \([0-9.]*\) ms, init \([0-9.]*\) ms, workload \([0-9.]*\) ms, stop \([0-9.]*\) ms$/\1 \2 \3 \4 \5/p' \
		"$tmp/vmm.$i" >>"$tmp/vmm.all"
done
if [ "$(wc -l <"$tmp/vmm.all")" != "$PHASE_RUNS" ]; then
	echo "bench_boot: no boot phases line from the VMM: $(tail -n 3 "$tmp/vmm.1")"
	exit 1
fi
printf 'ours, the VMM'"'"'s marks, median of %s (ms): setup / kernel / init / workload / stop:' "$PHASE_RUNS"
for k in 1 2 3 4 5; do printf ' %s' "$(cut -d' ' -f$k "$tmp/vmm.all" | median)"; done
echo

# Private memory, MEM_RUNS times (default 3), median: a 128 MiB guest whose
# workload says "ready" and sleeps; smaps is read 1 s after that line, once the
# boot's work is over (earlier, a reading catches the VMM mid-boot, and the
# figure depends on how far it got). The bundled kernel's image pages are the
# library file's until written.
# Guest RAM is the run of adjacent mappings that add up to exactly 128 MiB
# (one anonymous mapping, split where the kernel's file pages are mapped in).
# Only writable mappings: two adjacent 64 MiB malloc arena reservations
# (mostly ---p) add up to 128 MiB too. Of the rest, "shared" is Shared_Clean:
# file pages that other processes map too (libc's, ld.so's), which count in
# RSS but cost the host nothing more per VMM; how many the kernel maps around
# each fault (fault-around, 16 pages) varies with the machine's page cache.
vmm_memory() {
	awk '/^[0-9a-f]+-[0-9a-f]+ / { split($1, a, "-"); n++; lo[n] = a[1]; hi[n] = a[2]; rw[n] = $2 ~ /^rw/ }
	/^Size:/ { size[n] = $2 } /^Rss:/ { rss[n] = $2; total += $2 } /^Shared_Clean:/ { sc[n] = $2 }
	END { for (i = 1; i <= n && !g_set; i++) { s = 0; r = 0
			for (j = i; j <= n && s < 131072; j++) {
				if (!rw[j] || (j > i && lo[j] != hi[j - 1])) break
				s += size[j]; r += rss[j]
			}
			if (s == 131072) { g = r; g_set = 1; gi = i; gj = j }
		}
		if (!g_set) { print "no 128 MiB guest RAM mapping found"; exit 1 }
		for (k = 1; k <= n; k++) if (k < gi || k >= gj) shared += sc[k]
		printf "%d %d %d %d\n", total, g, total - g, shared }' "$1"
}
MEM_RUNS=${MEM_RUNS:-3}
for i in $(seq "$MEM_RUNS"); do
	"$B/tests/vm/krun_run" --root "$tmp/share" --mem 128 \
		-- /bin/sh -c 'echo ready; exec sleep 4' >"$tmp/mem.out" 2>&1 </dev/null &
	pid=$!
	for _ in $(seq 400); do grep -q ready "$tmp/mem.out" && break; sleep 0.05; done
	sleep 1
	vmm_memory "/proc/$pid/smaps" >>"$tmp/mem"
	wait "$pid" || { echo "bench_boot: the memory run exited $?"; exit 1; }
done
if [ "$(grep -c '^[0-9]* [0-9]* [0-9]* [0-9]*$' "$tmp/mem")" != "$MEM_RUNS" ]; then
	echo "VMM memory: $(grep -v '^[0-9]' "$tmp/mem" | head -n 1)"
	exit 1
fi
m() { cut -d' ' -f"$1" "$tmp/mem" | median | cut -d. -f1; }
echo "VMM memory with a 128 MiB guest, median of $MEM_RUNS: RSS $(m 1) KiB = guest RAM touched $(m 2) KiB + VMM private $(m 3) KiB ($(m 4) KiB of it file pages shared with other processes); runs (private): $(cut -d' ' -f3 "$tmp/mem" | tr '\n' ' ')"
