#!/usr/bin/env bash
# qcow2 and VMDK behind virtio-blk (krun_add_disk3 with KRUN_DISK_FORMAT_QCOW2 /
# _VMDK): the root is a qcow2 ext4 image (mkfs.ext4 -d on raw, then qemu-img
# convert -O qcow2), and the guest writes a file there; it writes 64 MiB of
# random bytes to an empty qcow2 data disk and 8 MiB at 1 MiB into a VMDK
# (monolithicFlat) data disk, reading both back after dropping its caches.
# On the host: qemu-img check finds both qcow2 images clean, the data disk
# converted to raw has the guest's sha256, the root's file reads back with
# debugfs, and the VMDK's flat extent file holds the guest's bytes. The guest's
# blkdiscard then frees 32 MiB of the qcow2 data disk (zeroes, space back on
# the host, qemu-img check still clean).
# examples/disk_vm boots the same root compressed (qemu-img convert -c). A raw
# image named qcow2 is refused (formats are the caller's word, never probed).
# timeout: 480
. "$SRC/tests/vm/lib.bash"

PATH=$PATH:/usr/sbin:/sbin # e2fsprogs' tools, for a caller without sbin in PATH
command -v mkfs.ext4 >/dev/null && command -v debugfs >/dev/null ||
	{ echo "SKIP: e2fsprogs (mkfs.ext4, debugfs) missing"; exit 77; }
# qemu-utils is a check dependency (scripts/deps.sh): missing, the test fails.
command -v qemu-img >/dev/null || fail "qemu-img missing: install qemu-utils (scripts/deps.sh check)"
cd "$TEST_TMP" || fail "cd $TEST_TMP"
make_root root
mkfs.ext4 -q -F -d root root.raw 64M || fail "mkfs.ext4 -d"
qemu-img convert -f raw -O qcow2 root.raw root.qcow2 || fail "qemu-img convert root"
rm root.raw
qemu-img create -q -f qcow2 data.qcow2 96M || fail "qemu-img create data"
qemu-img create -q -f vmdk -o subformat=monolithicFlat d.vmdk 16M || fail "qemu-img create vmdk"
[ -f d-flat.vmdk ] || fail "no flat extent file next to d.vmdk"

out=$("$KRUN_RUN" --disk-qcow2 root:root.qcow2 --disk-qcow2 data:data.qcow2 \
	--disk-vmdk vm:d.vmdk --root-disk /dev/vda --root-fstype ext4 -- /bin/sh -c '
	echo "root: $(grep " / " /proc/mounts)"
	echo "written on the qcow2 root" >/written
	head -c 67108864 /dev/urandom | tee /dev/vdb | sha256sum | sed "s/^/sum: /"
	head -c 8388608 /dev/urandom >/tmp/r
	echo "vsum: $(sha256sum </tmp/r | cut -d" " -f1)"
	dd if=/tmp/r of=/dev/vdc bs=1048576 seek=1 conv=fsync 2>/dev/null || echo "dd failed"
	rm /tmp/r
	sync
	echo 3 >/proc/sys/vm/drop_caches
	echo "back: $(head -c 67108864 /dev/vdb | sha256sum | cut -d" " -f1)"
	echo "vback: $(dd if=/dev/vdc bs=1048576 skip=1 count=8 2>/dev/null | sha256sum | cut -d" " -f1)"
	exit 5' 2>err)
rc=$?
echo "$out"
[ "$rc" = 5 ] || fail "exit status $rc, expected 5; stderr: $(cat err)"
grep -q "^root: /dev/vda / ext4 rw" <<<"$out" || fail "the root is not /dev/vda as ext4 rw"
echo "ok: booted with the root on a qcow2 ext4 image"

sum=$(sed -n 's/^sum: \([0-9a-f]*\).*/\1/p' <<<"$out")
[ -n "$sum" ] || fail "no checksum from the guest"
grep -qx "back: $sum" <<<"$out" || fail "the guest reads other bytes back from the qcow2 disk"
qemu-img check -q data.qcow2 || fail "qemu-img check data.qcow2: $(qemu-img check data.qcow2)"
qemu-img check -q root.qcow2 || fail "qemu-img check root.qcow2: $(qemu-img check root.qcow2)"
echo "ok: qemu-img check finds both qcow2 images clean"
qemu-img convert -f qcow2 -O raw data.qcow2 data.raw || fail "qemu-img convert data"
host_sum=$(head -c 67108864 data.raw | sha256sum | cut -d' ' -f1)
[ "$sum" = "$host_sum" ] || fail "qcow2 data: guest $sum, host $host_sum"
[ "$(tail -c +67108865 data.raw | tr -d '\0' | wc -c)" = 0 ] || fail "bytes past 64 MiB changed"
echo "ok: 64 MiB written by the guest to a qcow2 disk convert back with the same sha256"

# The guest's blkdiscard (busybox) frees 32 MiB of the data disk: those read as
# zeroes in the guest and on the host, the rest is intact, the image gives
# the space back to the host's file system, and qemu-img check finds neither
# corruption nor leaks.
head -c 16777216 data.raw >want.raw && head -c 33554432 /dev/zero >>want.raw &&
	tail -c +50331649 data.raw >>want.raw || fail "building the expected disk"
kib_before=$(du -k data.qcow2 | cut -f1)
dout=$("$KRUN_RUN" --disk-qcow2 root:root.qcow2 --disk-qcow2 data:data.qcow2 \
	--root-disk /dev/vda --root-fstype ext4 -- /bin/sh -c '
	blkdiscard -o 16777216 -l 33554432 /dev/vdb || echo "blkdiscard failed"
	echo 3 >/proc/sys/vm/drop_caches
	echo "nonzero: $(dd if=/dev/vdb bs=1048576 skip=16 count=32 2>/dev/null | tr -d "\0" | wc -c)"' 2>err)
rc=$?
echo "$dout"
[ "$rc" = 0 ] || fail "blkdiscard run: exit status $rc; stderr: $(cat err)"
grep -q "blkdiscard failed" <<<"$dout" && fail "the guest's blkdiscard failed"
grep -qx "nonzero: 0" <<<"$dout" || fail "the discarded range does not read as zeroes in the guest"
kib_after=$(du -k data.qcow2 | cut -f1)
[ "$kib_after" -le $((kib_before - 30 * 1024)) ] ||
	fail "data.qcow2 took ${kib_before} KiB before the discard, ${kib_after} KiB after"
qemu-img check -q data.qcow2 || fail "qemu-img check after discard: $(qemu-img check data.qcow2)"
qemu-img convert -f qcow2 -O raw data.qcow2 data.raw || fail "qemu-img convert data"
cmp -s data.raw want.raw || fail "after the discard, the disk differs from the expected bytes"
rm -f want.raw
echo "ok: blkdiscard of 32 MiB: zeroes there, the rest intact, ${kib_before} -> ${kib_after} KiB on the host, qemu-img check clean"

qemu-img convert -f qcow2 -O raw root.qcow2 root.raw || fail "qemu-img convert root"
got=$(debugfs -R "cat /written" root.raw 2>/dev/null)
[ "$got" = "written on the qcow2 root" ] || fail "debugfs reads '$got' from the qcow2 root"
echo "ok: the guest's file on the qcow2 root read back with debugfs"

vsum=$(sed -n 's/^vsum: //p' <<<"$out")
grep -qx "vback: $vsum" <<<"$out" || fail "the guest reads other bytes back from the VMDK"
host_vsum=$(dd if=d-flat.vmdk bs=1M skip=1 count=8 2>/dev/null | sha256sum | cut -d' ' -f1)
[ -n "$vsum" ] && [ "$vsum" = "$host_vsum" ] || fail "vmdk: guest $vsum, host $host_vsum"
[ "$(stat -c %s d-flat.vmdk)" = $((16 << 20)) ] || fail "the VMDK extent changed size"
echo "ok: 8 MiB written to a VMDK flat disk are in its extent file"

# Compressed (qemu-img convert -c): read on the device's workers, whose
# seccomp list loads no library (zlib is loaded at open). ext4's journal
# writes replace compressed clusters, which are leaked by design
# (qemu-img check: 3, leaks only; 2 would be corruption).
qemu-img convert -c -f raw -O qcow2 root.raw root-c.qcow2 || fail "qemu-img convert -c"
out=$("$BUILD/examples/disk_vm" root-c.qcow2 qcow2 /bin/cat /written 2>err)
rc=$?
[ "$rc" = 0 ] && [ "$out" = "written on the qcow2 root" ] ||
	fail "disk_vm on the compressed qcow2 root: exit $rc, '$out'; stderr: $(cat err)"
qemu-img check -q root-c.qcow2
rc=$?
[ "$rc" = 0 ] || [ "$rc" = 3 ] || fail "qemu-img check root-c.qcow2: $rc: $(qemu-img check root-c.qcow2)"
echo "ok: examples/disk_vm boots a compressed qcow2 root (qemu-img check: $rc)"

err=$("$BUILD/examples/disk_vm" root.raw qcow2 /bin/true 2>&1)
rc=$?
[ "$rc" = 1 ] && grep -q "not a qcow2 image" <<<"$err" || fail "raw as qcow2: exit $rc, '$err'"
echo "ok: a raw image named qcow2 is refused up front, not probed"
