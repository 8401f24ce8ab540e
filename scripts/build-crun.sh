#!/usr/bin/env bash
# Builds crun, the OCI runtime, from Debian's source package with its krun
# handler compiled against our include/libkrun.h, unchanged, once, for the VM
# tests that run real OCI runtimes on libkrun-c (tests/vm/oci_*.sh).
#
#   scripts/build-crun.sh          build it unless cached; print the binary's path
#   scripts/build-crun.sh --path   print the cached binary's path; exit 1 if not built
#
# The result lives outside the checkout, keyed by its inputs (crun's Debian
# version, this script, our header):
#   ${XDG_CACHE_HOME:-~/.cache}/libkrun-c/crun/<version>-<hash>/crun
# with build.log beside it. The source comes from the distribution's own
# mirrors as a deb-src entry known only to this script (a private sources list
# and lists folder under the cache; the system's apt configuration is not
# changed). The build dependencies below are installed through apt when
# missing, and named first. crun does not link libkrun: its handler opens
# libkrun.so.1 with dlopen when a container has run.oci.handler=krun.
set -euo pipefail

src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
self=$src/scripts/build-crun.sh
header=$src/include/libkrun.h
# crun's Build-Depends (debian/control) that this build uses: the release
# tarball ships configure and crun.1, so automake, go-md2man and the Go spec
# packages (Debian swaps them in for the bundled JSON schemas) are not needed.
deps=(gcc make libc6-dev dpkg-dev pkgconf python3 gperf libcap-dev libseccomp-dev
	libsystemd-dev libyajl-dev)

die() { echo "build-crun: $*" >&2; exit 1; }

# The emulated KVM machine's tests run with HOME=/ (its init's): the account's
# home from passwd is where the host-side build put the cache.
cache_root() { echo "${XDG_CACHE_HOME:-${HOME:-/nonexistent}/.cache}/libkrun-c/crun"; }
cache_roots() {
	local home
	cache_root
	home=$(getent passwd "$(id -u)" | cut -d: -f6) || return 0
	[ -n "$home" ] && echo "$home/.cache/libkrun-c/crun"
}

# crun's version as the distribution offers it (a binary rebuild's "+bN" is
# not part of the source's version).
crun_version() {
	local v
	v=$(apt-cache policy crun 2>/dev/null | awk '/Candidate:/ { print $2; exit }')
	[ -n "$v" ] && [ "$v" != "(none)" ] ||
		die "apt knows no crun package (run apt-get update)"
	echo "${v%+b[0-9]*}"
}

key() {
	local v=$1
	echo "$v-$(printf '%s\n' "$v" "$(sha256sum <"$self")" "$(sha256sum <"$header")" |
		sha256sum | cut -c1-16)"
}

[ -f "$header" ] || die "no $header"
version=$(crun_version)
k=$(key "$version")

if [ "${1:-}" = --path ]; then
	while read -r root; do
		[ -x "$root/$k/crun" ] && { echo "$root/$k/crun"; exit 0; }
	done <<<"$(cache_roots)" # no /dev/fd in the emulated machine: no <(...)
	die "crun $version for this checkout's libkrun.h is not built (key $k): run scripts/build-crun.sh (make check does)"
fi
[ $# -eq 0 ] || die "usage: build-crun.sh [--path]"

cache=$(cache_root)
out=$cache/$k
if [ -x "$out/crun" ]; then
	echo "$out/crun"
	exit 0
fi
mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9
[ -x "$out/crun" ] && { echo "$out/crun"; exit 0; }

missing=()
for p in "${deps[@]}"; do
	st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$st" = installed ] || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "build-crun: crun's build needs Debian packages that are missing: ${missing[*]}" >&2
	[ "$(id -u)" = 0 ] || die "run: apt-get update && apt-get install -y ${missing[*]}"
	echo "build-crun: installing them with apt-get" >&2
	{ apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
		--no-install-recommends "${missing[@]}"; } >"$cache/apt.log" 2>&1 || {
		tail -n 20 "$cache/apt.log" >&2
		die "apt-get install failed; see $cache/apt.log"
	}
fi

echo "build-crun: building crun $version from Debian's source against $header (once, a few minutes)" >&2
work=$cache/$k.build
rm -rf "$work"
mkdir -p "$work/lists/partial" "$work/dl"
log=$work/build.log
# deb-src twins of the deb entries apt uses, in a sources list of our own; no
# package cache is written (Dir::Cache::*pkgcache "").
apt-get indextargets --format '$(REPO_URI) $(RELEASE) $(COMPONENT)' 'Created-By: Packages' |
	sort -u | awk '{ print "deb-src " $1 " " $2 " " $3 }' >"$work/sources.list"
[ -s "$work/sources.list" ] || die "apt has no deb sources to derive deb-src entries from"
apt_priv=(-o "Dir::Etc::SourceList=$work/sources.list" -o Dir::Etc::SourceParts=/dev/null
	-o "Dir::State::Lists=$work/lists" -o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache=)
{
	apt-get "${apt_priv[@]}" update &&
		(cd "$work/dl" && apt-get "${apt_priv[@]}" source --download-only "crun=$version") &&
		dpkg-source -x "$work/dl/crun_${version#*:}.dsc" "$work/crun"
} >>"$log" 2>&1 || { tail -n 20 "$log" >&2; die "cannot fetch crun $version's source; see $log"; }

# Our header, found first. A copy of it (the key holds its hash): configure
# splits CPPFLAGS on spaces, and a checkout's path may have one. crun's
# configure only checks that libkrun.h compiles (crun never links -lkrun: it
# opens the library at run time), so no -L to our build is needed.
case $work in *[[:space:]]*) die "the cache path '$work' has a space: set XDG_CACHE_HOME" ;; esac
mkdir -p "$work/include"
cp "$header" "$work/include/libkrun.h"
(
	cd "$work/crun"
	./configure --with-libkrun PYTHON=python3 CPPFLAGS="-I$work/include" &&
		make -j"$(nproc)"
) >>"$log" 2>&1 || { tail -n 30 "$log" >&2; die "crun's build failed; see $log"; }

bin=$work/crun/crun
"$bin" --version | grep -q '+LIBKRUN' ||
	die "crun was built without its krun handler; see $log"
# The compiler's own record of the headers krun.c included.
grep -qF "$work/include/libkrun.h" "$work/crun/src/libcrun/handlers/.deps/libcrun_la-krun.Plo" &&
	cmp -s "$header" "$work/include/libkrun.h" ||
	die "crun's krun handler was not compiled against $header; see $log"

rm -rf "$out.new"
mkdir -p "$out.new"
cp "$bin" "$out.new/crun"
cp "$log" "$out.new/build.log"
"$out.new/crun" --version >"$out.new/version"
rm -rf "$out"
mv "$out.new" "$out"
rm -rf "$work"
echo "build-crun: done: $("$out/crun" --version | head -n 1), $(tail -n 1 "$out/version")" >&2
echo "$out/crun"
