#!/usr/bin/env bash
# Data disks next to a virtio-fs root, in the order added (vda, vdb, vdc, by
# their serials, the block ids): 8 MiB of random bytes the guest writes at
# 1 MiB into a raw disk with direct I/O read back on the host with dd and the
# same checksum; a file the guest writes on an ext4 disk with KRUN_SYNC_NONE
# (no FLUSH: a write-through cache to the guest) read back with debugfs; a read-only
# disk that refuses the guest's write, whose bytes the guest reads as the
# host has them and which stays unchanged.
# timeout: 240
. "$SRC/tests/vm/lib.bash"

PATH=$PATH:/usr/sbin:/sbin # e2fsprogs' tools, for a caller without sbin in PATH
command -v mkfs.ext4 >/dev/null && command -v debugfs >/dev/null ||
	{ echo "SKIP: e2fsprogs (mkfs.ext4, debugfs) missing"; exit 77; }
root=$TEST_TMP/root
make_root "$root"
data=$TEST_TMP/data.img fs=$TEST_TMP/fs.img ro=$TEST_TMP/ro.img
truncate -s 16M "$data"
mkfs.ext4 -q -F "$fs" 32M || fail "mkfs.ext4"
head -c 4M /dev/urandom >"$ro"
ro_sum=$(sha256sum <"$ro" | cut -d' ' -f1)

out=$(root_run "$root" --disk-direct data-disk:"$data" --disk-nosync fs-disk:"$fs" \
	--disk-ro ro-disk:"$ro" \
	-- /bin/sh -c '
	echo "serials: $(cat /sys/block/vda/serial) $(cat /sys/block/vdb/serial) $(cat /sys/block/vdc/serial)"
	echo "caches: $(cat /sys/block/vda/queue/write_cache), $(cat /sys/block/vdb/queue/write_cache)"
	head -c 8388608 /dev/urandom >/tmp/r
	echo "sum: $(sha256sum </tmp/r | cut -d" " -f1)"
	dd if=/tmp/r of=/dev/vda bs=1048576 seek=1 conv=fsync 2>/dev/null || echo "dd failed"
	rm /tmp/r
	mkdir -p /mnt
	mount -t ext4 /dev/vdb /mnt && echo "guest-wrote" >/mnt/hello && umount /mnt ||
		echo "ext4 failed"
	echo "ro flag: $(cat /sys/block/vdc/ro)"
	dd if=/dev/zero of=/dev/vdc bs=4096 count=1 conv=fsync 2>/dev/null
	echo "ro write rc: $?"
	echo "ro sum: $(sha256sum </dev/vdc | cut -d" " -f1)"
	exit 0' 2>"$TEST_TMP/err")
rc=$?
echo "$out"
[ "$rc" = 0 ] || fail "exit status $rc; stderr: $(cat "$TEST_TMP/err")"
grep -qx "serials: data-disk fs-disk ro-disk" <<<"$out" || fail "disks not in the order added"
echo "ok: vda, vdb, vdc in the order added, serials from the block ids"
grep -qx "caches: write back, write through" <<<"$out" ||
	fail "FLUSH offered with KRUN_SYNC_FULL and not with KRUN_SYNC_NONE expected"
echo "ok: FLUSH offered per the sync mode"

sum=$(sed -n 's/^sum: //p' <<<"$out")
host_sum=$(dd if="$data" bs=1M skip=1 count=8 2>/dev/null | sha256sum | cut -d' ' -f1)
[ -n "$sum" ] && [ "$sum" = "$host_sum" ] || fail "raw data: guest $sum, host $host_sum"
[ "$(stat -c %s "$data")" = $((16 << 20)) ] || fail "the raw image changed size"
[ "$(head -c 1M "$data" | tr -d '\0' | wc -c)" = 0 ] || fail "bytes before the range changed"
echo "ok: 8 MiB written by the guest read back on the host with the same sha256"
# TEST_TMP is on a disk file system (tests/runner/vmtests.sh), which takes O_DIRECT.
grep -q "no direct I/O here" "$TEST_TMP/err" && fail "direct I/O fell back: $(cat "$TEST_TMP/err")"
echo "ok: that disk used direct I/O"

got=$(debugfs -R "cat /hello" "$fs" 2>/dev/null)
[ "$got" = guest-wrote ] || fail "debugfs reads '$got' from the ext4 disk"
echo "ok: the guest's file on the ext4 disk read back with debugfs"

grep -qx "ro flag: 1" <<<"$out" || fail "the guest does not see vdc read-only"
grep -q "^ro write rc: 0$" <<<"$out" && fail "a write to the read-only disk succeeded"
grep -qx "ro sum: $ro_sum" <<<"$out" || fail "the guest reads other bytes from the read-only disk"
[ "$(sha256sum <"$ro" | cut -d' ' -f1)" = "$ro_sum" ] || fail "the read-only image changed"
echo "ok: the read-only disk refused the write and is unchanged"
