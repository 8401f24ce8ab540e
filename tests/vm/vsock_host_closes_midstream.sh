#!/usr/bin/env bash
# The host side closing mid-stream: (1) a host source that writes 1 MiB and
# closes: the guest reads exactly those bytes, then EOF (SHUTDOWN from the
# device after the data); (2) a host reader that closes after 64 KiB while the
# guest is sending 100 MiB: the guest's write fails (EPIPE/ECONNRESET) instead
# of blocking forever; (3) the device still works afterwards (echo).
# timeout: 300
. "$SRC/tests/vm/lib.bash"
trap 'kill $(jobs -p) 2>/dev/null' EXIT

host_serve "$TEST_TMP/src.sock" source 1 1048576
host_serve "$TEST_TMP/short.sock" sink-close 1 65536
host_serve "$TEST_TMP/echo.sock" echo 1
out=$(vm_run --vsock-port "5001:$TEST_TMP/src.sock" --vsock-port "5002:$TEST_TMP/short.sock" \
	--vsock-port "5003:$TEST_TMP/echo.sock" -- /bin/sh -c \
	'vsock_tool recv vsock:5001; vsock_tool send vsock:5002 104857600; echo "send rc=$?"
	 vsock_tool echo vsock:5003 1 4096' 2>&1)
rc=$?
echo "$out"
wait
want=$(sed -n 's/^sent \([0-9]* sum [0-9a-f]*\).*/\1/p' "$TEST_TMP/src.sock.out")
got=$(sed -n 's/^recv \([0-9]* sum [0-9a-f]*\).*/\1/p' <<<"$out")
[ -n "$want" ] && [ "$got" = "$want" ] || fail "guest read '$got', host wrote '$want'"
grep -q '^closed after' "$TEST_TMP/short.sock.out" || fail "the host reader did not close early"
grep -qE '^send: (EPIPE|ECONNRESET|ENOTCONN) after [0-9]+ bytes' <<<"$out" ||
	fail "the guest's send did not fail with EPIPE/ECONNRESET"
grep -q '^send rc=3' <<<"$out" || fail "the guest's send did not report the I/O error"
[ "$rc" = 0 ] && grep -q '^echo ok' <<<"$out" || fail "the device did not work afterwards ($rc)"
echo "ok: host close seen by the guest as EOF after the data, and as EPIPE while sending"
