/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libkrun-c: run a process inside a KVM micro-VM.
 *
 * Names, signatures, constants and semantics follow upstream libkrun's C API, so
 * that its clients build and run against this library unchanged.
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
 * - Strings and string arrays are copied before the call returns; the caller
 *   keeps ownership of what it passes. Arrays are NULL-terminated.
 * - Configuration calls may be made in any order before krun_start_enter.
 * - Contexts may be used from any thread, but one context must not be configured
 *   from two threads at once.
 */
#ifndef LIBKRUN_H
#define LIBKRUN_H

#ifdef __cplusplus
extern "C" {
#endif

#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
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

/* ---- Contexts ------------------------------------------------------------ */

/*
 * Creates a configuration context and returns its id (>= 0), or -ENOMEM /
 * -ENOSPC (too many contexts), or the error of loading the bundled kernel
 * (libkrunfw.so.5), which is opened here so that a client may chroot before
 * krun_start_enter.
 */
int32_t krun_create_ctx(void);

/* Frees a context and everything it holds. -ENOENT if unknown. */
int32_t krun_free_ctx(uint32_t ctx_id);

/*
 * Sets the number of vCPUs (1..krun_get_max_vcpus()) and the guest RAM in MiB
 * (at least 64; at most what the address space allows). Defaults: 1 vCPU,
 * 128 MiB. Zero for either is -EINVAL.
 */
int32_t krun_set_vm_config(uint32_t ctx_id, uint8_t num_vcpus, uint32_t ram_mib);

/* Most vCPUs one VM can have on this host (KVM's limit), or a negative errno. */
int32_t krun_get_max_vcpus(void);

/* ---- Kernel and root ----------------------------------------------------- */

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
 * x86_64 supports KRUN_KERNEL_FORMAT_ELF (vmlinux) and
 * KRUN_KERNEL_FORMAT_BZIMAGE; KRUN_KERNEL_FORMAT_RAW is taken as a bzImage when
 * the file has the boot protocol's "HdrS" header. Other formats: -EINVAL.
 * initramfs (may be NULL) is a cpio archive (plain or gzip) whose contents the
 * workload runs in: the library appends its own archive holding our init at
 * /init and the workload's configuration, so the initramfs's own /init is
 * replaced. cmdline (may be NULL) is appended to the command line the library
 * builds. The files are read at krun_start_enter. -ENOENT if a path does not
 * exist now.
 */
int32_t krun_set_kernel(uint32_t ctx_id, const char *kernel_path, uint32_t kernel_format,
			const char *initramfs, const char *cmdline);

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
 * those names when it has them. Files are created with the guest caller's
 * uid/gid when this process runs as root, else as this process's user.
 * Without krun_set_exec, the workload is the one the root's OCI-style
 * /.krun_config.json describes (keys args/Cmd, Entrypoint, Env,
 * WorkingDir/Cwd; KRUN_CONFIG in the workload environment names another
 * file), or /bin/sh.
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
 * krun_add_virtiofs with a DAX window of shm_size bytes. libkrun-c accepts the
 * size but offers no DAX window yet: the share works through FUSE reads and
 * writes, as without DAX.
 */
int32_t krun_add_virtiofs2(uint32_t ctx_id, const char *c_tag, const char *c_path,
			   uint64_t shm_size);

/*
 * Ports of guest listeners to expose on the host for TSI networking: entries
 * "HOST_PORT:GUEST_PORT" (decimal, 1-65535, each host port once), the array
 * ending with NULL. NULL means every guest listener on the same port (as if
 * never called); an empty array exposes none. Checked now (-EINVAL naming the
 * bad entry). The host listener opens when the guest listens and closes with
 * the guest's listening socket; a guest listener works inside the guest either
 * way. A guest port mapped twice is exposed on the last entry's host port.
 */
int32_t krun_set_port_map(uint32_t ctx_id, const char *const port_map[]);

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

/* ---- Workload ------------------------------------------------------------ */

/*
 * Sets the program to run in the guest. exec_path is resolved in the guest (a
 * name without '/' is searched in the workload's PATH). argv holds the arguments
 * after argv[0] (may be NULL: none). envp is the full environment: NULL means
 * this process's environment at the time of the call, an array holding only NULL
 * means an empty one. No size or count limits apply beyond memory. With a root
 * set (krun_set_root) this call is optional; see there.
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
 * process's stdout/stderr; the workload's stdin is then empty.
 */
int32_t krun_set_console_output(uint32_t ctx_id, const char *c_filepath);

/* ---- vsock ---------------------------------------------------------------- */

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

/* ---- Start --------------------------------------------------------------- */

/*
 * Builds and runs the VM in this process. Returns a negative errno only if
 * something fails before the guest runs (bad configuration, no /dev/kvm, a file
 * that cannot be read). Otherwise it never returns: when the workload ends, the
 * process exits with its status (its exit code; 128+N if killed by signal N; 127
 * if not found; 126 if not executable; 125 if the guest's init failed; 1 if the
 * VM failed after the guest started: a KVM error or a guest that stopped
 * without reporting a status; the log says why), after restoring the
 * terminal. The context is consumed either way.
 *
 * stdio: when this process's stdin/stdout/stderr are terminals, the guest's
 * console is that terminal (raw mode while the VM runs, window size followed);
 * when they are pipes or files they stay three separate byte streams end to end,
 * and EOF on stdin reaches the workload.
 */
int32_t krun_start_enter(uint32_t ctx_id);

#ifdef __cplusplus
}
#endif

#endif
