#!/usr/bin/env bash
# krun_add_virtiofs3(..., read_only = true): the VMM's server refuses every
# change to the host folder with EROFS, also after the guest remounts its side
# read-write; reads work. With the tag /dev/root the guest's whole root is
# such a share, and the workload still runs from it.
# timeout: 180
. "$SRC/tests/vm/lib.bash"

root=$TEST_TMP/root
make_root "$root"
mkdir -p "$TEST_TMP/ro/sub" "$root/mnt/ro" || fail "mkdir"
echo "host data" >"$TEST_TMP/ro/file"
before=$(cd "$TEST_TMP/ro" && find . -printf '%p %m %s %T@\n' | sort | md5sum)

# The guest's commands each must fail with "Read-only file system"; one that
# succeeds, or fails otherwise, is reported.
checks='
	die() { echo "FAIL (guest): $*"; exit 1; }
	refused() {
		err=$("$@" 2>&1) && die "allowed: $*"
		case $err in *"Read-only file system"*) ;; *) die "$*: $err" ;; esac
	}
	each_change() {
		d=$1
		[ "$(cat "$d/file")" = "host data" ] || die "cannot read $d/file"
		refused sh -c "echo x >$d/new"
		refused sh -c "echo x >>$d/file"
		refused sh -c ": >$d/file"
		refused mkdir "$d/newdir"
		refused rm "$d/file"
		refused rmdir "$d/sub"
		refused mv "$d/file" "$d/moved"
		refused ln -s file "$d/link"
		refused ln "$d/file" "$d/hard"
		refused chmod 600 "$d/file"
		refused touch -d "2001-01-01" "$d/file"
		refused mknod "$d/fifo" p
	}'

out=$(root_run "$root" --virtiofs-ro "data:$TEST_TMP/ro" -- /bin/sh -c "$checks"'
	mount -t virtiofs data /mnt/ro || die "mount"
	grep -q " /mnt/ro virtiofs rw" /proc/mounts || die "not mounted read-write by the guest"
	each_change /mnt/ro
	mount -o remount,rw /mnt/ro || die "remount"
	each_change /mnt/ro
	echo "guest: done"' 2>&1)
rc=$?
echo "$out"
[ "$rc" = 0 ] && grep -q "guest: done" <<<"$out" || fail "read-only share: guest checks failed (exit $rc)"
after=$(cd "$TEST_TMP/ro" && find . -printf '%p %m %s %T@\n' | sort | md5sum)
[ "$before" = "$after" ] || fail "the read-only host folder changed"

# The root itself read-only: the workload runs, and cannot write to /.
out=$(root_run "$root" --virtiofs-ro "/dev/root:$root" -- /bin/sh -c "$checks"'
	echo "host data" >/dev/shm/x || die "tmpfs is not writable"
	mkdir -p /dev/shm/d && cp /etc/passwd /dev/shm/d/ || die "tmpfs copy"
	refused sh -c "echo x >/written-by-guest"
	refused mkdir /newdir
	echo "guest: root done"' 2>&1)
rc=$?
echo "$out"
[ "$rc" = 0 ] && grep -q "guest: root done" <<<"$out" || fail "read-only root: guest checks failed (exit $rc)"
[ ! -e "$root/written-by-guest" ] && [ ! -e "$root/newdir" ] || fail "the guest wrote to a read-only root"
echo "ok: read-only shares and root refuse every change with EROFS, also after a remount"
