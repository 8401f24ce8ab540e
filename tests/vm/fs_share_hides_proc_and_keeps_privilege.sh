#!/usr/bin/env bash
# A hostile guest gets no way out through its share (src/fs/realfs.c,
# statmap.c). The root share has a procfs and a sysfs of the host mounted inside
# it, as a container's "/" has: the guest still boots (its init mounts its own
# /proc and /sys over the stubs it sees there); mounting the root tag a second
# time shows the host's as empty stubs, and reads and writes of the VMM's
# /proc/<pid>/mem, environ and maps and of /sys/kernel all fail. With the VMM
# as root, what the guest makes with its root privileges (a block device node,
# a set-user-ID root file, a chown, a file capability, a trusted.* attribute) is
# inert on the host, and the guest sees it as it made it; where the host file
# system keeps no user.* attributes (tmpfs before Linux 6.6, which is the
# emulated machine's /tmp) the guest is refused instead. Either way the host
# ends up with no device node, no set-ID bit and no such attribute.
# timeout: 180
. "$SRC/tests/vm/lib.bash"

[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (mounts, a root VMM)"; exit 77; }
XA=$BUILD/tests/vm/guest/fs_xattr
root=$TEST_TMP/root
make_root "$root"
cp "$XA" "$root/bin/fs_xattr" || fail "copy fs_xattr"
mkdir -p "$root/w" "$root/mnt" || fail "mkdir"
mount -t proc proc "$root/proc" || { echo "SKIP: cannot mount a procfs"; exit 77; }
trap 'umount -l "$root/proc"; umount -l "$root/sys" 2>/dev/null' EXIT
mount -t sysfs sysfs "$root/sys" || fail "cannot mount a sysfs"
if "$XA" probe "$root/w" 2>/dev/null; then mapped=1; else mapped=0; fi
echo "host: user xattrs on the share: $mapped"

cat >"$root/t.sh" <<'EOF'
vmm=$1 mapped=$2
die() { echo "FAIL (guest): $*"; exit 1; }
ok() { echo "ok (guest): $*"; }
grep -q "^Name:" /proc/self/status && [ -d /sys/kernel ] || die "no /proc or /sys of its own"
mount -t virtiofs /dev/root /mnt || die "a second mount of the root tag"
[ "$(stat -c '%F %a %u' /mnt/proc)" = "directory 555 0" ] ||
	die "/mnt/proc: $(stat -c '%F %a %u' /mnt/proc)"
[ "$(stat -c '%F %a %u' /mnt/sys)" = "directory 555 0" ] || die "/mnt/sys"
for p in /mnt/proc /mnt/sys; do
	[ -z "$(ls -A "$p" 2>/dev/null)" ] || die "$p lists: $(ls -A "$p" | head -n 3)"
done
for p in "/mnt/proc/$vmm/mem" "/mnt/proc/$vmm/environ" "/mnt/proc/$vmm/maps" \
	/mnt/proc/self/environ /mnt/proc/1/environ /mnt/sys/kernel/uevent_helper \
	/mnt/sys/kernel/mm/transparent_hugepage/enabled; do
	cat "$p" >/dev/null 2>&1 && die "read $p"
	dd if=/dev/zero of="$p" bs=1 count=1 conv=notrunc 2>/dev/null && die "wrote $p"
done
[ -e "/mnt/proc/$vmm" ] && die "/mnt/proc/$vmm exists"
mkdir /mnt/proc/x 2>/dev/null && die "mkdir in a stub"
umount /mnt || die "umount /mnt"
ok "the host's proc and sysfs are empty stubs; the VMM's memory is out of reach"

cd /w || die "cd /w"
echo payload >suid && echo payload >byuser && echo payload >cap || die "create"
chown 1234:5678 byuser && [ "$(stat -c '%u:%g' byuser)" = 1234:5678 ] || die "chown"
if [ "$mapped" = 1 ]; then
	mknod blk b 7 0 && chmod 0666 blk || die "mknod"
	[ "$(stat -c '%F %t:%T %a' blk)" = "block special file 7:0 666" ] ||
		die "blk: $(stat -c '%F %t:%T %a' blk)"
	chown 0:0 suid && chmod 4755 suid && [ "$(stat -c '%u:%g %a' suid)" = "0:0 4755" ] ||
		die "suid: $(stat -c '%u:%g %a' suid)"
	fs_xattr setcap cap && fs_xattr set cap trusted.t v || die "setcap"
	[ "$(fs_xattr get cap security.capability)" = 0100000200200000000000000000000000000000 ] ||
		die "capability: $(fs_xattr get cap security.capability)"
	fs_xattr list cap | grep -qx trusted.t || die "list"
	fs_xattr list suid | grep -qE "krun|override" && die "the mapping is listed"
	fs_xattr get suid user.containers.override_stat 2>/dev/null && die "the mapping is readable"
	fs_xattr set suid user.containers.override_stat 0:0:4755:file 2>/dev/null &&
		die "the mapping is writable"
	ok "device node, set-user-ID root file and capabilities as the guest made them"
else
	mknod blk b 7 0 2>/dev/null && die "mknod of a block device worked"
	chmod 4755 suid 2>/dev/null && die "chmod 4755 worked"
	fs_xattr setcap cap 2>/dev/null && die "setcap worked"
	ok "device node, set-user-ID bit and capabilities refused"
fi
echo "guest: done"
EOF

# $$ of that bash is the VMM's pid once it execs.
out=$(bash -c 'exec "$0" --root "$1" -- /bin/sh /t.sh $$ "$2"' "$KRUN_RUN" "$root" "$mapped" 2>&1)
rc=$?
echo "$out"
[ "$rc" = 0 ] && grep -q "guest: done" <<<"$out" || fail "the guest's checks failed (exit $rc)"

w=$root/w
bad=$(find "$w" \( -type b -o -type c -o -perm /6000 \) -print)
[ -z "$bad" ] || fail "host: privileged files: $bad"
for f in cap suid; do
	"$XA" get "$w/$f" security.capability 2>/dev/null && fail "host: $f has a capability"
	"$XA" get "$w/$f" trusted.t 2>/dev/null && fail "host: $f has trusted.t"
done
if [ "$mapped" = 1 ]; then
	[ "$(stat -c '%F %a %u' "$w/blk")" = "regular empty file 600 0" ] ||
		fail "host: blk is $(stat -c '%F %a %u' "$w/blk")"
	[ "$(stat -c '%a %u:%g' "$w/suid" "$w/byuser")" = "755 0:0
644 0:0" ] || fail "host: owners/modes $(stat -c '%a %u:%g' "$w/suid" "$w/byuser")"
else
	[ ! -e "$w/blk" ] || fail "host: blk exists"
fi
echo "ok: no way out through the share, and nothing privileged left on the host"
