#!/usr/bin/env bash
# The other ways to a disk root: upstream's deprecated krun_set_root_disk
# (/dev/vda, any file system) with krun_set_data_disk (/dev/vdb, raw bytes the
# host reads back); krun_set_root_disk_remount with options ("ro,noatime":
# the root is read-only and not updating atimes); and a read-only disk given
# no "ro", which init mounts read-only, as mount(8) would.
# timeout: 240
. "$SRC/tests/vm/lib.bash"

PATH=$PATH:/usr/sbin:/sbin # e2fsprogs' tools, for a caller without sbin in PATH
command -v mkfs.ext4 >/dev/null ||
	{ echo "SKIP: e2fsprogs (mkfs.ext4) missing"; exit 77; }
root=$TEST_TMP/root
img=$TEST_TMP/root.img data=$TEST_TMP/data.img
make_root "$root"
mkfs.ext4 -q -F -d "$root" "$img" 64M || fail "mkfs.ext4 -d"
truncate -s 4M "$data"

out=$("$KRUN_RUN" --set-root-disk "$img" --set-data-disk "$data" -- /bin/sh -c '
	echo "root: $(grep " / " /proc/mounts)"
	echo "serials: $(cat /sys/block/vda/serial) $(cat /sys/block/vdb/serial)"
	printf "old-data-disk" | dd of=/dev/vdb bs=512 seek=2 conv=fsync 2>/dev/null
	exit 4' 2>"$TEST_TMP/err")
rc=$?
echo "$out"
[ "$rc" = 4 ] || fail "old calls: exit $rc, expected 4; stderr: $(cat "$TEST_TMP/err")"
grep -q "^root: /dev/vda / ext4 rw" <<<"$out" || fail "old calls: the root is not /dev/vda (ext4, rw)"
grep -qx "serials: root data" <<<"$out" || fail "old calls: root then data expected"
[ "$(dd if="$data" bs=512 skip=2 count=1 2>/dev/null | head -c 13)" = old-data-disk ] ||
	fail "old calls: the guest's bytes are not at sector 2 of the data disk"
echo "ok: krun_set_root_disk and krun_set_data_disk: root on vda, data on vdb"

out=$("$KRUN_RUN" --disk root:"$img" --root-disk /dev/vda --root-fstype ext4 \
	--root-options ro,noatime -- /bin/sh -c '
	echo "root: $(grep " / " /proc/mounts)"
	touch /new-file 2>/dev/null; echo "touch rc: $?"' 2>"$TEST_TMP/err")
rc=$?
echo "$out"
[ "$rc" = 0 ] || fail "options: exit $rc; stderr: $(cat "$TEST_TMP/err")"
grep -q "^root: /dev/vda / ext4 ro,noatime" <<<"$out" || fail "options: not mounted ro,noatime"
grep -qx "touch rc: 0" <<<"$out" && fail "options: a file was created on the read-only root"
echo "ok: mount options ro,noatime applied as flags"

out=$("$KRUN_RUN" --disk-ro root:"$img" --root-disk /dev/vda -- /bin/sh -c '
	echo "root: $(grep " / " /proc/mounts)"' 2>"$TEST_TMP/err")
rc=$?
echo "$out"
[ "$rc" = 0 ] || fail "read-only disk: exit $rc; stderr: $(cat "$TEST_TMP/err")"
grep -q "^root: /dev/vda / ext4 ro" <<<"$out" || fail "read-only disk: root not mounted read-only"
echo "ok: a read-only disk becomes a read-only root without asking"
