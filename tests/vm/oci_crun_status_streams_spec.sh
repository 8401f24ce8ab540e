#!/usr/bin/env bash
# Debian's crun 1.8.1, unchanged, built with its krun handler against our
# header (scripts/build-crun.sh), runs an OCI bundle with the annotation
# run.oci.handler=krun in our VM: crun dlopens libkrun.so.1 (ours, from
# $BUILD, with libkrunfw.so.5 beside it) and becomes the VMM.
#   - the container's exit status is the workload's (7); its stdout and stderr
#     stay two streams;
#   - process.args (spaces, a glob, UTF-8 kept), process.env (HOME from the
#     spec wins, HOSTNAME names the guest) and process.cwd reach the workload;
#   - process.rlimits are set by crun on the VMM on the host; the workload's
#     limits are the guest kernel's (crun's handler does not call
#     krun_set_rlimits): docs/oci.md;
#   - process.user: the VMM runs as that user on the host, the workload as
#     root in the guest; what it creates on the root belongs to that user; it
#     cannot read /.krun_config.json (root's, 0700), so no process.env.
# timeout: 240
. "$SRC/tests/vm/lib.bash"
. "$SRC/tests/vm/oci/lib.bash"
trap 'kill $(jobs -p) 2>/dev/null; oci_cleanup' EXIT
oci_setup

b=$TEST_TMP/bundle
oci_rootfs "$b/rootfs"
process=$(
	cat <<'JSON'
{"terminal": false, "user": {"uid": 0, "gid": 0},
 "args": ["/bin/sh", "-c", "while [ ! -e /go ]; do sleep 0.1; done; echo \"args: $1|$2|$3\"; echo \"cwd=$(pwd) uid=$(id -u) rtprio=$(ulimit -r)\"; echo \"env: A=$A HOME=$HOME host=$(hostname)\"; echo to-stderr >&2; exit 7",
   "sh", "two words", "*", "\u00e9t\u00e9"],
 "env": ["PATH=/bin:/usr/bin", "A=b  c", "HOME=/root", "HOSTNAME=crunhost"],
 "cwd": "/etc",
 "rlimits": [{"type": "RLIMIT_RTPRIO", "soft": 7, "hard": 9}],
 "capabilities": @CAPS@}
JSON
)
oci_bundle "$b" "$process"

oci_crun run -b "$b" spec >"$TEST_TMP/out" 2>"$TEST_TMP/err" &
run_pid=$!
pid=$(oci_vmm_pid spec "$run_pid") || fail "the container did not start: $(cat "$TEST_TMP/err")"
# Which files the VMM process has mapped: our build's libraries.
lib=$(readlink -f "$BUILD/libkrun.so.1") fw=$(readlink -f "$BUILD/libkrunfw.so.5")
grep -q " $lib\$" "/proc/$pid/maps" || fail "the VMM has not mapped $lib: $(grep krun "/proc/$pid/maps")"
grep -q " $fw\$" "/proc/$pid/maps" || fail "the VMM has not mapped $fw"
echo "ok: crun (pid $pid) runs $lib with $fw"
grep '^Max realtime priority' "/proc/$pid/limits"
grep -q '^Max realtime priority *7 *9 *$' "/proc/$pid/limits" ||
	fail "process.rlimits were not applied to the VMM"
touch "$b/rootfs/go"
wait "$run_pid"
rc=$?
echo "--- stdout"; cat "$TEST_TMP/out"
echo "--- stderr"; cat "$TEST_TMP/err"
[ "$rc" = 7 ] || fail "crun run exited $rc, expected the workload's 7"
tr -d '\r' <"$TEST_TMP/out" >"$TEST_TMP/out.lines"
[ "$(sed -n 1,2p "$TEST_TMP/out.lines")" = "args: two words|*|été"$'\n'"cwd=/etc uid=0 rtprio=0" ] ||
	fail "stdout is not the workload's args, cwd, uid, rtprio"
[ "$(wc -l <"$TEST_TMP/out.lines")" = 3 ] || fail "stdout has other lines"
grep -qx 'to-stderr' "$TEST_TMP/err" || fail "stderr lost the workload's line"
grep -q 'args:' "$TEST_TMP/err" && fail "stdout's lines went to stderr"
echo "ok: status 7, two streams, args and cwd from config.json, rlimits on the VMM only"

# process.user 1000: the VMM runs as uid 1000 (no capabilities, as podman
# gives a non-root user), the workload as root in the guest.
mkdir -p "$b/rootfs/shared" && chmod 1777 "$b/rootfs/shared"
rm -f "$b/rootfs/.krun_config.json" "$b/rootfs/go"
oci_bundle "$b" '{"terminal": false, "user": {"uid": 1000, "gid": 1000},
 "args": ["/bin/sh", "-c", "echo guest-uid=$(id -u) A=$A; echo made >/shared/by-guest"],
 "env": ["PATH=/bin", "A=from-spec"], "cwd": "/"}'
oci_crun run -b "$b" user >"$TEST_TMP/out" 2>"$TEST_TMP/err" </dev/null
rc=$?
cat "$TEST_TMP/out" "$TEST_TMP/err"
[ "$rc" = 0 ] || fail "process.user 1000: crun run exited $rc"
grep -q '^guest-uid=0 ' "$TEST_TMP/out" || fail "the workload does not run as root in the guest"
# crun writes /.krun_config.json as root, mode 0700: a VMM running as 1000
# cannot read it, so the spec's env does not reach the workload (as upstream).
grep -qx 'guest-uid=0 A=' "$TEST_TMP/out" || fail "process.env reached a non-root VMM's workload: update docs/oci.md"
[ "$(stat -c %u:%g "$b/rootfs/shared/by-guest")" = 1000:1000 ] ||
	fail "the file the guest made is owned by $(stat -c %u:%g "$b/rootfs/shared/by-guest"), not 1000:1000"
echo "ok: process.user 1000: guest uid 0, its file on the root owned by 1000:1000 on the host"

# Last, so that the checks above run either way: process.env (as upstream's
# init applies it, even with crun's krun_set_exec: HOME from the spec wins,
# HOSTNAME becomes the guest's hostname).
sed -n 3p "$TEST_TMP/out.lines"
[ "$(sed -n 3p "$TEST_TMP/out.lines")" = "env: A=b  c HOME=/root host=crunhost" ] ||
	fail "process.env did not reach the workload"
echo "ok: process.env from config.json"
