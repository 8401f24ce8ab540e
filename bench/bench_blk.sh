#!/usr/bin/env bash
# Block device throughput with fio in the guest: sequential write, then
# sequential read, of MIB MiB (default 256) in 1 MiB blocks, then 4 KiB random
# reads for SECS seconds (default 10) over that range; O_DIRECT in the guest,
# libaio, queue depth 16 (seq) and 32 (random). One row per VMM and image format
# (FORMATS, default "raw qcow2"), each on a fresh image made by qemu-img:
# ours, tests/vm/krun_run with the data disk from krun_add_disk3 (the format
# given, no direct I/O, KRUN_SYNC_FULL: the defaults); the peer, QEMU
# `-M microvm -accel kvm` with `-drive` defaults (cache=writeback, aio=threads,
# QEMU's own qcow2 driver) on virtio-blk-device. Both boot the same kernel
# ($B/kernel/vmlinux) with 1 vCPU and 512 MiB, and the same ext4 root image
# (busybox, Debian's fio and the libraries it links) on a first virtio-blk
# disk; the data disk is found by its serial. fio's own figures (guest clock),
# medians of RUNS (default 3) rounds that alternate which VMM goes first, after
# one uncounted boot of each, are printed side by side with ratios ours/QEMU.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
B=$PWD/build MIB=${MIB:-256} SECS=${SECS:-10} LIMIT=${LIMIT:-900} RUNS=${RUNS:-3}
FORMATS=${FORMATS:-raw qcow2}
PATH=$PATH:/usr/sbin:/sbin
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fio=$(command -v fio) || { echo "bench_blk: fio missing (scripts/deps.sh bench)"; exit 1; }
command -v qemu-img >/dev/null && command -v mkfs.ext4 >/dev/null ||
	{ echo "bench_blk: qemu-img or mkfs.ext4 missing (scripts/deps.sh bench)"; exit 1; }

# The root: static busybox, fio with its libraries at the paths ldd names.
root=$tmp/root
mkdir -p "$root"/{bin,dev,proc,sys,tmp,lib64}
cp /bin/busybox "$root/bin/busybox"
for t in sh mount cat grep sed head reboot sync awk ls; do ln -s busybox "$root/bin/$t"; done
cp "$fio" "$root/bin/fio"
for lib in $(ldd "$fio" | awk '/=> \// { print $3 } /^\t\/.*ld-linux/ { print $1 }'); do
	mkdir -p "$root$(dirname "$lib")"
	cp -L "$lib" "$root$lib"
done
# The workload, the same in both guests: three fio jobs on the disk whose serial
# is "data", each line "FIO name bw_KiB/s iops" (terse v3 fields 7/8 read,
# 48/49 write).
cat >"$root/bench.sh" <<EOF
export PATH=/bin LD_LIBRARY_PATH=/lib/x86_64-linux-gnu:/usr/lib/x86_64-linux-gnu:/usr/lib/x86_64-linux-gnu/ceph
dev=
for s in /sys/block/vd*/serial; do [ "\$(cat \$s)" = data ] && dev=/dev/\${s#/sys/block/} && dev=\${dev%/serial}; done
[ -b "\$dev" ] || { echo "no data disk"; ls /sys/block; exit 1; }
common="--filename=\$dev --direct=1 --ioengine=libaio --thread --minimal --size=${MIB}M"
fio --name=seqwrite --rw=write --bs=1M --iodepth=16 \$common | awk -F';' '{ print "FIO seqwrite", \$48, \$49 }'
fio --name=seqread --rw=read --bs=1M --iodepth=16 \$common | awk -F';' '{ print "FIO seqread", \$7, \$8 }'
fio --name=randread --rw=randread --bs=4k --iodepth=32 --runtime=$SECS --time_based \$common |
	awk -F';' '{ print "FIO randread", \$7, \$8 }'
echo BENCH-DONE
EOF
# QEMU's init: what our init does for the workload, then power off.
cat >"$root/peer-init" <<'EOF'
#!/bin/sh
export PATH=/bin
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
/bin/sh /bench.sh
reboot -f
EOF
chmod +x "$root/peer-init"
mkfs.ext4 -q -F -d "$root" "$tmp/root.img" $(($(du -sm "$root" | cut -f1) + 64))M ||
	{ echo "bench_blk: mkfs.ext4 -d failed"; exit 1; }

ours() { # $1: format
	timeout "$LIMIT" "$B/tests/vm/krun_run" --cpus 1 --mem 512 --disk "root:$tmp/root.img" \
		"--disk$([ "$1" = raw ] || echo "-$1")" "data:$tmp/data.$1" \
		--root-disk /dev/vda --root-fstype ext4 -- /bin/sh /bench.sh
}
peer() { # $1: format
	timeout "$LIMIT" qemu-system-x86_64 -M microvm,acpi=off -accel kvm -cpu host -m 512 \
		-smp 1 -nodefaults -no-reboot -display none -serial stdio \
		-global virtio-mmio.force-legacy=false \
		-drive "id=root,if=none,format=raw,file=$tmp/root.img" \
		-device virtio-blk-device,drive=root,serial=root \
		-drive "id=data,if=none,format=$1,file=$tmp/data.$1" \
		-device virtio-blk-device,drive=data,serial=data \
		-kernel "$B/kernel/vmlinux" \
		-append "console=ttyS0 quiet panic=-1 reboot=t root=/dev/vda rw init=/peer-init"
}

# run_one WHO FORMAT: "seqwrite_MBps seqread_MBps randread_iops", or "- - -"
# with the run's tail on stderr when it did not finish.
run_one() {
	local out
	rm -f "$tmp/data."*
	# Each run starts from a clean host page cache (root may drop it).
	sync
	echo 3 2>/dev/null >/proc/sys/vm/drop_caches
	qemu-img create -q -f "$2" "$tmp/data.$2" "$((MIB * 2))M" || return 1
	out=$("$1" "$2" 2>&1 </dev/null | tr -d '\r')
	if ! grep -q BENCH-DONE <<<"$out"; then
		echo "bench_blk: $1 $2 did not finish:" >&2
		tail -n 8 <<<"$out" >&2
		echo "- - -"
		return
	fi
	awk '$1 == "FIO" { v[$2] = $3; i[$2] = $4 }
		END { printf "%.1f %.1f %.0f\n", v["seqwrite"] * 1.024 / 1000, v["seqread"] * 1.024 / 1000, i["randread"] }' <<<"$out"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a + 0 > 0 && b + 0 > 0) printf "%.2f", a / b; else printf "-" }'; }

median() { sort -n | awk '{ a[NR] = $1 } END { if (NR) printf "%.1f", (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
# Column c (1 write, 2 read, 3 IOPS) of the run lines "who format w r i".
col() { awk -v w="$1" -v f="$2" -v c="$3" '$1 == w && $2 == f && $(c + 2) != "-" { print $(c + 2) }' "$tmp/runs" | median; }

# A first boot of each, not counted: in emulated KVM the first guests of a
# session ran with other figures than the later ones (both VMMs alike).
run_one ours raw >/dev/null
run_one peer raw >/dev/null
: >"$tmp/runs"
# Rounds alternate who goes first: the host's page cache and writeback
# carry over from one run to the next.
for r in $(seq "$RUNS"); do
	for f in $FORMATS; do
		order="ours peer"
		[ $((r % 2)) = 0 ] && order="peer ours"
		for who in $order; do
			x=$(run_one "$who" "$f")
			echo "$who $f $x" >>"$tmp/runs"
			echo "  run $r, $f, $who: $x"
		done
	done
done
echo "virtio-blk with fio in the guest, $MIB MiB, random reads for $SECS s, median of $RUNS (guest clock):"
row='  %-32s %14s %14s %16s\n'
printf "$row" "" "seq write MB/s" "seq read MB/s" "4K rand read IOPS"
for f in $FORMATS; do
	o=() p=() q=()
	for c in 1 2 3; do
		o+=("$(col ours "$f" "$c")") && o[-1]=${o[-1]:--}
		p+=("$(col peer "$f" "$c")") && p[-1]=${p[-1]:--}
		q+=("$(ratio "${o[-1]}" "${p[-1]}")")
	done
	printf "$row" "libkrun-c, $f" "${o[@]}"
	printf "$row" "QEMU microvm, $f" "${p[@]}"
	printf "$row" "ratio libkrun-c / QEMU, $f" "${q[@]}"
done
