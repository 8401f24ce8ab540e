#!/usr/bin/env bash
# krun_setgid and krun_setuid take effect at krun_start_enter: with setgid
# 65534 the running VMM's process has gid 65534 (its /proc status, read on
# the host while the guest sleeps) and the guest runs; with setuid 65534 the
# ids are taken before /dev/kvm is opened, as upstream documents, so where
# nobody may not open /dev/kvm the start fails with EACCES and says so
# (where it may, the VMM runs as uid 65534).
# timeout: 180
. "$SRC/tests/vm/lib.bash"

[ "$(id -u)" = 0 ] || { echo "SKIP: needs root to change ids"; exit 77; }
root=$TEST_TMP/root
make_root "$root"
chmod 0755 "$TEST_TMP" "$root"

# Started directly, not through root_run: a backgrounded shell function runs
# in a subshell, and $! would be that subshell's pid, not the VMM's.
"$KRUN_RUN" --root "$root" --setgid 65534 -- /bin/sh -c 'sleep 3; exit 5' >/dev/null 2>"$TEST_TMP/err" &
vm_pid=$!
for _ in $(seq 50); do
	gid=$(awk '/^Gid:/ { print $2 }' "/proc/$vm_pid/status" 2>/dev/null)
	[ "$gid" = 65534 ] && break
	sleep 0.1
done
uid=$(awk '/^Uid:/ { print $2 }' "/proc/$vm_pid/status" 2>/dev/null)
wait $vm_pid
rc=$?
[ "$rc" = 5 ] || fail "with setgid the workload's status is $rc, not 5: $(cat "$TEST_TMP/err")"
[ "$gid" = 65534 ] || fail "the running VMM's gid is '$gid', not 65534"
[ "$uid" = 0 ] || fail "setgid alone changed the uid to '$uid'"
echo "ok: krun_setgid: the running VMM has gid 65534 (uid still 0), the workload ran"

if setpriv --reuid=65534 --regid=65534 --clear-groups sh -c 'exec 3<>/dev/kvm' 2>/dev/null; then
	root_run "$root" --setgid 65534 --setuid 65534 -- /bin/sh -c 'exit 6' 2>"$TEST_TMP/err2"
	rc=$?
	[ "$rc" = 6 ] || fail "as uid 65534 with /dev/kvm open to it: status $rc: $(cat "$TEST_TMP/err2")"
	echo "ok: krun_setuid: /dev/kvm is open to 65534 here, and the VMM ran as 65534"
else
	root_run "$root" --setgid 65534 --setuid 65534 -- /bin/true 2>"$TEST_TMP/err2"
	rc=$?
	[ "$rc" = $((100 + 13)) ] || fail "setuid 65534: status $rc, want 113 (EACCES): $(cat "$TEST_TMP/err2")"
	grep -q "cannot open /dev/kvm" "$TEST_TMP/err2" || fail "no log line: $(cat "$TEST_TMP/err2")"
	echo "ok: krun_setuid: the ids are taken before /dev/kvm is opened (EACCES for 65534, logged)"
fi
