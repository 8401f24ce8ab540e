#!/usr/bin/env bash
# krun_set_kernel's compressed formats (KRUN_KERNEL_FORMAT_IMAGE_ZSTD, _GZ)
# boot a real distribution kernel: Debian's own linux-image-amd64 (the
# vmlinuz tests/runner/emu.sh caches, else the host's /boot/vmlinuz-*). Its
# payload is xz, which upstream libkrun has no format for, so the test takes
# the ELF vmlinux out of it (xz, as scripts/extract-vmlinux does) and puts it
# back, compressed with zstd and then gzip, between the vmlinuz's own boot
# code and a tail of other bytes: the library must find the stream by its
# magic, unpack it and boot the ELF inside. As in vmm_boot_debian_bzimage.sh,
# Debian's kernel has no virtio console built in, so the workload runs on the
# kernel's VT and what the guest says reaches the host through COM1 at debug
# level: the banner must name the release and the workload's status (7, 8)
# must come back. bzip2 (IMAGE_BZ2) goes through the same code; its decoder
# is covered by the unit tests (compressing 60 MiB with bzip2 in the emulated
# machine would take minutes).
# timeout: 900
. "$SRC/tests/vm/lib.bash"
command -v script >/dev/null || { echo "SKIP: no script(1)"; exit 77; }
for t in xz zstd gzip; do
	command -v $t >/dev/null || { echo "SKIP: no $t"; exit 77; }
done
find_debian_vmlinuz
vmlinuz=$debian_vmlinuz release=$debian_release

# The xz stream's offset (its magic: FD '7zXZ' 00), then the ELF inside it.
off=$(LC_ALL=C grep -obUaP '\xfd7zXZ\x00' "$vmlinuz" | head -n1 | cut -d: -f1)
[ -n "$off" ] || { echo "SKIP: $vmlinuz has no xz payload (not Debian's x86_64 kernel?)"; exit 77; }
# (From a file: xz stops reading at the stream's end, which would fail a pipe.)
tail -c +$((off + 1)) "$vmlinuz" >"$TEST_TMP/payload.xz"
xz -dc --single-stream "$TEST_TMP/payload.xz" >"$TEST_TMP/vmlinux" ||
	fail "cannot unpack the xz payload at $off"
rm -f "$TEST_TMP/payload.xz"
[ "$(head -c 4 "$TEST_TMP/vmlinux" | od -An -tx1 | tr -d ' ')" = 7f454c46 ] ||
	fail "the payload of $vmlinuz is not an ELF vmlinux"
echo "vmlinux: $(stat -c %s "$TEST_TMP/vmlinux") bytes from the xz stream at $off"
# A vmlinuz-like file: the boot code before the payload, the stream, a tail.
wrap() {
	head -c "$off" "$vmlinuz"
	cat
	tail -c 4096 "$vmlinuz"
}
zstd -q -3 -c "$TEST_TMP/vmlinux" | wrap >"$TEST_TMP/vmlinuz.zst" || fail "zstd"
gzip -1 -c "$TEST_TMP/vmlinux" | wrap >"$TEST_TMP/vmlinuz.gz" || fail "gzip"
rm -f "$TEST_TMP/vmlinux"
[ -f "$TEST_TMP/initramfs.cpio" ] || make_initramfs "$TEST_TMP/initramfs.cpio"

# boot FILE FORMAT NAME STATUS: the workload says its uname -r and exits STATUS.
boot() {
	local file=$1 format=$2 name=$3 want=$4 log=$TEST_TMP/guest-$3.log status
	cat >"$TEST_TMP/inner.sh" <<INNER
"$KRUN_RUN" --kernel "$file" --format $format --initramfs "$TEST_TMP/initramfs.cpio" \
	--cmdline "console=tty0 earlyprintk=serial keep_bootcon" --mem 256 --log-level 4 -- \
	/bin/sh -c 'echo "$name workload: release \$(uname -r)" >/dev/kmsg; exit $want'
echo "status=\$?" >"$TEST_TMP/status"
INNER
	rm -f "$TEST_TMP/status"
	script -qefc "bash $TEST_TMP/inner.sh" /dev/null </dev/null 2>&1 |
		sed -un 's/\r$//; /guest: /p; /kernel image/p' | tee "$log"
	[ -f "$TEST_TMP/status" ] || fail "$name: krun_run did not finish"
	status=$(sed -n 's/^status=//p' "$TEST_TMP/status")
	[ "$status" = "$want" ] || fail "$name: exit status $status, expected $want (the guest's lines are above)"
	grep -q "$file: kernel image: $name stream at offset 0x$(printf %x "$off")" "$log" ||
		fail "$name: the library did not report the stream at $off"
	grep -q "guest: .*Linux version $release " "$log" ||
		fail "$name: the kernel's banner does not name $release"
	grep -q "guest: .*$name workload: release $release\$" "$log" ||
		fail "$name: the workload's uname -r ($release) did not reach the host"
	echo "ok: Debian's $release as KRUN_KERNEL_FORMAT $format ($name) booted, exit $want"
}
boot "$TEST_TMP/vmlinuz.zst" 5 zstd 7
boot "$TEST_TMP/vmlinuz.gz" 4 gzip 8
