#!/usr/bin/env bash
# podman -p with our crun's krun handler, on a slirp4netns network: a port
# published by podman reaches a server in the guest through TSI. The guest's
# busybox httpd listens on port 80; TSI opens that listener on the host side
# in the VMM, which is the container's process, so it listens in the
# container's network namespace, where slirp4netns's port forwarding (set up
# through its API by podman, port_handler=slirp4netns) delivers host port
# 18080. slirp4netns needs only /dev/net/tun, which every kernel here has;
# oci_podman_publish_port_netavark.sh covers podman's rootful default.
# timeout: 300
. "$SRC/tests/vm/lib.bash"
. "$SRC/tests/vm/oci/lib.bash"
trap 'oci_podman rm -f -t 0 web >/dev/null 2>&1; oci_cleanup' EXIT
oci_setup
command -v slirp4netns >/dev/null || fail "slirp4netns is not installed"
oci_podman_setup
oci_podman_import localhost/krun-busybox
oci_podman_publish 18080 --network slirp4netns:port_handler=slirp4netns
