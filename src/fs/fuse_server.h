/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A FUSE server for virtio-fs that shares one host directory, independent of
 * virtio: it takes one request as the guest's virtio-fs driver lays it out
 * (fuse_in_header, the op's arguments, data; linux/fuse.h) in the readable
 * segments of a chain and writes the reply (fuse_out_header, payload) into the
 * writable ones. The virtio-fs device pops chains and calls fuse_server_handle
 * from a pool of worker threads; tests call it on buffers they build.
 *
 * Protocol: FUSE 7.36 (Linux 6.1 sends 7.38; we answer 36), INIT negotiated (ops_init.c lists
 * the flags offered and why), max_write 1 MiB. Ops not implemented get -ENOSYS.
 *
 * The guest is hostile. The server guarantees:
 * - every byte of a request is read from guest memory once: headers and arguments
 *   are copied into locals before they are checked (WRITE data goes straight from
 *   the segments to the file, unchecked);
 * - lengths are capped before any allocation or copy; a request whose
 *   in_header.len disagrees with the bytes in the segments gets -EINVAL;
 * - node ids and file handles are indexes into checked tables with a generation:
 *   a forged, stale or freed id gets -ESTALE (node) or -EBADF (handle);
 * - containment: no request reaches a host file outside the shared directory.
 *   Every name is one component ('/', ".", "..", empty and over-long names are
 *   refused) resolved relative to its parent's O_PATH fd with openat2
 *   (RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS) and O_NOFOLLOW,
 *   so a symlink is always looked up as itself and never followed by the server;
 *   only regular files and directories are ever opened for I/O (never device
 *   nodes or FIFOs, not even by a CREATE that finds one under its name); calls
 *   with no *at form use /proc/self/fd/N of an fd the server opened itself. The
 *   one escape left to the host: a directory the host moves out of the shared
 *   tree stays reachable through the fds the server holds on it (its own subtree
 *   only; ".." is never looked up);
 * - real file systems only (realfs.c): nothing on a kernel-interface file system
 *   mounted inside the share (proc, sysfs, debugfs, cgroup, devpts...) is ever
 *   looked up, opened or listed. Such a mount point is shown as an empty stub
 *   directory the guest may stat and mount over (its own /proc), and nothing
 *   else: every other request on it, and any non-directory on such a file
 *   system, gets -EACCES. A root on one is refused;
 * - guest-made privilege stays in the guest (statmap.c, unless
 *   passthrough_privileges): every host change is made with the VMM's own
 *   credentials and never leaves a device node, a set-user-ID or set-group-ID
 *   bit, a file capability or a trusted.* / security.* attribute on the host.
 *   The owner, mode and device number the guest asks for are kept in the
 *   user.containers.override_stat attribute of a plain host file instead, and
 *   reported back to it; its trusted.*, security.* and system.* attributes are
 *   kept as user.krun.<name>. Both are hidden from the guest. docs/security.md
 *   ("virtio-fs") describes the mapping and its limits.
 */
#ifndef LIBKRUN_FS_FUSE_SERVER_H
#define LIBKRUN_FS_FUSE_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/uio.h>

/* Largest WRITE/READ payload the server accepts and announces (max_write). */
#define FUSE_SERVER_MAX_WRITE (1u << 20)
/* Most segments per direction in one request; more gets -EINVAL. */
#define FUSE_SERVER_MAX_SEGS 1024

struct fuse_server;

struct fuse_server_config {
	const char *root;          /* host directory shown as the guest's "/" */
	bool read_only;            /* every modifying op gets -EROFS */
	/*
	 * Off (the default): guest privileges are mapped (see above), whoever the
	 * process runs as. On: the behaviour before that mapping, for a trusted
	 * guest only: running as root, files are created, and SETATTR, SETXATTR
	 * and REMOVEXATTR run, with the requesting guest uid/gid (per-thread
	 * fsuid/fsgid); a guest uid 0 acts as host root: its device nodes,
	 * set-user-ID files, chowns and trusted.* / security.* attributes land on
	 * the host as asked. Not running as root, everything belongs to the
	 * process's user and permission errors come from the host.
	 */
	bool passthrough_privileges;
	unsigned int nthreads_hint; /* worker threads the device plans; informational */
	/* Virtual entries (fs/overlay.h), checked with fs_overlay_check. */
	const struct fs_overlay_spec *overlays;
	unsigned int noverlays;
	/*
	 * The DAX window (ops_dax.c), or NULL: dax_window_len bytes of this
	 * process's memory, page-aligned, that the guest sees as the device's
	 * shared memory region. SETUPMAPPING maps file ranges over parts of it
	 * (MAP_FIXED), REMOVEMAPPING puts anonymous memory back; the server never
	 * reads or writes it. The caller maps it before and unmaps it after the
	 * server's life.
	 */
	void *dax_window;
	uint64_t dax_window_len;
};

/*
 * Opens cfg->root (O_PATH, must be a directory on a real file system: -EACCES
 * for proc, sysfs and the like) and /proc/self/fd, raises RLIMIT_NOFILE (one fd
 * per inode the guest knows): both limits to the kernel's nr_open where the
 * process may, else the soft limit to the hard one. 0 or -errno, logged.
 */
int fuse_server_create(const struct fuse_server_config *cfg, struct fuse_server **out);

/*
 * Ends the guest's FUSE session, as FUSE_DESTROY does: its inodes and handles
 * are forgotten, the DAX window is emptied, and the next request must be a new
 * INIT. For a reset of the device (virtio 1.2 §2.4): a driver may reset it
 * without unmounting, and then brings it up again with a new INIT. Requests
 * still running finish against the old state (what they hold is counted), and
 * ones that end after this see node ids that no longer exist. Any thread.
 */
void fuse_server_end_session(struct fuse_server *s);

/* Closes every fd and frees the server. No fuse_server_handle may be running. */
void fuse_server_destroy(struct fuse_server *s);

/*
 * Prepares the calling worker thread: gives it a private fs context
 * (unshare(CLONE_FS)) with umask 0, because the guest kernel has already applied
 * the guest process's umask to the modes it sends (FUSE_DONT_MASK is not
 * negotiated). Call once per worker thread before its first request; a thread
 * that skips it has its creations masked again by the process umask.
 * 0 or -errno.
 */
int fuse_server_thread_init(struct fuse_server *s);

/*
 * Handles one request. in/out are the chain's readable and writable segments,
 * at most FUSE_SERVER_MAX_SEGS each (their memory is the guest's: read once).
 * Returns the number of bytes written into out (the reply: fuse_out_header and
 * payload), or 0 when no reply is due: FORGET, BATCH_FORGET, INTERRUPT (ignored,
 * as the protocol allows), a request too short to carry a unique id, or writable
 * segments too small for a fuse_out_header.
 * Thread-safe: any number of threads may call it at once.
 */
size_t fuse_server_handle(struct fuse_server *s, const struct iovec *in, int nin,
			  const struct iovec *out, int nout);

#endif
