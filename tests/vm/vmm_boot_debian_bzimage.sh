#!/usr/bin/env bash
# krun_set_kernel with KRUN_KERNEL_FORMAT_BZIMAGE boots a real distribution
# kernel: Debian's own bzImage (the one tests/runner/emu.sh caches, else the
# host's /boot/vmlinuz-*) with a busybox initramfs; the workload's exit status
# (7) comes back. Debian builds virtio_mmio and virtio_console as modules, so
# the guest has no hvc0 and no virtio-console ports: the workload runs on a
# terminal (console mode), whose guest side falls back to /dev/console, here
# the kernel's VT (console=tty0). What the guest says reaches the host only
# through COM1 (earlyprintk=serial, kept with keep_bootcon), which the VMM logs
# at debug level: the kernel's banner names the release booted, and the
# workload's uname -r, written to /dev/kmsg, must match it.
# timeout: 600
. "$SRC/tests/vm/lib.bash"
command -v script >/dev/null || { echo "SKIP: no script(1)"; exit 77; }
find_debian_vmlinuz
kernel=$debian_vmlinuz release=$debian_release
[ -f "$TEST_TMP/initramfs.cpio" ] || make_initramfs "$TEST_TMP/initramfs.cpio"

cat >"$TEST_TMP/inner.sh" <<INNER
"$KRUN_RUN" --kernel "$kernel" --format 100 --initramfs "$TEST_TMP/initramfs.cpio" \
	--cmdline "console=tty0 earlyprintk=serial keep_bootcon" --mem 256 --log-level 4 -- \
	/bin/sh -c 'echo "bzimage workload: release \$(uname -r)" >/dev/kmsg; exit 7'
echo "status=\$?" >"$TEST_TMP/status"
INNER
# The guest's lines as they come, into this test's output too: if the boot
# stops, the output says where.
log=$TEST_TMP/guest.log
script -qefc "bash $TEST_TMP/inner.sh" /dev/null </dev/null 2>&1 |
	sed -un 's/\r$//; /guest: /p' | tee "$log"
[ -f "$TEST_TMP/status" ] || fail "krun_run did not finish"
status=$(sed -n 's/^status=//p' "$TEST_TMP/status")
[ "$status" = 7 ] || fail "exit status $status, expected 7 (the guest's lines are above)"
grep -q "guest: .*Linux version $release " "$log" ||
	fail "the kernel's banner does not name $release"
grep -q "guest: .*bzimage workload: release $release\$" "$log" ||
	fail "the workload's uname -r ($release) did not reach the host"
echo "ok: Debian's bzImage $release booted, the workload saw it and exited 7"
