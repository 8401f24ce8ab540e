#!/usr/bin/env bash
# krun_add_vhost_user_device with a backend we did not write: QEMU's
# qemu-storage-daemon exporting a raw image as vhost-user-blk (device type 2,
# queue count asked from the backend). The guest sees the image's size (the
# config space comes from the backend), reads bytes the host put there, writes
# 2 MiB that the host then finds in the image, and after its driver is unbound
# and bound again (a device reset, then the rings handed over a second time)
# reads them back. A socket with no backend makes krun_start_enter fail.
# timeout: 240
. "$SRC/tests/vm/lib.bash"

command -v qemu-storage-daemon >/dev/null ||
	{ echo "SKIP: qemu-storage-daemon (qemu-system-common) missing"; exit 77; }
img=$TEST_TMP/disk.img sock=$TEST_TMP/vhost-blk.sock
truncate -s 64M "$img"
head -c 1M /dev/urandom >"$TEST_TMP/host.bin"
dd if="$TEST_TMP/host.bin" of="$img" bs=1M seek=4 conv=notrunc 2>/dev/null
host_sum=$(sha256sum <"$TEST_TMP/host.bin" | cut -d' ' -f1)

qemu-storage-daemon \
	--blockdev driver=file,node-name=file0,filename="$img" \
	--blockdev driver=raw,node-name=disk0,file=file0 \
	--export type=vhost-user-blk,id=exp0,node-name=disk0,addr.type=unix,addr.path="$sock",writable=on \
	>"$TEST_TMP/qsd.log" 2>&1 &
qsd=$!
trap 'kill $qsd 2>/dev/null' EXIT
for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.1; done
[ -S "$sock" ] || fail "qemu-storage-daemon did not listen: $(cat "$TEST_TMP/qsd.log")"

out=$(vm_run --vhost-user "2:0:$sock" -- /bin/sh -c '
	echo "sectors: $(cat /sys/block/vda/size)"
	echo "host bytes: $(dd if=/dev/vda bs=1048576 skip=4 count=1 2>/dev/null | sha256sum | cut -d" " -f1)"
	head -c 2097152 /dev/urandom >/tmp/r
	echo "guest sum: $(sha256sum </tmp/r | cut -d" " -f1)"
	dd if=/tmp/r of=/dev/vda bs=1048576 seek=16 conv=fsync 2>/dev/null || echo "write failed"
	dev=$(basename /sys/bus/virtio/drivers/virtio_blk/virtio*)
	echo "$dev" >/sys/bus/virtio/drivers/virtio_blk/unbind || echo "unbind failed"
	[ -e /sys/block/vda ] && echo "still bound"
	echo "$dev" >/sys/bus/virtio/drivers/virtio_blk/bind || echo "bind failed"
	for i in 1 2 3 4 5 6 7 8 9 10; do [ -e /dev/vda ] && break; sleep 0.5; done
	echo 3 >/proc/sys/vm/drop_caches
	echo "again: $(dd if=/dev/vda bs=1048576 skip=16 count=2 2>/dev/null | sha256sum | cut -d" " -f1)"
	exit 7' 2>"$TEST_TMP/err")
rc=$?
echo "$out"
[ "$rc" = 7 ] || fail "exit status $rc (want the workload's 7); stderr: $(cat "$TEST_TMP/err")"
grep -qx "sectors: 131072" <<<"$out" || fail "the guest does not see a 64 MiB disk"
echo "ok: the guest sees the backend's disk, 64 MiB (config space from GET_CONFIG)"
grep -qx "host bytes: $host_sum" <<<"$out" || fail "the guest read other bytes than the host wrote"
echo "ok: 1 MiB the host wrote read by the guest through the backend"
sum=$(sed -n 's/^guest sum: //p' <<<"$out")
img_sum=$(dd if="$img" bs=1M skip=16 count=2 2>/dev/null | sha256sum | cut -d' ' -f1)
[ -n "$sum" ] && [ "$sum" = "$img_sum" ] || fail "image holds $img_sum, the guest wrote $sum"
echo "ok: 2 MiB the guest wrote are in the host's image"
grep -q "failed\|still bound" <<<"$out" && fail "unbind/bind: $out"
grep -qx "again: $sum" <<<"$out" || fail "after a reset and a second activation the guest reads other bytes"
echo "ok: after the driver's reset and a second activation the data reads back"
kill -0 $qsd 2>/dev/null || fail "qemu-storage-daemon died: $(cat "$TEST_TMP/qsd.log")"

# No backend: krun_start_enter fails (krun_run: 100 + errno), and says why.
vm_run --vhost-user "2:1:$TEST_TMP/nobody.sock" -- /bin/true 2>"$TEST_TMP/err2"
rc=$?
[ "$rc" = $((100 + 2)) ] || fail "no backend: exit $rc, want 102 (ENOENT); $(cat "$TEST_TMP/err2")"
grep -q "cannot connect to $TEST_TMP/nobody.sock" "$TEST_TMP/err2" ||
	fail "no backend: no log line saying so: $(cat "$TEST_TMP/err2")"
echo "ok: with no backend krun_start_enter fails with -ENOENT and says so"
