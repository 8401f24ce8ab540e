#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The guest kernel reaches userspace and binds virtio-mmio drivers, under QEMU's TCG
# (no KVM needed). It boots build/kernel/vmlinux on `-M microvm,acpi=off` (through the
# kernel's PVH entry, which QEMU needs to load an ELF) with a gzip'd busybox
# initramfs whose /init prints a marker, then reboots (-no-reboot makes QEMU exit);
# then again with the same initramfs as a plain (uncompressed) cpio.
# QEMU's microvm puts its virtio-mmio devices on the kernel command line itself
# (virtio_mmio.device=...), the way our VMM does.
#
# Run from the repo root. Exit: 0 pass, 1 fail, 77 skip (no QEMU or busybox).
#   KRUNFW_VMLINUX     kernel to boot (default build/kernel/vmlinux)
#   TCG_BOOT_TIMEOUT   seconds to wait for the marker (default 120)
#   TCG_BOOT_APPEND    extra kernel parameters, e.g. loglevel=7 to see the whole boot
set -u

vmlinux=${KRUNFW_VMLINUX:-build/kernel/vmlinux}
limit=${TCG_BOOT_TIMEOUT:-120}
marker=KRUNFW-USERSPACE-OK
qemu=$(command -v qemu-system-x86_64) || { echo "SKIP tcg_boot: no qemu-system-x86_64"; exit 77; }
busybox=/bin/busybox
if ! [ -x "$busybox" ] || ! "$busybox" --list 2>/dev/null | grep -qx reboot; then
	echo "SKIP tcg_boot: no static $busybox (busybox-static)"
	exit 77
fi
[ -f "$vmlinux" ] || { echo "FAIL tcg_boot: $vmlinux missing (run make libkrunfw)"; exit 1; }

tmp=$(mktemp -d)
qpid=
cleanup() {
	[ -n "$qpid" ] && kill "$qpid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

# --- initramfs: busybox and an /init (the kernel's built-in cpio adds /dev/console) ---
root=$tmp/root
mkdir -p "$root/bin" "$root/proc" "$root/sys"
cp "$busybox" "$root/bin/busybox"
cat >"$root/init" <<EOF
#!/bin/busybox sh
bb=/bin/busybox
\$bb mount -t proc proc /proc
\$bb mount -t sysfs sysfs /sys
n=0 bound=0
for d in /sys/bus/virtio/devices/*; do
	[ -e "\$d" ] || continue
	n=\$((n + 1))
	[ -e "\$d/driver" ] && bound=\$((bound + 1))
done
echo "$marker \$(\$bb uname -r) uptime=\$(\$bb cut -d' ' -f1 /proc/uptime) virtio=\$n bound=\$bound"
\$bb sync
\$bb reboot -f
EOF
chmod 755 "$root/init"
if ! (cd "$root" && find . | cpio -o -H newc --quiet) >"$tmp/initrd.cpio" ||
	! gzip -1 -c "$tmp/initrd.cpio" >"$tmp/initrd.cpio.gz"; then
	echo "FAIL tcg_boot: cannot build the initramfs"
	exit 1
fi

# boot INITRD: boots once; prints the timing line, or the console on failure; 0 = pass.
# reboot=t: no ACPI and no i8042 here, so a triple fault is the way out; panic=-1 turns
# a panic into that same exit instead of a hang.
boot() {
	local initrd=$1 log=$tmp/console.log start found='' line ms release uptime virtio bound

	start=$(date +%s%N)
	timeout "$limit" "$qemu" -M microvm,acpi=off -accel tcg -m 256 -smp 1 \
		-nographic -no-reboot -kernel "$vmlinux" -initrd "$initrd" \
		-append "console=ttyS0 reboot=t panic=-1 ${TCG_BOOT_APPEND:-}" \
		-device virtio-rng-device -device virtio-balloon-device \
		</dev/null >"$log" 2>&1 &
	qpid=$!
	while kill -0 "$qpid" 2>/dev/null; do
		if grep -q "^$marker" "$log"; then
			found=$(date +%s%N)
			break
		fi
		sleep 0.05
	done
	[ -n "$found" ] || found=$(date +%s%N) # QEMU ended between two looks
	# After the marker the guest reboots, which ends QEMU; give it a moment.
	for _ in $(seq 100); do kill -0 "$qpid" 2>/dev/null || break; sleep 0.05; done
	kill "$qpid" 2>/dev/null
	wait "$qpid" 2>/dev/null
	qpid=

	line=$(grep -a "^$marker" "$log" | head -n 1 | tr -d '\r')
	if [ -z "$line" ]; then
		echo "FAIL tcg_boot: ${initrd##*/}: no '$marker' from userspace within ${limit}s; console:"
		sed 's/^/  | /' "$log"
		return 1
	fi
	ms=$(((found - start) / 1000000))
	# "KRUNFW-USERSPACE-OK <release> uptime=<s> virtio=<n> bound=<n>"
	read -r _ release uptime virtio bound <<<"$line"
	virtio=${virtio#virtio=}
	bound=${bound#bound=}
	echo "tcg_boot: ${initrd##*/}: linux $release reached userspace in ${ms} ms (host" \
		"clock, QEMU start included; guest uptime ${uptime#uptime=} s);" \
		"virtio devices: $virtio, bound: $bound"
	if [ "$virtio" -lt 2 ] || [ "$bound" != "$virtio" ]; then
		echo "FAIL tcg_boot: the rng and balloon virtio-mmio devices are not both bound; console:"
		sed 's/^/  | /' "$log"
		return 1
	fi
}

boot "$tmp/initrd.cpio.gz" || exit 1
boot "$tmp/initrd.cpio" || exit 1
echo "PASS tcg_boot"
