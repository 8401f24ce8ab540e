#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds the guest kernel from Debian's linux-source-6.1 and leaves, in BUILD_DIR/kernel/:
#   kernel.bin  the PT_LOAD segments of vmlinux, flattened (kernel/flatten.c)
#   kernel.env  KERNEL_LOAD_ADDR, KERNEL_ENTRY, KERNEL_RELEASE, KERNEL_CONFIG_SHA256,
#               KERNEL_IMAGE_SIZE, KERNEL_MEM_SIZE (shell assignments)
#   vmlinux, .config
#
#   kernel/build.sh BUILD_DIR
#
# All work happens in a cache outside the checkout, ${XDG_CACHE_HOME:-~/.cache}/libkrun-c/kernel:
#   src/          the unpacked source with kernel/patches/series applied; its state
#                 file names the source version and patch set, so a patch change
#                 reverses the old series and applies the new one in place, touching
#                 only the patched files (an incremental rebuild, not a cold one)
#   obj/          the kbuild object directory (O=), shared by all keys: a fragment
#                 change rebuilds only what the changed options reach
#   build-<key>/  the outputs for one key, complete once its "complete" stamp exists;
#                 the two most recently used are kept
# key = sha256 over the source package version, the compiler, config.fragment, the
# patch series and every patch, this script and flatten.c. A warm key copies its
# outputs and leaves src/ and obj/ alone. An output in BUILD_DIR is rewritten only
# when its content changed, so make relinks libkrunfw.so.5 only after a real change.
set -euo pipefail

[ $# -eq 1 ] || { echo "usage: kernel/build.sh BUILD_DIR" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
out=$1/kernel
cache=${XDG_CACHE_HOME:-$HOME/.cache}/libkrun-c/kernel
tarball=/usr/src/linux-source-6.1.tar.xz
fragment=$here/config.fragment
patchdir=$here/patches
# Fixed so that two builds of one key give the same vmlinux.
export KBUILD_BUILD_TIMESTAMP='Thu Jan  1 00:00:00 UTC 1970'
export KBUILD_BUILD_USER=libkrun-c KBUILD_BUILD_HOST=libkrun-c KBUILD_BUILD_VERSION=1
# A parent make passes its command-line variables and jobserver down through MAKEFLAGS;
# kbuild must see neither (make CFLAGS=... is meant for libkrun, not for the kernel).
unset MAKEFLAGS MFLAGS MAKEOVERRIDES MAKELEVEL GNUMAKEFLAGS
kmake=(make ARCH=x86_64 CC=gcc)

say() { echo "kernel: $*"; }
die() { echo "kernel: error: $*" >&2; exit 1; }

pkgver=$(dpkg-query -W -f='${Version}' linux-source-6.1 2>/dev/null) ||
	die "package linux-source-6.1 is not installed (scripts/deps.sh build installs it)"
[ -r "$tarball" ] || die "$tarball is missing"

# The patch list: kernel/patches/series, one file name a line, '#' starts a comment.
patches=()
if [ -f "$patchdir/series" ]; then
	while read -r p _; do
		case $p in '' | '#'*) continue ;; esac
		[ -f "$patchdir/$p" ] || die "patches/series names $p, which is missing"
		patches+=("$p")
	done <"$patchdir/series"
fi

# One line per input; the patch files are hashed in series order.
inputs() {
	echo "source $pkgver"
	echo "cc $(gcc --version | head -n 1)"
	echo "ld $(ld --version | head -n 1)"
	sha256sum "$fragment" "$here/build.sh" "$here/flatten.c" | cut -d' ' -f1
	[ -f "$patchdir/series" ] && sha256sum "$patchdir/series" | cut -d' ' -f1
	for p in "${patches[@]}"; do sha256sum "$patchdir/$p" | cut -d' ' -f1; done
}
key=$(inputs | sha256sum | cut -c1-16)
# The source tree depends only on the version and the patches.
srckey=$({
	echo "$pkgver"
	for p in "${patches[@]}"; do echo "$p $(sha256sum <"$patchdir/$p")"; done
} | sha256sum | cut -c1-16)
kdir=$cache/build-$key

# Copies BUILD's outputs to BUILD_DIR/kernel, replacing only files whose bytes differ.
publish() {
	mkdir -p "$out"
	local f
	for f in kernel.bin kernel.env vmlinux .config; do
		if ! cmp -s "$kdir/$f" "$out/$f"; then
			cp "$kdir/$f" "$out/$f.tmp"
			mv -f "$out/$f.tmp" "$out/$f"
		fi
	done
}

mkdir -p "$cache"
exec 9>"$cache/lock"
if ! flock -n 9; then
	say "waiting for another kernel build ($cache/lock)"
	flock 9
fi

if [ -f "$kdir/complete" ]; then
	touch "$kdir/complete"
	publish
	# shellcheck source=/dev/null
	. "$kdir/kernel.env"
	say "linux $KERNEL_RELEASE up to date (cache $kdir)"
	exit 0
fi

rm -rf "$kdir"
mkdir -p "$kdir"
log=$kdir/build.log
start=$(date +%s)
fail() {
	echo "kernel: error: $1; last lines of $log:" >&2
	tail -n 40 "$log" >&2
	exit 1
}
elapsed() {
	local s=$(($(date +%s) - start))
	printf '%dm%02ds' $((s / 60)) $((s % 60))
}
say "building linux from linux-source-6.1 $pkgver (log: $log)"

# --- source tree: src/.libkrun-c/ records the version and the applied patches --------
src=$cache/src
state=$src/.libkrun-c
# patch_one ARGS FILE: dry run first, so that a patch that does not apply leaves no
# half-applied hunks behind and the record in $state stays true.
patch_one() {
	patch -p1 -s --batch --no-backup-if-mismatch -d "$src" --dry-run "$@" >>"$log" 2>&1 &&
		patch -p1 -s --batch --no-backup-if-mismatch -d "$src" "$@" >>"$log" 2>&1
}
apply_series() { # applies "${patches[@]}" to src/, keeping a copy of each for revert
	local p i=0
	mkdir -p "$state/applied"
	for p in "${patches[@]}"; do
		i=$((i + 1))
		echo "applying $p" >>"$log"
		patch_one --forward -i "$patchdir/$p" || fail "patch $p does not apply"
		cp "$patchdir/$p" "$state/applied/$(printf %04d $i)"
	done
	echo "$srckey" >"$state/srckey"
}
revert_series() { # reverses what apply_series recorded, newest first
	local f i copies=("$state"/applied/*)
	[ "$(cat "$state/version" 2>/dev/null)" = "$pkgver" ] || return 1
	for ((i = ${#copies[@]} - 1; i >= 0; i--)); do
		f=${copies[i]}
		[ -f "$f" ] || continue # no match: the glob itself
		echo "reverting ${f##*/}" >>"$log"
		patch_one -R -i "$f" || return 1
		rm "$f"
	done
}
if [ "$(cat "$state/srckey" 2>/dev/null)" != "$srckey" ]; then
	# The tree is in flux until srckey is written again.
	rm -f "$state/srckey"
	if [ -d "$src" ] && revert_series; then
		apply_series
		say "re-patched the source tree"
	else
		say "unpacking $tarball"
		rm -rf "$src" "$cache/src.tmp"
		if [ "$(cat "$cache/obj/.libkrun-c-version" 2>/dev/null)" != "$pkgver" ]; then
			rm -rf "$cache/obj" # objects of another version are only stale weight
		fi
		mkdir -p "$cache/src.tmp"
		tar -xf "$tarball" -C "$cache/src.tmp" --strip-components=1 >>"$log" 2>&1 ||
			fail "unpacking failed"
		mv "$cache/src.tmp" "$src"
		mkdir -p "$state"
		echo "$pkgver" >"$state/version"
		apply_series
	fi
fi

# --- configuration ----------------------------------------------------------------
obj=$cache/obj
mkdir -p "$obj"
echo "$pkgver" >"$obj/.libkrun-c-version"
# merge_config.sh splits its file arguments on spaces: it gets a copy of the
# fragment at a path of ours, not the checkout's (which may have any name).
cp "$fragment" "$obj/.libkrun-c-fragment"
{
	"${kmake[@]}" -s -C "$src" O="$obj" tinyconfig &&
		"$src/scripts/kconfig/merge_config.sh" -m -O "$obj" "$obj/.config" \
			"$obj/.libkrun-c-fragment" &&
		"${kmake[@]}" -s -C "$src" O="$obj" olddefconfig
} >>"$log" 2>&1 || fail "configuration failed"

# Every option of the fragment must have its requested value in the final .config.
lost=()
while IFS= read -r line; do
	case $line in
	CONFIG_*=*)
		grep -qxF -- "$line" "$obj/.config" || lost+=("$line")
		;;
	"# CONFIG_"*" is not set")
		sym=${line#\# }
		sym=${sym%% *}
		! grep -q "^$sym=" "$obj/.config" || lost+=("$line")
		;;
	esac
done <"$fragment"
if [ ${#lost[@]} -gt 0 ]; then
	echo "kernel: error: options in kernel/config.fragment that did not stick" \
		"(a dependency is missing or the symbol is wrong):" >&2
	for line in "${lost[@]}"; do
		sym=${line#\# }
		sym=${sym%%[= ]*}
		echo "  want: $line    have: $(grep -E "^(# )?${sym}[= ]" "$obj/.config" || echo '(absent)')" >&2
	done
	exit 1
fi

# --- compile: the log gets kbuild's output, the terminal a line a minute --------------
jobs=$(nproc)
say "compiling vmlinux with $jobs jobs"
"${kmake[@]}" -C "$src" O="$obj" -j"$jobs" vmlinux >>"$log" 2>&1 &
mk=$!
trap 'kill "$mk" 2>/dev/null' EXIT
while kill -0 "$mk" 2>/dev/null; do
	for _ in $(seq 60); do
		kill -0 "$mk" 2>/dev/null || break
		sleep 1
	done
	if kill -0 "$mk" 2>/dev/null; then
		say "$(elapsed) elapsed, $(grep -c '^  CC ' "$log") files compiled so far"
	fi
done
rc=0
wait "$mk" || rc=$?
trap - EXIT
[ "$rc" -eq 0 ] || fail "compiling failed (exit $rc)"

# --- outputs ------------------------------------------------------------------------
gcc -O2 -Wall -Wextra -Werror -o "$kdir/flatten" "$here/flatten.c" >>"$log" 2>&1 ||
	fail "building flatten failed"
cp "$obj/vmlinux" "$kdir/vmlinux"
cp "$obj/.config" "$kdir/.config"
"$kdir/flatten" "$kdir/vmlinux" "$kdir/kernel.bin" >"$kdir/flatten.env" 2>>"$log" ||
	fail "flattening vmlinux failed"
{
	cat "$kdir/flatten.env"
	echo "KERNEL_RELEASE=$(cat "$obj/include/config/kernel.release")"
	echo "KERNEL_CONFIG_SHA256=$(sha256sum <"$kdir/.config" | cut -d' ' -f1)"
} >"$kdir/kernel.env"
rm -f "$kdir/flatten.env" "$kdir/flatten"
touch "$kdir/complete"

# Keep the two most recently used keys (a warm run touches its stamp); under the lock,
# a directory without a stamp is a build that was interrupted.
for d in "$cache"/build-*/; do
	[ -d "$d" ] || continue
	[ -f "$d/complete" ] || rm -rf "$d"
done
# shellcheck disable=SC2012
ls -1t "$cache"/build-*/complete | tail -n +3 | while read -r f; do rm -rf "${f%/complete}"; done
publish
# shellcheck source=/dev/null
. "$kdir/kernel.env"
say "linux $KERNEL_RELEASE built in $(elapsed): kernel.bin $((KERNEL_IMAGE_SIZE / 1024)) KiB," \
	"load $KERNEL_LOAD_ADDR, entry $KERNEL_ENTRY"
