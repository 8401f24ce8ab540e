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
	cp "$BUILD/tests/vm/guest/vsock_tool" "$root/bin/vsock_tool"
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

# A busybox root for krun_set_root at $1 (scripts/mkroot.sh: /dev /proc /sys /tmp
# present), with the guest test programs in /bin.
make_root() {
	"$SRC/scripts/mkroot.sh" "$1" "$BUILD/tests/vm/guest/fs_ops" \
		"$BUILD/tests/vm/guest/krun_probe" || fail "cannot build a root in $1"
}

# krun_run on a host directory as the guest's root:
#   root_run DIR [krun_run options] -- CMD...
root_run() {
	local root=$1
	shift
	"$KRUN_RUN" --root "$root" "$@"
}

# vsock tests: `vsock_tool serve unix:PATH MODE COUNT [BYTES]` on the host in the
# background, its output in PATH.out; returns once it listens.
VSOCK_TOOL=$BUILD/tests/vm/guest/vsock_tool
host_serve() {
	local path=$1 i
	shift
	"$VSOCK_TOOL" serve "unix:$path" "$@" >"$path.out" 2>&1 &
	for i in $(seq 100); do
		grep -q LISTENING "$path.out" 2>/dev/null && return 0
		sleep 0.1
	done
	fail "the host server on $path did not start: $(cat "$path.out")"
}

# TSI tests: the VMM runs in a network namespace joined by a veth pair to this
# one, which holds the test hosts 10.77.0.1/24 and fd77::1/64 (the namespace's
# end is 10.77.0.2 and fd77::2); traffic goes only to servers the test starts
# there. Skips (77) where namespaces or veth are missing.
TSI_NS=tsi-$$
tsi_net_up() {
	local h=tsih$$ g=tsig$$
	[ "$(id -u)" = 0 ] || { echo "SKIP: network namespaces need root"; exit 77; }
	ip netns add "$TSI_NS" 2>/dev/null || { echo "SKIP: no network namespaces"; exit 77; }
	if ! ip link add "$h" type veth peer name "$g" 2>/dev/null; then
		ip netns del "$TSI_NS"
		echo "SKIP: no veth"
		exit 77
	fi
	ip link set "$g" netns "$TSI_NS" &&
		ip addr add 10.77.0.1/24 dev "$h" &&
		ip -6 addr add fd77::1/64 dev "$h" nodad &&
		ip link set "$h" up &&
		ip netns exec "$TSI_NS" sh -c "ip addr add 10.77.0.2/24 dev $g &&
			ip -6 addr add fd77::2/64 dev $g nodad && ip link set $g up &&
			ip link set lo up" || fail "cannot set up the test network"
}
tsi_net_down() {
	ip netns del "$TSI_NS" 2>/dev/null
	ip link del "tsih$$" 2>/dev/null
	true
}
# virtio-net tests on a tap: tap_net_up TAP ADDR makes network namespace
# $TAP_NS holding tap device TAP with ADDR/24, and a busybox httpd on
# ADDR:7080 there serving a 256 KiB file whose sha256 is in $want_sha.
# Skips (77) without root, /dev/net/tun or namespaces; tap_net_down undoes it.
TAP_NS=ktap-$$
tap_net_up() {
	local tap=$1 addr=$2
	[ "$(id -u)" = 0 ] || { echo "SKIP: network namespaces need root"; exit 77; }
	[ -c /dev/net/tun ] || { echo "SKIP: no /dev/net/tun"; exit 77; }
	ip netns add "$TAP_NS" 2>/dev/null || { echo "SKIP: no network namespaces"; exit 77; }
	ip netns exec "$TAP_NS" sh -c "ip link set lo up && ip tuntap add dev $tap mode tap &&
		ip addr add $addr/24 dev $tap && ip link set $tap up" || fail "cannot make the tap"
	mkdir -p "$TEST_TMP/www"
	head -c 262144 /dev/urandom >"$TEST_TMP/www/blob"
	want_sha=$(sha256sum <"$TEST_TMP/www/blob" | cut -d' ' -f1)
	ip netns exec "$TAP_NS" busybox httpd -f -p "$addr:7080" -h "$TEST_TMP/www" &
}
tap_net_down() {
	ip netns del "$TAP_NS" 2>/dev/null
	true
}
# wait_for FILE PATTERN: until a line of FILE matches (a VM started in the
# background prints as it goes); fails early once $vm_pid has exited.
wait_for() {
	local i
	for i in $(seq 600); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		kill -0 "$vm_pid" 2>/dev/null || break
		sleep 0.2
	done
	fail "no '$2' in $1: $(cat "$1")"
}
# vm_run inside the test namespace.
vm_run_ns() {
	[ -f "$TEST_TMP/initramfs.cpio" ] || make_initramfs "$TEST_TMP/initramfs.cpio"
	ip netns exec "$TSI_NS" "$KRUN_RUN" --kernel "$KERNEL" --format 1 \
		--initramfs "$TEST_TMP/initramfs.cpio" "$@"
}
# host_tcp_serve NAME ADDR MODE COUNT [BYTES]: vsock_tool serve in the
# background, output in $TEST_TMP/NAME.out; returns once it listens.
host_tcp_serve() {
	local name=$1 i
	shift
	"$VSOCK_TOOL" serve "$@" >"$TEST_TMP/$name.out" 2>&1 &
	for i in $(seq 100); do
		grep -q LISTENING "$TEST_TMP/$name.out" 2>/dev/null && return 0
		sleep 0.1
	done
	fail "the host server $name did not start: $(cat "$TEST_TMP/$name.out")"
}

# Debian's own x86_64 kernel for the tests that boot a distribution kernel:
# the vmlinuz tests/runner/emu.sh caches, else the host's /boot/vmlinuz-*.
# Sets debian_vmlinuz and debian_release; skips the test (77) if there is none.
find_debian_vmlinuz() {
	local home f
	home=$(getent passwd "$(id -u)" | cut -d: -f6)
	debian_vmlinuz=
	for f in "${XDG_CACHE_HOME:-$home/.cache}"/libkrun-c/emu/linux-image-*/vmlinuz \
		"$home"/.cache/libkrun-c/emu/linux-image-*/vmlinuz /boot/vmlinuz-*; do
		[ -r "$f" ] && { debian_vmlinuz=$f; break; }
	done
	[ -n "$debian_vmlinuz" ] ||
		{ echo "SKIP: no Debian kernel (tests/runner/emu.sh prepare caches one)"; exit 77; }
	debian_release=$(cat "$(dirname "$debian_vmlinuz")/release" 2>/dev/null) ||
		debian_release=${debian_vmlinuz##*/vmlinuz-}
	echo "kernel: $debian_vmlinuz (release $debian_release)"
}

# feed_when_ready FIFO WATCHED LINE: makes the FIFO FIFO and, in the
# background, writes LINE into it once the file WATCHED (where the guest's
# output on that device lands) holds "ready-for-input", then keeps it open
# for 120 s; killed when the test exits. The guest opens its tty or port,
# writes the marker, then reads: a tty drops what it received when its last
# opener closes it, so host input must wait for the guest.
feed_when_ready() {
	local fifo=$1 watched=$2 line=$3
	mkfifo "$fifo" || fail "mkfifo $fifo"
	: >>"$watched"
	(while ! grep -q ready-for-input "$watched"; do sleep 0.2; done
	 printf '%s\n' "$line"; sleep 120) >"$fifo" &
	feeders+=("$!")
	trap 'kill "${feeders[@]}" 2>/dev/null' EXIT
}
feeders=()
