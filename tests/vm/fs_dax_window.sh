#!/usr/bin/env bash
# krun_add_virtiofs2 with a DAX window: the guest's virtio-fs finds the shared
# memory region, a "-o dax" mount maps file ranges through it (FUSE
# SETUPMAPPING into the window's memory slot), and
# - what it reads is the host's bytes, without filling the guest's page cache
#   (a 16 MiB read leaves Cached where it was; without a window it grows by the
#   file's size, checked on a second share);
# - what it writes, through write() and through truncation, lands in the host
#   file, checked on the host after the VM ended;
# - a share without a window refuses "-o dax";
# - a root given a window (krun_add_virtiofs2 of KRUN_FS_ROOT_TAG) is mounted by
#   our init with DAX, and the workload runs from it.
# timeout: 240
. "$SRC/tests/vm/lib.bash"

root=$TEST_TMP/root
make_root "$root"
mkdir -p "$TEST_TMP/dax" "$TEST_TMP/plain" "$root/mnt/dax" "$root/mnt/plain" || fail "mkdir"
head -c 16M /dev/urandom >"$TEST_TMP/dax/big" || fail "big file"
cp "$TEST_TMP/dax/big" "$TEST_TMP/plain/big" || fail "copy"
head -c 100000 /dev/urandom >"$TEST_TMP/dax/edit" || fail "edit file"
sum=$(md5sum <"$TEST_TMP/dax/big" | cut -d' ' -f1)

out=$(root_run "$root" --log-level 4 --virtiofs-dax "64:data:$TEST_TMP/dax" \
	--virtiofs "plain:$TEST_TMP/plain" -- /bin/sh -c '
	die() { echo "FAIL (guest): $*"; exit 1; }
	cached() { awk "/^Cached:/ { print \$2 }" /proc/meminfo; }
	mount -t virtiofs -o dax plain /mnt/plain 2>/dev/null && die "-o dax mounted a share without a window"
	mount -t virtiofs -o dax data /mnt/dax || die "mount -o dax"
	grep " /mnt/dax " /proc/mounts | grep -q "dax=always" || die "not a DAX mount: $(grep /mnt/dax /proc/mounts)"
	mount -t virtiofs plain /mnt/plain || die "mount plain"
	sync; echo 3 >/proc/sys/vm/drop_caches
	c0=$(cached)
	s=$(md5sum </mnt/dax/big | cut -d" " -f1)
	c1=$(cached)
	echo "guest: dax read $s, Cached ${c0} -> ${c1} KiB"
	[ "$s" = "'"$sum"'" ] || die "the DAX read differs from the host file"
	[ $((c1 - c0)) -lt 4096 ] || die "a DAX read filled the page cache by $((c1 - c0)) KiB"
	s=$(md5sum </mnt/plain/big | cut -d" " -f1)
	c2=$(cached)
	echo "guest: plain read $s, Cached ${c1} -> ${c2} KiB"
	[ "$s" = "'"$sum"'" ] || die "the plain read differs"
	[ $((c2 - c1)) -ge 12288 ] || die "a plain read did not use the page cache: the check above proves nothing"
	# Writes: in place (through the window), extending, then a truncation.
	printf "GUEST-IN-PLACE" | dd of=/mnt/dax/edit bs=1 seek=5000 conv=notrunc 2>/dev/null || die "in-place write"
	printf "GUEST-APPEND" >>/mnt/dax/edit || die "append"
	[ "$(dd if=/mnt/dax/edit bs=1 skip=5000 count=14 2>/dev/null)" = "GUEST-IN-PLACE" ] || die "read back"
	head -c 3000000 /mnt/dax/big >/mnt/dax/copy || die "copy"
	truncate -s 1000000 /mnt/dax/copy || die "truncate"
	[ "$(wc -c </mnt/dax/copy)" = 1000000 ] || die "size after truncate"
	head -c 1000000 /mnt/dax/big | cmp - /mnt/dax/copy || die "content after truncate"
	umount /mnt/dax || die "umount"
	echo "guest: done"' 2>&1)
rc=$?
echo "$out" | grep -v "^\[" | tail -n 20
[ "$rc" = 0 ] && grep -q "guest: done" <<<"$out" || fail "DAX share: guest checks failed (exit $rc)"
grep -q "DAX window of 64 MiB" <<<"$out" || fail "the VMM did not log the window"

# The host file holds the guest's writes.
[ "$(dd if="$TEST_TMP/dax/edit" bs=1 skip=5000 count=14 2>/dev/null)" = "GUEST-IN-PLACE" ] ||
	fail "the in-place write is not in the host file"
[ "$(tail -c 12 "$TEST_TMP/dax/edit")" = "GUEST-APPEND" ] || fail "the append is not in the host file"
[ "$(stat -c %s "$TEST_TMP/dax/copy")" = 1000000 ] || fail "the truncation is not in the host file"
head -c 1000000 "$TEST_TMP/dax/big" | cmp - "$TEST_TMP/dax/copy" || fail "copy differs on the host"

out=$(root_run "$root" --virtiofs-dax "32:/dev/root:$root" -- /bin/sh -c \
	'grep " / virtiofs " /proc/mounts; md5sum </bin/busybox' 2>&1)
rc=$?
echo "$out"
[ "$rc" = 0 ] || fail "a DAX root: exit $rc"
grep " / virtiofs " <<<"$out" | grep -q "dax=always" || fail "the root with a window is not a DAX mount"
grep -q "$(md5sum <"$root/bin/busybox" | cut -d' ' -f1)" <<<"$out" || fail "busybox read over the DAX root differs"
echo "ok: DAX window: reads bypass the guest's page cache, writes land in the host files, a root with a window is DAX"
