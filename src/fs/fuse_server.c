/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The server's life cycle and the dispatcher: it copies and checks the request
 * header and the op's arguments (Documentation/filesystems/fuse.rst, "The
 * protocol"), checks the op's fixed sizes against what the segments hold, runs
 * the op and writes fuse_out_header.
 */
#include "fs/fs.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util/log.h"

#define FS_OP_NOREPLY 1u  /* FORGET, BATCH_FORGET, INTERRUPT: the kernel awaits nothing */
#define FS_OP_MODIFIES 2u /* -EROFS on a read-only share */
#define FS_OP_PREINIT 4u  /* allowed before INIT */

#define FS_HDR_IN sizeof(struct fuse_in_header)
#define FS_HDR_OUT sizeof(struct fuse_out_header)
/* No request is longer than a maximal WRITE or SETXATTR. */
#define FS_MAX_REQ (FS_HDR_IN + sizeof(struct fuse_write_in) + FUSE_SERVER_MAX_WRITE)
/* Arguments up to this size are copied to the stack, larger ones to the heap. */
#define FS_SMALL_ARGS 512

struct fs_op_desc {
	int (*fn)(struct fs_req *r);
	uint16_t in_size;  /* the op's fixed argument struct */
	uint16_t out_size; /* its fixed reply, checked before the op has any effect */
	uint16_t flags;
};

/* INTERRUPT (fuse.rst "Interrupting filesystem operations"): a server may
 * ignore it; every op here finishes without waiting for the guest. */
static int fs_op_interrupt(struct fs_req *r)
{
	(void)r;
	return 0;
}

#define ENTRY sizeof(struct fuse_entry_out)
#define ATTR sizeof(struct fuse_attr_out)
#define OPEN sizeof(struct fuse_open_out)
#define M FS_OP_MODIFIES

static const struct fs_op_desc fs_ops[] = {
	/* The 7.35 fuse_init_in is 16 bytes; INIT checks its own reply size. */
	[FUSE_INIT] = { fs_op_init, 16, FUSE_COMPAT_INIT_OUT_SIZE, FS_OP_PREINIT },
	[FUSE_DESTROY] = { fs_op_destroy, 0, 0, 0 },
	[FUSE_INTERRUPT] = { fs_op_interrupt, sizeof(struct fuse_interrupt_in), 0, FS_OP_NOREPLY },
	[FUSE_STATFS] = { fs_op_statfs, 0, sizeof(struct fuse_statfs_out), 0 },
	[FUSE_LOOKUP] = { fs_op_lookup, 0, ENTRY, 0 },
	[FUSE_FORGET] = { fs_op_forget, sizeof(struct fuse_forget_in), 0, FS_OP_NOREPLY },
	[FUSE_BATCH_FORGET] = { fs_op_batch_forget, sizeof(struct fuse_batch_forget_in), 0,
				FS_OP_NOREPLY },
	[FUSE_GETATTR] = { fs_op_getattr, sizeof(struct fuse_getattr_in), ATTR, 0 },
	[FUSE_SETATTR] = { fs_op_setattr, sizeof(struct fuse_setattr_in), ATTR, M },
	[FUSE_READLINK] = { fs_op_readlink, 0, 0, 0 },
	[FUSE_ACCESS] = { fs_op_access, sizeof(struct fuse_access_in), 0, 0 },
	[FUSE_MKNOD] = { fs_op_mknod, sizeof(struct fuse_mknod_in), ENTRY, M },
	[FUSE_MKDIR] = { fs_op_mkdir, sizeof(struct fuse_mkdir_in), ENTRY, M },
	[FUSE_SYMLINK] = { fs_op_symlink, 0, ENTRY, M },
	[FUSE_LINK] = { fs_op_link, sizeof(struct fuse_link_in), ENTRY, M },
	[FUSE_UNLINK] = { fs_op_unlink, 0, 0, M },
	[FUSE_RMDIR] = { fs_op_rmdir, 0, 0, M },
	[FUSE_RENAME] = { fs_op_rename, sizeof(struct fuse_rename_in), 0, M },
	[FUSE_RENAME2] = { fs_op_rename2, sizeof(struct fuse_rename2_in), 0, M },
	[FUSE_OPEN] = { fs_op_open, sizeof(struct fuse_open_in), OPEN, 0 },
	[FUSE_CREATE] = { fs_op_create, sizeof(struct fuse_create_in), ENTRY + OPEN, M },
	[FUSE_READ] = { fs_op_read, sizeof(struct fuse_read_in), 0, 0 },
	[FUSE_WRITE] = { fs_op_write, sizeof(struct fuse_write_in),
			 sizeof(struct fuse_write_out), M },
	[FUSE_FLUSH] = { fs_op_flush, sizeof(struct fuse_flush_in), 0, 0 },
	[FUSE_RELEASE] = { fs_op_release, sizeof(struct fuse_release_in), 0, 0 },
	[FUSE_FSYNC] = { fs_op_fsync, sizeof(struct fuse_fsync_in), 0, 0 },
	[FUSE_FALLOCATE] = { fs_op_fallocate, sizeof(struct fuse_fallocate_in), 0, M },
	[FUSE_LSEEK] = { fs_op_lseek, sizeof(struct fuse_lseek_in),
			 sizeof(struct fuse_lseek_out), 0 },
	[FUSE_COPY_FILE_RANGE] = { fs_op_copy_file_range, sizeof(struct fuse_copy_file_range_in),
				   sizeof(struct fuse_write_out), M },
	[FUSE_OPENDIR] = { fs_op_opendir, sizeof(struct fuse_open_in), OPEN, 0 },
	[FUSE_READDIR] = { fs_op_readdir, sizeof(struct fuse_read_in), 0, 0 },
	[FUSE_READDIRPLUS] = { fs_op_readdirplus, sizeof(struct fuse_read_in), 0, 0 },
	[FUSE_RELEASEDIR] = { fs_op_releasedir, sizeof(struct fuse_release_in), 0, 0 },
	[FUSE_FSYNCDIR] = { fs_op_fsyncdir, sizeof(struct fuse_fsync_in), 0, 0 },
	/* FUSE_SETXATTR_EXT is not negotiated: the short fuse_setxattr_in. */
	[FUSE_SETXATTR] = { fs_op_setxattr, FUSE_COMPAT_SETXATTR_IN_SIZE, 0, M },
	[FUSE_GETXATTR] = { fs_op_getxattr, sizeof(struct fuse_getxattr_in), 0, 0 },
	[FUSE_LISTXATTR] = { fs_op_listxattr, sizeof(struct fuse_getxattr_in), 0, 0 },
	[FUSE_REMOVEXATTR] = { fs_op_removexattr, 0, 0, M },
	/* Not M: a read-only share maps for reading; ops_dax.c refuses writable
	 * mappings there itself. */
	[FUSE_SETUPMAPPING] = { fs_op_setupmapping, sizeof(struct fuse_setupmapping_in), 0, 0 },
	[FUSE_REMOVEMAPPING] = { fs_op_removemapping, sizeof(struct fuse_removemapping_in), 0, 0 },
};

#undef ENTRY
#undef ATTR
#undef OPEN
#undef M

/* Copies the arguments (all but WRITE's data) into buf (small bytes) or a heap
 * block (*heap, for the caller to free), then checks the op's fixed size. */
static int fs_copy_args(struct fs_req *r, const struct fs_op_desc *d, uint8_t *small,
			uint8_t **heap)
{
	size_t n = r->h.len - FS_HDR_IN;

	if (n < d->in_size)
		return -EINVAL;
	if (r->h.opcode == FUSE_WRITE) {
		r->data_off = FS_HDR_IN + sizeof(struct fuse_write_in);
		r->data_len = n - sizeof(struct fuse_write_in);
		n = sizeof(struct fuse_write_in);
	} else if (n > FS_MAX_ARGS) {
		return -E2BIG;
	}
	if (n > FS_SMALL_ARGS) {
		*heap = malloc(n);
		if (!*heap)
			return -ENOMEM;
		small = *heap;
	}
	fs_iov_read(r->in, r->nin, FS_HDR_IN, small, n);
	r->arg = small;
	r->arg_len = n;
	return 0;
}

/* Runs the op; returns its payload length or -errno. */
static int fs_dispatch(struct fs_req *r, const struct fs_op_desc *d, size_t in_len)
{
	uint8_t small[FS_SMALL_ARGS] __attribute__((aligned(8)));
	uint8_t *heap = NULL;
	int res;

	if (r->h.len != in_len)
		return -EINVAL;
	if (!d || !d->fn)
		return atomic_load(&r->s->initialized) ? -ENOSYS : -EIO;
	/* fuse.rst: nothing but INIT before INIT. */
	if (!(d->flags & FS_OP_PREINIT) && !atomic_load(&r->s->initialized))
		return -EIO;
	if (r->out_cap < d->out_size)
		return -EINVAL;
	if ((d->flags & FS_OP_MODIFIES) && r->s->read_only)
		return -EROFS;
	/* The VMM's virtual entries are read-only: no op that changes an inode
	 * (or makes one in it) runs on them (overlay.h). */
	if ((d->flags & FS_OP_MODIFIES) && r->s->overlay && fs_overlay_owns(r->s, r->h.nodeid))
		return -EROFS;
	res = fs_copy_args(r, d, small, &heap);
	if (res == 0)
		res = d->fn(r);
	free(heap);
	return res;
}

size_t fuse_server_handle(struct fuse_server *s, const struct iovec *in, int nin,
			  const struct iovec *out, int nout)
{
	struct fs_req r = { .s = s, .in = in, .nin = nin, .out = out, .nout = nout };
	const struct fs_op_desc *d = NULL;
	struct fuse_out_header oh;
	size_t in_len, out_len;
	bool in_over, out_over;
	int res;

	if (nin < 0 || nout < 0 || nin > FUSE_SERVER_MAX_SEGS || nout > FUSE_SERVER_MAX_SEGS)
		return 0;
	in_len = fs_iov_total(in, nin, FS_MAX_REQ + 1, &in_over);
	out_len = fs_iov_total(out, nout, FS_HDR_OUT + FUSE_SERVER_MAX_WRITE, &out_over);
	/* len, opcode and unique lead the header: without them there is no one
	 * to answer. A short header reads as zeroes past the segments. */
	if (in_len < offsetof(struct fuse_in_header, nodeid))
		return 0;
	fs_iov_read(in, nin, 0, &r.h, sizeof(r.h) < in_len ? sizeof(r.h) : in_len);
	if (r.h.opcode < sizeof(fs_ops) / sizeof(fs_ops[0]))
		d = &fs_ops[r.h.opcode];
	if (in_len < FS_HDR_IN || in_over)
		in_len = 0; /* never equals r.h.len, so: -EINVAL */

	if (d && (d->flags & FS_OP_NOREPLY)) {
		if (fs_dispatch(&r, d, in_len) < 0)
			log_debug("fs: op %u unique %llu dropped", r.h.opcode,
				  (unsigned long long)r.h.unique);
		return 0;
	}
	if (out_len < FS_HDR_OUT)
		return 0;
	r.out_cap = out_len - FS_HDR_OUT;
	res = fs_dispatch(&r, d, in_len);
	oh = (struct fuse_out_header){
		.len = (uint32_t)(FS_HDR_OUT + (res > 0 ? (size_t)res : 0)),
		.error = res < 0 ? res : 0,
		.unique = r.h.unique,
	};
	fs_iov_write(out, nout, 0, &oh, sizeof(oh));
	return oh.len;
}

/* openat2 (Linux 5.6) is what keeps names inside the share: no fallback. */
static int fs_probe_openat2(int root_fd)
{
	struct open_how how = { .flags = O_PATH | O_CLOEXEC, .resolve = RESOLVE_BENEATH };
	long fd = syscall(SYS_openat2, root_fd, ".", &how, sizeof(how));

	if (fd < 0)
		return -errno;
	close((int)fd);
	return 0;
}

/* The kernel's ceiling for RLIMIT_NOFILE (/proc/sys/fs/nr_open), or 0. */
static rlim_t fs_nr_open(void)
{
	char buf[32] = { 0 };
	int fd = open("/proc/sys/fs/nr_open", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);

	if (fd >= 0)
		close(fd);
	return n > 0 ? (rlim_t)strtoull(buf, NULL, 10) : 0;
}

/*
 * One O_PATH fd per inode the guest knows (a READDIRPLUS of a 10 000-entry
 * directory makes 10 000), so the soft limit goes up to the hard one, and the
 * hard one up to the kernel's ceiling where the process may (CAP_SYS_RESOURCE),
 * as virtiofsd does. What is left when fds run out: EMFILE to the guest.
 */
static void fs_raise_nofile(void)
{
	rlim_t ceiling = fs_nr_open();
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return;
	if (ceiling > rl.rlim_max) {
		struct rlimit up = { ceiling, ceiling };
		if (setrlimit(RLIMIT_NOFILE, &up) == 0)
			return;
	}
	if (rl.rlim_cur >= rl.rlim_max)
		return;
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
		log_warn("fs: cannot raise RLIMIT_NOFILE to %llu: %s",
			 (unsigned long long)rl.rlim_max, strerror(errno));
}

int fuse_server_create(const struct fuse_server_config *cfg, struct fuse_server **out)
{
	struct fuse_server *s = calloc(1, sizeof(*s));
	int root_fd = -1, r;
	struct stat st;

	if (!s)
		return -ENOMEM;
	s->proc_fd = -1;
	root_fd = open(cfg->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root_fd < 0 || fstat(root_fd, &st) < 0) {
		r = -errno;
		log_error("fs: shared directory %s: %s", cfg->root, strerror(-r));
		goto out_free;
	}
	r = fs_probe_openat2(root_fd);
	if (r < 0) {
		log_error("fs: openat2 unavailable (%s); virtio-fs needs Linux 5.6+", strerror(-r));
		goto out_free;
	}
	r = fs_pseudo_fs(root_fd);
	if (r != 0) {
		r = r > 0 ? -EACCES : r;
		log_error("fs: %s: %s", cfg->root,
			  r == -EACCES ? "a kernel interface (proc, sysfs...), not a file system "
					 "to share"
				       : strerror(-r));
		goto out_free;
	}
	s->proc_fd = open("/proc/self/fd", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (s->proc_fd < 0) {
		r = -errno;
		log_error("fs: /proc/self/fd: %s (virtio-fs needs /proc)", strerror(-r));
		goto out_free;
	}
	r = fs_inodes_init(&s->inodes, root_fd, &st);
	if (r < 0)
		goto out_free;
	root_fd = -1; /* the root inode's now */
	r = fs_files_init(&s->files);
	if (r < 0)
		goto out_inodes;
	if (cfg->noverlays) {
		r = fs_overlay_create(cfg->overlays, cfg->noverlays, &s->overlay);
		if (r < 0)
			goto out_files;
	}
	s->read_only = cfg->read_only;
	s->dax_window = cfg->dax_window;
	s->dax_window_len = cfg->dax_window ? cfg->dax_window_len : 0;
	s->as_root = geteuid() == 0;
	s->passthrough = cfg->passthrough_privileges;
	fs_raise_nofile();
	if (s->passthrough)
		log_warn("fs: %s: the guest's owners, device nodes, set-ID bits and trusted/"
			 "security attributes pass through to the host%s", cfg->root,
			 s->as_root ? " (the guest's root is this host's root there)" : "");
	log_debug("fs: sharing %s%s, %u threads", cfg->root, s->read_only ? " read-only" : "",
		  cfg->nthreads_hint);
	*out = s;
	return 0;

out_files:
	fs_files_fini(&s->files);
out_inodes:
	fs_inodes_fini(&s->inodes);
out_free:
	if (s->proc_fd >= 0)
		close(s->proc_fd);
	if (root_fd >= 0)
		close(root_fd);
	free(s);
	return r;
}

void fuse_server_destroy(struct fuse_server *s)
{
	if (!s)
		return;
	fs_files_fini(&s->files);
	fs_inodes_fini(&s->inodes);
	fs_overlay_destroy(s->overlay);
	close(s->proc_fd);
	free(s);
}

int fuse_server_thread_init(struct fuse_server *s)
{
	(void)s;
	/* A thread of its own fs context (cwd, root, umask) only; fds and memory
	 * stay shared. */
	if (unshare(CLONE_FS) < 0)
		return -errno;
	umask(0);
	return 0;
}
