#!/usr/bin/env bash
# A virtio-fs root behaves as a local POSIX file system for the guest: a shell
# script in the guest (and tests/vm/guest/fs_ops.c where busybox has no tool)
# checks each operation's result there, and afterwards the host checks that its
# own files hold every change. Files the host prepared before the boot are seen
# by the guest as the host left them. What the guest's root asks for beyond a
# plain file lives in the guest's view (docs/security.md, virtio-fs): a
# set-user-ID bit or a trusted.* attribute never reaches the host.
# timeout: 150
. "$SRC/tests/vm/lib.bash"

XA=$BUILD/tests/vm/guest/fs_xattr
root=$TEST_TMP/root
make_root "$root"
mkdir -p "$root/w" "$root/pub" && chmod 1777 "$root/pub" || fail "mkdir"
# Whether the share keeps user.* attributes, where the guest's view is kept
# (tmpfs before Linux 6.6 keeps none).
if "$XA" probe "$root/w" 2>/dev/null; then xattrs=1; else xattrs=0; fi

# Prepared by the host, checked by the guest.
printf 'from the host\n' >"$root/w/hostfile"
chown 42:43 "$root/w/hostfile" && chmod 0640 "$root/w/hostfile" || fail "host chown"
touch -d @1000000000 "$root/w/hostfile"
ln "$root/w/hostfile" "$root/w/hostlink"
ln -s hostfile "$root/w/hostsym"

cat >"$root/posix.sh" <<'EOF'
xattrs=$1
die() { echo "FAIL (guest): $*"; exit 1; }
ok() { echo "ok (guest): $*"; }
cd /w || die "cd /w"

[ "$(cat hostfile)" = "from the host" ] || die "host's file content"
[ "$(stat -c '%u:%g %a %Y %h' hostfile)" = "42:43 640 1000000000 2" ] ||
	die "host's file metadata: $(stat -c '%u:%g %a %Y %h' hostfile)"
[ "$(stat -c %i hostfile)" = "$(stat -c %i hostlink)" ] || die "host's hard link"
[ "$(readlink hostsym)" = hostfile ] && [ "$(cat hostsym)" = "from the host" ] ||
	die "host's symlink"
ok "the host's file, hard link and symlink as the host made them"

echo hello >f && [ "$(cat f)" = hello ] || die "create + read"
echo world >>f && [ "$(cat f)" = "hello
world" ] || die "append: $(cat f)"
printf HE | dd of=f conv=notrunc 2>/dev/null && [ "$(head -c 5 f)" = HEllo ] ||
	die "write in place: $(head -c 5 f)"
truncate -s 3 f && [ "$(cat f)" = HEl ] || die "truncate down: $(cat f)"
truncate -s 10000 f && [ "$(stat -c %s f)" = 10000 ] &&
	[ "$(tail -c 2 f | od -An -tx1 | tr -d ' ')" = 0000 ] || die "truncate up"
ok "create, read, write, append, truncate"

# 3 MiB: several FUSE requests of max_write (1 MiB) each way.
dd if=/dev/urandom of=big bs=64k count=48 2>/dev/null && cp big big2 &&
	[ "$(md5sum <big)" = "$(md5sum <big2)" ] || die "3 MiB copy differs"
md5sum big | cut -d' ' -f1 >big.md5
ok "3 MiB written, copied and read back"

fs_ops sparse sparse || die "sparse file"
fs_ops mmap mapped || die "mmap"

echo one >t1 && echo two >t2 && mv t1 t2 && [ "$(cat t2)" = one ] && [ ! -e t1 ] ||
	die "rename over an existing file"
mkdir d1 sub && echo in >d1/x && mv d1 d2 && [ "$(cat d2/x)" = in ] && [ ! -e d1 ] ||
	die "rename of a directory"
mv f sub/f.moved && [ ! -e f ] && [ "$(stat -c %s sub/f.moved)" = 10000 ] ||
	die "rename into another directory"
mkdir r && fs_ops rename2 r || die "renameat2"
ok "rename: over a file, a directory, across directories"

echo linked >h1 && ln h1 h2 && [ "$(stat -c %h h1)" = 2 ] &&
	[ "$(stat -c %i h1)" = "$(stat -c %i h2)" ] || die "hard link"
echo more >>h2 && [ "$(cat h1)" = "linked
more" ] || die "write through one link seen through the other"
rm h1 && [ "$(stat -c %h h2)" = 1 ] && ln h2 h3 || die "unlink of one link"
ok "hard links"

ln -s h2 s1 && [ "$(readlink s1)" = h2 ] && [ "$(head -n1 s1)" = linked ] || die "symlink"
ln -s /w/sub s2 && [ -e s2/f.moved ] || die "absolute symlink to a directory"
ln -s nowhere dangling && [ -L dangling ] && [ ! -e dangling ] || die "dangling symlink"
ok "symlinks"

mode=4751
[ "$xattrs" = 1 ] || mode=751 # no set-ID bit without a guest view to keep it
echo m >perm && chown 1234:5678 perm && chmod $mode perm &&
	[ "$(stat -c '%u:%g %a' perm)" = "1234:5678 $mode" ] ||
	die "chown/chmod: $(stat -c '%u:%g %a' perm)"
fs_ops as-user 1000 sh -c 'echo u >/pub/byuser' ||
	die "create as uid 1000"
[ "$(stat -c '%u:%g' /pub/byuser)" = 1000:1000 ] || die "owner of a file made by uid 1000"
if fs_ops as-user 1000 sh -c 'echo x >>/w/perm' 2>/dev/null; then
	die "uid 1000 appended to a $mode file it does not own"
fi
ok "chown, chmod, creation as another user, permission denied"

if [ "$xattrs" = 1 ]; then
	fs_ops xattr xa || die "xattrs"
fi

touch -d '2001-02-03 04:05:06' old && [ "$(stat -c %Y old)" = "$(date -d '2001-02-03 04:05:06' +%s)" ] ||
	die "utimes: mtime $(stat -c %Y old)"
touch -a -d '2002-01-01 00:00:00' old && [ "$(stat -c %X old)" = "$(date -d '2002-01-01 00:00:00' +%s)" ] ||
	die "utimes: atime $(stat -c %X old)"
stat -c %Y old >old.mtime
ok "utimes (mtime, atime)"

mkdir -p a/b/c && [ -d a/b/c ] || die "mkdir -p"
mkdir a 2>/dev/null && die "mkdir of an existing name succeeded"
rmdir a 2>/dev/null && die "rmdir of a non-empty directory succeeded"
rmdir a/b/c a/b a && [ ! -e a ] || die "rmdir"
mkfifo fifo && [ -p fifo ] || die "mkfifo"
ok "mkdir, rmdir, mkfifo"

fs_ops unlink-open uo && [ ! -e uo ] || die "unlink while open"
fs_ops locks lk || die "locks"
fs_ops fsync synced || die "fsync"
[ "$(stat -f -c %b /)" -gt 0 ] || die "statfs"
echo "guest: all checks passed"
EOF

root_run "$root" -- /bin/sh /posix.sh "$xattrs" || fail "the guest's checks failed (exit $?)"

# The host sees what the guest did.
w=$root/w
[ "$(md5sum <"$w/big" | cut -d' ' -f1)" = "$(cat "$w/big.md5")" ] && cmp -s "$w/big" "$w/big2" ||
	fail "host: 3 MiB file differs from what the guest wrote"
[ "$(stat -c %s "$w/sparse")" = $(((5 << 30) + 126)) ] || fail "host: sparse file size"
[ "$(du -k "$w/sparse" | cut -f1)" -lt 1024 ] || fail "host: sparse file is not sparse"
[ "$(tail -c 3 "$w/sparse")" = end ] || fail "host: sparse file's last bytes"
[ "$(dd if="$w/mapped" bs=1 skip=4196 count=31 2>/dev/null)" = "stored through a shared mapping" ] ||
	fail "host: the guest's store through a shared mapping is not in the file"
[ "$(cat "$w/r/b")$(cat "$w/r/c")" = AB ] || fail "host: renameat2 results"
[ "$(cat "$w/t2")" = one ] && [ ! -e "$w/t1" ] && [ -d "$w/d2" ] && [ ! -e "$w/d1" ] ||
	fail "host: renames"
[ "$(head -c 3 "$w/sub/f.moved")" = HEl ] && [ "$(stat -c %s "$w/sub/f.moved")" = 10000 ] ||
	fail "host: moved file"
[ "$(stat -c '%h %i' "$w/h2")" = "$(stat -c '%h %i' "$w/h3")" ] &&
	[ "$(stat -c %h "$w/h2")" = 2 ] || fail "host: hard links"
[ "$(readlink "$w/s1")" = h2 ] && [ "$(readlink "$w/s2")" = /w/sub ] || fail "host: symlinks"
# The guest's owners: in the view (the host files are the VMM's), or on the host.
hex() { printf %s "$1" | od -An -tx1 | tr -d ' \n'; }
if [ "$xattrs" = 1 ]; then
	[ "$(stat -c '%u:%g %a' "$w/perm")" = "0:0 751" ] &&
		[ "$("$XA" get "$w/perm" user.containers.override_stat)" = \
			"$(hex 1234:5678:4751:file)" ] || fail "host: owner/mode of perm"
	[ "$(stat -c '%u:%g' "$root/pub/byuser")" = 0:0 ] &&
		[ "$("$XA" get "$root/pub/byuser" user.containers.override_stat)" = \
			"$(hex 1000:1000:0644:file)" ] || fail "host: uid 1000's file"
	"$XA" get "$w/xa" trusted.krun 2>/dev/null && fail "host: the guest's trusted.krun"
	[ "$("$XA" get "$w/xa" user.krun.trusted.krun)" = "$(hex guest-value)" ] ||
		fail "host: xattr"
else
	[ "$(stat -c '%u:%g %a' "$w/perm")" = "1234:5678 751" ] || fail "host: owner/mode"
	[ "$(stat -c '%u:%g' "$root/pub/byuser")" = 1000:1000 ] || fail "host: uid 1000's file"
fi
[ "$(stat -c %Y "$w/old")" = "$(cat "$w/old.mtime")" ] || fail "host: mtime"
# A FIFO is a placeholder file where the guest's view is kept, else a real one.
{ [ -p "$w/fifo" ] || [ "$xattrs" = 1 ]; } && [ -e "$w/fifo" ] && [ ! -e "$w/a" ] &&
	[ ! -e "$w/uo" ] || fail "host: fifo/rmdir/unlink"
[ "$(cat "$w/synced")" = synced ] || fail "host: fsync'd file"
echo "ok: the host sees every change the guest made"
