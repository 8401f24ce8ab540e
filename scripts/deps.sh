#!/usr/bin/env bash
# Installs, through apt, the Debian 12 packages that a make goal needs, once.
#   scripts/deps.sh build|check|demo|bench
# It only acts when a package is missing, says what it installs and why, and
# fails with the command to run when it cannot install (not root, no apt).
set -euo pipefail

build_pkgs=(gcc make libc6-dev binutils cpio xz-utils patch
	linux-source-6.1 bc bison flex libelf-dev libssl-dev dwarves
	zlib1g-dev libbz2-dev libzstd-dev)
# The tests, demo and benchmarks also use: QEMU (the emulated KVM machine and the
# peers), busybox (guest userland), kmod (depmod for the emulated machine's
# modules), procps (pgrep, free), iproute2 (ip, ss: TSI test networks), dnsmasq
# (DNS test server), pkgconf (a client built against the installed library),
# util-linux and bsdutils (mount, flock, script), e2fsprogs (mkfs.ext4 -d and
# debugfs: disk images built and read back without mounting), zstd (a kernel
# re-wrapped in each compressed format by a VM test), whatever a
# minimal Debian lacks;
# podman (with netavark, iptables, slirp4netns) and containerd, the engines the
# OCI tests drive our crun with (scripts/build-crun.sh installs crun's own
# build dependencies); clang with its libFuzzer and sanitizer runtimes (the
# fuzz smoke run, tests/fuzz/smoke.sh).
check_pkgs=("${build_pkgs[@]}" qemu-system-x86 busybox-static kmod procps iproute2
	dnsmasq-base pkgconf util-linux bsdutils e2fsprogs zstd
	podman netavark iptables slirp4netns containerd clang libclang-rt-14-dev qemu-utils passt)
	# qemu-utils: qemu-img/qemu-io make and check the qcow2 test images;
	# passt: the user-mode network proxy of the virtio-net tests
check_pkgs+=(dmidecode linux-perf)
	# dmidecode: decodes our SMBIOS tables from a dump (test_smbios) and in a
	# guest (vmm_smbios_oem_strings copies it, with its libraries, into the root);
	# linux-perf: counts KVM's exits to the VMM (vmm_virtio_register_pages)
demo_pkgs=("${check_pkgs[@]}")
# fio: the I/O load inside both guests of bench/bench_blk.sh.
bench_pkgs=("${check_pkgs[@]}" fio)

group=${1:-build}
case $group in
build) want=("${build_pkgs[@]}") ;;
check) want=("${check_pkgs[@]}") ;;
demo) want=("${demo_pkgs[@]}") ;;
bench) want=("${bench_pkgs[@]}") ;;
*) echo "deps.sh: unknown group '$group' (build|check|demo|bench)" >&2; exit 2 ;;
esac

missing=()
for p in "${want[@]}"; do
	st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$st" = installed ] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps: 'make $group' needs Debian packages that are missing: ${missing[*]}"
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
	echo "deps: cannot install them here (need root and apt-get); run:" >&2
	echo "  apt-get update && apt-get install -y ${missing[*]}" >&2
	exit 1
fi
echo "deps: installing them with apt-get (once; log: /tmp/libkrun-c-deps.log)"
export DEBIAN_FRONTEND=noninteractive
if ! { apt-get update -q && apt-get install -y -q --no-install-recommends "${missing[@]}"; } \
	>/tmp/libkrun-c-deps.log 2>&1; then
	tail -n 20 /tmp/libkrun-c-deps.log >&2
	echo "deps: apt-get failed; see /tmp/libkrun-c-deps.log" >&2
	exit 1
fi
echo "deps: done"
