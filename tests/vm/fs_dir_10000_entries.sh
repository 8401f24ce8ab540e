#!/usr/bin/env bash
# Large directories list completely both ways: the guest lists (and stats)
# 10 000 files the host made, and the host lists 2 000 files the guest made
# (not 10 000: each create is several FUSE requests, ~9 ms apiece in emulated
# KVM). Each side compares the full sorted name list with the other's. Then the
# guest removes a directory of 300 host files on a tmpfs with rm -r.
# timeout: 150
. "$SRC/tests/vm/lib.bash"

N=10000 NG=2000
root=$TEST_TMP/root
make_root "$root"
mkdir "$root/fromhost" "$root/fromguest" "$TEST_TMP/expect" || fail "mkdir"
fs_ops=$BUILD/tests/vm/guest/fs_ops
"$fs_ops" create-many "$root/fromhost" "$N" >/dev/null || fail "host: cannot create $N files"
"$fs_ops" create-many "$TEST_TMP/expect" "$NG" >/dev/null || fail "host: cannot create $NG files"
names() { (cd "$1" && ls -A | LC_ALL=C sort | md5sum | cut -d' ' -f1); }
# rm -r removes what each getdents gave it before it reads on. On tmpfs before
# Linux 6.6, directory offsets count entries from the first, so the server
# must not read entries it does not send (src/fs/ops_dir.c): seeking back over
# them after the removals skipped entries, and rm failed with ENOTEMPTY.
NR=300
mkdir "$root/rm" || fail "mkdir rm"
if mount -t tmpfs -o size=8m tmpfs "$root/rm"; then
	trap 'umount -l "$root/rm"' EXIT
else
	echo "no tmpfs here: rm -r runs on $(stat -f -c %T "$root/rm")"
fi
mkdir "$root/rm/d" && "$fs_ops" create-many "$root/rm/d" "$NR" >/dev/null ||
	fail "host: cannot create $NR files"

out=$(root_run "$root" -- /bin/sh -c '
	set -e
	l=$(ls -A /fromhost)
	echo "count $(echo "$l" | wc -l)"
	echo "names $(echo "$l" | LC_ALL=C sort | md5sum | cut -d" " -f1)"
	echo "stat $(find /fromhost -type f -size 0 | wc -l)"
	fs_ops create-many /fromguest '"$NG"' >/dev/null
	echo "guest-count $(ls -A /fromguest | wc -l)"
	rm -r /rm/d || echo "rm failed"') || fail "guest failed: $out"
echo "$out"
[ "$(sed -n 's/^count //p' <<<"$out")" = "$N" ] || fail "guest listed a wrong count"
[ "$(sed -n 's/^names //p' <<<"$out")" = "$(names "$root/fromhost")" ] ||
	fail "guest's name list differs from the host's"
[ "$(sed -n 's/^stat //p' <<<"$out")" = "$N" ] || fail "guest's find/stat count differs"
[ "$(sed -n 's/^guest-count //p' <<<"$out")" = "$NG" ] || fail "guest's own directory count"
[ "$(names "$root/fromguest")" = "$(names "$TEST_TMP/expect")" ] ||
	fail "host's list of the guest's $NG files differs"
[ ! -e "$root/rm/d" ] ||
	fail "rm -r in the guest left $(ls -A "$root/rm/d" | wc -l) of $NR entries on $(stat -f -c %T "$root/rm")"
echo "ok: $N entries listed by the guest, $NG by the host; rm -r of $NR on $(stat -f -c %T "$root/rm")"
