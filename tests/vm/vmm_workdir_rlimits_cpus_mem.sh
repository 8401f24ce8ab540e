#!/usr/bin/env bash
# krun_set_workdir, krun_set_rlimits and krun_set_vm_config are what the guest sees.
# timeout: 600
. "$SRC/tests/vm/lib.bash"
out=$(vm_run --workdir /tmp -- /bin/krun_probe cwd) || fail "cwd probe failed"
[ "$out" = /tmp ] || fail "workdir: got '$out'"
echo "ok: workdir /tmp"
out=$(vm_run --rlimit 7=123:456 --rlimit 4=-1:-1 -- /bin/sh -c \
	'krun_probe rlimit 7; krun_probe rlimit 4') || fail "rlimit probe failed"
[ "$out" = "123 456
-1 -1" ] || fail "rlimits: got '$out'"
echo "ok: rlimits NOFILE=123:456 CORE=inf:inf"
out=$(vm_run --cpus 2 --mem 256 -- /bin/sh -c 'krun_probe cpus; krun_probe memkb') ||
	fail "cpus/mem probe failed"
cpus=$(echo "$out" | sed -n 1p) memkb=$(echo "$out" | sed -n 2p)
[ "$cpus" = 2 ] || fail "cpus: got $cpus"
[ "$memkb" -gt 180000 ] && [ "$memkb" -le 262144 ] || fail "MemTotal ${memkb} kB for 256 MiB"
echo "ok: 2 vCPUs online, MemTotal $memkb kB of 256 MiB"
