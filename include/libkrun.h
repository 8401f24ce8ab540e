/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libkrun-c: run a process inside a KVM micro-VM.
 *
 * Names, signatures, constants and semantics follow upstream libkrun's C API
 * (the 1.18 header, every function of it), so that its clients build and run
 * against this library unchanged. The text is ours.
 *
 * Usage:
 *   int ctx = krun_create_ctx();
 *   krun_set_vm_config(ctx, 2, 512);
 *   krun_set_root(ctx, "/path/to/rootfs");      (or krun_set_kernel with an initramfs)
 *   krun_set_exec(ctx, "/bin/sh", argv, envp);
 *   krun_start_enter(ctx);                       (returns only on a setup error)
 *
 * Conventions for every function:
 * - The return value is 0 (or a non-negative id/count) on success and a negative
 *   errno on failure: -ENOENT for an unknown context id, -EINVAL for a bad
 *   argument (the log says which), -ENOMEM, and so on. A failed call changes
 *   nothing in the context.
 * - A call for a device or feature libkrun-c does not have (displays, input,
 *   firmware, TEEs; "not in libkrun-c" below; the GPU options are accepted,
 *   as upstream accepts them, see krun_set_gpu_options)
 *   checks its context id like any other (-ENOENT), then logs which feature is
 *   missing and returns -ENOSYS, or the errno upstream's header documents for
 *   a build without that feature where it documents one (-ENOTSUP).
 *   krun_has_feature answers for each feature.
 * - Strings and string arrays are copied before the call returns; the caller
 *   keeps ownership of what it passes. Arrays are NULL-terminated.
 * - Configuration calls may be made in any order before krun_start_enter.
 * - Contexts may be used from any thread. Each call holds its context for its
 *   whole duration, so calls on one context run one at a time. krun_free_ctx
 *   (and krun_start_enter, which consumes its context) takes the context out
 *   first, so that later calls get -ENOENT, then waits for the calls in
 *   progress on it to return before freeing it.
 * - Nothing but krun_start_enter needs a file of the host after the library has
 *   been loaded: a caller (an OCI runtime) may load it, enter another root (a
 *   container's, without our libraries) and only then create and start
 *   contexts.
 */
#ifndef LIBKRUN_H
#define LIBKRUN_H

#ifdef __cplusplus
extern "C" {
#endif

#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h> /* uid_t, gid_t */
#include <unistd.h>

/* ---- Logging ------------------------------------------------------------- */

#define KRUN_LOG_TARGET_DEFAULT -1

#define KRUN_LOG_LEVEL_OFF 0
#define KRUN_LOG_LEVEL_ERROR 1
#define KRUN_LOG_LEVEL_WARN 2
#define KRUN_LOG_LEVEL_INFO 3
#define KRUN_LOG_LEVEL_DEBUG 4
#define KRUN_LOG_LEVEL_TRACE 5

#define KRUN_LOG_STYLE_AUTO 0
#define KRUN_LOG_STYLE_ALWAYS 1
#define KRUN_LOG_STYLE_NEVER 2

#define KRUN_LOG_OPTION_NO_ENV 1

/*
 * Sets how verbose the library's log (on stderr by default) is: one of
 * KRUN_LOG_LEVEL_*. The default is KRUN_LOG_LEVEL_WARN. -EINVAL above TRACE.
 */
int32_t krun_set_log_level(uint32_t level);

/*
 * Sets the log's target fd (KRUN_LOG_TARGET_DEFAULT = stderr), level and style.
 * Lines are plain text ("libkrun: LEVEL: message"); style is accepted for
 * compatibility and colours are never used. Unless options has
 * KRUN_LOG_OPTION_NO_ENV, the environment variable KRUN_LOG_LEVEL (a number)
 * overrides level. -EINVAL for a bad level, style or option bit, or a negative
 * fd other than KRUN_LOG_TARGET_DEFAULT.
 */
int32_t krun_init_log(int target_fd, uint32_t level, uint32_t style, uint32_t options);

/* ---- Contexts and the build ---------------------------------------------- */

/*
 * Creates a configuration context and returns its id (>= 0), or -ENOMEM /
 * -ENOSPC (too many contexts). Needs no file: the guest kernel bundle
 * (libkrunfw.so.5, next to libkrun.so.1 or on the loader's path) is opened
 * when the library itself is loaded, and never later. A missing bundle is
 * not an error here; krun_start_enter reports it (-ENOENT) for a context that
 * has no kernel of its own (krun_set_kernel).
 */
int32_t krun_create_ctx(void);

/* Frees a context and everything it holds. -ENOENT if unknown. */
int32_t krun_free_ctx(uint32_t ctx_id);

/*
 * Sets the number of vCPUs (1..krun_get_max_vcpus()) and the guest RAM in MiB.
 * Defaults: 1 vCPU, 128 MiB. Zero for either is -EINVAL, as is RAM past the
 * guest address space (256 GiB). Any other size is accepted, as upstream
 * does; a VM too small for its kernel fails later: below 32 MiB at
 * krun_start_enter, which cannot build it; the bundled kernel alone takes
 * about 34 MiB, and a guest without memory for its workload fails in there.
 */
int32_t krun_set_vm_config(uint32_t ctx_id, uint8_t num_vcpus, uint32_t ram_mib);

/* Most vCPUs one VM can have on this host (KVM's limit), or a negative errno. */
int32_t krun_get_max_vcpus(void);

/* Features for krun_has_feature (upstream's numbers; 3 and 5 are unused). */
#define KRUN_FEATURE_NET 0
#define KRUN_FEATURE_BLK 1
#define KRUN_FEATURE_GPU 2
#define KRUN_FEATURE_INPUT 4
#define KRUN_FEATURE_TEE 6
#define KRUN_FEATURE_AMD_SEV 7
#define KRUN_FEATURE_INTEL_TDX 8
#define KRUN_FEATURE_AWS_NITRO 9
#define KRUN_FEATURE_VIRGL_RESOURCE_MAP2 10
#define KRUN_FEATURE_INIT_BLOB 11

/*
 * 1 if this library has the feature (a KRUN_FEATURE_* number), 0 if not,
 * -EINVAL for a number it does not know (a newer one, say). libkrun-c has
 * KRUN_FEATURE_BLK (raw, qcow2 and flat VMDK images) and KRUN_FEATURE_NET (virtio-net, see
 * krun_add_net_unixstream) and none of the others: its own built-in init is
 * not upstream's init blob.
 */
int32_t krun_has_feature(uint64_t feature);

/* ---- Kernel ---------------------------------------------------------------- */

#define KRUN_KERNEL_FORMAT_RAW 0
#define KRUN_KERNEL_FORMAT_ELF 1
#define KRUN_KERNEL_FORMAT_PE_GZ 2
#define KRUN_KERNEL_FORMAT_IMAGE_BZ2 3
#define KRUN_KERNEL_FORMAT_IMAGE_GZ 4
#define KRUN_KERNEL_FORMAT_IMAGE_ZSTD 5
/* libkrun-c extension: an x86 bzImage (boot protocol 2.06+, 64-bit entry). */
#define KRUN_KERNEL_FORMAT_BZIMAGE 100

/*
 * Boots the kernel at kernel_path (host path) instead of the bundled one.
 * Formats on x86_64, as upstream's there:
 *  - KRUN_KERNEL_FORMAT_ELF: a vmlinux, loaded by its program headers.
 *  - KRUN_KERNEL_FORMAT_IMAGE_GZ, _IMAGE_BZ2, _IMAGE_ZSTD: a file holding a
 *    gzip, bzip2 or zstd stream of an ELF vmlinux somewhere inside it (such as
 *    a vmlinuz whose payload is compressed so): the first stream of that kind
 *    is found by its magic bytes, decompressed (at most 512 MiB) and loaded as
 *    an ELF. A file with no such stream, a corrupt or truncated one, or one
 *    that does not hold an ELF fails krun_start_enter with -EINVAL; one that
 *    decompresses to more than 512 MiB with -EFBIG.
 *  - KRUN_KERNEL_FORMAT_RAW: a flat image (such as libkrunfw's kernel),
 *    loaded at guest-physical 0x8000_0000 and entered at its first byte, so
 *    the VM needs more than 2 GiB of RAM (else krun_start_enter fails,
 *    -ENOMEM). libkrun-c extension: a RAW file with the x86 boot protocol's
 *    "HdrS" header is booted as a bzImage instead. Unlike upstream, the
 *    initramfs and cmdline given here also apply to a RAW kernel.
 *  - KRUN_KERNEL_FORMAT_BZIMAGE (libkrun-c): an x86 bzImage.
 *  - KRUN_KERNEL_FORMAT_PE_GZ is an aarch64/riscv64 format: -EINVAL here
 *    (upstream takes it and fails at krun_start_enter); other numbers: -EINVAL.
 * initramfs (may be NULL) is a cpio archive (plain or gzip) whose contents the
 * workload runs in: the library appends its own archive holding our init at
 * /init and the workload's configuration, so the initramfs's own /init is
 * replaced. The files are read at krun_start_enter; -ENOENT if a path does not
 * exist now.
 *
 * cmdline (may be NULL: ours) takes the place of the library's default command
 * line, "console=hvc0 quiet", as upstream's does of its own. What describes
 * the virtual machine is always given, before it: "reboot=k panic=-1
 * no_timer_check tsc=reliable" (a guest reset or panic ends the VM; KVM's
 * timers), so a value of the caller's for one of these wins; the devices'
 * parameters (the TSI switches, virtio_mmio.device=...) always come after it.
 * Our init needs nothing on the command line.
 */
int32_t krun_set_kernel(uint32_t ctx_id, const char *kernel_path, uint32_t kernel_format,
			const char *initramfs, const char *cmdline);

/*
 * The kernel's console= (a device name such as "hvc0", the default, or
 * "ttyS0"; no blanks: -EINVAL). With a command line of the caller's
 * (krun_set_kernel) it is added after that line.
 */
int32_t krun_set_kernel_console(uint32_t ctx_id, const char *console_id);

/* Not in libkrun-c (-ENOSYS): the kernel is booted directly, without firmware. */
int32_t krun_set_firmware(uint32_t ctx_id, const char *firmware_path);

/* ---- Root and shared directories ------------------------------------------- */

/* virtio-fs tag of the root filesystem. */
#define KRUN_FS_ROOT_TAG "/dev/root"

/*
 * Uses the host directory root_path as the guest's root filesystem, shared over
 * virtio-fs with tag KRUN_FS_ROOT_TAG and served by a FUSE server in this
 * process. The path is resolved to an absolute one now (-ENOENT, -ENOTDIR if
 * it is not a directory); a second call replaces the first. The guest cannot
 * reach any host file outside the directory (no "..", symlink or /proc escape).
 * Nothing needs to be inside it for the VM to boot and nothing is left behind:
 * the guest's /dev, /proc and /sys are mounted on the root's directories of
 * those names when it has them. Only real file systems are served: a proc,
 * sysfs or other pseudo file system mounted inside the directory is an empty,
 * unreadable stub to the guest. Files the guest creates belong to this
 * process's user on the host; what the guest asked for beyond that (owners,
 * set-user-ID bits, device nodes, security.* and trusted.* attributes) is kept
 * in user.* extended attributes and shown only to the guest (docs/security.md).
 *
 * Without krun_set_exec, the workload is the one the root's /.krun_config.json
 * describes (KRUN_CONFIG in the workload environment names another file), as
 * an OCI runtime writes it, read as upstream's init reads it:
 * - a runtime spec (an object with a "process" member): process.args (the
 *   command), process.env (added to the environment unless already set there,
 *   HOME and TERM overridden), process.cwd (unless krun_set_workdir gave one);
 *   nothing outside "process" counts, and process.user, rlimits and terminal
 *   are not applied (the workload runs as root in the guest, as upstream's);
 * - otherwise, an image config: the first "Cmd" or "args", "Entrypoint" (put
 *   before the command), "Env" and "WorkingDir" or "Cwd" found at any depth,
 *   names matched case-insensitively.
 * No file, or no command in it: /bin/sh. The guest's hostname comes from the
 * environment as a whole (see krun_set_exec).
 */
int32_t krun_set_root(uint32_t ctx_id, const char *root_path);

/*
 * Shares the host directory c_path with the guest under c_tag (1 to 36 bytes,
 * unique in the context: -EEXIST), to be mounted in the guest with
 * `mount -t virtiofs TAG DIR`. At most 8 shares per context, the root
 * included (-ENOSPC). Paths as krun_set_root.
 */
int32_t krun_add_virtiofs(uint32_t ctx_id, const char *c_tag, const char *c_path);

/*
 * krun_add_virtiofs with a DAX window of shm_size bytes (0: none; rounded up to
 * whole 2 MiB; at most 32 GiB, else -EINVAL). The guest maps file ranges of a
 * share mounted with `mount -t virtiofs -o dax TAG DIR` through the window:
 * reads and mmap reach the host's page cache with no copy and no request per
 * access. The window costs the guest 1/64 of its size in RAM (Linux's page
 * structures for it): a guest too small for its window does not get the share
 * at all (its virtio-fs probe fails).
 */
int32_t krun_add_virtiofs2(uint32_t ctx_id, const char *c_tag, const char *c_path,
			   uint64_t shm_size);

/*
 * krun_add_virtiofs2, read-only when read_only is true: the VMM's server then
 * refuses every request that would change the host folder with EROFS, however
 * the guest mounts it (a remount read-write changes nothing). With the tag
 * KRUN_FS_ROOT_TAG it sets the guest's root (replacing krun_set_root's, as a
 * later krun_set_root replaces it); a read-only root needs the guest's mount
 * points (/dev, /proc, /sys, /tmp, /run) to exist in the folder already.
 */
int32_t krun_add_virtiofs3(uint32_t ctx_id, const char *c_tag, const char *c_path,
			   uint64_t shm_size, bool read_only);

/* Withdrawn upstream too: -EINVAL always. Use krun_add_virtiofs. */
int32_t krun_set_mapped_volumes(uint32_t ctx_id, const char *const mapped_volumes[]);

/* ---- Block devices (virtio-blk) ------------------------------------------- */

/* Disk image formats (docs/disks.md says which features of each work). A
 * qcow2 image's backing file is followed only because the caller named qcow2,
 * and only beside the image (never an absolute path or ".." out of its
 * directory); VMDK extents likewise. */
#define KRUN_DISK_FORMAT_RAW 0
#define KRUN_DISK_FORMAT_QCOW2 1
#define KRUN_DISK_FORMAT_VMDK 2 /* flat or zero extents, no delta links */

/* Flush handling (VIRTIO_BLK_F_FLUSH) of krun_add_disk3. */
#define KRUN_SYNC_NONE 0    /* FLUSH not offered, and ignored: data can be lost */
#define KRUN_SYNC_RELAXED 1 /* flushes honoured; on Linux the same as FULL */
#define KRUN_SYNC_FULL 2    /* flushes reach the physical disk (fdatasync) */

/*
 * Adds a virtio-blk device on the image at disk_path (a regular file or a
 * host block device), opened read-only or read-write as read_only says (a
 * read-only disk refuses the guest's writes, and offers no discard). The
 * guest sees the disks in the order they were added: /dev/vda, /dev/vdb, ...
 * block_id (1 to 256 bytes, unique in the context) is the disk's serial, the
 * first 20 bytes of which the guest reads (/sys/block/vdX/serial).
 *
 * krun_add_disk: raw, as upstream (it cannot name a format, and formats are
 * never probed: see upstream's security note on krun_add_disk2; a guest may
 * write a qcow2 header into a raw image). krun_add_disk2: the caller names
 * the format. krun_add_disk3 adds direct_io (O_DIRECT where a request is 4 KiB
 * aligned, the page cache otherwise) and sync_mode (KRUN_SYNC_*); the others
 * behave as KRUN_SYNC_FULL without direct I/O.
 *
 * The image is opened now to check it (then closed, and opened again at
 * start): -ENOENT, -EACCES, ... as open(2) says. -EINVAL: a missing id or
 * path, an unknown format or sync mode, or the context already used
 * krun_set_root_disk/krun_set_data_disk (the two families are exclusive).
 * -EEXIST: the id is taken. -ENOSPC: more than 8 disks. qcow2 and VMDK images
 * are opened as that format now too: -EINVAL for a malformed one, -ENOTSUP
 * for a feature not implemented (both logged), -EXDEV for a backing file or
 * extent outside the image's directory.
 */
int32_t krun_add_disk(uint32_t ctx_id, const char *block_id, const char *disk_path,
		      bool read_only);
int32_t krun_add_disk2(uint32_t ctx_id, const char *block_id, const char *disk_path,
		       uint32_t disk_format, bool read_only);
int32_t krun_add_disk3(uint32_t ctx_id, const char *block_id, const char *disk_path,
		       uint32_t disk_format, bool read_only, bool direct_io, uint32_t sync_mode);

/*
 * Deprecated upstream in favour of krun_add_disk; exclusive with it (-EINVAL
 * once the other family was used). A raw image, read-write: the root disk is
 * /dev/vda and, unless krun_set_root_disk_remount says otherwise, the guest's
 * root (mounted with any file system the kernel recognises); the data disk
 * follows it (/dev/vdb, or /dev/vda without a root disk). Set again, replaced.
 */
int32_t krun_set_root_disk(uint32_t ctx_id, const char *disk_path);
int32_t krun_set_data_disk(uint32_t ctx_id, const char *disk_path);

/*
 * The root is the file system on the guest's block device `device` (a guest
 * path under /dev/, e.g. "/dev/vda"): our init, which runs from the
 * initramfs, mounts it with fstype (NULL or "auto": each block file system the
 * kernel has is tried; the bundled kernel has ext4) and options (NULL: none;
 * "ro" etc. as mount(8)'s -o, the flags among them applied as flags), switches
 * to it and runs the workload there, reading its /.krun_config.json as from a
 * virtio-fs root. A root share (krun_set_root) stays mountable by its tag.
 * -EINVAL: a device not under /dev/, an empty fstype, an argument over 4095
 * bytes. krun_start_enter fails with -EINVAL if no disk was added.
 */
int32_t krun_set_root_disk_remount(uint32_t ctx_id, const char *device, const char *fstype,
				   const char *options);

/* ---- Networking (TSI) and the vsock device ------------------------------- */

/*
 * TSI, transparent socket impersonation: by default the VM has a vsock device
 * and the guest's TCP and UDP sockets (IPv4 and IPv6) are opened on the host
 * by the VMM: a guest connect() becomes a host connect(), a guest listen() a
 * host listener (see krun_set_port_map), a guest UDP socket a host UDP socket.
 * No NIC, no guest IP configuration; DNS works with the guest's resolv.conf.
 * Traffic between guest sockets stays in the guest.
 *
 * AF_UNIX: a guest stream connect() reaches a host UNIX socket only for the
 * exact host paths given to krun_allow_tsi_unix_path (none by default; every
 * other path, and every other UNIX socket use, stays in the guest).
 *
 * krun_disable_implicit_vsock removes that implicit device; krun_add_vsock
 * then adds one with the TSI features given: 0 (plain vsock, no TSI),
 * KRUN_TSI_HIJACK_INET (TCP, UDP), KRUN_TSI_HIJACK_UNIX (the allow-listed
 * paths). krun_add_vsock without krun_disable_implicit_vsock first, or twice,
 * or with unknown bits: -EINVAL. Ports of krun_add_vsock_port[2] always get a
 * device.
 */
#define KRUN_TSI_HIJACK_INET (1 << 0)
#define KRUN_TSI_HIJACK_UNIX (1 << 1)
int32_t krun_disable_implicit_vsock(uint32_t ctx_id);
int32_t krun_add_vsock(uint32_t ctx_id, uint32_t tsi_features);

/*
 * libkrun-c's own: allows guest AF_UNIX stream connects to c_host_path (an
 * absolute path shorter than 108 bytes, without commas, blanks or quotes:
 * -EINVAL / -ENAMETOOLONG) to reach the host UNIX socket there. The guest
 * names the same path. Each path once (-EEXIST), at most
 * KRUN_MAX_TSI_UNIX_PATHS (-ENOSPC).
 */
#define KRUN_MAX_TSI_UNIX_PATHS 16
int32_t krun_allow_tsi_unix_path(uint32_t ctx_id, const char *c_host_path);

/*
 * Ports of guest listeners to expose on the host for TSI networking: entries
 * "HOST_PORT:GUEST_PORT" (decimal, 0-65535), the array ending with NULL. As
 * upstream: each host port and each guest port at most once (-EINVAL naming
 * the entry: a guest listener has one host port); port 0 is accepted but an
 * entry with it exposes nothing. NULL means every guest listener on the same
 * port (as if never called); an empty array exposes none. Checked now (-EINVAL
 * naming the bad entry). The host listener opens when the guest listens and
 * closes with the guest's listening socket; a guest listener works inside the
 * guest either way.
 */
int32_t krun_set_port_map(uint32_t ctx_id, const char *const port_map[]);

/* ---- libkrun-c extensions: TSI policy and caps (not in upstream) --------- */

/*
 * libkrun-c extension: the TSI policy, which destinations the guest's TCP
 * connects and UDP datagrams may reach through the VMM's host sockets, and
 * where guest listeners are exposed. Never called: everything is allowed, as
 * with upstream's TSI. A call replaces the policy of an earlier one. The VMM
 * checks every connect and every datagram (each names its own destination),
 * on the host, in the network namespace it runs in.
 *
 * flags, any of:
 *   KRUN_TSI_POLICY_DENY_HOST        the host itself: its loopback (127.0.0.0/8,
 *                                    ::1), the unspecified addresses (0.0.0.0/8,
 *                                    ::), which the host's kernel connects to
 *                                    its loopback, and every address its
 *                                    routing delivers locally (its interfaces'
 *                                    own addresses, looked up at each connect):
 *                                    those reach a service listening on 0.0.0.0
 *                                    as surely as 127.0.0.1 does.
 *   KRUN_TSI_POLICY_DENY_LINK_LOCAL  169.254.0.0/16 (cloud metadata services at
 *                                    169.254.169.254), fe80::/10.
 *   KRUN_TSI_POLICY_DENY_PRIVATE     10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16,
 *                                    100.64.0.0/10 (carrier-grade NAT), fc00::/7.
 *   KRUN_TSI_POLICY_ALLOW_LIST_ONLY  every destination that allow[] does not
 *                                    name.
 *   KRUN_TSI_POLICY_LISTEN_LOOPBACK  not a denial: a guest listener (and a
 *                                    guest UDP socket bound to an exposed port)
 *                                    is bound on the host to 127.0.0.1 or ::1,
 *                                    whatever address the guest bound (0.0.0.0
 *                                    and :: included), so only the host's own
 *                                    programs reach it; a guest listening on ::
 *                                    then takes IPv6 clients only.
 * An IPv4-mapped IPv6 destination (::ffff:a.b.c.d) is judged as the IPv4
 * address it carries, which is what the host's kernel connects.
 *
 * allow: NULL, or a NULL-terminated list of at most KRUN_TSI_POLICY_MAX_ALLOW
 * destinations allowed whatever the flags deny: "ADDR[/LEN]" (every port),
 * "IPV4[/LEN]:PORT" or "[IPV6[/LEN]]:PORT", e.g. "10.0.0.53:53",
 * "192.168.1.0/24", "[fd00::/8]:443", or "127.0.0.53:53" for a host resolver
 * with KRUN_TSI_POLICY_DENY_HOST. Parsed strictly, now: no blanks or zone ids,
 * no address bits set past LEN, ports 1-65535, no IPv4-mapped entries (write
 * the IPv4 address). A bad entry or an unknown flag: -EINVAL, the log says
 * which and why.
 *
 * A denied connect fails in the guest with EPERM, as a host firewall rule
 * makes it fail; a denied datagram is dropped, as UDP drops (the guest's
 * sendto has returned already). Denials are logged as warnings, at most 5
 * lines per 10 s, each saying how many were left out before it.
 */
#define KRUN_TSI_POLICY_DENY_HOST (1 << 0)
#define KRUN_TSI_POLICY_DENY_LINK_LOCAL (1 << 1)
#define KRUN_TSI_POLICY_DENY_PRIVATE (1 << 2)
#define KRUN_TSI_POLICY_ALLOW_LIST_ONLY (1 << 3)
#define KRUN_TSI_POLICY_LISTEN_LOOPBACK (1 << 4)
#define KRUN_TSI_POLICY_MAX_ALLOW 64
int32_t krun_set_tsi_policy(uint32_t ctx_id, uint32_t flags, const char *const allow[]);

/*
 * libkrun-c extension: caps on what one guest's TSI sockets hold in the VMM,
 * whose table of KRUN_TSI_LIMIT_MAX connections every vsock stream shares.
 * limit, and its default:
 *   KRUN_TSI_LIMIT_CONNECTIONS           TCP streams at once: connections
 *                                        (connecting ones included) and
 *                                        listening sockets; 256
 *   KRUN_TSI_LIMIT_LISTENERS             listening sockets exposed on the
 *                                        host; 32
 *   KRUN_TSI_LIMIT_UDP_SOCKETS           UDP sockets that talk beyond the
 *                                        guest; 64
 *   KRUN_TSI_LIMIT_INBOUND               host clients' connections to guest
 *                                        listeners, in all; 128
 *   KRUN_TSI_LIMIT_INBOUND_PER_LISTENER  the same, for one listener; 64
 * max: 0 to KRUN_TSI_LIMIT_MAX (-EINVAL beyond, or for an unknown limit).
 * Past a cap the guest's connect(), listen() or a UDP socket's first
 * sendto() fails with ENOBUFS; a host client waits in the listener's backlog
 * until one of that listener's connections ends. The defaults keep the
 * guest's own sockets (256 + 64) and its listeners' clients (128) apart
 * within the table, so that peers connecting to a guest listener cannot take
 * the slots the guest's own connections need, nor the reverse.
 */
#define KRUN_TSI_LIMIT_CONNECTIONS 0
#define KRUN_TSI_LIMIT_LISTENERS 1
#define KRUN_TSI_LIMIT_UDP_SOCKETS 2
#define KRUN_TSI_LIMIT_INBOUND 3
#define KRUN_TSI_LIMIT_INBOUND_PER_LISTENER 4
#define KRUN_TSI_LIMIT_MAX 512
int32_t krun_set_tsi_limit(uint32_t ctx_id, uint32_t limit, uint32_t max);

/* ---- Network interfaces (virtio-net) --------------------------------------- */

/* Flags of krun_add_net_*. */
#define NET_FLAG_VFKIT (1 << 0)       /* send gvproxy's vfkit magic on connect */
#define NET_FLAG_DHCP_CLIENT (1 << 1) /* the guest's init runs a DHCP client */

/* virtio-net feature bits of krun_add_net_* (linux/virtio_net.h). */
#define NET_FEATURE_CSUM (1 << 0)
#define NET_FEATURE_GUEST_CSUM (1 << 1)
#define NET_FEATURE_GUEST_TSO4 (1 << 7)
#define NET_FEATURE_GUEST_TSO6 (1 << 8)
#define NET_FEATURE_GUEST_UFO (1 << 10)
#define NET_FEATURE_HOST_TSO4 (1 << 11)
#define NET_FEATURE_HOST_TSO6 (1 << 12)
#define NET_FEATURE_HOST_UFO (1 << 14)

/* The features krun_set_passt_fd and krun_set_gvproxy_path give upstream. */
#define COMPAT_NET_FEATURES                                                          \
	(NET_FEATURE_CSUM | NET_FEATURE_GUEST_CSUM | NET_FEATURE_GUEST_TSO4 |        \
	 NET_FEATURE_GUEST_UFO | NET_FEATURE_HOST_TSO4 | NET_FEATURE_HOST_UFO)

/*
 * A virtio-net device on a network proxy or a tap (docs/net.md). Each call
 * adds one interface; the guest names them in the order added (eth0, eth1...),
 * at most 4. With any interface, the implicit vsock device carries no TSI
 * (krun_add_vsock still gives what it asks for) and krun_set_port_map is
 * -ENOTSUP: the proxy maps ports.
 *   krun_add_net_unixstream  a proxy on a SOCK_STREAM unix socket speaking
 *       QEMU's framing (4-byte big-endian length before each frame): passt,
 *       socket_vmnet. c_path (connected at krun_start_enter) xor fd (-1 if
 *       c_path, already connected; the library uses a duplicate).
 *   krun_add_net_unixgram    a proxy on a SOCK_DGRAM unix socket, one frame a
 *       datagram: gvproxy, vmnet-helper. With c_path the library binds
 *       "c_path-krun.sock" for the answers; NET_FLAG_VFKIT (only here) sends
 *       "VFKT" first, as gvproxy's vfkit mode wants.
 *   krun_add_net_tap         an existing tap device by name (IFF_TAP|IFF_NO_PI),
 *       opened at krun_start_enter.
 *   krun_set_passt_fd, krun_set_gvproxy_path  the older calls: one interface
 *       each, with COMPAT_NET_FEATURES and krun_set_net_mac's address (default
 *       5a:94:ef:e4:0c:ee).
 * c_mac: 6 bytes (-EINVAL if NULL). features: NET_FEATURE_* (others -EINVAL);
 * libkrun-c offers the guest the checksum ones asked for (CSUM, GUEST_CSUM)
 * and the segmentation ones with them (HOST_TSO4/TSO6/UFO with CSUM: the
 * device cuts the guest's super-frames to the MTU before the backend sees
 * them; GUEST_* with GUEST_CSUM, offered but never used).
 * flags: NET_FLAG_* (others -EINVAL); NET_FLAG_DHCP_CLIENT makes our init
 * configure the interface by DHCP (address, netmask, router, DNS into
 * /etc/resolv.conf where writable); without it init only brings lo up.
 * 0, -EINVAL (path and fd both or neither, a path too long), -EBADF (fd not
 * open), -ENOSPC (a fifth interface). krun_start_enter fails with the errno
 * of a connection or tap that cannot be opened.
 */
int32_t krun_add_net_unixstream(uint32_t ctx_id, const char *c_path, int fd,
				uint8_t *const c_mac, uint32_t features, uint32_t flags);
int32_t krun_add_net_unixgram(uint32_t ctx_id, const char *c_path, int fd,
			      uint8_t *const c_mac, uint32_t features, uint32_t flags);
int32_t krun_add_net_tap(uint32_t ctx_id, char *c_tap_name, uint8_t *const c_mac,
			 uint32_t features, uint32_t flags);
int32_t krun_set_passt_fd(uint32_t ctx_id, int fd);
int32_t krun_set_gvproxy_path(uint32_t ctx_id, char *c_path);
int32_t krun_set_net_mac(uint32_t ctx_id, uint8_t *const c_mac);

/* ---- Workload ------------------------------------------------------------ */

/*
 * Sets the program to run in the guest. exec_path is resolved in the guest (a
 * name without '/' is searched in the workload's PATH). argv holds the arguments
 * after argv[0] (may be NULL: none). envp is the full environment: NULL means
 * this process's environment at the time of the call, an array holding only NULL
 * means an empty one. No size or count limits apply beyond memory. With a root
 * set (krun_set_root) this call is optional; see there. As upstream's init
 * does, the guest's hostname is the workload environment's HOSTNAME (after a
 * runtime spec's env is added), else "localhost".
 */
int32_t krun_set_exec(uint32_t ctx_id, const char *exec_path, const char *const argv[],
		      const char *const envp[]);

/* Sets the environment alone, with krun_set_exec's envp semantics. */
int32_t krun_set_env(uint32_t ctx_id, const char *const envp[]);

/* Sets the workload's working directory (a guest path; default "/"). */
int32_t krun_set_workdir(uint32_t ctx_id, const char *workdir_path);

/*
 * Sets resource limits for the workload: strings "RESOURCE=CUR:MAX" where
 * RESOURCE is the numeric RLIMIT_* id of Linux (e.g. "7=1024:2048" for
 * RLIMIT_NOFILE), CUR <= MAX, each a decimal number or -1 / "infinity" for no
 * limit. Unlike upstream, a malformed string is rejected here with -EINVAL (and a
 * log line naming it) rather than failing in the guest. Replaces earlier limits.
 */
int32_t krun_set_rlimits(uint32_t ctx_id, const char *const rlimits[]);

/*
 * Sends the guest's console output (the workload's stdout and stderr) to the file
 * at c_filepath (created or truncated at krun_start_enter) instead of this
 * process's stdout/stderr; the workload's stdin is then empty. Once per
 * context, as upstream: a second call is -EINVAL and the first file stays.
 */
int32_t krun_set_console_output(uint32_t ctx_id, const char *c_filepath);

/* ---- vsock ports ---------------------------------------------------------- */

/*
 * Maps vsock port `port` of the host (CID 2) to the host UNIX stream socket at
 * c_filepath: a guest connect() to (VMADDR_CID_HOST, port) connects that
 * socket at that moment (the guest gets ECONNRESET if it cannot), and the bytes
 * then flow both ways with virtio-vsock's flow control. The guest is CID 3.
 * The path is used as given (relative to the working directory at each
 * connect), shorter than 108 bytes (-ENAMETOOLONG); each port once per context
 * (-EEXIST), at most 64 (-ENOSPC). The TSI service uses vsock port
 * 0x54534900 of the host, which is taken (-EEXIST at start) while TSI is on.
 */
int32_t krun_add_vsock_port(uint32_t ctx_id, uint32_t port, const char *c_filepath);

/*
 * krun_add_vsock_port, or with listen true the other way round: the VMM
 * listens on a UNIX socket it creates at c_filepath (which must not exist:
 * -EEXIST, now or at krun_start_enter; it is not removed afterwards), and each
 * host client that connects arrives in the guest as a connection to `port`
 * (from a host port of 49152 up), to be accept()ed there.
 */
int32_t krun_add_vsock_port2(uint32_t ctx_id, uint32_t port, const char *c_filepath,
			     bool listen);

/* ---- Consoles -------------------------------------------------------------- */

/*
 * A 16550A UART on COM1 (I/O 0x3f8, IRQ 4): the guest's ttyS0. Bytes the guest
 * sends go to output_fd; input_fd (a pipe, socket or terminal: something poll
 * works on) is read while the guest has the port open. Either may be -1
 * (none); both stay the caller's, and input_fd must not be this process's
 * terminal stdin when that is the implicit console's. One per VM (-ENOSPC
 * after; the bundled kernel has one legacy UART); -EBADF for an fd that is
 * not open. With krun_set_kernel_console(ctx, "ttyS0") the kernel's messages
 * go there, the early ones included (replayed when the console registers).
 */
int32_t krun_add_serial_console_default(uint32_t ctx_id, int input_fd, int output_fd);

/*
 * virtio-console devices, numbered in the guest in the order they are added
 * (hvc0, hvc1, ...), the implicit one first while it is on. At most 4 in all
 * (-ENOSPC).
 *
 * krun_disable_implicit_console: no implicit console on this process's stdio.
 * krun_set_console_output then does nothing.
 *
 * krun_add_virtio_console_default(in, out, err): with the implicit console
 * off, the first such console takes its place with these fds in place of
 * this process's stdin, stdout and stderr (a terminal shares hvc0; pipes and
 * files get a port each, kept apart; see krun_start_enter). Any other one is
 * a plain console (hvcN): input_fd read into it, its output to output_fd;
 * err_fd is not read or written, but must be open too. The fds must be open
 * (-EBADF) and stay the caller's.
 * With the implicit console off and none added, the VM has no console: the
 * workload's stdio is /dev/null in the guest (a serial port with
 * krun_set_kernel_console "ttyS0" becomes the guest's /dev/console instead).
 * Only the first console's terminal is put in raw mode and followed in size.
 *
 * krun_add_virtio_console_multiport: a console with the ports the caller
 * adds, in order (port 0, 1, ...; at most 4, -ENOSPC); returns its console_id
 * (its index among the caller's consoles) for:
 * - krun_add_console_port_tty(console_id, name, tty_fd): the console's console
 *   port (its hvcN, window size followed when tty_fd is a terminal), tty_fd
 *   for both ways; one per console (-EEXIST);
 * - krun_add_console_port_inout(console_id, name, input_fd, output_fd): a
 *   byte-stream port (/dev/vportNpM in the guest; EOF on input_fd reaches the
 *   guest as the host closing the port).
 * name (at most 255 bytes, copied; "" for none) is the port's name in
 * /sys/class/virtio-ports/vportNpM/name. -EINVAL for a console_id that is not
 * a multiport console's; -EBADF for an fd that is not open. With the
 * implicit console off, a multiport console first in line carries no stdio of
 * its own: the workload's is its TTY port (hvc0), if it has one.
 */
int32_t krun_disable_implicit_console(uint32_t ctx_id);
int32_t krun_add_virtio_console_default(uint32_t ctx_id, int input_fd, int output_fd,
					int err_fd);
int32_t krun_add_virtio_console_multiport(uint32_t ctx_id);
int32_t krun_add_console_port_tty(uint32_t ctx_id, uint32_t console_id, const char *name,
				  int tty_fd);
int32_t krun_add_console_port_inout(uint32_t ctx_id, uint32_t console_id, const char *name,
				    int input_fd, int output_fd);

/* ---- Graphics and input: not in libkrun-c; vhost-user devices ------------------ */

/* virglrenderer's flags, for krun_set_gpu_options[2]. */
#define VIRGLRENDERER_USE_EGL (1 << 0)
#define VIRGLRENDERER_THREAD_SYNC (1 << 1)
#define VIRGLRENDERER_USE_GLX (1 << 2)
#define VIRGLRENDERER_USE_SURFACELESS (1 << 3)
#define VIRGLRENDERER_USE_GLES (1 << 4)
#define VIRGLRENDERER_USE_EXTERNAL_BLOB (1 << 5)
#define VIRGLRENDERER_VENUS (1 << 6)
#define VIRGLRENDERER_NO_VIRGL (1 << 7)
#define VIRGLRENDERER_USE_ASYNC_FENCE_CB (1 << 8)
#define VIRGLRENDERER_RENDER_SERVER (1 << 9)
#define VIRGLRENDERER_DRM (1 << 10)

/*
 * A virtio-gpu device with these flags (and a host window of shm_size bytes).
 * libkrun-c has no GPU; like upstream built without one it accepts the call
 * (0, with a warning) and the VM has no GPU: crun asks for one whenever the
 * host has /dev/dri, and fails the container on an error.
 */
int32_t krun_set_gpu_options(uint32_t ctx_id, uint32_t virgl_flags);
int32_t krun_set_gpu_options2(uint32_t ctx_id, uint32_t virgl_flags, uint64_t shm_size);

/* Most displays (virtio-gpu's scanouts). */
#define KRUN_MAX_DISPLAYS 16

/*
 * Displays, their EDID, DPI, size and refresh rate, a display backend (a
 * struct of upstream's libkrun_display.h) and input devices (libkrun_input.h):
 * not in libkrun-c. Each checks its context and returns -ENOTSUP, what
 * upstream returns when built without them.
 */
int32_t krun_add_display(uint32_t ctx_id, uint32_t width, uint32_t height);
int32_t krun_display_set_edid(uint32_t ctx_id, uint32_t display_id, const uint8_t *edid_blob,
			      size_t blob_size);
int32_t krun_display_set_dpi(uint32_t ctx_id, uint32_t display_id, uint32_t dpi);
int32_t krun_display_set_physical_size(uint32_t ctx_id, uint32_t display_id, uint16_t width_mm,
				       uint16_t height_mm);
int32_t krun_display_set_refresh_rate(uint32_t ctx_id, uint32_t display_id,
				      uint32_t refresh_rate);
int32_t krun_set_display_backend(uint32_t ctx_id, const void *display_backend,
				 size_t backend_size);
int krun_add_input_device(uint32_t ctx_id, const void *config_backend,
			  size_t config_backend_size, const void *events_backend,
			  size_t events_backend_size);
int krun_add_input_device_fd(uint32_t ctx_id, int input_fd);

/* vhost-user device types: virtio device ids. */
#define KRUN_VIRTIO_DEVICE_CONSOLE 3
#define KRUN_VIRTIO_DEVICE_RNG 4
#define KRUN_VIRTIO_DEVICE_GPU 16
#define KRUN_VIRTIO_DEVICE_RTC 17
#define KRUN_VIRTIO_DEVICE_INPUT 18
#define KRUN_VIRTIO_DEVICE_VSOCK 19
#define KRUN_VIRTIO_DEVICE_SND 25
#define KRUN_VIRTIO_DEVICE_CAN 36

/* Each device type's queues: how many, and their sizes in queue order. */
#define KRUN_VHOST_USER_CONSOLE_NUM_QUEUES 4
#define KRUN_VHOST_USER_CONSOLE_QUEUE_SIZES ((uint16_t[]){ 128, 128, 64, 64 })
#define KRUN_VHOST_USER_RNG_NUM_QUEUES 1
#define KRUN_VHOST_USER_RNG_QUEUE_SIZES ((uint16_t[]){ 256 })
#define KRUN_VHOST_USER_RTC_NUM_QUEUES 2
#define KRUN_VHOST_USER_RTC_QUEUE_SIZES ((uint16_t[]){ 1024, 1024 })
#define KRUN_VHOST_USER_INPUT_NUM_QUEUES 2
#define KRUN_VHOST_USER_INPUT_QUEUE_SIZES ((uint16_t[]){ 1024, 1024 })
#define KRUN_VHOST_USER_SND_NUM_QUEUES 4
#define KRUN_VHOST_USER_SND_QUEUE_SIZES ((uint16_t[]){ 64, 64, 64, 64 })
#define KRUN_VHOST_USER_VSOCK_NUM_QUEUES 3
#define KRUN_VHOST_USER_VSOCK_QUEUE_SIZES ((uint16_t[]){ 128, 128, 128 })
#define KRUN_VHOST_USER_CAN_NUM_QUEUES 3
#define KRUN_VHOST_USER_CAN_QUEUE_SIZES ((uint16_t[]){ 64, 64, 64 })
#define KRUN_VHOST_USER_GPU_NUM_QUEUES 2
#define KRUN_VHOST_USER_GPU_QUEUE_SIZES ((uint16_t[]){ 1024, 1024 })

/*
 * A virtio device of device_type (a virtio device id, e.g. the constants
 * above) whose queues a vhost-user backend serves, listening at socket_path;
 * name is for logs (may be NULL). num_queues 0: asked from the backend (it
 * needs the MQ protocol feature); queue_sizes NULL: 256 each, else num_queues
 * sizes, or a 0-terminated list when num_queues is 0; queues past the sizes
 * given take the last one. Sizes are powers of two up to 1024, at most 16
 * queues, at most 8 such devices: else -EINVAL (-ENOSPC for the ninth).
 * krun_start_enter connects, so the backend must listen by then (else it
 * fails with the connect's error); with any such device guest RAM is a
 * shared memfd that the backend maps.
 */
int32_t krun_add_vhost_user_device(uint32_t ctx_id, uint32_t device_type,
				   const char *socket_path, const char *name,
				   uint16_t num_queues, const uint16_t *queue_sizes);

/* ---- The VMM process and the machine --------------------------------------- */

/*
 * The gid and uid this process takes at krun_start_enter, after it has opened
 * what the configuration names and before it opens /dev/kvm (setgid first):
 * e.g. to open a root-only file, then run the VM unprivileged. A failure there
 * is krun_start_enter's error.
 */
int32_t krun_setuid(uint32_t ctx_id, uid_t uid);
int32_t krun_setgid(uint32_t ctx_id, gid_t gid);

/*
 * Nested virtualization: with enabled true the guest's CPUID shows the
 * virtualization extension (VMX or SVM) this host's KVM offers; without it,
 * neither. 0 says it will be asked for, not that the host has it:
 * krun_check_nested_virt is 1 when KVM offers it (its `nested` module
 * parameter on, on a CPU that has the extension), 0 when not, -errno when
 * /dev/kvm cannot be asked. The bundled guest kernel has no KVM of its own,
 * so a guest that wants /dev/kvm needs a kernel of the caller's
 * (krun_set_kernel) built with it.
 */
int32_t krun_set_nested_virt(uint32_t ctx_id, bool enabled);
int32_t krun_check_nested_virt(void);

/*
 * A split irqchip: KVM keeps the local APICs and the VMM emulates the IOAPIC
 * (KVM_CAP_SPLIT_IRQCHIP), with no PIC and no PIT. Off by default (KVM has
 * the whole irqchip). Returns 0, or -ENOENT for an unknown context; a KVM
 * without the capability fails krun_start_enter with -ENOTSUP.
 */
int32_t krun_split_irqchip(uint32_t ctx_id, bool enable);

/*
 * SMBIOS OEM strings: oem_strings is a NULL-terminated array; each string
 * becomes one string of the SMBIOS type 11 (OEM Strings) structure the guest
 * finds, in order (Linux: /sys/firmware/dmi/entries/11-0/raw, `dmidecode -t 11`).
 * Before krun_start_enter; the strings are copied (the caller may free them at
 * once); a later call replaces them, an empty array ({ NULL }) clears them.
 * The guest always gets SMBIOS 3.0 tables (BIOS and System Information, as
 * upstream's: "Libkrun", "libkrun Virtual Machine"); type 11 only with strings.
 * On x86_64 they are at 0xF0000, where a kernel booted without EFI looks.
 * -EINVAL (logged) for a NULL array, more than 255 strings, an empty string,
 * one that is not UTF-8 (DSP0134 3.x §6.1.3), or strings whose tables would
 * pass the 64 KiB the guest has for them; the previous strings stay then.
 */
int32_t krun_set_smbios_oem_strings(uint32_t ctx_id, const char *const oem_strings[]);

/* A TEE's configuration file (libkrun-sev): not in libkrun-c: -ENOSYS. */
int32_t krun_set_tee_config_file(uint32_t ctx_id, const char *filepath);

/*
 * An eventfd (close-on-exec; the same one on every call for a context, closed
 * by krun_free_ctx or a failed krun_start_enter) that asks the guest to shut
 * down orderly: writing it once the VM runs makes the guest's init send the
 * workload SIGTERM, and SIGKILL 10 s later if it is still there; the process
 * then exits with the workload's status, as always. SIGTERM to the VMM process
 * does the same (see krun_start_enter). Taking the eventfd gives the VM a vsock
 * device even when TSI and vsock ports are off: the request travels on it.
 * Returns the fd, or -errno.
 */
int32_t krun_get_shutdown_eventfd(uint32_t ctx_id);

/* ---- Virtual files in a share; upstream's init blob ------------------------- */

/*
 * Upstream injects its init into the root share as /init.krun. Ours runs from
 * an initramfs of ours and is never a file in a share, so libkrun-c answers
 * as upstream's build without the "init-blob" feature:
 * krun_disable_implicit_init has nothing to disable (0), krun_get_default_init
 * is -ENOTSUP (-EINVAL for a NULL argument), and krun_has_feature says 0 for
 * KRUN_FEATURE_INIT_BLOB.
 *
 * krun_fs_add_overlay_file / krun_fs_add_overlay_dir: virtual entries of the
 * share tagged fs_tag (-ENOENT if none: call krun_set_root or
 * krun_add_virtiofs* first), served by the VMM from memory; nothing is ever
 * created in the host folder. path is relative to the share's root ("/etc"
 * is "etc"), one name per level, no "", "." or ".." (-EINVAL); its parents
 * must be virtual directories added before (-ENOENT, -ENOTDIR), its name new
 * among them (-EEXIST); at most 64 per share (-ENOSPC). A virtual entry hides
 * a host entry of the same name. Unlike upstream, data is copied at the call
 * (at most 64 MiB, -EFBIG), so the caller may free it. A file is read-only in
 * the guest (changes fail with EROFS or EPERM) with mode's permission bits
 * (its type, if given, must be S_IFREG); a one_shot file can be looked up
 * once, and the guest keeps no cached name of it. A directory is empty but
 * for virtual entries, nothing can be created in it, and the guest can mount
 * over it.
 */
int32_t krun_disable_implicit_init(uint32_t ctx_id);
int32_t krun_get_default_init(const uint8_t **data_out, size_t *len_out);
int32_t krun_fs_add_overlay_file(uint32_t ctx_id, const char *fs_tag, const char *path,
				 const uint8_t *data, size_t data_len, uint32_t mode,
				 bool one_shot);
int32_t krun_fs_add_overlay_dir(uint32_t ctx_id, const char *fs_tag, const char *path,
				uint32_t mode);

/* ---- Start --------------------------------------------------------------- */

/*
 * Builds and runs the VM in this process. Returns a negative errno only if
 * something fails before the guest runs (bad configuration; no kernel: neither
 * krun_set_kernel nor a bundle loaded with the library, -ENOENT; no /dev/kvm;
 * a file that cannot be read). Otherwise it never returns: when the workload
 * ends, the process exits with its status (its exit code; 128+N if killed by
 * signal N; 127 if not found; 126 if not executable; 125 if the guest's init
 * failed; 1 if the VM failed after the guest started: a KVM error or a guest
 * that stopped without reporting a status; the log says why), after restoring
 * the terminal. The context is consumed either way.
 *
 * stdio: when this process's stdin/stdout/stderr are terminals, the guest's
 * console is that terminal (raw mode while the VM runs, window size followed);
 * when they are pipes or files they stay three separate byte streams end to end,
 * and EOF on stdin reaches the workload.
 *
 * SIGTERM: the calling thread blocks it and the VMM reads it: the first one
 * asks the guest to stop its workload (as krun_get_shutdown_eventfd's eventfd
 * does), so a runtime's stop gets the workload's own exit status; a second one,
 * or a VM with no vsock device to carry the request, or a guest that does not
 * take it, ends the VM at once with status 143 (128 + SIGTERM). Threads the
 * caller started before this call keep their own signal mask: block SIGTERM in
 * them too for this to hold.
 *
 * Before the guest runs, the VMM puts every thread of the process under
 * seccomp filters that allow only the system calls the VMM makes (and sets
 * no_new_privs); a thread of the caller's then gets the VMM's allow-list too,
 * and a rare failure past that point (a thread that cannot be started)
 * returns with the filters in. A call outside the list ends the process with
 * status 1 and a log line naming the thread and the call. The environment
 * variable LIBKRUN_SECCOMP=log lets such calls through (the kernel's audit
 * log names each), =off runs without filters (docs/security.md, "VMM
 * self-restriction").
 */
int32_t krun_start_enter(uint32_t ctx_id);

#ifdef __cplusplus
}
#endif

#endif
