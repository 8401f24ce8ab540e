#!/usr/bin/env bash
# krun_set_kernel's cmdline takes the place of the library's default one
# ("console=hvc0 quiet"), as upstream's does; the VMM's own part ("reboot=k
# panic=-1 no_timer_check tsc=reliable") comes before it and the devices'
# parameters (TSI, virtio_mmio.device=) after it, so the VM still works: the
# workload runs, reads the line from /proc/cmdline and its status comes back.
# timeout: 180
. "$SRC/tests/vm/lib.bash"

vmm="reboot=k panic=-1 no_timer_check tsc=reliable"
out=$(vm_run --cmdline "krun.test=mine loglevel=3" -- /bin/sh -c 'cat /proc/cmdline; exit 5' \
	2>"$TEST_TMP/err" </dev/null)
rc=$?
echo "$out"
[ "$rc" = 5 ] || fail "status $rc, expected 5: $(tail -n 20 "$TEST_TMP/err")"
case "$out" in
"$vmm krun.test=mine loglevel=3 vsock.tsi=1 "*virtio_mmio.device=*) ;;
*) fail "the caller's line is not in place of ours between the VMM's parts: '$out'" ;;
esac
grep -Eq '(^| )(console=hvc0|quiet)( |$)' <<<"$out" && fail "our default is still there: '$out'"
echo "ok: the caller's command line replaced the default; VMM and device parts kept"

out=$(vm_run -- /bin/cat /proc/cmdline 2>"$TEST_TMP/err" </dev/null) ||
	fail "default line: $(tail -n 20 "$TEST_TMP/err")"
echo "$out"
case "$out" in
"$vmm console=hvc0 quiet vsock.tsi=1 "*virtio_mmio.device=*) ;;
*) fail "default command line: '$out'" ;;
esac
echo "ok: without one, the default console=hvc0 quiet"
