# Helpers for the VM tests that run real OCI runtimes (crun, podman,
# containerd) on our libkrun.so.1 (sourced after tests/vm/lib.bash).
#
# crun is Debian's, built with its krun handler against our header by
# scripts/build-crun.sh on the host before the VM tests (inside the emulated
# KVM machine the host's / is read-only); the handler dlopens "libkrun.so.1",
# found through LD_LIBRARY_PATH=$BUILD.

# CRUN: the cached crun, or fail with how to build it.
oci_find_crun() {
	CRUN=$("$SRC/scripts/build-crun.sh" --path) ||
		fail "no crun with the krun handler: run scripts/build-crun.sh first"
	"$CRUN" --version | grep -q '+LIBKRUN' || fail "$CRUN has no krun handler"
}

# Container runtimes need a cgroup hierarchy at /sys/fs/cgroup, which every
# systemd host has; the emulated KVM machine's init mounts none (the folder is
# sysfs's own): mount cgroup2 there for the test (undone by oci_cleanup). A
# host's own hierarchy, whatever it is, is left alone.
OCI_CGROUP_MOUNTED=
oci_cgroup2() {
	[ "$(stat -fc %T /sys/fs/cgroup 2>/dev/null)" = sysfs ] || return 0
	mount -t cgroup2 none /sys/fs/cgroup || fail "cannot mount cgroup2 on /sys/fs/cgroup"
	OCI_CGROUP_MOUNTED=1
}

oci_cleanup() {
	[ -n "${OCI_PODMAN_TMP:-}" ] && rm -rf "$OCI_PODMAN_TMP"
	[ -n "$OCI_CGROUP_MOUNTED" ] && umount /sys/fs/cgroup 2>/dev/null
	true
}

# The common start of every OCI test: root, /dev/kvm, crun, cgroups.
oci_setup() {
	[ "$(id -u)" = 0 ] || { echo "SKIP: container runtimes here need root"; exit 77; }
	[ -c /dev/kvm ] || fail "no /dev/kvm"
	oci_find_crun
	oci_cgroup2
	export LD_LIBRARY_PATH=$BUILD
	# The emulated machine's init gives PATH=/bin; the engines run helpers
	# from sbin (netavark: iptables).
	export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
}

# oci_rootfs DIR: a busybox root (scripts/mkroot.sh) for a container image.
oci_rootfs() {
	"$SRC/scripts/mkroot.sh" "$1" || fail "cannot build a root in $1"
}

# The capabilities podman gives a container by default (containers.conf
# default_capabilities), for a bundle's process.capabilities.
OCI_CAPS='["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
 "CAP_NET_BIND_SERVICE", "CAP_SETFCAP", "CAP_SETGID", "CAP_SETPCAP", "CAP_SETUID",
 "CAP_SYS_CHROOT"]'
OCI_CAPS_ALL="{\"bounding\": $OCI_CAPS, \"effective\": $OCI_CAPS, \"permitted\": $OCI_CAPS}"

# oci_bundle DIR PROCESS_JSON [MOUNTS_JSON]: an OCI bundle, DIR/config.json
# (runtime spec 1.0) and DIR/rootfs, for the krun handler
# (run.oci.handler=krun). PROCESS_JSON is the "process" object; MOUNTS_JSON
# extra "mounts" entries (with a leading comma); @CAPS@ in PROCESS_JSON stands
# for podman's default capabilities ($OCI_CAPS_ALL). The rest is what `crun spec`
# writes, less the network namespace (the guest's sockets, opened by the VMM
# through TSI, then use the test's network) and the cgroup mount.
oci_bundle() {
	local dir=$1 process=${2//@CAPS@/$OCI_CAPS_ALL} mounts=${3:-}
	[ -d "$dir/rootfs" ] || oci_rootfs "$dir/rootfs"
	cat >"$dir/config.json" <<JSON
{
 "ociVersion": "1.0.0",
 "annotations": {"run.oci.handler": "krun"},
 "process": $process,
 "root": {"path": "rootfs", "readonly": false},
 "hostname": "oci",
 "mounts": [
  {"destination": "/proc", "type": "proc", "source": "proc"},
  {"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
   "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
  {"destination": "/dev/pts", "type": "devpts", "source": "devpts",
   "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"]},
  {"destination": "/dev/shm", "type": "tmpfs", "source": "shm",
   "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]},
  {"destination": "/sys", "type": "sysfs", "source": "sysfs",
   "options": ["nosuid", "noexec", "nodev", "ro"]}
  $mounts
 ],
 "linux": {
  "resources": {"devices": [{"allow": false, "access": "rwm"}]},
  "namespaces": [{"type": "pid"}, {"type": "ipc"}, {"type": "uts"}, {"type": "mount"}]
 }
}
JSON
}

# oci_crun ARGS...: crun with its state under $TEST_TMP.
oci_crun() {
	"$CRUN" --root "$TEST_TMP/crun-state" "$@"
}

# oci_vmm_pid ID RUN_PID: the pid of container ID's process (crun's, which
# became the VMM) once it runs, from `crun state`; fails once RUN_PID (the
# `crun run` in the background) has exited, or after 120 s.
oci_vmm_pid() {
	local i pid
	for i in $(seq 600); do
		pid=$(oci_crun state "$1" 2>/dev/null | sed -n 's/^ *"pid": \([0-9]*\),*$/\1/p')
		[ -n "$pid" ] && [ "$pid" != 0 ] && { echo "$pid"; return 0; }
		kill -0 "$2" 2>/dev/null || return 1
		sleep 0.2
	done
	return 1
}

# oci_wait_gone PID: until the process has exited (60 s).
oci_wait_gone() {
	local i
	for i in $(seq 300); do
		kill -0 "$1" 2>/dev/null || return 0
		sleep 0.2
	done
	return 1
}

# oci_image_tar TAR: a busybox root as an image tarball (what `podman import`
# and `docker import` take).
oci_image_tar() {
	oci_rootfs "$TEST_TMP/image-root"
	tar -C "$TEST_TMP/image-root" -cf "$1" . || fail "tar the image root"
}

# podman, as root, with everything it writes under $TEST_TMP or a short
# folder of its own under /tmp (the host's / is read-only in the emulated KVM
# machine): storage (vfs, no overlay module needed), its state, events,
# temporary files and network configs; the runtime is our crun. The short
# folder holds what has a length limit: the run root (50 bytes) and, in the
# temporary folder, slirp4netns's API socket (108). conmon runs the runtime
# with containers.conf's conmon_env_vars only: LD_LIBRARY_PATH reaches crun
# that way.
OCI_PODMAN_TMP=
oci_podman_setup() {
	local p=$TEST_TMP/podman s
	command -v podman >/dev/null || fail "podman is not installed"
	OCI_PODMAN_TMP=$(mktemp -d /tmp/pm.XXXXXX) || fail "mktemp"
	s=$OCI_PODMAN_TMP
	mkdir -p "$p/root" "$p/networks" "$s/run" "$s/tmp" || fail "mkdir $p"
	cat >"$p/containers.conf" <<CONF
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$p/events.log"
tmp_dir = "$s/tmp"
conmon_env_vars = ["PATH=$PATH", "LD_LIBRARY_PATH=$BUILD"]

[network]
network_config_dir = "$p/networks"
CONF
	cat >"$p/storage.conf" <<CONF
[storage]
driver = "vfs"
graphroot = "$p/root"
runroot = "$s/run"
CONF
	printf 'unqualified-search-registries = []\n' >"$p/registries.conf"
	export CONTAINERS_CONF=$p/containers.conf CONTAINERS_STORAGE_CONF=$p/storage.conf
	export CONTAINERS_REGISTRIES_CONF=$p/registries.conf TMPDIR=$s/tmp
	OCI_PODMAN=(podman --root "$p/root" --runroot "$s/run" --storage-driver vfs
		--cgroup-manager cgroupfs --events-backend file --tmpdir "$s/tmp"
		--runtime "$CRUN")
}

oci_podman() {
	"${OCI_PODMAN[@]}" "$@"
}

# oci_podman_import NAME: the busybox image imported from a tarball.
oci_podman_import() {
	oci_image_tar "$TEST_TMP/image.tar"
	oci_podman import "$TEST_TMP/image.tar" "$1" >"$TEST_TMP/import.out" 2>&1 ||
		fail "podman import: $(cat "$TEST_TMP/import.out")"
}

# oci_http_get HOST PORT: the body of GET / from HOST:PORT through bash's
# /dev/tcp (10 s at most); fails when nothing answers.
oci_http_get() {
	timeout 10 bash -c 'exec 3<>"/dev/tcp/$1/$2" || exit 1
		printf "GET / HTTP/1.0\r\nHost: %s\r\n\r\n" "$1" >&3
		sed "1,/^\r\{0,1\}$/d" <&3' _ "$1" "$2" 2>/dev/null
}

# oci_podman_publish PORT [NETWORK OPTIONS...]: podman run -d -p
# 127.0.0.1:PORT:80 of the image localhost/krun-busybox with the krun handler,
# the guest's busybox httpd on port 80; the host must get its page on PORT,
# then podman stop must end the VM and with it the published port. The
# container is named web (removed by the caller's trap).
oci_podman_publish() {
	local port=$1 got i pid
	shift
	oci_podman run -d --name web --annotation run.oci.handler=krun "$@" \
		-p "127.0.0.1:$port:80" localhost/krun-busybox /bin/sh -c \
		'mkdir -p /www && echo "hello through TSI" >/www/index.html &&
		echo serving && exec httpd -f -p 80 -h /www' >"$TEST_TMP/id" 2>&1 ||
		fail "podman run -d -p: $(cat "$TEST_TMP/id")"
	for i in $(seq 150); do
		got=$(oci_http_get 127.0.0.1 "$port") && [ -n "$got" ] && break
		sleep 0.4
	done
	oci_podman logs web 2>&1
	[ "$got" = "hello through TSI" ] ||
		fail "no answer from the guest's httpd on host port $port (got '$got')"
	echo "ok: podman $* -p 127.0.0.1:$port:80: the host reached the guest's httpd"
	pid=$(oci_podman inspect --format '{{.State.Pid}}' web)
	oci_podman stop -t 2 web >/dev/null 2>&1 || fail "podman stop"
	oci_wait_gone "$pid" || fail "the VMM ($pid) still runs after podman stop"
	oci_http_get 127.0.0.1 "$port" >/dev/null && fail "the port still answers after podman stop"
	echo "ok: podman stop ended the VM and the published port"
}
