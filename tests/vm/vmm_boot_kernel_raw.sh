#!/usr/bin/env bash
# KRUN_KERNEL_FORMAT_RAW as upstream has it on x86_64: a flat kernel image
# loaded at guest-physical 2 GiB and entered at its first byte. The flat image
# is our own bundled kernel's (build/kernel/kernel.bin, what libkrunfw.so.5
# carries; built for 16 MiB, it runs where it is put: head64.c's load_delta).
# The VM has 2.25 GiB so that RAM reaches past the image and its bss; with
# 2 GiB the start fails (-ENOMEM) and says why.
. "$SRC/tests/vm/lib.bash"
flat=$BUILD/kernel/kernel.bin
[ -r "$flat" ] || fail "no $flat (make libkrunfw builds it)"
[ -f "$TEST_TMP/initramfs.cpio" ] || make_initramfs "$TEST_TMP/initramfs.cpio"

"$KRUN_RUN" --kernel "$flat" --format 0 --initramfs "$TEST_TMP/initramfs.cpio" --mem 2304 -- \
	/bin/sh -c 'grep -q "^ *80000000-.* : Kernel code" /proc/iomem || { cat /proc/iomem; exit 1; }; exit 9'
got=$?
[ "$got" = 9 ] || fail "RAW kernel at 2 GiB: exit $got, expected 9 (1: its code is not at 0x80000000)"
echo "ok: the flat kernel ran from 0x80000000 and the workload exited 9"

out=$("$KRUN_RUN" --kernel "$flat" --format 0 --initramfs "$TEST_TMP/initramfs.cpio" --mem 2048 -- \
	/bin/true 2>&1)
got=$?
[ "$got" != 0 ] || fail "RAW kernel with 2 GiB of RAM started"
echo "$out" | grep -q "0x80000000.*outside guest RAM" || fail "no reason logged: $out"
echo "ok: with 2 GiB the start fails and says the image is outside guest RAM"
