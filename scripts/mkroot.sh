#!/usr/bin/env bash
# Builds a small busybox root filesystem for krun_set_root / chroot_vm:
#   scripts/mkroot.sh DIR [FILE...]
# DIR gets Debian's static busybox (package busybox-static) with every applet as a
# relative symlink in /bin, /etc/passwd and /etc/group for root, and the empty
# /dev /proc /sys /tmp /run the guest's init mounts over. Each FILE is copied
# into DIR/bin. An existing DIR is added to, not emptied.
set -uo pipefail

[ $# -ge 1 ] || { echo "usage: mkroot.sh DIR [FILE...]" >&2; exit 2; }
root=$1
shift
die() { echo "mkroot: $*" >&2; exit 1; }

[ -x /bin/busybox ] && /bin/busybox --list >/dev/null 2>&1 ||
	die "/bin/busybox is missing (apt-get install busybox-static)"
mkdir -p "$root"/{bin,dev,proc,sys,tmp,run,etc,root} || die "mkdir in $root"
chmod 1777 "$root/tmp"
cp /bin/busybox "$root/bin/busybox" || die "copy busybox"
# One process for all ~400 links (a shell loop forks per link, which is slow in
# emulated KVM); perl is part of every Debian system (perl-base).
/bin/busybox --list | (cd "$root/bin" &&
	perl -ne 'chomp; next if $_ eq "busybox" || -l $_; symlink("busybox", $_) or die "$_: $!\n"') ||
	die "applet links"
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$root/etc/passwd"
printf 'root:x:0:\n' >"$root/etc/group"
for f in "$@"; do
	cp "$f" "$root/bin/" || die "copy $f"
done
