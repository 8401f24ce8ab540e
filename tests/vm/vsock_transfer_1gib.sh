#!/usr/bin/env bash
# Bulk transfer each way with a checksum: the guest sends VSOCK_BIG_MIB MiB
# (default 1024) to a host sink, and reads as many from a host source; both
# ends' byte counts and checksums must match. Credit flow control (virtio 1.2
# §5.10.6.3) must hold for the whole run: a stall fails the test by timeout.
# In emulated KVM the full 1 GiB each way takes about 150 s (36 s out, 74 s
# in, the rest is the VM's boot), so the size is the same in both modes.
# timeout: 900
. "$SRC/tests/vm/lib.bash"
trap 'kill $(jobs -p) 2>/dev/null' EXIT

mib=${VSOCK_BIG_MIB:-1024}
bytes=$((mib << 20))
sink=$TEST_TMP/sink.sock src=$TEST_TMP/source.sock
host_serve "$sink" sink 1
host_serve "$src" source 1 "$bytes"
start=$(date +%s)
out=$(vm_run --mem 256 --vsock-port "5001:$sink" --vsock-port "5002:$src" -- /bin/sh -c \
	"vsock_tool send vsock:5001 $bytes && vsock_tool recv vsock:5002" 2>&1)
rc=$?
secs=$(($(date +%s) - start))
wait
echo "$out"
echo "host sink: $(cat "$sink.out" | grep recv)"
echo "host source: $(cat "$src.out" | grep sent)"
[ "$rc" = 0 ] || fail "the guest failed ($rc)"
g2h=$(sed -n 's/^sent \([0-9]*\) sum \([0-9a-f]*\).*/\1 \2/p' <<<"$out")
h2g_guest=$(sed -n 's/^recv \([0-9]*\) sum \([0-9a-f]*\).*/\1 \2/p' <<<"$out")
h2g_host=$(sed -n 's/^sent \([0-9]*\) sum \([0-9a-f]*\).*/\1 \2/p' "$src.out")
sink_got=$(sed -n 's/^recv \([0-9]*\) sum \([0-9a-f]*\).*/\1 \2/p' "$sink.out")
[ "$g2h" = "$bytes ${g2h#* }" ] || fail "guest sent '$g2h', expected $bytes bytes"
[ "$sink_got" = "$g2h" ] || fail "host received '$sink_got', guest sent '$g2h'"
[ "$h2g_host" = "$bytes ${h2g_host#* }" ] || fail "host sent '$h2g_host'"
[ "$h2g_guest" = "$h2g_host" ] || fail "guest received '$h2g_guest', host sent '$h2g_host'"
echo "ok: $mib MiB each way intact in ${secs}s (VM included)"
