#!/usr/bin/env bash
# Connections that cannot be made are refused at once, not left to time out:
# a guest connect() to an unmapped host port, to a mapped port whose UNIX path
# has no listener, and to a CID other than the host's each fail with
# ECONNRESET (the device's RST, §5.10.6.4); a mapped port then still connects.
# timeout: 300
. "$SRC/tests/vm/lib.bash"
trap 'kill $(jobs -p) 2>/dev/null' EXIT

host_serve "$TEST_TMP/ok.sock" echo 1
out=$(vm_run --vsock-port "5000:$TEST_TMP/ok.sock" --vsock-port "5001:$TEST_TMP/none.sock" \
	-- /bin/sh -c 'for a in vsock:7777 vsock:5001 vsock:5:5000; do
		printf "%s " $a; vsock_tool connect $a; done
	vsock_tool echo vsock:5000 1 1' 2>&1)
echo "$out"
for a in vsock:7777 vsock:5001 vsock:5:5000; do
	grep -qE "^$a connect: (ECONNRESET|ECONNREFUSED)$" <<<"$out" ||
		fail "$a was not refused with ECONNRESET/ECONNREFUSED"
done
grep -q '^echo ok' <<<"$out" || fail "the mapped port did not work afterwards"
echo "ok: unmapped port, missing listener and foreign CID refused at once"
