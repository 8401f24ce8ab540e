#!/usr/bin/env bash
# Bind mounts of an OCI bundle (config.json "mounts", type bind) through crun's
# krun handler: crun mounts them in the container's root, which the VM shares
# over virtio-fs, so the guest sees them at their destination.
#   - read-write: the guest reads the host's file and writes one the host reads;
#   - read-only ("ro"): the guest reads it, its writes fail (EROFS on the host
#     side of the share) and nothing is created on the host.
# timeout: 180
. "$SRC/tests/vm/lib.bash"
. "$SRC/tests/vm/oci/lib.bash"
trap oci_cleanup EXIT
oci_setup

vol=$TEST_TMP/vol ro=$TEST_TMP/ro
mkdir -p "$vol" "$ro"
echo "from the host" >"$vol/in.txt"
echo "read-only data" >"$ro/data.txt"
b=$TEST_TMP/bundle
oci_bundle "$b" '{"terminal": false, "user": {"uid": 0, "gid": 0},
 "args": ["/bin/sh", "-c", "cat /data/in.txt; echo \"from the guest\" >/data/out.txt; cat /ro/data.txt; if echo x >/ro/new.txt; then echo RO-WRITE-WORKED; else echo ro-write-refused; fi"],
 "env": ["PATH=/bin"], "cwd": "/", "capabilities": @CAPS@}' "
  , {\"destination\": \"/data\", \"type\": \"bind\", \"source\": \"$vol\", \"options\": [\"rbind\", \"rw\"]}
  , {\"destination\": \"/ro\", \"type\": \"bind\", \"source\": \"$ro\", \"options\": [\"rbind\", \"ro\"]}"
oci_crun run -b "$b" bind >"$TEST_TMP/out" 2>"$TEST_TMP/err" </dev/null
rc=$?
cat "$TEST_TMP/out" "$TEST_TMP/err"
[ "$rc" = 0 ] || fail "crun run exited $rc"
grep -qx 'from the host' "$TEST_TMP/out" || fail "the guest did not read the host's file"
[ "$(cat "$vol/out.txt" 2>/dev/null)" = "from the guest" ] || fail "the host did not get the guest's file"
grep -qx 'read-only data' "$TEST_TMP/out" || fail "the guest did not read the read-only mount"
grep -qx 'ro-write-refused' "$TEST_TMP/out" || fail "a write to the read-only mount worked"
[ -e "$ro/new.txt" ] && fail "the read-only mount got a file"
echo "ok: rw bind mount both ways, ro bind mount read-only"
