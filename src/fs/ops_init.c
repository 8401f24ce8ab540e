/* SPDX-License-Identifier: Apache-2.0 */
/* INIT, DESTROY and STATFS: the connection and the file system as a whole. */
#include "fs/fs.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/statvfs.h>

#include "util/log.h"
#include "util/ratelimit.h"

/*
 * What we offer, each because the server implements it (linux/fuse.h "INIT
 * request/reply flags"):
 * ASYNC_READ      reads may arrive concurrently and out of order: pread only.
 * ATOMIC_O_TRUNC  OPEN carries O_TRUNC and we pass it to the host open.
 * BIG_WRITES      writes above 4 KiB (up to max_write).
 * DO_READDIRPLUS, READDIRPLUS_AUTO  READDIRPLUS with full entries.
 * ASYNC_DIO       direct I/O requests may arrive concurrently: pread/pwrite.
 * AUTO_INVAL_DATA the guest drops cached pages when the host's mtime/size
 *                 change: only the kernel acts, and it shows host writes.
 * PARALLEL_DIROPS lookups and readdirs in one directory may run concurrently:
 *                 the tables are locked and each dir handle serialises itself.
 * MAX_PAGES       max_pages below, for max_write of 1 MiB.
 * MAP_ALIGNMENT   with a DAX window only (ops_dax.c): mappings are whole
 *                 2 MiB ranges (map_alignment 21); Linux asks for it when its
 *                 mount uses DAX, accepts up to its own 2 MiB, and maps in
 *                 exactly such ranges.
 * Not offered: POSIX_LOCKS/FLOCK_LOCKS (the guest locks locally), EXPORT_SUPPORT
 * (we never look up "." or ".."), DONT_MASK (the guest applies the umask),
 * WRITEBACK_CACHE (the host may write too), HANDLE_KILLPRIV(_V2), SETXATTR_EXT,
 * POSIX_ACL, SECURITY_CTX, SUBMOUNTS, and the per-inode DAX flag (FUSE_HAS_INODE_DAX:
 * "dax=inode" mounts get no file mapped; "dax" or "dax=always" map every file).
 */
#define FS_INIT_FLAGS                                                                    \
	(FUSE_ASYNC_READ | FUSE_ATOMIC_O_TRUNC | FUSE_BIG_WRITES | FUSE_DO_READDIRPLUS |  \
	 FUSE_READDIRPLUS_AUTO | FUSE_ASYNC_DIO | FUSE_AUTO_INVAL_DATA |                  \
	 FUSE_PARALLEL_DIROPS | FUSE_MAX_PAGES)

#define FS_GUEST_PAGE 4096 /* max_pages counts the guest's pages (x86_64) */

/*
 * A refused INIT is the guest's to repeat at will (every worker, every
 * share): at most 5 lines per 10 s. One limiter for the process, as the log
 * it keeps readable is the process's; its lock only serializes the limiter.
 */
static pthread_mutex_t init_log_lock = PTHREAD_MUTEX_INITIALIZER;
static struct ratelimit init_log = RATELIMIT_INIT(10000, 5);

static bool fs_init_log_pass(uint64_t *held)
{
	bool pass;

	pthread_mutex_lock(&init_log_lock);
	pass = ratelimit_pass(&init_log, held);
	pthread_mutex_unlock(&init_log_lock);
	return pass;
}

int fs_op_init(struct fs_req *r)
{
	struct fuse_init_in in = { 0 };
	struct fuse_init_out o = { .major = FUSE_KERNEL_VERSION, .minor = FS_PROTO_MINOR };
	uint64_t held;

	memcpy(&in, r->arg, r->arg_len < sizeof(in) ? r->arg_len : sizeof(in));
	if (in.major < FUSE_KERNEL_VERSION)
		return -EPROTO;
	/* A newer major: answer with ours alone and expect a new INIT. */
	if (in.major > FUSE_KERNEL_VERSION)
		return fs_reply(r, &o, FUSE_COMPAT_INIT_OUT_SIZE);
	if (in.minor < FS_MIN_MINOR) {
		if (fs_init_log_pass(&held))
			log_error("fs: guest speaks FUSE 7.%u, at least 7.%u is needed (%llu such "
				  "lines left out before)", in.minor, FS_MIN_MINOR,
				  (unsigned long long)held);
		return -EPROTO;
	}
	if (r->out_cap < sizeof(o))
		return -EINVAL;
	if (atomic_exchange(&r->s->initialized, true))
		return -EIO; /* a second INIT */
	atomic_store(&r->s->minor, in.minor < FS_PROTO_MINOR ? in.minor : FS_PROTO_MINOR);
	o.max_readahead = in.max_readahead;
	o.flags = in.flags & FS_INIT_FLAGS;
	o.max_background = 64;
	o.congestion_threshold = 48;
	o.max_write = FUSE_SERVER_MAX_WRITE;
	o.time_gran = 1;
	o.max_pages = FUSE_SERVER_MAX_WRITE / FS_GUEST_PAGE;
	if (r->s->dax_window && (in.flags & FUSE_MAP_ALIGNMENT)) {
		o.flags |= FUSE_MAP_ALIGNMENT;
		o.map_alignment = FS_DAX_ALIGN_SHIFT;
	}
	/* A new session: nothing the last one mapped stays (a reset guest). */
	if (fs_dax_reset(r->s) < 0) {
		atomic_store(&r->s->initialized, false);
		return -EIO;
	}
	log_debug("fs: INIT 7.%u, flags %#x offered %#x", in.minor, in.flags, o.flags);
	return fs_reply(r, &o, sizeof(o));
}

void fuse_server_end_session(struct fuse_server *s)
{
	fs_dax_reset(s); /* logged */
	fs_files_reset(&s->files);
	fs_inodes_reset(&s->inodes);
	atomic_store(&s->initialized, false);
}

/* The guest unmounted: forget its inodes and handles; a new INIT may follow. */
int fs_op_destroy(struct fs_req *r)
{
	fuse_server_end_session(r->s);
	return 0;
}

int fs_op_statfs(struct fs_req *r)
{
	struct fuse_statfs_out o = { 0 };
	struct fs_inode *i;
	struct statvfs v;
	int res = fs_inode_get(&r->s->inodes, r->h.nodeid, &i);

	if (res < 0)
		return res;
	if (fstatvfs(i->fd, &v) < 0)
		res = -errno;
	fs_inode_put(&r->s->inodes, i);
	if (res < 0)
		return res;
	o.st = (struct fuse_kstatfs){ .blocks = v.f_blocks, .bfree = v.f_bfree,
				      .bavail = v.f_bavail, .files = v.f_files,
				      .ffree = v.f_ffree, .bsize = (uint32_t)v.f_bsize,
				      .namelen = (uint32_t)v.f_namemax,
				      .frsize = (uint32_t)v.f_frsize };
	return fs_reply(r, &o, sizeof(o));
}
