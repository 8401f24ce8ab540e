#!/usr/bin/env bash
# TSI, outbound TCP: a guest with no NIC reaches test hosts on a veth network
# (10.77.0.1, fd77::1) through the VMM's host sockets. IPv4 and IPv6 echo;
# 100 MiB from a host source over IPv4 and over IPv6 with matching checksums; busybox wget of an HTTP
# file (sha256); a closed port gives ECONNREFUSED blocking and non-blocking
# (epoll registered before connect: EINPROGRESS, then EPOLLOUT|EPOLLERR with
# SO_ERROR); an unreachable host fails, blocking and not; 200 connections at once, after which
# the VMM holds no more sockets than before.
# timeout: 600
. "$SRC/tests/vm/lib.bash"
trap 'kill $(jobs -p) 2>/dev/null; tsi_net_down' EXIT
tsi_net_up

host_tcp_serve echo4 tcp:10.77.0.1:7001 echo 2
host_tcp_serve echo6 tcp6:fd77::1:7001 echo 1
host_tcp_serve source tcp:10.77.0.1:7002 source 1 104857600
host_tcp_serve source6 tcp6:fd77::1:7002 source 1 104857600
host_tcp_serve many tcp:10.77.0.1:7003 echo 200
mkdir -p "$TEST_TMP/www"
head -c 1048576 /dev/urandom >"$TEST_TMP/www/blob"
busybox httpd -f -p 10.77.0.1:7080 -h "$TEST_TMP/www" &
want_sha=$(sha256sum <"$TEST_TMP/www/blob" | cut -d' ' -f1)

vm_run_ns --mem 512 -- /bin/sh -c '
	echo BASE; sleep 2
	vsock_tool echo tcp:10.77.0.1:7001 1 1024
	vsock_tool echo tcp6:fd77::1:7001 1 1024
	vsock_tool recv tcp:10.77.0.1:7002
	vsock_tool recv tcp6:fd77::1:7002
	echo "wget $(wget -q -O - http://10.77.0.1:7080/blob | sha256sum)"
	vsock_tool connect tcp:10.77.0.1:7009
	vsock_tool nbconnect tcp:10.77.0.1:7009 30
	vsock_tool nbconnect tcp:10.77.0.1:7001 30
	vsock_tool echo tcp:10.77.0.1:7003 200 10000
	echo AFTER; sleep 3
	vsock_tool nbconnect tcp:10.77.0.99:7001 60
	vsock_tool connect tcp:10.77.0.99:7001
	true' >"$TEST_TMP/vm.out" 2>&1 &
vm_pid=$!
out=$TEST_TMP/vm.out
# The VMM's open sockets before any connection and after 200 at once have closed.
for _ in $(seq 300); do grep -q '^BASE' "$out" 2>/dev/null && break; sleep 0.1; done
kpid=$(pgrep -P "$vm_pid" | head -n 1) # vm_run_ns's subshell; ip netns exec execs krun_run
# Sockets only: the guest's open files are host fds of the FUSE server too, and
# one of those closed late (its RELEASE) made the whole count fall by one.
fds() { find "/proc/$kpid/fd" -mindepth 1 -lname 'socket:*' 2>/dev/null | wc -l; }
# Which sockets, with what the host's socket tables say of them (for a failure).
fd_list() {
	local f ino
	for f in /proc/$kpid/fd/*; do
		ino=$(readlink "$f" 2>/dev/null) || continue
		case $ino in socket:*) ;; *) continue ;; esac
		ino=${ino#socket:[}; ino=${ino%]}
		echo "fd ${f##*/}: $(grep -h " $ino " /proc/$kpid/net/tcp /proc/$kpid/net/tcp6 \
			/proc/$kpid/net/udp /proc/$kpid/net/unix 2>/dev/null | head -n 1)"
	done
}
sleep 1
base=$(fds)
base_list=$(fd_list)
for _ in $(seq 3000); do grep -q '^AFTER' "$out" 2>/dev/null && break; sleep 0.1; done
sleep 1.5
after=$(fds)
after_list=$(fd_list)
wait "$vm_pid"
rc=$?
cat "$out"
[ $rc = 0 ] || fail "the VM exited $rc"
echo "VMM socket fds: $base before, $after after 200 connections"
[ "$after" = "$base" ] || printf 'before:\n%s\nafter:\n%s\n' "$base_list" "$after_list"
# No more than before: a socket of the guest's boot (its init's AF_INET ioctl
# socket, say) may still close after the first count, under load.
[ "$base" -gt 0 ] && [ "$after" -le "$base" ] || fail "VMM socket fds $base before, $after after"
[ "$(grep -c '^echo ok: 1 connections x 1024 bytes' "$out")" = 2 ] || fail "IPv4/IPv6 echo"
got=$(sed -n 's/^recv 104857600 sum \([0-9a-f]*\).*/\1/p' "$out" | sort -u)
for f in source source6; do
	sent=$(sed -n 's/^sent 104857600 sum \([0-9a-f]*\).*/\1/p' "$TEST_TMP/$f.out")
	[ -n "$got" ] && [ "$got" = "$sent" ] || fail "100 MiB ($f): guest sums '$got', host '$sent'"
done
[ "$(grep -c '^recv 104857600 sum' "$out")" = 2 ] || fail "100 MiB over IPv4 and IPv6"
grep -q "^wget $want_sha" "$out" || fail "wget: the file's sha256 differs"
grep -q '^connect: ECONNREFUSED' "$out" || fail "blocking connect to a closed port"
grep -q '^nbconnect: EINPROGRESS then EPOLLOUT|EPOLLERR|EPOLLHUP so_error=ECONNREFUSED' "$out" ||
	fail "non-blocking connect to a closed port"
grep -q '^nbconnect: EINPROGRESS then EPOLLOUT so_error=0' "$out" ||
	fail "non-blocking connect to an open port"
grep -q '^echo ok: 200 connections x 10000 bytes' "$out" || fail "200 connections at once"
grep -Eq '^nbconnect: EINPROGRESS then EPOLLOUT.*so_error=(EHOSTUNREACH|No route to host|ETIMEDOUT)' \
	"$out" || fail "an unreachable host (non-blocking)"
grep -Eq '^connect: (EHOSTUNREACH|No route to host|ETIMEDOUT)' "$out" ||
	fail "an unreachable host (blocking)"
grep -q '^PEER 10.77.0.2 ' "$TEST_TMP/echo4.out" || fail "the host saw no client from the VMM's namespace"
echo "ok: IPv4+IPv6 echo, 100 MiB checksum, wget sha256, refused/unreachable, 200 at once"
