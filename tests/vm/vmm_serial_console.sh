#!/usr/bin/env bash
# krun_add_serial_console_default + krun_set_kernel_console ttyS0: the guest's
# 8250 driver finds our 16550 on COM1 (ttyS0), the kernel's console messages
# go out on the host's output fd, the guest writes to /dev/ttyS0 and reads a
# line the host sent into the input fd (a pipe: received-data interrupts);
# the workload's stdio stays on the virtio console.
# timeout: 180
. "$SRC/tests/vm/lib.bash"

root=$TEST_TMP/root
make_root "$root"
serial_out=$TEST_TMP/serial.out
# The input: a FIFO (pollable, like a terminal), fed once the guest holds
# ttyS0 open.
serial_in=$TEST_TMP/serial.in
feed_when_ready "$serial_in" "$serial_out" ping-from-host

out=$(root_run "$root" --serial 3,4 --kernel-console ttyS0 -- /bin/sh -c '
	die() { echo "FAIL (guest): $*"; exit 1; }
	grep -q "ttyS0 at I/O 0x3f8 (irq = 4" /proc/tty/driver/serial 2>/dev/null ||
		grep -qi "uart:16550A port:000003F8 irq:4" /proc/tty/driver/serial ||
		die "no 16550A at 0x3f8: $(cat /proc/tty/driver/serial)"
	echo "<2>krun-serial-kmsg" >/dev/kmsg
	exec 5<>/dev/ttyS0
	stty -echo <&5 2>/dev/null
	echo guest-to-serial >&5
	echo ready-for-input >&5
	read -r line <&5 || die "no line from the host"
	echo "stdout: serial said [$line]"' 3<"$serial_in" 4>"$serial_out" 2>&1)
rc=$?
echo "$out"
echo "--- serial output:"
tr -d '\r' <"$serial_out" | tail -n 20
[ "$rc" = 0 ] || fail "guest failed (exit $rc)"
grep -q "^stdout: serial said \[ping-from-host\]" <<<"$(tr -d '\r' <<<"$out")" ||
	fail "the guest did not read the host's line from ttyS0 (or its stdout left the virtio console)"
serial=$(tr -d '\r' <"$serial_out")
grep -q "krun-serial-kmsg" <<<"$serial" || fail "the kernel's console is not on the serial port"
grep -q "guest-to-serial" <<<"$serial" || fail "the guest's bytes to ttyS0 did not reach the host"
grep -q "stdout: serial said" <<<"$serial" && fail "the workload's stdout went to the serial port"
echo "ok: ttyS0 is our 16550: kernel console, guest output and host input"
