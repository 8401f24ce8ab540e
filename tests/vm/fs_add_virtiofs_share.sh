#!/usr/bin/env bash
# krun_add_virtiofs: extra host directories, each under its tag, are mounted by
# the guest with `mount -t virtiofs TAG DIR`; each shows its own host directory
# (not the root, not the other share), writes land there, and an unknown tag
# does not mount.
# timeout: 120
. "$SRC/tests/vm/lib.bash"

root=$TEST_TMP/root
make_root "$root"
mkdir -p "$TEST_TMP/one" "$TEST_TMP/two" "$root/mnt/one" "$root/mnt/two" "$root/mnt/bad" ||
	fail "mkdir"
echo "share one" >"$TEST_TMP/one/id"
echo "share two" >"$TEST_TMP/two/id"

out=$(root_run "$root" --virtiofs "data1:$TEST_TMP/one" --virtiofs "data2:$TEST_TMP/two" -- \
	/bin/sh -c '
	die() { echo "FAIL (guest): $*"; exit 1; }
	mount -t virtiofs data1 /mnt/one || die "mount data1"
	mount -t virtiofs data2 /mnt/two || die "mount data2"
	grep -q " /mnt/one virtiofs " /proc/mounts || die "/mnt/one is not virtiofs"
	[ "$(cat /mnt/one/id)" = "share one" ] || die "/mnt/one/id: $(cat /mnt/one/id)"
	[ "$(cat /mnt/two/id)" = "share two" ] || die "/mnt/two/id: $(cat /mnt/two/id)"
	[ ! -e /mnt/one/bin ] || die "share one shows the root"
	echo written-by-guest >/mnt/one/new && mkdir /mnt/two/newdir || die "write"
	mount -t virtiofs nosuchtag /mnt/bad 2>/dev/null && die "an unknown tag mounted"
	umount /mnt/one && umount /mnt/two || die "umount"
	[ ! -e /mnt/one/id ] || die "still mounted"
	echo "guest: done"' 2>&1)
rc=$?
echo "$out"
[ "$rc" = 0 ] && grep -q "guest: done" <<<"$out" || fail "guest checks failed (exit $rc)"
[ "$(cat "$TEST_TMP/one/new")" = written-by-guest ] && [ -d "$TEST_TMP/two/newdir" ] ||
	fail "the guest's writes are not in the host directories"
[ ! -e "$root/mnt/one/new" ] && [ ! -e "$TEST_TMP/two/new" ] ||
	fail "a write landed in the wrong directory"
echo "ok: two extra virtio-fs shares, each its own host directory"
