/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Internals of the FUSE server (src/fs/ only): the server state, the inode and
 * file-handle tables, the request being served and the helpers the ops share.
 *
 * Locking: the inode table and the handle table each have one mutex, held only
 * while a table is read or changed. An op takes a reference (refs) on each inode
 * or handle it uses and does its file I/O without any lock; an object whose last
 * guest reference is gone (FORGET, RELEASE) is freed, and its fd closed, when the
 * last in-flight request drops it.
 */
#ifndef LIBKRUN_FS_FS_H
#define LIBKRUN_FS_FS_H

#include <linux/fuse.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/uio.h>

#include "fs/fuse_server.h"
#include "fs/idmap.h"
#include "fs/overlay.h"

/* We speak 7.36 (Linux 5.17..6.1); kernels older than 7.28 (no max_pages) are refused. */
#define FS_PROTO_MINOR 36
#define FS_MIN_MINOR 28
#define FS_MAX_NAME 255           /* NAME_MAX */
#define FS_MAX_XATTR_NAME 255     /* XATTR_NAME_MAX */
#define FS_MAX_XATTR_SIZE 65536   /* XATTR_SIZE_MAX */
#define FS_MAX_SYMLINK 4095       /* PATH_MAX - 1 */
/* The largest argument block we copy: SETXATTR (header, name, value). */
#define FS_MAX_ARGS (sizeof(struct fuse_setxattr_in) + FS_MAX_XATTR_NAME + 1 + FS_MAX_XATTR_SIZE)
/* How long the guest may trust an entry (a name, or a name's absence) and an
 * inode's attributes before it asks again: upstream libkrun's default (5 s),
 * long enough that a walk over a large tree is not asked twice, short enough
 * that the guest soon sees the host's changes to the share. */
#define FS_TIMEOUT_S 5

struct fs_inode {
	int fd;           /* O_PATH | O_NOFOLLOW: never followed, never read;
			   * -1: a stub for a pseudo file system's mount point */
	dev_t dev;
	ino_t ino;
	mode_t type;      /* S_IFMT bits as the guest sees them (a device type kept in
			   * the mapping of a plain host file); never changes */
	uint64_t nodeid;
	uint64_t nlookup; /* the guest's references: LOOKUP & co. add, FORGET removes */
	uint32_t refs;    /* requests using fd right now */
	/* The file's data version (mtime, ctime, size) at the guest's last OPEN:
	 * while it stays the same, the guest may keep its cached pages. */
	struct fs_data_ver {
		struct timespec mtime, ctime;
		off_t size;
	} opened;
	bool opened_known;
	struct fs_inode *hnext;
};

struct fs_inodes {
	pthread_mutex_t lock;
	struct idmap ids;
	struct fs_inode **buckets; /* hash of (dev, ino) */
	size_t nbuckets;
};

struct fs_file {
	int fd;           /* opened O_RDONLY/O_WRONLY/O_RDWR, or a directory */
	bool dir;
	bool released;    /* RELEASE seen: freed when refs drops to 0 */
	uint32_t refs;
	uint64_t fh;
	pthread_mutex_t dir_lock; /* READDIR: one lseek+getdents64 at a time */
	/* Directories with virtual entries (overlay.h): the share's root lists
	 * them after its host entries; a virtual directory (fd -1) only them. */
	bool root;
	int overlay_dir; /* a virtual directory's index, or -1 */
};

struct fs_files {
	pthread_mutex_t lock;
	struct idmap ids;
};

struct fuse_server {
	struct fs_inodes inodes;
	struct fs_files files;
	int proc_fd;               /* /proc/self/fd, O_PATH */
	bool read_only;
	bool as_root;              /* euid 0 at create */
	bool passthrough;          /* passthrough_privileges: no mapping, fsuid/fsgid
				    * switched per request when as_root */
	atomic_bool warned_no_xattr; /* logged once: a share that cannot keep the mapping */
	atomic_bool initialized;   /* INIT done, DESTROY not yet */
	atomic_uint minor;         /* negotiated protocol minor */
	atomic_ulong fd_exhausted; /* EMFILE/ENFILE count, to rate-limit the log */
	struct fs_overlay *overlay; /* virtual entries, or NULL */
	uint8_t *dax_window;        /* fuse_server_config's, or NULL */
	uint64_t dax_window_len;
};

/* overlay.c, for the ops. A virtual directory's index for its stub inode, or
 * -1 for any other inode. */
int fs_overlay_dir_of(const struct fs_inode *i);
/* name in virtual directory parent (-1: the root): 1 with a guest reference
 * added and e filled, 0 if there is no such entry, -errno. */
int fs_overlay_lookup(struct fuse_server *s, int parent, const char *name,
		      struct fuse_entry_out *e);
/* Whether nodeid is one of the virtual entries. */
bool fs_overlay_owns(struct fuse_server *s, uint64_t nodeid);
/* Whether a virtual entry hides a host entry name in parent (-1: the root). */
bool fs_overlay_shadows(const struct fs_overlay *o, int parent, const char *name);
/* READDIR offsets of virtual entries: past any a host file system gives
 * (ops_dir.c refuses offsets beyond INT64_MAX from them). */
#define FS_OVERLAY_OFF (1ULL << 63)
struct fs_overlay_dirent {
	const char *name;
	unsigned char type;
	uint64_t ino, off;
	struct fuse_entry_out entry; /* with plus: a lookup's reply, nodeid 0 if none */
};
/* The next virtual entry of parent from *cursor (a node index): 1 and *cursor
 * advanced, or 0 at the end. With plus, a guest reference is added. */
int fs_overlay_next(struct fuse_server *s, int parent, unsigned int *cursor, bool plus,
		    struct fs_overlay_dirent *d);

/* One request. arg is our own copy of everything after fuse_in_header, except
 * WRITE's data, which stays in guest memory at in[data_off .. +data_len). */
struct fs_req {
	struct fuse_server *s;
	struct fuse_in_header h;
	const uint8_t *arg;
	size_t arg_len;
	const struct iovec *in;
	int nin;
	size_t data_off, data_len;
	const struct iovec *out;
	int nout;
	size_t out_cap; /* payload room after the fuse_out_header */
};

/* inode.c. fs_inode_get/put bracket every use of an inode's fd. */
int fs_inodes_init(struct fs_inodes *t, int root_fd, const struct stat *st);
void fs_inodes_fini(struct fs_inodes *t);
/* -ESTALE for an id not live; -EACCES for a stub, which has no fd to use. */
int fs_inode_get(struct fs_inodes *t, uint64_t nodeid, struct fs_inode **out);
/* The same, stubs included: for GETATTR only. */
int fs_inode_get_any(struct fs_inodes *t, uint64_t nodeid, struct fs_inode **out);
void fs_inode_put(struct fs_inodes *t, struct fs_inode *i);
/* Adds one guest reference to the inode of fd (O_PATH; -1 for a stub), keyed by
 * st's dev and ino, of type st's S_IFMT, inserting it if new. Always takes fd
 * (closed if the inode was known or on error). */
int fs_inode_add(struct fs_inodes *t, int fd, const struct stat *st, uint64_t *nodeid);
/* Records st as i's data version at an OPEN; true if the guest opened the
 * same version before (it may keep the pages it cached: FOPEN_KEEP_CACHE). */
bool fs_inode_reopened_unchanged(struct fs_inodes *t, struct fs_inode *i, const struct stat *st);
void fs_inode_forget(struct fs_inodes *t, uint64_t nodeid, uint64_t n);
/* DESTROY: drops every guest reference but the root's. */
void fs_inodes_reset(struct fs_inodes *t);

/* file.c. Handles for OPEN/CREATE (dir false) and OPENDIR (dir true). */
int fs_files_init(struct fs_files *t);
void fs_files_fini(struct fs_files *t);
enum fs_kind { FS_FILE, FS_DIR, FS_ANY };
int fs_file_add(struct fs_files *t, int fd, bool dir, uint64_t *fh); /* takes fd */
/* For OPENDIR: a directory handle (fd may be -1 for a virtual directory) that
 * lists virtual entries too (struct fs_file root, overlay_dir). */
int fs_file_add_dir(struct fs_files *t, int fd, bool root, int overlay_dir, uint64_t *fh);
/* A live handle of that kind (FS_ANY: either), or -EBADF. */
int fs_file_get(struct fs_files *t, uint64_t fh, enum fs_kind kind, struct fs_file **out);
void fs_file_put(struct fs_files *t, struct fs_file *f);
int fs_file_release(struct fs_files *t, uint64_t fh, bool dir);
void fs_files_reset(struct fs_files *t);

/* req.c: guest segments, arguments, replies. */
size_t fs_iov_total(const struct iovec *iov, int n, size_t cap, bool *over);
size_t fs_iov_read(const struct iovec *iov, int n, size_t off, void *dst, size_t len);
size_t fs_iov_write(const struct iovec *iov, int n, size_t off, const void *src, size_t len);
/* The part [off, off+len) of iov as at most max segments; their count or -EINVAL. */
int fs_iov_slice(const struct iovec *iov, int n, size_t off, size_t len, struct iovec *dst,
		 int max);
/* Copies n payload bytes into the reply; n, or -EIO if they do not fit. */
int fs_reply(struct fs_req *r, const void *p, size_t n);
/* The op's fixed argument struct. */
static inline const void *fs_arg(const struct fs_req *r) { return r->arg; }
/* Next NUL-terminated string at *pos of at most max bytes (NUL excluded), or NULL
 * with *err set (-EINVAL: no NUL in the block, -ENAMETOOLONG). */
const char *fs_arg_str(const struct fs_req *r, size_t *pos, size_t max, int *err);
/* fs_arg_str for a single path component: refuses "", ".", ".." (-EPERM) and '/'. */
const char *fs_arg_name(const struct fs_req *r, size_t *pos, int *err);
/* -EINVAL unless the strings ended exactly at the end of the block. */
int fs_arg_done(const struct fs_req *r, size_t pos);
void fs_fill_attr(struct fuse_attr *a, const struct stat *st);
void fs_fill_entry(struct fuse_entry_out *e, uint64_t nodeid, const struct stat *st);
/* "/proc/self/fd/N" (fs_proc_path) or "N" relative to proc_fd (fs_proc_name) for
 * an fd we opened ourselves: only for calls with no *at form that takes an
 * O_PATH fd. The magic link leads to that inode itself; a symlink there is not
 * followed any further. */
void fs_proc_path(int fd, char buf[32]);
void fs_proc_name(int fd, char buf[16]);
/* The errno of a failed syscall, logged (rate-limited) when fds ran out. */
int fs_errno(struct fuse_server *s, const char *what);

/* ops_entry.c */
/* openat2 of one component beneath dirfd, never through a symlink; -1/errno. */
int fs_openat_beneath(int dirfd, const char *name, int flags, mode_t mode);
/* Takes fd (O_PATH), found in a directory on device parent_dev: adds a guest
 * reference to its inode (a stub if it is a pseudo file system's directory;
 * -EACCES for anything else on one) and fills e with the guest's view. */
int fs_entry_from_fd(struct fuse_server *s, int fd, dev_t parent_dev,
		     struct fuse_entry_out *e);
/* Looks name up under parent_fd (on parent_dev) and adds a guest reference. */
int fs_lookup_name(struct fuse_server *s, int parent_fd, dev_t parent_dev, const char *name,
		   struct fuse_entry_out *e);
int fs_stat_fd(int fd, struct stat *st);

/* realfs.c: kernel-interface file systems are never served. */
/* 1 if fd (any fd, O_PATH included) lies on one, 0 if not, -errno. */
int fs_pseudo_fs(int fd);
/* A stub's attributes: an empty directory, root's, mode 0555. */
void fs_stub_stat(dev_t dev, ino_t ino, struct stat *st);

/* statmap.c: what the guest made is shown to it, not given to the host. */
#define FS_STAT_XATTR "user.containers.override_stat"
/* An inode as the guest asks to see it. */
struct fs_want {
	uid_t uid;
	gid_t gid;
	mode_t mode; /* S_IFMT | 07777 */
	dev_t rdev;  /* S_IFCHR, S_IFBLK */
};
/* Applies the mapping of fd's inode (any fd) to st, its host stat: true if
 * there was one. Only regular files and directories can hold one. */
bool fs_map_load(int fd, struct stat *st);
/* The guest's view of i: a stub's attributes, else the host's with the mapping
 * applied (none with passthrough). 0 or -errno. */
int fs_inode_view(const struct fuse_server *s, const struct fs_inode *i, struct stat *st);
/* Host permission bits for guest mode on a host inode of host_type. */
mode_t fs_map_host_perm(const struct fuse_server *s, mode_t host_type, mode_t mode);
/* Makes fd's inode (host stat host, mapped: it had a mapping) look like w to the
 * guest without giving the host any privilege; fresh: just created by us.
 * 0, -EPERM where the host would have to hold the privilege itself (no user
 * xattrs on the file system, or an inode type that cannot carry them), -errno. */
int fs_map_store(struct fuse_server *s, int fd, const struct stat *host, bool mapped,
		 const struct fs_want *w, bool fresh);
/* Before the guest writes a host file: its set-user/group-ID bits move into
 * the mapping, so that no host set-ID file ever holds guest-written bytes. */
int fs_map_demote(struct fuse_server *s, int fd);
/* A new entry of mode (and rdev) that r creates in dir: the caller's uid/gid,
 * the group and S_ISGID of a set-group-ID parent. */
int fs_map_want_new(const struct fs_req *r, const struct fs_inode *dir, mode_t mode,
		    dev_t rdev, struct fs_want *w);
/* d_type of name in dirfd as the guest sees it (a placeholder's device type). */
unsigned char fs_map_dtype(const struct fuse_server *s, int dirfd, const char *name,
			   unsigned char d_type);

/* xattr_map.c: the guest's attributes with passthrough off, on path (the
 * /proc/self/fd/N of an inode). As getxattr(2) & co., but -errno on error. */
ssize_t fs_xattr_map_get(const char *path, const char *name, void *buf, size_t cap);
ssize_t fs_xattr_map_list(const char *path, void *buf, size_t cap);
int fs_xattr_map_set(const char *path, const char *name, const void *val, size_t size,
		     int flags);
int fs_xattr_map_remove(const char *path, const char *name);

/* creds.c: with passthrough as root, the guest caller's uid/gid for creations,
 * SETATTR, SETXATTR and REMOVEXATTR. */
struct fs_creds {
	bool switched;
};
int fs_creds_enter(const struct fs_req *r, struct fs_creds *c);
void fs_creds_leave(struct fs_creds *c);

/* Ops: each returns the payload length written with fs_reply (or by hand), or
 * -errno for an error reply. The dispatcher has checked the fixed sizes. */
int fs_op_init(struct fs_req *r);
int fs_op_destroy(struct fs_req *r);
int fs_op_statfs(struct fs_req *r);
int fs_op_lookup(struct fs_req *r);
int fs_op_forget(struct fs_req *r);
int fs_op_batch_forget(struct fs_req *r);
int fs_op_getattr(struct fs_req *r);
int fs_op_setattr(struct fs_req *r);
int fs_op_readlink(struct fs_req *r);
int fs_op_access(struct fs_req *r);
int fs_op_mknod(struct fs_req *r);
int fs_op_mkdir(struct fs_req *r);
int fs_op_symlink(struct fs_req *r);
int fs_op_link(struct fs_req *r);
int fs_op_unlink(struct fs_req *r);
int fs_op_rmdir(struct fs_req *r);
int fs_op_rename(struct fs_req *r);
int fs_op_rename2(struct fs_req *r);
int fs_op_open(struct fs_req *r);
int fs_op_create(struct fs_req *r);
int fs_op_read(struct fs_req *r);
int fs_op_write(struct fs_req *r);
int fs_op_flush(struct fs_req *r);
int fs_op_release(struct fs_req *r);
int fs_op_fsync(struct fs_req *r);
int fs_op_fallocate(struct fs_req *r);
int fs_op_lseek(struct fs_req *r);
int fs_op_copy_file_range(struct fs_req *r);
int fs_op_opendir(struct fs_req *r);
int fs_op_readdir(struct fs_req *r);
int fs_op_readdirplus(struct fs_req *r);
int fs_op_releasedir(struct fs_req *r);
int fs_op_fsyncdir(struct fs_req *r);
int fs_op_setxattr(struct fs_req *r);
int fs_op_getxattr(struct fs_req *r);
int fs_op_listxattr(struct fs_req *r);
int fs_op_removexattr(struct fs_req *r);
/* ops_open.c: opens inode i for I/O with flags, as OPEN does: regular files
 * only (-EISDIR, -ELOOP, -EACCES otherwise), a set-ID file demoted first when
 * flags write. 0 with *fd, or -errno with *fd -1. */
int fs_inode_open(struct fuse_server *s, const struct fs_inode *i, int flags, int *fd);
int fs_op_setupmapping(struct fs_req *r);
int fs_op_removemapping(struct fs_req *r);
/* ops_dax.c: anonymous memory over the whole DAX window (a new session, or
 * the guest unmounted): no file stays mapped. 0 or -errno. */
int fs_dax_reset(struct fuse_server *s);
/* Mappings in whole 2 MiB ranges (Linux's FUSE_DAX_SZ, all it ever asks for):
 * at most window / 2 MiB of them, so a guest cannot split the window into
 * more memory areas than the process may have (vm.max_map_count). */
#define FS_DAX_ALIGN_SHIFT 21

#endif
