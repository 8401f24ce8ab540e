#!/usr/bin/env bash
# Debian's podman 4.3.1 with our crun as its runtime (--runtime) runs an image
# imported from a local rootfs tarball (podman import, no registry) in our VM,
# selected per container with --annotation run.oci.handler=krun:
#   - podman run: the workload's stdout and stderr, and its exit status (5);
#     -e and --hostname (podman puts HOSTNAME in process.env) reach the guest;
#   - a -v volume: the guest reads the host's file and writes one the host reads;
#   - podman run -d, then podman stop: the container's process is the VMM
#     (it has our libkrun.so.1 mapped). Its SIGTERM asks the guest's init to
#     stop the workload (vmm/shutdown.h), so the container ends with the
#     workload's own status (sh killed by SIGTERM: 143) well before the stop
#     timeout; upstream libkrun, with no SIGTERM handler in the PID
#     namespace's init, waits for podman's SIGKILL (137);
#   - podman exec is refused (crun 1.8.1's krun handler has no exec).
# Everything podman writes is under $TEST_TMP (oci_podman_setup); no network
# (--network none: the guest's sockets would live in the container's network
# namespace; oci_podman_publish_port.sh covers that).
# timeout: 300
. "$SRC/tests/vm/lib.bash"
. "$SRC/tests/vm/oci/lib.bash"
trap 'oci_podman rm -f -t 0 long >/dev/null 2>&1; oci_cleanup' EXIT
oci_setup
oci_podman_setup
oci_podman_import localhost/krun-busybox
run=(--annotation run.oci.handler=krun --network none)

vol=$TEST_TMP/vol
mkdir -p "$vol"
echo "from the host" >"$vol/in.txt"
oci_podman run --rm "${run[@]}" -v "$vol:/vol" -e GREETING="hi  there" --hostname podhost \
	localhost/krun-busybox /bin/sh -c 'echo hello from the guest; echo to-stderr >&2;
		cat /vol/in.txt; echo "from the guest" >/vol/out.txt;
		echo "env: GREETING=$GREETING host=$(hostname)" >/vol/env.txt; exit 5' \
	>"$TEST_TMP/out" 2>"$TEST_TMP/err" </dev/null
rc=$?
echo "--- stdout"; cat "$TEST_TMP/out"
echo "--- stderr"; cat "$TEST_TMP/err"
[ "$rc" = 5 ] || fail "podman run exited $rc, expected the workload's 5"
want=$(printf '%s\n' "hello from the guest" "from the host")
[ "$(tr -d '\r' <"$TEST_TMP/out")" = "$want" ] || fail "stdout is not the workload's"
grep -qx to-stderr "$TEST_TMP/err" || fail "stderr lost the workload's line"
[ "$(cat "$vol/out.txt" 2>/dev/null)" = "from the guest" ] || fail "the host did not get the guest's file"
echo "ok: podman run: stdout, stderr, status 5, -v volume both ways"

oci_podman run -d --name long "${run[@]}" localhost/krun-busybox \
	/bin/sh -c 'echo started; while :; do sleep 1; done' >"$TEST_TMP/id" 2>&1 ||
	fail "podman run -d: $(cat "$TEST_TMP/id")"
for i in $(seq 300); do
	oci_podman logs long 2>/dev/null | grep -q started && break
	sleep 0.2
done
oci_podman logs long 2>&1 | grep -q started || fail "the detached workload did not start: $(oci_podman logs long 2>&1)"
pid=$(oci_podman inspect --format '{{.State.Pid}}' long)
lib=$(readlink -f "$BUILD/libkrun.so.1")
grep -q " $lib\$" "/proc/$pid/maps" || fail "the container's process $pid has not mapped $lib"
echo "ok: podman run -d: the workload runs; the container's process ($pid) is our VMM"
# No exec into the VM: crun 1.8.1's krun handler has none (docs/oci.md).
oci_podman exec long /bin/true >"$TEST_TMP/exec" 2>&1 && fail "podman exec worked: update docs/oci.md"
grep -q 'the handler does not support exec' "$TEST_TMP/exec" ||
	fail "podman exec failed otherwise: $(cat "$TEST_TMP/exec")"
echo "ok: podman exec is refused: $(tail -n 1 "$TEST_TMP/exec")"
start=$(date +%s)
oci_podman stop -t 20 long >"$TEST_TMP/stop" 2>&1 || fail "podman stop: $(cat "$TEST_TMP/stop")"
oci_wait_gone "$pid" || fail "the VMM ($pid) still runs after podman stop"
state=$(oci_podman inspect --format '{{.State.Status}} {{.State.ExitCode}}' long)
echo "after podman stop ($(($(date +%s) - start)) s): $state"
secs=$(($(date +%s) - start))
[ "$state" = "exited 143" ] && [ "$secs" -lt 20 ] ||
	fail "podman stop left the container '$state' after ${secs}s, expected 'exited 143' (the workload's SIGTERM) before the 20 s timeout"
echo "ok: podman stop: the workload got SIGTERM in the guest and the container exited 143 in ${secs}s"

# Last, so that the checks above run either way: podman's process.env.
cat "$vol/env.txt"
[ "$(cat "$vol/env.txt")" = "env: GREETING=hi  there host=podhost" ] ||
	fail "podman run -e/--hostname did not reach the workload (process.env)"
echo "ok: podman run -e and --hostname"
