#!/usr/bin/env bash
# `make demo`: builds a small busybox root (scripts/mkroot.sh) and runs a command
# in a micro-VM on it with examples/chroot_vm, printing what the guest sees.
# Where no guest runs on this host's /dev/kvm (tests/runner/mode.sh decides, as
# for the tests; LIBKRUN_TEST_MODE=direct|emulated overrides), it runs inside the
# emulated KVM machine (tests/runner/emu.sh); that is slow, not a real figure.
#   scripts/demo.sh            (after `make all`)
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
src=$PWD

# What runs in the guest, as chroot_vm NEWROOT /bin/sh -c "$guest_cmd".
guest_cmd='
echo "kernel:      $(uname -srm)"
echo "cpu:         $(grep -m1 -e vendor_id /proc/cpuinfo | cut -d: -f2-)," \
	"model name$(grep -m1 "model name" /proc/cpuinfo | cut -d: -f2-)"
echo "vCPUs:       $(nproc), memory: $(free -m | awk "/^Mem:/ { print \$2 }") MiB"
echo "root:        $(grep " / " /proc/mounts | cut -d" " -f1-3)"
echo "environment: $(tr "\0" " " </proc/$$/environ)"
echo "/:           $(ls / | tr "\n" " ")"
echo "hello from the guest" >/hello.txt'

# Runs the demo on this machine (which has a working /dev/kvm): $1 is a scratch dir.
demo_here() {
	local root=$1/root
	scripts/mkroot.sh "$root" || return 1
	echo "demo: busybox root in $root; running: chroot_vm $root /bin/sh -c '...'"
	echo "---- inside the VM"
	build/examples/chroot_vm "$root" /bin/sh -c "$guest_cmd"
	local rc=$?
	echo "---- back on the host: chroot_vm exited $rc"
	echo "demo: the guest wrote $root/hello.txt: $(cat "$root/hello.txt" 2>/dev/null)"
	[ "$rc" = 0 ] && [ -f "$root/hello.txt" ]
}

[ -x build/examples/chroot_vm ] || { echo "demo: run 'make all' first" >&2; exit 1; }
# Where guests run: decided as for the tests (tests/runner/mode.sh), and said.
. tests/runner/mode.sh
kvm_mode_decide build || exit 1
echo "demo: $(kvm_mode_describe)"
if [ "$LIBKRUN_TEST_MODE" = direct ]; then
	tmp=$(mktemp -d /tmp/libkrun-c-demo.XXXXXX) || exit 1
	demo_here "$tmp"
	rc=$?
	rm -rf "$tmp"
	exit "$rc"
fi

# No guest runs on this host's KVM: the same function inside the emulated machine,
# whose /tmp is its own tmpfs; its output is streamed from the results folder.
echo "demo: running inside the emulated KVM machine (QEMU TCG, about a minute)"
out=$(mktemp -d /tmp/libkrun-c-demo.XXXXXX) || exit 1
{
	printf 'cd %q\n' "$src"
	declare -p guest_cmd
	declare -f demo_here
	printf 'demo_here /tmp >%q 2>&1\n' "$out/demo.log"
} >"$out/inner.sh"
: >"$out/demo.log"
EMU_TIMEOUT=600 tests/runner/emu.sh run "$out" "$out/inner.sh" &
pid=$!
tail -n +1 -f --pid="$pid" "$out/demo.log"
wait "$pid"
rc=$?
rm -rf "$out"
exit "$rc"
