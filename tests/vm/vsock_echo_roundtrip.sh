#!/usr/bin/env bash
# A guest connect() to (CID 2, port) reaches the host UNIX socket mapped with
# krun_add_vsock_port: 1 MiB the guest sends comes back through a host echo
# server unchanged, and a second connection on the same port works after the
# first one closed.
# timeout: 300
. "$SRC/tests/vm/lib.bash"
trap 'kill $(jobs -p) 2>/dev/null' EXIT

sock=$TEST_TMP/echo.sock
host_serve "$sock" echo 2
out=$(vm_run --vsock-port "5000:$sock" -- /bin/sh -c \
	'vsock_tool echo vsock:5000 1 1048576 && vsock_tool echo vsock:5000 1 1' 2>&1)
rc=$?
echo "$out"
[ "$rc" = 0 ] || fail "the guest's echo failed ($rc)"
[ "$(grep -c '^echo ok' <<<"$out")" = 2 ] || fail "expected two echo round-trips"
wait
echo "ok: 1 MiB and 1 byte echoed over vsock <-> UNIX socket"
