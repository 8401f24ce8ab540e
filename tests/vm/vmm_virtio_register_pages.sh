#!/usr/bin/env bash
# Each virtio-mmio device's registers are a read-only memory slot
# (src/vmm/virtio_regpage.c): the guest's register reads, and its acks of
# used-buffer interrupts, no longer exit to the VMM. Proved here:
# - every device of a run gets its page (the VMM's debug log names them), and
#   LIBKRUN_VIRTIO_REG_PAGE=off gets none;
# - a guest doing FUSE work, console output, exit status and a config read
#   (the fs tag, through the mount) behaves the same either way;
# - where perf can count KVM's tracepoints (the emulated machine, as root),
#   the same work costs far fewer exits to the VMM with the pages: each FUSE
#   request used to cost two (InterruptStatus read, InterruptAck write).
# timeout: 300
. "$SRC/tests/vm/lib.bash"

root=$TEST_TMP/root
make_root "$root"
mkdir -p "$root/work"
work='cd /work && i=0; while [ $i -lt 60 ]; do echo $i > f$i; i=$((i+1)); done; cat f59; grep " / virtiofs" /proc/mounts | cut -d" " -f1-3; exit 3'

run() { # MODE: prints the guest's output, the VMM's log in $TEST_TMP/log.MODE
	rm -rf "$root/work/"*
	LIBKRUN_VIRTIO_REG_PAGE=$1 root_run "$root" --log-level 4 -- /bin/sh -c "$work" \
		2>"$TEST_TMP/log.$1" </dev/null
}

out_on=$(run on); rc_on=$?
out_off=$(run off); rc_off=$?
[ "$rc_on" = 3 ] && [ "$rc_off" = 3 ] || fail "statuses $rc_on (pages) and $rc_off (off), expected 3"
[ "$out_on" = "$out_off" ] || fail "the guest saw different things: '$out_on' against '$out_off'"
printf '%s\n' "$out_on" | grep -q '^59$' || fail "file contents wrong: $out_on"
printf '%s\n' "$out_on" | grep -q '^/dev/root / virtiofs$' || fail "root mount: $out_on"
echo "ok: same output and status 3 with and without register pages"

pages=$(grep -c 'registers read from a page' "$TEST_TMP/log.on")
[ "$pages" -ge 3 ] || fail "only $pages devices got a register page: $(grep -i virtio "$TEST_TMP/log.on" | head)"
grep -q 'registers read from a page at 0xd0000000' "$TEST_TMP/log.on" ||
	fail "the first device has no page: $(grep -i 'registers' "$TEST_TMP/log.on")"
grep -q 'registers read from a page' "$TEST_TMP/log.off" && fail "LIBKRUN_VIRTIO_REG_PAGE=off still made pages"
echo "ok: $pages devices read their registers from pages, none with off"

# Exits to the VMM, where perf can count them.
count() { # MODE
	rm -rf "$root/work/"*
	LIBKRUN_VIRTIO_REG_PAGE=$1 perf stat -x, -e kvm:kvm_userspace_exit -o "$TEST_TMP/perf.$1" \
		"$KRUN_RUN" --root "$root" -- /bin/sh -c "$work" >/dev/null 2>&1 </dev/null
	awk -F, '/kvm_userspace_exit/ { print $1 }' "$TEST_TMP/perf.$1"
}
if ! command -v perf >/dev/null || ! perf stat -e kvm:kvm_userspace_exit true >/dev/null 2>&1; then
	echo "ok: (perf cannot count KVM tracepoints here: exit counts not compared)"
	exit 0
fi
on=$(count on)
off=$(count off)
case "$on$off" in *[!0-9]*|'') fail "no exit counts: '$on' '$off'";; esac
echo "exits to the VMM for 60 files: $on with register pages, $off without"
[ $((on * 2)) -lt "$off" ] || fail "register pages did not halve the exits to the VMM ($on against $off)"
echo "ok: register pages cut the exits to the VMM by more than half"
