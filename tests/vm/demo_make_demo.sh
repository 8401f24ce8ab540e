#!/usr/bin/env bash
# `make demo`, the README's first command, does what the README says: it runs a
# command in a micro-VM on a busybox root through chroot_vm, the guest prints
# what it sees (kernel, vCPUs, memory, its root on virtio-fs), writes a file the
# host then reads, and the goal exits 0. Here a guest runs (this is a VM test),
# so the demo runs directly.
# timeout: 300
. "$SRC/tests/vm/lib.bash"

out=$(LIBKRUN_TEST_MODE=direct make -C "$SRC" --no-print-directory demo 2>&1)
rc=$?
echo "$out"
[ "$rc" = 0 ] || fail "make demo exited $rc"
grep -q '^demo: mode: direct' <<<"$out" || fail "the demo did not say where it ran"
grep -qE '^kernel: +Linux [0-9.]+.* x86_64$' <<<"$out" || fail "no kernel line from the guest"
grep -qE '^vCPUs: +2, memory: [0-9]+ MiB$' <<<"$out" || fail "no vCPU/memory line"
grep -qE '^root: +/dev/root / virtiofs$' <<<"$out" || fail "the root is not the virtio-fs share"
grep -q '^---- back on the host: chroot_vm exited 0$' <<<"$out" || fail "chroot_vm's status"
grep -q '^demo: the guest wrote .*/hello.txt: hello from the guest$' <<<"$out" ||
	fail "the host did not read the guest's file"
echo "ok: make demo ran its guest and read back the guest's file"
