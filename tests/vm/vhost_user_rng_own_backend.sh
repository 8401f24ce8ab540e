#!/usr/bin/env bash
# krun_add_vhost_user_device for virtio-rng (type 4), a type no Debian package
# serves, against our own small backend (tests/vm/vhost_user_rng_backend.c):
# the guest's hwrng is the virtio one, the bytes it reads from /dev/hwrng are
# bytes the backend put in guest memory (checked against the backend's log of
# what it served), and after the driver is unbound and bound again (a reset,
# then a second activation) reads still come from the backend. The backend
# sees the connection end when the VM does, and exits 0. The bundled kernel,
# which is copied into the shared guest RAM rather than mapped (gmem.h).
# timeout: 180
. "$SRC/tests/vm/lib.bash"

sock=$TEST_TMP/vhost-rng.sock served=$TEST_TMP/served.bin
"$BUILD/tests/vm/vhost_user_rng_backend" "$sock" "$served" >"$TEST_TMP/be.out" 2>"$TEST_TMP/be.err" &
be=$!
trap 'kill $be 2>/dev/null' EXIT
for _ in $(seq 100); do grep -q LISTENING "$TEST_TMP/be.out" 2>/dev/null && break; sleep 0.1; done
grep -q LISTENING "$TEST_TMP/be.out" || fail "backend did not start: $(cat "$TEST_TMP/be.err")"

root=$TEST_TMP/root
make_root "$root"
out=$(root_run "$root" --vhost-user "4:1:$sock" -- /bin/sh -c '
	rng=/sys/class/misc/hw_random
	echo "current: $(cat $rng/rng_current)"
	echo "read1: $(head -c 64 /dev/hwrng | od -An -tx1 | tr -d " \n")"
	dev=$(basename /sys/bus/virtio/drivers/virtio_rng/virtio*)
	echo "$dev" >/sys/bus/virtio/drivers/virtio_rng/unbind || echo "unbind failed"
	echo "after unbind: $(cat $rng/rng_current)"
	echo "$dev" >/sys/bus/virtio/drivers/virtio_rng/bind || echo "bind failed"
	echo "read2: $(head -c 64 /dev/hwrng | od -An -tx1 | tr -d " \n")"
	exit 0' 2>"$TEST_TMP/err")
rc=$?
echo "$out"
[ "$rc" = 0 ] || fail "exit status $rc; stderr: $(cat "$TEST_TMP/err")"
grep -q "^current: virtio_rng" <<<"$out" || fail "the guest's hwrng is not the virtio one"
grep -q "^after unbind: virtio_rng" <<<"$out" && fail "the driver did not let go"
grep -q "failed" <<<"$out" && fail "unbind/bind: $out"
echo "ok: the guest's hwrng is virtio-rng from the vhost-user backend"

for _ in $(seq 50); do kill -0 $be 2>/dev/null || break; sleep 0.1; done
wait $be
berc=$?
[ "$berc" = 0 ] || fail "backend exited $berc: $(cat "$TEST_TMP/be.err")"
grep -q "served [1-9][0-9]* bytes" "$TEST_TMP/be.err" || fail "backend: $(cat "$TEST_TMP/be.err")"
echo "ok: the backend saw the VM hang up and exited 0: $(tail -1 "$TEST_TMP/be.err")"

all=$(od -An -tx1 -v "$served" | tr -d ' \n')
for n in 1 2; do
	got=$(sed -n "s/^read$n: //p" <<<"$out")
	[ ${#got} = 128 ] || fail "read $n: ${#got} hex digits, want 128"
	# Even offsets only: a match must start on a byte.
	pre=${all%%"$got"*}
	[ "$pre" != "$all" ] && [ $((${#pre} % 2)) = 0 ] ||
		fail "read $n: the guest's bytes $got are not among those the backend served"
done
echo "ok: both 64-byte reads, before and after the reset, are bytes the backend served"
