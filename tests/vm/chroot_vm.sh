#!/usr/bin/env bash
# examples/chroot_vm end to end on a busybox root: CMD and its arguments run in
# the guest on NEWROOT with upstream's settings (environment TEST=works only,
# workdir /, RLIMIT_NPROC 4096:8192, the example's vCPUs and RAM), stdio passes
# through, its exit status is chroot_vm's, and its writes are in NEWROOT. Bad
# usage and a missing NEWROOT fail before any VM runs.
# timeout: 150
. "$SRC/tests/vm/lib.bash"

CHROOT_VM=$BUILD/examples/chroot_vm
root=$TEST_TMP/root
make_root "$root"

out=$(echo "piped in" | "$CHROOT_VM" "$root" /bin/sh -c '
	echo "env: $(tr "\0" " " </proc/$$/environ)"
	echo "cwd: $(pwd)"
	echo "nproc: $(krun_probe rlimit 6)"
	echo "cpus: $(krun_probe cpus) memkb: $(krun_probe memkb)"
	echo "args: $#: $1|$2"
	echo "stdin: $(cat)"
	echo "to stderr" >&2
	uname -s >/hello
	exit 7' argv0 "one arg" two 2>"$TEST_TMP/err")
rc=$?
echo "$out"
[ "$rc" = 7 ] || fail "exit status $rc, expected 7; stderr: $(cat "$TEST_TMP/err")"
grep -qx "env: TEST=works " <<<"$out" || fail "environment is not just TEST=works"
grep -qx "cwd: /" <<<"$out" || fail "workdir"
grep -qx "nproc: 4096 8192" <<<"$out" || fail "RLIMIT_NPROC"
cpus=$(sed -n 's/^cpus: \([0-9]*\) .*/\1/p' <<<"$out")
memkb=$(sed -n 's/.*memkb: //p' <<<"$out")
want_cpus=$(sed -n 's/^#define CHROOT_VM_VCPUS //p' "$SRC/examples/chroot_vm.c")
want_mib=$(sed -n 's/^#define CHROOT_VM_RAM_MIB //p' "$SRC/examples/chroot_vm.c")
[ "$cpus" = "$want_cpus" ] || fail "$cpus vCPUs, the example sets $want_cpus"
[ "$memkb" -gt $((want_mib * 1024 * 8 / 10)) ] && [ "$memkb" -le $((want_mib * 1024)) ] ||
	fail "MemTotal $memkb kB for $want_mib MiB"
grep -qx "args: 2: one arg|two" <<<"$out" || fail "arguments"
grep -qx "stdin: piped in" <<<"$out" || fail "stdin"
grep -qx "to stderr" "$TEST_TMP/err" || fail "stderr: $(cat "$TEST_TMP/err")"
[ "$(cat "$root/hello")" = Linux ] || fail "the guest's write is not in NEWROOT"
echo "ok: chroot_vm ran the command in NEWROOT as upstream's example does"

"$CHROOT_VM" "$root" >/dev/null 2>&1
[ $? = 2 ] || fail "chroot_vm without CMD should exit 2"
err=$("$CHROOT_VM" "$TEST_TMP/missing" /bin/true 2>&1)
rc=$?
[ "$rc" != 0 ] && grep -q krun_set_root <<<"$err" || fail "missing NEWROOT: exit $rc, '$err'"
echo "ok: usage and a missing NEWROOT fail up front ($err)"
