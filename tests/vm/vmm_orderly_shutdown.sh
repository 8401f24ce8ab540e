#!/usr/bin/env bash
# Orderly shutdown (vmm/shutdown.h): SIGTERM to the VMM, or a write to
# krun_get_shutdown_eventfd's eventfd, makes the guest's init send the
# workload SIGTERM; the process then exits with the workload's own status.
# A workload that ignores SIGTERM is killed after the grace period (10 s:
# status 137); a second SIGTERM, or a VM without a vsock device to carry the
# request, ends the VM at once with 143.
# timeout: 420
. "$SRC/tests/vm/lib.bash"

root=$TEST_TMP/root
make_root "$root"

# start_vm NAME WORKLOAD [krun_run options]: runs in the background, output in
# $TEST_TMP/NAME.out; returns once the workload printed "ready" (and a second
# more, for init's watcher to listen).
start_vm() {
	local name=$1 workload=$2 i
	shift 2
	# Not through root_run: $! must be the VMM itself, not a subshell.
	"$KRUN_RUN" --root "$root" --log-level 3 "$@" -- /bin/sh -c "$workload" >"$TEST_TMP/$name.out" 2>&1 &
	vm_pid=$!
	for i in $(seq 1800); do
		grep -q ready "$TEST_TMP/$name.out" 2>/dev/null && { sleep 1; return 0; }
		kill -0 "$vm_pid" 2>/dev/null || break
		sleep 0.1
	done
	cat "$TEST_TMP/$name.out"
	fail "$name: the workload did not start"
}

# finish NAME: waits for the VM; sets rc and secs (since the call).
finish() {
	local start=$SECONDS
	wait "$vm_pid"
	rc=$?
	secs=$((SECONDS - start))
	echo "--- $1 (exit $rc after ${secs}s):"
	cat "$TEST_TMP/$1.out"
}

handles='trap "echo guest: got TERM; exit 7" TERM; echo ready; while :; do sleep 0.2; done'
ignores='trap "" TERM; echo ready; while :; do sleep 0.2; done'

start_vm term "$handles"
kill -TERM "$vm_pid"
finish term
[ "$rc" = 7 ] && grep -q "guest: got TERM" "$TEST_TMP/term.out" ||
	fail "SIGTERM: exit $rc, expected the workload's 7 after its trap ran"
echo "ok: SIGTERM reached the workload, whose exit status 7 is the VMM's"

start_vm eventfd "$handles" --shutdown-when "$TEST_TMP/stop-now"
touch "$TEST_TMP/stop-now"
finish eventfd
[ "$rc" = 7 ] && grep -q "guest: got TERM" "$TEST_TMP/eventfd.out" ||
	fail "eventfd: exit $rc, expected the workload's 7 after its trap ran"
echo "ok: a write to the shutdown eventfd reached the workload (exit 7)"

start_vm grace "$ignores"
kill -TERM "$vm_pid"
finish grace
[ "$rc" = 137 ] && [ "$secs" -ge 9 ] ||
	fail "a workload ignoring SIGTERM: exit $rc after ${secs}s, expected 137 after the 10 s grace"
echo "ok: a workload ignoring SIGTERM was killed after the grace period (137, ${secs}s)"

start_vm twice "$ignores"
kill -TERM "$vm_pid"
sleep 1
kill -TERM "$vm_pid"
finish twice
[ "$rc" = 143 ] && [ "$secs" -lt 9 ] ||
	fail "a second SIGTERM: exit $rc after ${secs}s, expected 143 at once"
echo "ok: a second SIGTERM ended the VM at once (143, ${secs}s)"

start_vm novsock "$handles" --no-implicit-vsock
kill -TERM "$vm_pid"
finish novsock
[ "$rc" = 143 ] && ! grep -q "guest: got TERM" "$TEST_TMP/novsock.out" ||
	fail "no vsock device: exit $rc, expected 143 without the workload's trap"
echo "ok: without a vsock device SIGTERM ends the VM at once (143)"
