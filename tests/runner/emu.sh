#!/usr/bin/env bash
# The emulated KVM machine: runs a command where /dev/kvm works, on a host that has none.
#
#   tests/runner/emu.sh prepare          fetch and cache the machine's kernel + initramfs
#   tests/runner/emu.sh run OUT SCRIPT    boot it, run SCRIPT (bash) inside, return its status
#
# How it works (see README.md, "Emulated-KVM mode"): QEMU's TCG emulates AMD SVM, so
# Debian's own kernel booted under `-accel tcg -cpu EPYC,+svm` can load kvm-amd and
# offer /dev/kvm. The host's / is shared read-only over virtio-9p and OUT read-write;
# the machine's init mounts both at the same paths, chroots into the host's tree and
# runs SCRIPT there, so every path (checkout, build outputs, OUT) is the host's path.
# SCRIPT's status lands in OUT/emu.rc; OUT/emu.ready marks the end of the boot.
#
# Exit: SCRIPT's status; 124 when the machine did not finish in EMU_TIMEOUT seconds
# or used no CPU for EMU_STALL seconds (an infrastructure hang: nothing inside
# could time it out), 125 for setup errors.
# Knobs: EMU_TIMEOUT (s, default 1800), EMU_STALL (s, default 120), EMU_MEM (default 4G),
# EMU_SMP (default 1), EMU_SCRATCH (size of the /var/tmp disk, default 8G), EMU_CONSOLE (file for the machine's console, default
# OUT/emu-console.log), EMU_HANG_REPORT (where a hang's diagnosis goes, default
# OUT/emu-hang.txt), EMU_KEEP (host folders under /tmp, /var/tmp or /run the script needs,
# one a line; the working directory always is one).
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cache=${XDG_CACHE_HOME:-$HOME/.cache}/libkrun-c/emu
# Modules the machine loads, dependencies first (resolved from modules.dep).
# kvm-amd gives /dev/kvm; 9p over virtio-pci shares the host's files; the rest
# serve later tests (vhost-vsock peers, veth test networks).
# serve later tests (vhost-vsock peers, veth test networks); virtio_blk and ext4
# (with the crc32c ext4 asks for) give the scratch disk (see run).
# The netfilter and bridge modules let podman's netavark publish ports (OCI tests).
modules=(kvm-amd 9p 9pnet_virtio virtio_pci vhost_vsock veth tun virtio_blk crc32c_generic ext4
	bridge br_netfilter nf_tables nft_compat nft_chain_nat nf_nat nf_conntrack nft_masq
	xt_nat xt_MASQUERADE xt_addrtype xt_conntrack xt_comment xt_mark xt_multiport xt_tcpudp)

die() { echo "emu: $*" >&2; exit 125; }

kernel_pkg() {
	apt-cache depends linux-image-amd64 2>/dev/null |
		awk '/Depends: linux-image-[0-9]/ { print $2; exit }'
}

# Writes the modules to load, in order, for the unpacked tree $1 (release $2).
resolve_modules() {
	local root=$1 rel=$2 dep=$1/lib/modules/$2/modules.dep
	declare -A seen=()
	local order=()
	visit() {
		local path=$1 line d
		[ -n "${seen[$path]:-}" ] && return
		seen[$path]=1
		line=$(grep -m1 "^$path:" "$dep") || return
		for d in ${line#*:}; do visit "$d"; done
		order+=("$path")
	}
	local m path
	for m in "${modules[@]}"; do
		path=$(grep -m1 -E "/(${m}|${m//-/_}|${m//_/-})\.ko:" "$dep" | cut -d: -f1)
		[ -n "$path" ] || { echo "emu: module $m not in $rel, skipped" >&2; continue; }
		visit "$path"
	done
	printf '%s\n' "${order[@]}"
}

prepare() {
	local pkg dir tmp rel
	pkg=$(kernel_pkg)
	[ -n "$pkg" ] || die "cannot find Debian's linux-image package (apt-get update?)"
	dir=$cache/$pkg
	if [ -f "$dir/ready" ]; then
		echo "$dir"
		return 0
	fi
	echo "emu: preparing the emulated KVM machine from $pkg (once; cached in $dir)" >&2
	tmp=$(mktemp -d) || die "mktemp"
	(cd "$tmp" && apt-get download -q "$pkg" >/dev/null 2>"$tmp/apt.err") ||
		{ cat "$tmp/apt.err" >&2; rm -rf "$tmp"; die "apt-get download $pkg failed"; }
	dpkg-deb -x "$tmp"/*.deb "$tmp/x" || die "dpkg-deb failed"
	rel=$(ls "$tmp/x/lib/modules")
	depmod -b "$tmp/x" "$rel" || die "depmod failed"

	local ird=$tmp/initramfs
	mkdir -p "$ird"/{bin,dev,proc,sys,host,lib/modules} || die "mkdir"
	cp /bin/busybox "$ird/bin/busybox" || die "busybox-static is not installed"
	resolve_modules "$tmp/x" "$rel" >"$ird/modules.order"
	while read -r m; do
		cp "$tmp/x/lib/modules/$rel/$m" "$ird/lib/modules/" || die "copy $m"
		echo "$(basename "$m")" >>"$ird/modules.list"
	done <"$ird/modules.order"
	cp "$here/emu-init.sh" "$ird/init" && chmod +x "$ird/init" || die "init"
	(cd "$ird" && find . | cpio -o -H newc --quiet | gzip -1) >"$tmp/initramfs.gz" ||
		die "cpio failed"

	rm -rf "$dir" && mkdir -p "$dir" || die "mkdir $dir"
	cp "$tmp/x/boot/vmlinuz-$rel" "$dir/vmlinuz" && cp "$tmp/initramfs.gz" "$dir/" ||
		die "cache write"
	echo "$rel" >"$dir/release"
	cat "$here/emu-init.sh" "$here/emu.sh" | sha256sum | cut -c1-16 >"$dir/inputs"
	touch "$dir/ready"
	rm -rf "$tmp"
	echo "$dir"
}

machine_dir() {
	local dir
	dir=$(prepare) || exit 125
	# The initramfs holds emu-init.sh and this script's module list: rebuild on change.
	if [ "$(cat "$here/emu-init.sh" "$here/emu.sh" | sha256sum | cut -c1-16)" != \
		"$(cat "$dir/inputs")" ]; then
		rm -f "$dir/ready"
		dir=$(prepare) || exit 125
	fi
	echo "$dir"
}

run() {
	local out=$1 script=$2 dir rc pid start
	[ -d "$out" ] || die "no output directory $out"
	[ -f "$script" ] || die "no script $script"
	out=$(cd "$out" && pwd)
	dir=$(machine_dir) || exit 125
	cp "$script" "$out/emu-cmd.sh" || die "copy script"
	rm -f "$out/emu.rc" "$out/emu.ready" "$out/emu.current"
	# The machine mounts its own tmpfs on /tmp and /run; folders of the host
	# under them that the script needs (a checkout under /tmp: the caller's
	# working directory, and EMU_KEEP's lines) are bound back at their paths.
	# Read by emu-init.sh one path a line, so that any name, spaces included,
	# gets through (the kernel command line would split it).
	{
		pwd
		[ -n "${EMU_KEEP:-}" ] && printf '%s\n' "$EMU_KEEP"
	} >"$out/emu.keep"
	local console=${EMU_CONSOLE:-$out/emu-console.log}
	local timeout_s=${EMU_TIMEOUT:-1800}

	# thread=single: multi-threaded TCG hung nested KVM about once in 13 runs;
	# single-threaded TCG did not (issue 2). One emulated CPU: with two, nested
	# guests froze at random points of their boot in 5 of 20 runs of ours and 2 of
	# 25 of QEMU's own microvm (same kernel), and in 0 of 20 with one. -no-reboot + panic=-1: a guest panic
	# ends QEMU instead of looping.
	# A scratch disk for the machine's /var/tmp, where tests keep their files: a
	# real file system (ext2, made here in well under a second: under TCG it
	# would be slow), so that user.* xattrs work as on a host disk (the
	# machine's tmpfs, Linux 6.1, keeps none). Sparse; deleted afterwards.
	local scratch=$out/emu-scratch.img
	rm -f "$scratch"
	truncate -s "${EMU_SCRATCH:-8G}" "$scratch" &&
		busybox mke2fs -q -F -m 0 -i 65536 "$scratch" >/dev/null 2>&1 ||
		die "cannot make the scratch disk $scratch"
	# A monitor on two FIFOs (QEMU opens them read-write, so it never waits for
	# us), asked for the machine's state if it hangs.
	local mon=$out/emu-monitor
	rm -f "$mon.in" "$mon.out"
	mkfifo "$mon.in" "$mon.out" || die "mkfifo $mon"
	start=$(date +%s.%N)
	timeout --kill-after=10 "$timeout_s" qemu-system-x86_64 \
		-accel tcg,thread=single -machine q35 -cpu EPYC,+svm \
		-smp "${EMU_SMP:-1}" -m "${EMU_MEM:-4G}" \
		-nographic -no-reboot -nodefaults -serial "file:$console" \
		-kernel "$dir/vmlinuz" -initrd "$dir/initramfs.gz" \
		-append "console=ttyS0 quiet panic=-1 emu_out=$out" \
		-virtfs "local,path=/,mount_tag=host,security_model=none,readonly=on,multidevs=remap" \
		-virtfs "local,path=$out,mount_tag=out,security_model=none,multidevs=remap" \
		-chardev "pipe,id=mon,path=$mon" -mon chardev=mon,mode=readline \
		-drive "file=$scratch,if=virtio,format=raw,cache=unsafe" \
		</dev/null >"$out/emu-qemu.log" 2>&1 &
	pid=$!
	# A hung machine (seen: QEMU at 0% CPU, the machine's clock stopped, no
	# console output) cannot time its own tests out: QEMU using no CPU at all
	# for EMU_STALL seconds (default 120) ends the run as a timeout, which
	# vmtests.sh retries once. A live machine always burns some CPU on its
	# own timers, even while every test process sleeps.
	# A machine might also stop making progress while QEMU burns CPU (a CI run
	# whose retry ran until CI's own limit may have been one): then the host
	# clock decides. The
	# boot must end within EMU_BOOT_LIMIT seconds (default 600), and the test
	# vmtests.sh names in OUT/emu.current must end within its own limit plus
	# EMU_GRACE seconds (default 180); inside, `timeout` ends it at its limit,
	# so only a machine that no longer runs its clock or processes gets here.
	local stall_s=${EMU_STALL:-120} qpid='' cpu last_cpu='' last_change=$SECONDS
	local last_check=$SECONDS stalled='' boot_start=$SECONDS
	local cur='' cur_since=$SECONDS cur_name cur_limit now_cur why
	while kill -0 "$pid" 2>/dev/null; do
		if [ -f "$out/emu.ready" ] && [ ! -f "$out/emu.boot_s" ]; then
			echo "$(date +%s.%N) $start" | awk '{ printf "%.1f\n", $1 - $2 }' \
				>"$out/emu.boot_s"
		fi
		if [ -n "$stalled" ] && ((SECONDS - stalled >= 15)); then
			kill -KILL "$qpid" "$pid" 2>/dev/null # a stopped QEMU ignores TERM
		elif [ -z "$stalled" ] && ((SECONDS - last_check >= 10)); then
			last_check=$SECONDS
			[ -n "$qpid" ] || qpid=$(pgrep -P "$pid" | head -n 1)
			cpu=$(cpu_ticks "$qpid")
			if [ "$cpu" != "$last_cpu" ]; then
				last_cpu=$cpu last_change=$SECONDS
			fi
			why=''
			now_cur=$(cat "$out/emu.current" 2>/dev/null)
			if [ "$now_cur" != "$cur" ]; then
				cur=$now_cur cur_since=$SECONDS
			fi
			read -r cur_name cur_limit <<<"$cur"
			if ((SECONDS - last_change >= stall_s)); then
				why="used no CPU for ${stall_s}s"
			elif [ ! -f "$out/emu.ready" ] &&
				((SECONDS - boot_start >= ${EMU_BOOT_LIMIT:-600})); then
				why="did not boot within ${EMU_BOOT_LIMIT:-600}s"
			elif [ -n "$cur_name" ] && [ ! -f "$out/$cur_name.rc" ] &&
				((SECONDS - cur_since >= ${cur_limit:-0} + ${EMU_GRACE:-180})); then
				why="ran $cur_name for $((SECONDS - cur_since))s by the host's clock, past its ${cur_limit}s limit + ${EMU_GRACE:-180}s"
			fi
			if [ -n "$why" ]; then
				echo "emu: the emulated machine $why: hung" >&2
				hang_report "$qpid" "$mon" "$console" >"${EMU_HANG_REPORT:-$out/emu-hang.txt}" 2>&1
				stalled=$SECONDS
				kill "$qpid" "$pid" 2>/dev/null
			fi
		fi
		sleep 0.2
	done
	wait "$pid"
	rc=$?
	rm -f "$mon.in" "$mon.out" "$scratch"
	if [ -f "$out/emu.rc" ]; then
		return "$(cat "$out/emu.rc")"
	fi
	if [ -n "$stalled" ]; then
		return 124
	fi
	if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
		echo "emu: the emulated machine did not finish within ${timeout_s}s" >&2
		return 124
	fi
	echo "emu: the emulated machine stopped without a result (qemu status $rc)" >&2
	tail -n 30 "$console" >&2
	cat "$out/emu-qemu.log" >&2
	return 125
}

# hang_report QPID MONITOR CONSOLE: what a hung machine was doing, to tell our
# bug from the known class of nested-TCG freezes: the vCPU's registers from
# QEMU's monitor (a frozen main loop may not answer: bounded), QEMU's threads
# with their states and kernel stacks, and the machine's last console lines.
hang_report() {
	local qpid=$1 mon=$2 console=$3 t
	echo "== QEMU monitor (pid $qpid)"
	cat "$mon.out" >"$mon.txt" 2>/dev/null &
	local reader=$!
	# info lapic: whether the machine's timer is armed (a halted CPU with
	# interrupts on and no timer armed is the emulator's lost timer, not ours).
	{ printf 'info status\ninfo registers\ninfo lapic\ninfo irq\n'; } >"$mon.in" &
	local writer=$!
	sleep 5
	kill "$reader" "$writer" 2>/dev/null
	# The monitor echoes each command a key at a time with cursor moves: keep
	# the command it typed last.
	local esc=$'\x1b'
	if [ -s "$mon.txt" ]; then
		tr -d '\r' <"$mon.txt" |
			sed -E "s/^(\(qemu\) ).*$esc\[D([^$esc]*)$esc\[K\$/\1\2/"
	else
		echo "(no answer within 5 s)"
	fi
	rm -f "$mon.txt"
	echo "== QEMU threads: name, state, wait channel, kernel stack"
	for t in /proc/"$qpid"/task/*; do
		[ -d "$t" ] || continue
		echo "-- $(basename "$t") $(cat "$t/comm" 2>/dev/null)" \
			"state=$(awk '{ print $3 }' "$t/stat" 2>/dev/null)" \
			"wchan=$(cat "$t/wchan" 2>/dev/null)" \
			"cpu_ticks=$(awk '{ print $14 + $15 }' "$t/stat" 2>/dev/null)"
		sed 's/^/   /' "$t/stack" 2>/dev/null | head -n 12
	done
	echo "== the machine's last console lines ($console)"
	tail -n 30 "$console" 2>/dev/null
	# An experiment for the diagnosis only (the run is retried either way): does
	# an interrupt from outside wake the machine? If it does, it was waiting for
	# a timer interrupt that never came.
	echo "== an NMI through the monitor; QEMU's CPU time over the next 10 s"
	local before after
	before=$(cpu_ticks "$qpid")
	printf 'nmi\n' >"$mon.in" &
	local nmi=$!
	sleep 10
	kill "$nmi" 2>/dev/null
	after=$(cpu_ticks "$qpid")
	if [ -n "$before" ] && [ -n "$after" ] && [ "$after" != "$before" ]; then
		echo "it woke: $before -> $after ticks (a lost wakeup of the emulated CPU)"
	else
		echo "it stayed idle ($before -> $after ticks)"
	fi
	tail -n 5 "$console" 2>/dev/null
}

# cpu_ticks PID: user + system CPU time of PID in clock ticks ("" if gone).
cpu_ticks() {
	[ -n "$1" ] && awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null
}

case ${1:-} in
prepare) machine_dir ;;
run) [ $# -eq 3 ] || die "usage: emu.sh run OUT SCRIPT"; run "$2" "$3" ;;
*) echo "usage: emu.sh prepare | emu.sh run OUT SCRIPT" >&2; exit 2 ;;
esac
