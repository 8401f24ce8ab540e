#!/usr/bin/env bash
# Debian's containerd 1.6 (the engine under Kubernetes' CRI) with our crun as
# the runc binary of its io.containerd.runc.v2 shim runs the busybox image
# imported from a tarball (podman import, podman save, ctr images import) in
# our VM, two ways:
#   - ctr run --runc-binary CRUN --annotation run.oci.handler=krun: the
#     workload's stdout, stderr and exit status (6);
#   - ctr run --runc-binary .../krun, a link named krun to the same crun, with
#     no annotation: crun started as "krun" always uses its krun handler (what
#     a CRI runtime class configures, docs/kubernetes.md).
# The daemon runs for the test with its config, root, state and socket under
# $TEST_TMP or a short folder of its own; the CRI plugin is off.
# timeout: 300
. "$SRC/tests/vm/lib.bash"
. "$SRC/tests/vm/oci/lib.bash"
cleanup() {
	[ -n "${ctrd_pid:-}" ] && kill "$ctrd_pid" 2>/dev/null && wait "$ctrd_pid"
	[ -n "${short:-}" ] && rm -rf "$short"
	oci_cleanup
}
trap cleanup EXIT
oci_setup
command -v containerd >/dev/null && command -v ctr >/dev/null || fail "containerd is not installed"
oci_podman_setup
oci_podman_import localhost/krun-busybox
oci_podman save -o "$TEST_TMP/image.docker.tar" localhost/krun-busybox >"$TEST_TMP/save.out" 2>&1 ||
	fail "podman save: $(cat "$TEST_TMP/save.out")"

short=$(mktemp -d /tmp/ct.XXXXXX) || fail "mktemp"
sock=$short/containerd.sock
mkdir -p "$TEST_TMP/containerd/root"
cat >"$TEST_TMP/containerd/config.toml" <<CONF
version = 2
root = "$TEST_TMP/containerd/root"
state = "$short/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]

[grpc]
  address = "$sock"
[ttrpc]
  address = "$sock.ttrpc"
CONF
containerd --config "$TEST_TMP/containerd/config.toml" >"$TEST_TMP/containerd.log" 2>&1 &
ctrd_pid=$!
ctr=(ctr --address "$sock" --namespace krun-test)
for i in $(seq 300); do
	"${ctr[@]}" version >/dev/null 2>&1 && break
	kill -0 "$ctrd_pid" 2>/dev/null || fail "containerd exited: $(tail -n 20 "$TEST_TMP/containerd.log")"
	sleep 0.2
done
"${ctr[@]}" version >/dev/null 2>&1 || fail "containerd did not answer: $(tail -n 20 "$TEST_TMP/containerd.log")"
"${ctr[@]}" images import --snapshotter native "$TEST_TMP/image.docker.tar" >"$TEST_TMP/import.out" 2>&1 ||
	fail "ctr images import: $(cat "$TEST_TMP/import.out")"
image=$("${ctr[@]}" images ls -q | grep krun-busybox | head -n 1)
[ -n "$image" ] || fail "the imported image is not listed: $("${ctr[@]}" images ls)"
echo "ok: containerd runs; image $image imported"

"${ctr[@]}" run --rm --snapshotter native --runc-binary "$CRUN" \
	--annotation run.oci.handler=krun "$image" c1 \
	/bin/sh -c 'echo hello from the guest; echo to-stderr >&2; exit 6' \
	>"$TEST_TMP/out" 2>"$TEST_TMP/err" </dev/null
rc=$?
echo "--- stdout"; cat "$TEST_TMP/out"
echo "--- stderr"; cat "$TEST_TMP/err"
[ "$rc" = 6 ] || fail "ctr run exited $rc, expected the workload's 6: $(tail -n 20 "$TEST_TMP/containerd.log")"
[ "$(tr -d '\r' <"$TEST_TMP/out")" = "hello from the guest" ] || fail "stdout is not the workload's"
grep -qx to-stderr "$TEST_TMP/err" || fail "stderr lost the workload's line"
echo "ok: ctr run --runc-binary crun --annotation run.oci.handler=krun: two streams, status 6"

mkdir -p "$TEST_TMP/bin"
ln -s "$CRUN" "$TEST_TMP/bin/krun"
"${ctr[@]}" run --rm --snapshotter native --runc-binary "$TEST_TMP/bin/krun" "$image" c2 \
	/bin/sh -c 'echo "kernel $(uname -r)"' >"$TEST_TMP/out" 2>"$TEST_TMP/err" </dev/null
rc=$?
cat "$TEST_TMP/out" "$TEST_TMP/err"
[ "$rc" = 0 ] || fail "ctr run with krun exited $rc"
# The guest runs our bundled kernel, not the host's.
fw_release=$(strings -n 8 "$BUILD/libkrunfw.so.5" | grep -m1 -o 'Linux version [^ ]*' | cut -d' ' -f3)
[ -n "$fw_release" ] || fail "no kernel release in $BUILD/libkrunfw.so.5"
grep -qx "kernel $fw_release" "$TEST_TMP/out" ||
	fail "the workload did not run on our bundled kernel $fw_release (host: $(uname -r))"
echo "ok: ctr run --runc-binary krun (no annotation): in the VM, kernel $fw_release"
