#!/usr/bin/env bash
# The order of an OCI runtime's krun handler (crun): dlopen libkrun.so.1 on the
# host, chroot into the container's root, a busybox root without our
# libraries, then create, configure and start a context there
# (tests/vm/api_dlopen_then_chroot.c). The bundled kernel boots, having been
# opened with the library, and the guest's exit status is the process's. Run
# twice: with krun_set_exec, and without it as crun does, from a runtime spec
# in /.krun_config.json: process.args/env/cwd are the workload (not a hook's
# args listed before it), the hostname is process.env's HOSTNAME.
# timeout: 240
. "$SRC/tests/vm/lib.bash"

[ "$(id -u)" = 0 ] || { echo "SKIP: chroot needs root"; exit 77; }
PROG=$BUILD/tests/vm/api_dlopen_then_chroot
root=$TEST_TMP/root
make_root "$root"
[ -z "$(find "$root" -name 'libkrun*' -print -quit)" ] || fail "the root holds libkrun files"
# A runtime gives the container /proc (the FUSE server reaches some files
# through /proc/self/fd) and /dev/kvm; the library needs nothing else there.
mount -t proc proc "$root/proc" || fail "mount /proc in the root"
trap 'umount "$root/proc"' EXIT
kvm=$(stat -c '%t %T' /dev/kvm) || fail "no /dev/kvm"
mknod "$root/dev/kvm" c $((16#${kvm% *})) $((16#${kvm#* })) || fail "mknod /dev/kvm"

# run_case MODE STATUS LINE: the program's status and the guest's one line.
run_case() {
	local out rc
	out=$(env -i PATH=/bin "$PROG" "$root" "$1" 2>"$TEST_TMP/err" </dev/null)
	rc=$?
	echo "$out"
	[ "$rc" = "$2" ] || fail "$1: status $rc, expected $2: $(tail -n 30 "$TEST_TMP/err")"
	[ "$out" = "$3" ] || fail "$1: output '$out', expected '$3': $(tail -n 30 "$TEST_TMP/err")"
}

run_case exec 42 "exec: host=localhost cwd=/ X=from-exec"
echo "ok: dlopen, chroot, then create/set_root/set_exec/start: the bundled kernel ran it (42)"

cat >"$root/.krun_config.json" <<'JSON'
{"ociVersion": "1.0.2",
 "hooks": {"prestart": [{"path": "/bin/false", "args": ["/bin/false"], "env": ["A=hook"]}]},
 "process": {"terminal": false, "user": {"uid": 1000, "gid": 1000},
  "args": ["/bin/sh", "-c", "echo \"oci: host=$(hostname) cwd=$(pwd) A=$A uid=$(id -u)\"; exit 7"],
  "env": ["PATH=/bin", "A=from-spec", "HOSTNAME=ocihost"], "cwd": "/tmp"},
 "root": {"path": "rootfs"}, "hostname": "spec-hostname-not-applied"}
JSON
run_case oci 7 "oci: host=ocihost cwd=/tmp A=from-spec uid=0"
echo "ok: without krun_set_exec, process.args/env/cwd of the runtime spec ran (7), hostname from HOSTNAME, as root"
