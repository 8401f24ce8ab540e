#!/usr/bin/env bash
# A file-system workload on the guest's shared root, timed inside the guest:
# extract a tar of NFILES (default 10 000) small files into the tree (then sync),
# find + stat them, read a 256 MiB file sequentially. Ours: the tree is the
# guest's root over virtio-fs (krun_set_root). The peer: QEMU `-M microvm -accel
# kvm` with the same tree as its root over virtio-9p, the share a user would
# otherwise pick, booting Debian's kernel with its 9p modules (the emulated
# machine's, tests/runner/emu.sh prepare) over virtio-pci (microvm,pcie=on: that
# kernel has no virtio-mmio driver built in), mounted cache=loose, 9p's fastest
# mode (with the default cache=none the peer took 5.6x longer to extract). Each run
# is a fresh boot (cold guest caches) with 1 vCPU and 512 MiB; only the workload is
# timed. Medians of RUNS: default 3, or 1 inside the emulated KVM machine, where
# a 10 000-file run of the peer alone takes well over 10 minutes.
# A third row reads the same 256 MiB through a DAX window (krun_add_virtiofs2,
# the data folder as a second share mounted "-o dax" over /data): the guest maps
# the host's page cache instead of copying into its own.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
emulated=0
grep -q emu_out= /proc/cmdline && emulated=1 # emu-init.sh's kernel parameter
B=$PWD/build RUNS=${RUNS:-$((emulated ? 1 : 3))} NFILES=${NFILES:-10000}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The shared tree: a busybox root (the same programs for both guests), the
# workload script, the tar and the big file.
tree=$tmp/tree
scripts/mkroot.sh "$tree" || exit 1
cc -O2 -static -o "$tree/bin/elapsed" bench/guest/elapsed.c || exit 1
mkdir -p "$tree/data" "$tmp/src"
# NFILES files of 100..4000 bytes, 100 per directory, the same every run (srand(1)).
awk -v n="$NFILES" -v d="$tmp/src" 'BEGIN {
	srand(1)
	for (i = 0; i < 4000; i++) pad = pad "x"
	for (i = 0; i < n; i++) {
		dir = sprintf("%s/d%03d", d, int(i / 100))
		if (i % 100 == 0) system("mkdir -p " dir)
		f = sprintf("%s/f%02d", dir, i % 100)
		printf "%s", substr(pad, 1, 100 + int(rand() * 3900)) >f
		close(f)
	}
}' || exit 1
tar -cf "$tree/data/tree.tar" -C "$tmp/src" . || exit 1
rm -rf "$tmp/src"
{ yes 'sixteen bytes..' || true; } | head -c 256M >"$tree/data/big" || exit 1
cat >"$tree/bench.sh" <<'EOF'
rm -rf /scratch && mkdir /scratch || exit 1
elapsed extract sh -c 'tar -xf /data/tree.tar -C /scratch && sync' || exit 1
elapsed find_stat sh -c 'find /scratch -type f -exec stat -c %s {} + | wc -l' || exit 1
elapsed read sh -c 'dd if=/data/big of=/dev/null bs=1M 2>&1 | head -n 1' || exit 1
echo BENCH-DONE
EOF
cat >"$tree/bench_dax.sh" <<'EOF'
mount -t virtiofs -o dax data /data || exit 1
elapsed read sh -c 'dd if=/data/big of=/dev/null bs=1M 2>&1 | head -n 1' || exit 1
echo BENCH-DONE
EOF

# The peer's kernel and 9p modules: the emulated machine's, from Debian's package.
# Inside that machine HOME is "/": find the cache in the user's real home.
[ "${HOME:-/}" = / ] && HOME=$(getent passwd "$(id -u)" | cut -d: -f6) && export HOME
emu=$(tests/runner/emu.sh prepare) || { echo "bench_fs: no Debian kernel for the peer"; exit 1; }
mkdir -p "$tmp/peer" && (cd "$tmp/peer" && zcat "$emu/initramfs.gz" | cpio -id --quiet) ||
	exit 1
grep -E '^(netfs|fscache|9p|9pnet|virtio|virtio_ring|9pnet_virtio|virtio_pci.*)\.ko$' \
	"$tmp/peer/modules.list" >"$tmp/peer/modules.9p"
# The kernel passes its unknown "p9cache=..." parameter to /init as a variable.
cat >"$tmp/peer/init" <<'EOF'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc && mount -t devtmpfs dev /dev
for m in $(cat /modules.9p); do insmod /lib/modules/$m; done
mkdir -p /newroot
mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000,cache=$p9cache root /newroot &&
	mount -t proc proc /newroot/proc && mount --move /dev /newroot/dev &&
	chroot /newroot /bin/sh /bench.sh
poweroff -f
EOF
chmod +x "$tmp/peer/init"
(cd "$tmp/peer" && find . | cpio -o -H newc --quiet | gzip -1) >"$tmp/peer.cpio.gz" || exit 1

ours() {
	"$B/tests/vm/krun_run" --root "$tree" --cpus 1 --mem 512 -- /bin/sh /bench.sh
}
ours_dax() { # a 512 MiB window covers the whole file: no range is reclaimed
	"$B/tests/vm/krun_run" --root "$tree" --cpus 1 --mem 512 \
		--virtiofs-dax "512:data:$tree/data" -- /bin/sh /bench_dax.sh
}
peer() { # $1: 9p cache mode
	timeout 900 qemu-system-x86_64 -M microvm,pcie=on -accel kvm -cpu host -m 512 -smp 1 \
		-nodefaults -no-reboot -display none -serial stdio \
		-kernel "$emu/vmlinuz" -initrd "$tmp/peer.cpio.gz" \
		-append "console=ttyS0 quiet panic=-1 p9cache=$1" \
		-fsdev "local,id=root,path=$tree,security_model=passthrough" \
		-device virtio-9p-pci,fsdev=root,mount_tag=root
}

# One run: "extract find_stat read" in ms, or nothing if the workload failed.
run_one() {
	local name=$1 out
	shift
	rm -rf "$tree/scratch"
	out=$("$@" 2>&1 </dev/null | tr -d '\r')
	if ! grep -q BENCH-DONE <<<"$out" || ! grep -qx "$NFILES" <<<"$out"; then
		echo "bench_fs: $name failed:" >&2
		tail -n 15 <<<"$out" >&2
		return 1
	fi
	awk '$1 == "RESULT" { v[$2] = $3 } END { print v["extract"], v["find_stat"], v["read"] }' \
		<<<"$out"
}

# The DAX run: its read time in ms, or nothing.
run_dax() {
	local out
	out=$(ours_dax 2>&1 </dev/null | tr -d '\r')
	if ! grep -q BENCH-DONE <<<"$out"; then
		echo "bench_fs: libkrun-c with a DAX window failed:" >&2
		tail -n 15 <<<"$out" >&2
		return 1
	fi
	awk '$1 == "RESULT" && $2 == "read" { print $3 }' <<<"$out"
}

median() { sort -n | awk '{ a[NR] = $1 } END { if (NR) printf "%.0f", (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
ours_runs= peer_runs= dax_runs=
# Each run's figures are printed as they come (extract find+stat read, ms).
for r in $(seq "$RUNS"); do
	x=$(run_one "libkrun-c" ours) && echo "  run $r, libkrun-c: $x"
	ours_runs+="$x"$'\n'
	x=$(run_one "the QEMU peer" peer loose) && echo "  run $r, QEMU:      $x"
	peer_runs+="$x"$'\n'
	x=$(run_dax) && echo "  run $r, libkrun-c DAX read: $x"
	dax_runs+="$x"$'\n'
done
# Column $1 (1 extract, 2 find+stat, 3 read) of a run list, median.
col() { awk -v c="$1" 'NF == 3 { print $c }' | median; }

echo "fs workload in the guest, $NFILES files + 256 MiB, median of $RUNS fresh boots (ms):"
row='  %-30s %14s %12s %14s\n'
printf "$row" "" "extract+sync" "find+stat" "read 256 MiB"
o=() p=()
for c in 1 2 3; do
	o+=("$(col "$c" <<<"$ours_runs")") && o[-1]=${o[-1]:--}
	p+=("$(col "$c" <<<"$peer_runs")") && p[-1]=${p[-1]:--}
done
d=$(grep . <<<"$dax_runs" | median) && d=${d:--}
printf "$row" "libkrun-c virtio-fs" "${o[@]}"
printf "$row" "libkrun-c, DAX window" - - "$d"
printf "$row" "QEMU microvm 9p cache=loose" "${p[@]}"
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a > 0 && b > 0) printf "%.2fx", b / a; else print "-" }'; }
r=()
for c in 0 1 2; do
	r+=("$(ratio "${o[$c]}" "${p[$c]}")")
done
printf "$row" "ratio QEMU/libkrun-c" "${r[@]}"
printf "$row" "ratio QEMU/libkrun-c DAX" - - "$(ratio "$d" "${p[2]}")"
