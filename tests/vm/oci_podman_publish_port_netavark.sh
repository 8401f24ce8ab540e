#!/usr/bin/env bash
# podman -p with our crun's krun handler on podman's rootful default network:
# netavark's bridge (podman0) with iptables (nf_tables) NAT from host port
# 18081 to the container's address, where the guest's busybox httpd listens
# on port 80 through TSI (the VMM's listener in the container's network
# namespace). Skips where the kernel has no bridge or nf_tables (the emulated
# KVM machine loads only the modules tests/runner/emu.sh lists).
# timeout: 300
. "$SRC/tests/vm/lib.bash"
. "$SRC/tests/vm/oci/lib.bash"
trap 'oci_podman rm -f -t 0 web >/dev/null 2>&1; ip link del krunbrprobe 2>/dev/null; oci_cleanup' EXIT
oci_setup
if ! ip link add krunbrprobe type bridge 2>"$TEST_TMP/probe"; then
	echo "SKIP: no bridge devices in this kernel (module bridge): $(cat "$TEST_TMP/probe")"
	exit 77
fi
ip link del krunbrprobe
if ! iptables -t nat -L -n >/dev/null 2>"$TEST_TMP/probe"; then
	echo "SKIP: iptables cannot use this kernel's nf_tables: $(cat "$TEST_TMP/probe")"
	exit 77
fi
oci_podman_setup
oci_podman_import localhost/krun-busybox
oci_podman_publish 18081
