#!/usr/bin/env bash
# The VMM runs restricted (docs/security.md, "VMM self-restriction"): while a
# guest runs, every thread of the VMM process is under seccomp (Seccomp: 2)
# with no_new_privs, and each VMM thread under its own class's filter on top
# of the base (Seccomp_filters: 2 for the vCPUs, the event loop, the virtio-fs
# and virtio-blk workers and the caller's thread). A forbidden call is refused in a running
# VMM: LIBKRUN_SECCOMP_SELFTEST=CLASS makes that class's threads try execve
# once their filter is in; the VMM stops with status 1 and a line naming the
# thread and the call. LIBKRUN_SECCOMP=log lets it through, and =off runs
# without filters.
# timeout: 900
. "$SRC/tests/vm/lib.bash"

make_initramfs "$TEST_TMP/initramfs.cpio"
share=$TEST_TMP/share
mkdir -p "$share" && echo from-the-host >"$share/hello" || fail "share"
disk=$TEST_TMP/disk.img
printf 'from-the-disk' >"$disk" && truncate -s 1M "$disk" || fail "disk"
NR_EXECVE=59 # x86_64
# Filters this shell runs under already (a container's), which the VMM inherits.
outer=$(awk '$1 == "Seccomp_filters:" { print $2 }' /proc/$$/status)
outer=${outer:-0}
outer_mode=$(awk '$1 == "Seccomp:" { print $2 }' /proc/$$/status)

# run_vm OUT ERR CMD...: the VMM in the background, with a virtio-fs share and
# a disk.
run_vm() {
	local out=$1 err=$2
	shift 2
	"$KRUN_RUN" --kernel "$KERNEL" --format 1 --initramfs "$TEST_TMP/initramfs.cpio" \
		--virtiofs "data:$share" --disk "d:$disk" -- "$@" >"$out" 2>"$err" &
	pid=$!
}

# Case 1: every thread of a running VMM, with a share the guest uses.
out=$TEST_TMP/out err=$TEST_TMP/err
run_vm "$out" "$err" /bin/sh -c \
	'mkdir -p /mnt && mount -t virtiofs data /mnt && cat /mnt/hello
	 head -c 13 /dev/vda; echo; echo READY; sleep 15; echo DONE'
for _ in $(seq 600); do
	grep -q READY "$out" 2>/dev/null && break
	kill -0 "$pid" 2>/dev/null || fail "the VM ended early: $(cat "$out" "$err")"
	sleep 0.2
done
grep -q READY "$out" || fail "no READY from the guest: $(cat "$out" "$err")"
grep -q from-the-host "$out" || fail "the guest did not read the share: $(cat "$out")"
grep -q from-the-disk "$out" || fail "the guest did not read the disk: $(cat "$out")"
seen_vcpu=0 seen_loop=0 seen_fs=0 seen_blk=0 n=0
for st in /proc/"$pid"/task/*/status; do
	tid=$(basename "$(dirname "$st")")
	name=$(awk '$1 == "Name:" { print $2 }' "$st")
	sc=$(awk '$1 == "Seccomp:" { print $2 }' "$st")
	nnp=$(awk '$1 == "NoNewPrivs:" { print $2 }' "$st")
	nf=$(awk '$1 == "Seccomp_filters:" { print $2 }' "$st")
	echo "thread $tid $name: Seccomp $sc, NoNewPrivs $nnp, Seccomp_filters ${nf:-?}"
	n=$((n + 1))
	[ "$sc" = 2 ] || fail "thread $tid ($name) is not under a seccomp filter: Seccomp $sc"
	[ "$nnp" = 1 ] || fail "thread $tid ($name) lacks no_new_privs"
	want=1
	case $name in
	krun-vcpu*) want=2 seen_vcpu=1 ;;
	krun-evloop) want=2 seen_loop=1 ;;
	krun-fs) want=2 seen_fs=1 ;;
	krun-blk) want=2 seen_blk=1 ;;
	esac
	[ "$tid" = "$pid" ] && want=2
	# Seccomp_filters is there from Linux 5.9.
	want=$((want + outer))
	[ -z "$nf" ] || [ "$nf" -ge "$want" ] ||
		fail "thread $tid ($name) has $nf filters, its class wants $want (base + its own)"
done
[ "$seen_vcpu$seen_loop$seen_fs$seen_blk" = 1111 ] ||
	fail "expected vCPU, event loop, virtio-fs and virtio-blk threads (saw $seen_vcpu$seen_loop$seen_fs$seen_blk)"
wait "$pid"
rc=$?
[ "$rc" = 0 ] && grep -q DONE "$out" || fail "the VM under its filters ended with $rc: $(cat "$out" "$err")"
echo "ok: $n threads, each under seccomp with no_new_privs; the workload ran to its end"

# Case 2: a forbidden call in each class's thread ends the VMM, and says so.
for class in main vcpu evloop fs blk; do
	case $class in
	main) thread=. ;;
	vcpu) thread=krun-vcpu ;;
	evloop) thread=krun-evloop ;;
	fs) thread=krun-fs ;;
	blk) thread=krun-blk ;; # its first request: the guest's partition scan
	esac
	LIBKRUN_SECCOMP_SELFTEST=$class run_vm "$out" "$err" /bin/sh -c 'echo READY; sleep 5'
	wait "$pid"
	rc=$?
	[ "$rc" = 1 ] || fail "selftest $class: status $rc, expected 1: $(cat "$err")"
	grep -q "seccomp: thread $thread.* made system call $NR_EXECVE, which its filter does not allow" \
		"$err" || fail "selftest $class: no refusal logged: $(cat "$err")"
	grep -q "let through" "$err" && fail "selftest $class: execve was let through: $(cat "$err")"
	echo "ok: execve in the $class class's thread refused: $(grep -o 'thread [^ ]* made system call [0-9]*' "$err")"
done

# Case 3: LIBKRUN_SECCOMP=log lets the call through (the kernel logs it), =off
# installs nothing.
LIBKRUN_SECCOMP=log LIBKRUN_SECCOMP_SELFTEST=vcpu run_vm "$out" "$err" /bin/sh -c 'echo DONE'
wait "$pid"
rc=$?
[ "$rc" = 0 ] && grep -q DONE "$out" || fail "log mode: status $rc: $(cat "$out" "$err")"
grep -q "execve returned -1 (Permission denied): let through" "$err" ||
	fail "log mode: the selftest's execve was not let through: $(cat "$err")"
echo "ok: LIBKRUN_SECCOMP=log lets the forbidden call through"
LIBKRUN_SECCOMP=off run_vm "$out" "$err" /bin/sh -c 'echo READY; sleep 8'
for _ in $(seq 600); do
	grep -q READY "$out" 2>/dev/null && break
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.2
done
sc=$(awk '$1 == "Seccomp:" { print $2 }' "/proc/$pid/status" 2>/dev/null)
wait "$pid"
rc=$?
[ "$rc" = 0 ] || fail "off: status $rc: $(cat "$err")"
[ "$sc" = "$outer_mode" ] || fail "off: the VMM's main thread has Seccomp ${sc:-?}, this shell $outer_mode"
grep -q "LIBKRUN_SECCOMP=off" "$err" || fail "off: no warning: $(cat "$err")"
echo "ok: LIBKRUN_SECCOMP=off runs without filters, and warns"
