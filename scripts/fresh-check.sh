#!/usr/bin/env bash
# Proves that the repo installs everything it needs: runs the README's two
# commands, `make demo` and `make check`, from a clone of this checkout's HEAD,
# inside a fresh Debian 12 `debootstrap --variant=minbase` chroot that has nothing
# else (its /dev, /proc and /sys are the host's, so /dev/kvm is what this host
# has, and the mode decision is made as on a fresh machine).
#
#   scripts/fresh-check.sh [DIR]     as root; DIR defaults to /var/tmp/libkrun-c-fresh
#
# Besides minbase, the chroot gets only `make`: the machines this project runs on
# ship make and a compiler, and the README's commands are make goals. Everything
# else (gcc included) must come from scripts/deps.sh through apt. The clone sits
# under /tmp, in a folder whose name has a space, because that is where a user's
# `mktemp -d` puts one and because paths must not be split.
#
# Knobs: FRESH_MIRROR (default http://deb.debian.org/debian), FRESH_KEEP=1 (keep
# DIR afterwards), FRESH_KERNEL_CACHE=1 (bind this host's kernel build cache, for
# a quick rerun that is no longer cold), FRESH_GOALS (default "demo check").
# Output: DIR.log (everything) and a last line "fresh-check: PASS|FAIL ...".
set -uo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-/var/tmp/libkrun-c-fresh}
mirror=${FRESH_MIRROR:-http://deb.debian.org/debian}
goals=${FRESH_GOALS:-demo check}
log=$dir.log
clone="/tmp/libkrun-c fresh"

say() { echo "fresh-check: $*" | tee -a "$log"; }
die() { say "FAIL: $*"; exit 1; }

[ "$(id -u)" = 0 ] || { echo "fresh-check: run as root (debootstrap, chroot, mounts)" >&2; exit 2; }
: >"$log"
mounted=()
cleanup() {
	local i
	for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do umount -R -l "${mounted[i]}" 2>/dev/null; done
	# Never delete through a mount that is still there (the kernel cache bind
	# is on the same file system as DIR, so --one-file-system would not stop).
	if [ -z "${FRESH_KEEP:-}" ] && ! grep -qF " $dir/" /proc/mounts; then
		rm -rf --one-file-system "$dir"
	fi
}
trap cleanup EXIT

if ! command -v debootstrap >/dev/null; then
	say "installing debootstrap on this host"
	{ apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q debootstrap; } \
		>>"$log" 2>&1 || die "cannot install debootstrap"
fi
rm -rf --one-file-system "$dir"
say "debootstrap --variant=minbase bookworm $dir ($mirror)"
start=$SECONDS
debootstrap --variant=minbase bookworm "$dir" "$mirror" >>"$log" 2>&1 || die "debootstrap failed"

# The same suites as a Debian 12 machine (updates and security, where the
# kernel source package's current version lives).
cat >"$dir/etc/apt/sources.list" <<EOF
deb $mirror bookworm main
deb $mirror bookworm-updates main
deb ${mirror%/debian}/debian-security bookworm-security main
EOF
cp /etc/resolv.conf "$dir/etc/resolv.conf"
for m in dev proc sys; do
	mkdir -p "$dir/$m"
	mount --rbind "/$m" "$dir/$m" && mount --make-rslave "$dir/$m" || die "bind /$m"
	mounted+=("$dir/$m")
done
if [ -n "${FRESH_KERNEL_CACHE:-}" ]; then
	mkdir -p "$HOME/.cache/libkrun-c/kernel" "$dir/root/.cache/libkrun-c/kernel"
	mount --bind "$HOME/.cache/libkrun-c/kernel" "$dir/root/.cache/libkrun-c/kernel" ||
		die "bind the kernel cache"
	mounted+=("$dir/root/.cache/libkrun-c/kernel")
	say "FRESH_KERNEL_CACHE: the kernel build cache is this host's (not a cold build)"
fi

in_chroot() {
	chroot "$dir" /usr/bin/env -i HOME=/root TERM=dumb LANG=C.UTF-8 \
		PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$@"
}
say "apt-get install make (what the machine image ships; the rest is the repo's job)"
{ in_chroot apt-get update -q && in_chroot env DEBIAN_FRONTEND=noninteractive \
	apt-get install -y -q --no-install-recommends make; } >>"$log" 2>&1 ||
	die "cannot install make in the chroot"
say "the chroot has $(in_chroot dpkg-query -W -f='.\n' | wc -l) packages;" \
	"gcc: $(in_chroot sh -c 'command -v gcc || echo none')"

say "cloning $(git -C "$src" rev-parse --short HEAD) into '$clone'"
git clone -q --no-local "$src" "$dir$clone" >>"$log" 2>&1 || die "git clone"
git -C "$dir$clone" checkout -q "$(git -C "$src" rev-parse HEAD)" || die "checkout"

rc=0
for g in $goals; do
	say "make $g (log: $log)"
	t=$SECONDS
	in_chroot bash -c 'cd "$1" && make "$2"' _ "$clone" "$g" 2>&1 | tee -a "$log" |
		grep -E '^(demo:|---- |kernel:|deps:|mode:|vm: |FAIL |[0-9]+ passed, )'
	grc=${PIPESTATUS[0]}
	say "make $g exited $grc after $((SECONDS - t)) s"
	[ "$grc" = 0 ] || rc=1
done
summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$' "$log" | tail -n 1)
if [ "$rc" = 0 ]; then
	say "PASS: make $goals in a fresh minbase chroot, clone under /tmp with a space" \
		"(${summary:-no check summary}; $((SECONDS - start)) s in all)"
else
	say "FAIL: see $log (${summary:-no check summary}; $((SECONDS - start)) s in all)"
fi
exit "$rc"
