#!/usr/bin/env bash
# Root on a disk: a raw ext4 image built with `mkfs.ext4 -d` (nothing mounted
# on the host) boots through examples/disk_vm: the command runs on /dev/vda as
# the root, with a request queue per vCPU (MQ), its exit status is disk_vm's,
# and what it wrote is in the image
# (read back with debugfs). krun_set_root_disk_remount with fstype NULL
# ("auto") and no exec runs what the image's /.krun_config.json says. The raw
# image named as qcow2 is refused up front: it is not a qcow2 image, and
# formats are never probed.
# timeout: 240
. "$SRC/tests/vm/lib.bash"

PATH=$PATH:/usr/sbin:/sbin # e2fsprogs' tools, for a caller without sbin in PATH
command -v mkfs.ext4 >/dev/null && command -v debugfs >/dev/null ||
	{ echo "SKIP: e2fsprogs (mkfs.ext4, debugfs) missing"; exit 77; }
DISK_VM=$BUILD/examples/disk_vm
root=$TEST_TMP/root
img=$TEST_TMP/root.img
make_root "$root"
cat >"$root/.krun_config.json" <<'JSON'
{"process": {"args": ["/bin/sh", "-c", "echo json: $FROM_JSON $(pwd); exit 3"],
 "env": ["FROM_JSON=yes"], "cwd": "/tmp"}}
JSON
mkfs.ext4 -q -F -d "$root" "$img" 64M || fail "mkfs.ext4 -d"

out=$("$DISK_VM" "$img" raw /bin/sh -c '
	echo "root: $(grep " / " /proc/mounts)"
	echo "env: $TEST"
	echo "queues: $(ls /sys/block/vda/mq | tr "\n" " ")"
	echo "written by the guest" >/written
	sync
	exit 7' 2>"$TEST_TMP/err")
rc=$?
echo "$out"
[ "$rc" = 7 ] || fail "exit status $rc, expected 7; stderr: $(cat "$TEST_TMP/err")"
grep -q "^root: /dev/vda / ext4 rw" <<<"$out" || fail "the root is not /dev/vda as ext4 rw"
grep -qx "env: works" <<<"$out" || fail "environment"
want_cpus=$(sed -n 's/^#define DISK_VM_VCPUS //p' "$SRC/examples/disk_vm.c")
want_q=$(seq 0 $((want_cpus - 1)) | tr '\n' ' ')
grep -qx "queues: $want_q" <<<"$out" || fail "expected a request queue per vCPU ($want_q)"
got=$(debugfs -R "cat /written" "$img" 2>/dev/null)
[ "$got" = "written by the guest" ] || fail "debugfs reads '$got' from the image"
echo "ok: disk_vm ran the command on the ext4 image as root, and its write is in the image"

out=$("$KRUN_RUN" --disk root:"$img" --root-disk /dev/vda --no-exec 2>"$TEST_TMP/err")
rc=$?
echo "$out"
[ "$rc" = 3 ] || fail "no-exec: exit $rc, expected 3; stderr: $(cat "$TEST_TMP/err")"
grep -qx "json: yes /tmp" <<<"$out" || fail "/.krun_config.json of the disk root not applied"
echo "ok: fstype auto, and the workload from the disk root's /.krun_config.json"

err=$("$DISK_VM" "$img" qcow2 /bin/true 2>&1)
rc=$?
[ "$rc" = 1 ] && grep -q "not a qcow2 image" <<<"$err" || fail "qcow2: exit $rc, '$err'"
echo "ok: a raw image named qcow2 refused up front ($err)"
