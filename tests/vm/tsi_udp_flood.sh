#!/usr/bin/env bash
# TSI, UDP under a flood: a host peer sends 20 000 datagrams of 8 KiB (160 MiB)
# to a guest socket that reads nothing for 8 s, then the guest sends 20 000
# of its own to a host port nobody reads. The VMM holds no more than the
# guest's credit: its own memory (its RSS without the guest's RAM) stays flat,
# the guest finds datagrams queued for it and stays up.
# timeout: 400
. "$SRC/tests/vm/lib.bash"
trap 'kill $(jobs -p) 2>/dev/null; tsi_net_down' EXIT
tsi_net_up

"$VSOCK_TOOL" udpflood udp:10.77.0.1:7310 20000 8192 >"$TEST_TMP/flood.out" 2>&1 &
for _ in $(seq 100); do grep -q LISTENING "$TEST_TMP/flood.out" && break; sleep 0.1; done

mem=256
vm_run_ns --mem "$mem" -- /bin/sh -c '
	echo BASE; sleep 3
	vsock_tool udphold udp:10.77.0.1:7310 8
	echo HELD
	vsock_tool udpblast udp:10.77.0.1:7311 20000 8192
	echo AFTER; sleep 3' >"$TEST_TMP/vm.out" 2>&1 &
vm_pid=$!
out=$TEST_TMP/vm.out
for _ in $(seq 300); do grep -q '^BASE' "$out" 2>/dev/null && break; sleep 0.1; done
kpid=$(pgrep -P "$vm_pid" | head -n 1) # vm_run_ns's subshell; ip netns exec execs krun_run
# The VMM's own resident memory in KiB: every mapping but the guest's RAM
# (the one mapping of at least the guest's size).
own_rss() {
	awk -v ram=$((mem * 1024)) '
		/^[0-9a-f]+-[0-9a-f]+ / { next }
		/^Size:/ { size = $2 }
		/^Rss:/ { if (size < ram) own += $2 }
		END { print own + 0 }' "/proc/$kpid/smaps" 2>/dev/null
}
sleep 2
base=$(own_rss)
for _ in $(seq 600); do grep -q '^HELD' "$out" 2>/dev/null && break; sleep 0.1; done
held=$(own_rss)
for _ in $(seq 1200); do grep -q '^AFTER' "$out" 2>/dev/null && break; sleep 0.1; done
after=$(own_rss)
wait "$vm_pid"
rc=$?
cat "$out" "$TEST_TMP/flood.out"
[ $rc = 0 ] || fail "the VM exited $rc"
echo "VMM own RSS: $base KiB before, $held KiB after the flood in, $after KiB after the flood out"
grep -q '^flooded [1-9]' "$TEST_TMP/flood.out" || fail "the host flood did not run"
grep -q '^udphold: [1-9][0-9]* datagrams queued' "$out" || fail "no datagram reached the guest"
grep -q '^udpblast: sent [1-9]' "$out" || fail "the guest could not send"
[ "$base" -gt 0 ] || fail "no RSS figure for the VMM"
for v in "$held" "$after"; do
	[ "$v" -le $((base + 8192)) ] || fail "the VMM grew from $base KiB to $v KiB"
done
echo "ok: UDP floods both ways; the VMM's memory stayed within 8 MiB of its start"
