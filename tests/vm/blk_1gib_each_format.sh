#!/usr/bin/env bash
# 1 GiB (BLK_BIG_MIB MiB) through each disk format with checksums: the guest
# writes a different seeded stream (vsock_tool gen) to a raw disk, an empty
# qcow2 disk and a VMDK (monolithicFlat) disk, each BLK_BIG_MIB + 16 MiB,
# syncs, drops its caches and reads each back; the checksums it reads must be
# the streams'. On the host: the raw file and the VMDK's flat extent, and the
# qcow2 image converted by qemu-img (after `qemu-img check` finds it clean),
# hold the same bytes, and the 16 MiB past what was written are still zeroes
# (no write lands outside its range).
# In emulated KVM the whole test took 190 s (the writes, the guest's reads
# and the host's checks).
# timeout: 1500
. "$SRC/tests/vm/lib.bash"

command -v qemu-img >/dev/null || fail "qemu-img missing: install qemu-utils (scripts/deps.sh check)"
mib=${BLK_BIG_MIB:-1024}
bytes=$((mib << 20))
cd "$TEST_TMP" || fail "cd $TEST_TMP"
truncate -s $((mib + 16))M d.raw
qemu-img create -q -f qcow2 d.qcow2 $((mib + 16))M || fail "qemu-img create qcow2"
qemu-img create -q -f vmdk -o subformat=monolithicFlat d.vmdk $((mib + 16))M ||
	fail "qemu-img create vmdk"
[ -f d-flat.vmdk ] || fail "no flat extent file next to d.vmdk"

# The streams' checksums, computed on the host by the same program.
declare -A want
for s in 1 2 3; do
	want[$s]=$("$VSOCK_TOOL" gen "$bytes" "$s" | "$VSOCK_TOOL" sum | awk '{ print $4 }')
done

start=$(date +%s)
out=$(vm_run --mem 512 --disk r:d.raw --disk-qcow2 q:d.qcow2 --disk-vmdk v:d.vmdk -- \
	/bin/sh -c "
	s=1
	for d in vda vdb vdc; do
		t0=\$(date +%s)
		vsock_tool gen $bytes \$s >/dev/\$d || echo \"write \$d failed\"
		sync
		echo \"wrote \$d in \$((\$(date +%s) - t0)) s\"
		s=\$((s + 1))
	done
	echo 3 >/proc/sys/vm/drop_caches
	for d in vda vdb vdc; do echo \"\$d \$(vsock_tool sum $bytes </dev/\$d)\"; done" 2>&1)
rc=$?
echo "$out"
echo "guest done in $(($(date +%s) - start)) s"
[ "$rc" = 0 ] || fail "the guest failed ($rc)"
for x in "vda 1 raw" "vdb 2 qcow2" "vdc 3 vmdk"; do
	read -r d s f <<<"$x"
	got=$(awk -v d="$d" '$1 == d && $2 == "recv" { print $3, $5 }' <<<"$out")
	[ "$got" = "$bytes ${want[$s]}" ] || fail "$f: the guest read back '$got', wrote '$bytes ${want[$s]}'"
done
echo "ok: the guest reads back what it wrote, $mib MiB on each format"

# host_check FORMAT FILE SEED: FILE holds the stream, then 16 MiB of zeroes.
host_check() {
	local got
	got=$("$VSOCK_TOOL" sum "$bytes" <"$2" | awk '{ print $2, $4 }')
	[ "$got" = "$bytes ${want[$3]}" ] || fail "$1: the host reads '$got' from $2"
	[ "$(tail -c +$((bytes + 1)) "$2" | tr -d '\0' | wc -c)" = 0 ] ||
		fail "$1: bytes past the $mib MiB written changed"
	[ "$(stat -c %s "$2")" = $(((mib + 16) << 20)) ] || fail "$1: $2 changed size"
}
host_check raw d.raw 1
rm -f d.raw
host_check vmdk d-flat.vmdk 3
rm -f d.vmdk d-flat.vmdk
qemu-img check -q d.qcow2 || fail "qemu-img check d.qcow2: $(qemu-img check d.qcow2)"
qemu-img convert -f qcow2 -O raw d.qcow2 d.conv || fail "qemu-img convert"
host_check qcow2 d.conv 2
echo "ok: on the host, each image holds the guest's $mib MiB and nothing past them; qemu-img check is clean"
