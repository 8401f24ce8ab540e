# Helpers for VM tests (sourced). Needs BUILD, SRC, TEST_TMP from the runner.
set -uo pipefail

KERNEL=$BUILD/kernel/vmlinux
KRUN_RUN=$BUILD/tests/vm/krun_run

fail() {
	echo "FAIL: $*"
	exit 1
}

# An initramfs with busybox (applets as links) and the test probe, for
# krun_set_kernel. Our init replaces any /init in it.
make_initramfs() {
	local out=$1 root=$TEST_TMP/initramfs-root
	rm -rf "$root"
	mkdir -p "$root/bin" "$root/tmp" "$root/etc"
	cp /bin/busybox "$root/bin/busybox" || fail "busybox-static is missing"
	for a in $(/bin/busybox --list); do
		[ "$a" = busybox ] || ln -s busybox "$root/bin/$a"
	done
	cp "$BUILD/tests/vm/guest/krun_probe" "$root/bin/krun_probe"
	cp "$BUILD/tests/vm/guest/memhog" "$root/bin/memhog"
	printf 'notexec\n' >"$root/bin/not_executable"
	chmod 0644 "$root/bin/not_executable"
	(cd "$root" && find . | cpio -o -H newc --quiet) >"$out" || fail "cpio"
}

# krun_run with the test kernel and initramfs: vm_run [krun_run options] -- CMD...
vm_run() {
	[ -f "$TEST_TMP/initramfs.cpio" ] || make_initramfs "$TEST_TMP/initramfs.cpio"
	"$KRUN_RUN" --kernel "$KERNEL" --format 1 --initramfs "$TEST_TMP/initramfs.cpio" "$@"
}

expect_status() {
	local want=$1 got
	shift
	vm_run "$@"
	got=$?
	[ "$got" = "$want" ] || fail "'$*' exited $got, expected $want"
	echo "ok: '$*' -> $got"
}
