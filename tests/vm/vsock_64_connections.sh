#!/usr/bin/env bash
# 64 connections at once through one muxer: the guest opens 64 streams to a host
# echo server (2 vCPUs), each sends 1 MiB of its own data and checks that the
# same bytes come back on that stream and no other.
# timeout: 400
. "$SRC/tests/vm/lib.bash"
trap 'kill $(jobs -p) 2>/dev/null' EXIT

sock=$TEST_TMP/echo.sock
host_serve "$sock" echo 64
out=$(vm_run --cpus 2 --vsock-port "5000:$sock" -- /bin/sh -c \
	'vsock_tool echo vsock:5000 64 1048576' 2>&1)
rc=$?
echo "$out"
[ "$rc" = 0 ] || fail "the guest's 64 streams failed ($rc)"
grep -q '^echo ok: 64 connections' <<<"$out" || fail "no echo ok from the guest"
wait
echo "ok: 64 concurrent streams x 1 MiB echoed intact"
