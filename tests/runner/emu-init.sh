#!/bin/busybox sh
# /init of the emulated KVM machine (see emu.sh): load kvm-amd and 9p, mount the
# host's / read-only and the output share at its host path, chroot, run the command.
# The kernel passes emu_out=<host path of the output dir> in our environment.
/bin/busybox --install -s /bin
export PATH=/bin

fail() {
	echo "emu-init: $*"
	[ -d /host$emu_out ] && echo 125 >/host$emu_out/emu.rc
	poweroff -f
}

mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev

for m in $(cat /modules.list); do
	insmod /lib/modules/$m || echo "emu-init: insmod $m failed"
done
[ -c /dev/kvm ] || echo "emu-init: no /dev/kvm after loading kvm-amd"

o=trans=virtio,version=9p2000.L,msize=512000
mount -t 9p -o ro,cache=loose,$o host /host || fail "cannot mount the host's /"
mount --bind /dev /host/dev || fail "bind /dev"
mkdir -p /dev/pts /dev/shm
mount -t proc proc /host/proc
mount -t sysfs sys /host/sys
mount -t devpts -o newinstance,ptmxmode=0666 devpts /host/dev/pts
mount -t tmpfs shm /host/dev/shm
# The host's /tmp, /var/tmp and /run stay reachable under /lower, for the folders
# of emu.keep (a checkout under /tmp) that are bound back over the machine's own:
# tmpfs on /tmp and /run, the scratch disk (ext2, user xattrs) on /var/tmp.
mkdir -p /lower/tmp /lower/run /lower/var/tmp
mount --bind /host/tmp /lower/tmp
mount --bind /host/run /lower/run
mount --bind /host/var/tmp /lower/var/tmp
cp "/host$emu_out/emu.keep" /emu.keep 2>/dev/null
mount -t tmpfs tmp /host/tmp
mount -t tmpfs run /host/run
if mount -t ext4 -o noatime /dev/vda /host/var/tmp; then
	chmod 1777 /host/var/tmp
else
	echo "emu-init: no scratch disk: /var/tmp is a tmpfs"
	mount -t tmpfs vartmp /host/var/tmp
fi
if [ -f /emu.keep ]; then
	while IFS= read -r p; do
		case $p in
		/tmp/?* | /run/?* | /var/tmp/?*) ;;
		*) continue ;;
		esac
		[ -d "/lower$p" ] || continue
		mkdir -p "/host$p" && mount --bind "/lower$p" "/host$p" ||
			echo "emu-init: cannot bind $p"
	done </emu.keep
fi
# After the tmpfs mounts: the output share may live under /tmp.
mkdir -p /host$emu_out 2>/dev/null
mount -t 9p -o $o out /host$emu_out || fail "cannot mount the output share"
ip link set lo up 2>/dev/null || ifconfig lo 127.0.0.1 up

echo ready >/host$emu_out/emu.ready
chroot /host /bin/bash $emu_out/emu-cmd.sh
echo $? >/host$emu_out/emu.rc
sync
poweroff -f
