#!/usr/bin/env bash
# krun_split_irqchip(true): KVM keeps the local APICs, the VMM's IOAPIC routes
# each pin as an MSI (src/arch/x86_64/ioapic.h). With it on, every device
# interrupts and works: the virtio-fs root the guest runs from, the virtio
# console its output comes through, a virtio-blk disk (8 MiB written and read
# back, checksums compared), a vsock port (100 KB echoed through a host unix
# socket), virtio-net on a tap (ping and an HTTP fetch, sha256 compared), the
# balloon (free page reporting after 64 MiB freed) and the 16550 on COM1
# (a line out, a line in). Every virtio-mmio device's line in the guest's
# /proc/interrupts must then count interrupts, through the IO-APIC, and the
# VMM's log must show it routed the pins itself.
# timeout: 600
. "$SRC/tests/vm/lib.bash"
trap 'kill $(jobs -p) 2>/dev/null; tap_net_down' EXIT
tap_net_up ktap1 10.79.0.1

root=$TEST_TMP/root
make_root "$root"
cp "$VSOCK_TOOL" "$BUILD/tests/vm/guest/memhog" "$root/bin/"
disk=$TEST_TMP/disk.img
truncate -s 16M "$disk"
"$VSOCK_TOOL" serve "unix:$TEST_TMP/echo.sock" echo 1 >"$TEST_TMP/echo.out" 2>&1 &
for _ in $(seq 100); do grep -q LISTENING "$TEST_TMP/echo.out" 2>/dev/null && break; sleep 0.1; done
serial_out=$TEST_TMP/serial.out serial_in=$TEST_TMP/serial.in
feed_when_ready "$serial_in" "$serial_out" ping-from-host

ip netns exec "$TAP_NS" "$KRUN_RUN" --root "$root" --split-irqchip --log-level 4 \
	--disk blk-disk:"$disk" --vsock-port 5005:"$TEST_TMP/echo.sock" \
	--net tap:ktap1 --net-flags 0 --serial 3,4 -- /bin/sh -c '
	head -c 8388608 /dev/urandom >/tmp/r
	echo "disk wrote $(sha256sum </tmp/r | cut -d" " -f1)"
	dd if=/tmp/r of=/dev/vda bs=1048576 conv=fsync 2>/dev/null
	echo 3 >/proc/sys/vm/drop_caches
	echo "disk read $(head -c 8388608 /dev/vda | sha256sum | cut -d" " -f1)"
	rm /tmp/r
	vsock_tool echo vsock:5005 1 100000 && echo "vsock echo ok"
	ip addr add 10.79.0.2/24 dev eth0 && ip link set eth0 up
	ping -c 2 -W 5 10.79.0.1 >/dev/null && echo "ping ok"
	echo "wget $(wget -q -O - http://10.79.0.1:7080/blob | sha256sum)"
	memhog 64 0 4 >/dev/null
	exec 5<>/dev/ttyS0
	stty -echo <&5 2>/dev/null
	echo ready-for-input >&5
	read -r line <&5 && echo "serial said [$line]"
	echo "--- interrupts"
	cat /proc/interrupts
	echo "--- devices"
	for d in /sys/bus/virtio/devices/*; do
		echo "$(basename "$d") $(cat "$d/device") $(basename "$(readlink "$d/..")")"
	done' 3<"$serial_in" 4>"$serial_out" >"$TEST_TMP/vm.out" 2>"$TEST_TMP/vm.err"
rc=$?
cat "$TEST_TMP/vm.out"
[ $rc = 0 ] || fail "the VM exited $rc: $(tail -20 "$TEST_TMP/vm.err")"
grep -q "ioapic: pin .* routed" "$TEST_TMP/vm.err" ||
	fail "the VMM's log shows no IOAPIC route of its own: $(grep -i ioapic "$TEST_TMP/vm.err" | head)"
w=$(sed -n 's/^disk wrote //p' "$TEST_TMP/vm.out")
[ -n "$w" ] && grep -q "^disk read $w" "$TEST_TMP/vm.out" || fail "virtio-blk: what was read back differs"
grep -q "^vsock echo ok" "$TEST_TMP/vm.out" || fail "vsock: the echo failed"
grep -q "^ping ok" "$TEST_TMP/vm.out" || fail "virtio-net: no ping reply"
grep -q "^wget $want_sha" "$TEST_TMP/vm.out" || fail "virtio-net: the fetched file differs"
grep -q '^serial said \[ping-from-host\]' "$TEST_TMP/vm.out" || fail "serial: no line from the host"
# Each virtio-mmio device (virtio0.. on platform device N.virtio_mmio) has an
# IO-APIC line named after it, and its count is not 0.
sed -n '/^--- devices/,$p' "$TEST_TMP/vm.out" | grep '^virtio' >"$TEST_TMP/devices"
n=0
while read -r name id _; do
	line=$(grep -E "IO-APIC.*virtio${name#virtio}\$" "$TEST_TMP/vm.out") ||
		fail "no /proc/interrupts line for $name (device id $id)"
	count=$(awk '{ s = 0; for (i = 2; i <= NF && $i ~ /^[0-9]+$/; i++) s += $i; print s }' <<<"$line")
	echo "$name (virtio id $id): $count interrupts"
	[ "$count" -gt 0 ] || fail "$name (virtio id $id) had no interrupt"
	n=$((n + 1))
done <"$TEST_TMP/devices"
[ $n -ge 6 ] || fail "only $n virtio devices (console, balloon, vsock, fs, blk, net expected)"
serial=$(awk '/ttyS0/ { s = 0; for (i = 2; i <= NF && $i ~ /^[0-9]+$/; i++) s += $i; print s }' "$TEST_TMP/vm.out")
[ "${serial:-0}" -gt 0 ] || fail "the serial port had no interrupt"
echo "ok: split irqchip: $n virtio devices and the serial port interrupt and work"
