/* SPDX-License-Identifier: Apache-2.0 */
/* The FUSE server's ops, each with a happy path and an error path, on a temp tree. */
#include "fuse_req.h"

#include <sys/xattr.h>

TEST(fs_init_negotiates_7_36_and_offers_only_implemented_flags)
{
	struct fuse_server_config cfg = { 0 };
	struct fuse_init_in in = { .major = 7, .minor = 38, .flags = 0xffffffffu };
	struct fuse_init_out o;
	struct fx x;
	struct fr *r;

	fx_setup(&x);
	/* fx_setup did INIT; a second one is refused. */
	CHECK_EQ(fx_init(&x), -EIO);
	fuse_server_destroy(x.s);
	cfg.root = x.root;
	CHECK_EQ(fuse_server_create(&cfg, &x.s), 0);

	/* Before INIT, nothing else is served. */
	r = fr_begin(&x, FUSE_GETATTR, FUSE_ROOT_ID);
	fr_put(r, &(struct fuse_getattr_in){ 0 }, sizeof(struct fuse_getattr_in));
	CHECK_EQ(fx_send(&x, r), -EIO);

	in.major = 6;
	r = fr_begin(&x, FUSE_INIT, 0);
	fr_put(r, &in, sizeof(in));
	CHECK_EQ(fx_send(&x, r), -EPROTO);
	in.major = 7;
	in.minor = 20;
	r = fr_begin(&x, FUSE_INIT, 0);
	fr_put(r, &in, sizeof(in));
	CHECK_EQ(fx_send(&x, r), -EPROTO);
	/* A newer major gets our major alone, so the kernel can retry. */
	in.major = 8;
	r = fr_begin(&x, FUSE_INIT, 0);
	fr_put(r, &in, sizeof(in));
	CHECK_EQ(fx_send(&x, r), 0);
	CHECK_EQ(x.plen, FUSE_COMPAT_INIT_OUT_SIZE);
	memcpy(&o, x.payload, FUSE_COMPAT_INIT_OUT_SIZE);
	CHECK_EQ(o.major, 7);

	in.major = 7;
	in.minor = 38;
	r = fr_begin(&x, FUSE_INIT, 0);
	fr_put(r, &in, sizeof(in));
	CHECK_EQ(fx_send(&x, r), 0);
	CHECK_EQ(x.plen, sizeof(o));
	memcpy(&o, x.payload, sizeof(o));
	CHECK_EQ(o.major, 7);
	CHECK_EQ(o.minor, 36);
	CHECK(o.max_write >= (1u << 20));
	CHECK_EQ((uint32_t)o.max_pages * 4096, o.max_write);
	CHECK(o.flags & FUSE_MAX_PAGES);
	CHECK(o.flags & FUSE_DO_READDIRPLUS);
	CHECK(o.flags & FUSE_PARALLEL_DIROPS);
	CHECK(o.flags & FUSE_ATOMIC_O_TRUNC);
	CHECK_EQ(o.flags & (FUSE_POSIX_LOCKS | FUSE_FLOCK_LOCKS | FUSE_WRITEBACK_CACHE |
			    FUSE_EXPORT_SUPPORT | FUSE_DONT_MASK | FUSE_POSIX_ACL |
			    FUSE_SETXATTR_EXT | FUSE_HANDLE_KILLPRIV_V2 | FUSE_MAP_ALIGNMENT),
		 0);
	CHECK_EQ(o.flags2, 0);

	/* Only flags the kernel offered come back. */
	fuse_server_destroy(x.s);
	CHECK_EQ(fuse_server_create(&cfg, &x.s), 0);
	in.flags = FUSE_ASYNC_READ | FUSE_POSIX_LOCKS;
	r = fr_begin(&x, FUSE_INIT, 0);
	fr_put(r, &in, sizeof(in));
	CHECK_EQ(fx_send(&x, r), 0);
	memcpy(&o, x.payload, sizeof(o));
	CHECK_EQ(o.flags, FUSE_ASYNC_READ);
	fx_teardown(&x);
}

TEST(fs_lookup_getattr_match_the_host_and_missing_names_are_enoent)
{
	struct fuse_entry_out e, e2;
	struct fuse_attr a;
	struct stat st;
	char p[256];
	struct fx x;

	fx_setup(&x);
	fx_host_file(&x, "f", "hello");
	CHECK_EQ(fx_lookup(&x, FUSE_ROOT_ID, "f", &e), 0);
	fx_path(&x, "f", p, sizeof(p));
	CHECK_EQ(stat(p, &st), 0);
	CHECK_EQ(e.attr.ino, st.st_ino);
	CHECK_EQ(e.attr.size, 5);
	CHECK(S_ISREG(e.attr.mode));
	CHECK(e.nodeid != FUSE_ROOT_ID && e.nodeid != 0);
	/* The same inode keeps its node id. */
	CHECK_EQ(fx_lookup(&x, FUSE_ROOT_ID, "f", &e2), 0);
	CHECK_EQ(e2.nodeid, e.nodeid);
	CHECK_EQ(fx_getattr(&x, e.nodeid, &a), 0);
	CHECK_EQ(a.size, 5);
	CHECK_EQ(fx_getattr(&x, FUSE_ROOT_ID, &a), 0);
	CHECK(S_ISDIR(a.mode));
	/* A missing name is a negative entry the guest may remember: a reply
	 * with node id 0 and a timeout, not an error (fx_lookup reads it as
	 * -ENOENT, as the guest kernel does). */
	CHECK_EQ(fx_lookup(&x, FUSE_ROOT_ID, "missing", &e), -ENOENT);
	CHECK_EQ(x.err, 0);
	CHECK_EQ(e.nodeid, 0);
	CHECK(e.entry_valid > 0);
	/* A file is no directory to look names up in. */
	CHECK_EQ(fx_lookup(&x, e2.nodeid, "x", &e), -ENOTDIR);
	fx_teardown(&x);
}

TEST(fs_setattr_mode_size_times_with_and_without_fh)
{
	struct fuse_entry_out e;
	struct fuse_attr a;
	struct stat st;
	char p[256];
	uint64_t fh, dirfh;
	struct fx x;

	fx_setup(&x);
	fx_host_file(&x, "f", "0123456789");
	fx_path(&x, "f", p, sizeof(p));
	CHECK_EQ(fx_lookup(&x, FUSE_ROOT_ID, "f", &e), 0);

	CHECK_EQ(fx_setattr(&x, e.nodeid, &(struct fuse_setattr_in){ .valid = FATTR_MODE,
			    .mode = S_IFREG | 04751 }, &a), 0);
	CHECK_EQ(a.mode & 07777, 04751);
	CHECK_EQ(fx_setattr(&x, e.nodeid, &(struct fuse_setattr_in){ .valid = FATTR_SIZE,
			    .size = 3 }, &a), 0);
	CHECK_EQ(a.size, 3);
	CHECK_EQ(stat(p, &st), 0);
	CHECK_EQ(st.st_size, 3);

	/* Explicit times; then atime NOW with mtime left alone (UTIME_OMIT). */
	CHECK_EQ(fx_setattr(&x, e.nodeid, &(struct fuse_setattr_in){
			    .valid = FATTR_ATIME | FATTR_MTIME, .atime = 1000, .atimensec = 5,
			    .mtime = 2000, .mtimensec = 7 }, &a), 0);
	CHECK_EQ(a.atime, 1000);
	CHECK_EQ(a.mtime, 2000);
	CHECK_EQ(a.mtimensec, 7);
	CHECK_EQ(fx_setattr(&x, e.nodeid, &(struct fuse_setattr_in){
			    .valid = FATTR_ATIME | FATTR_ATIME_NOW }, &a), 0);
	CHECK(a.atime > 1000000000);
	CHECK_EQ(a.mtime, 2000);
	CHECK_EQ(fx_setattr(&x, e.nodeid, &(struct fuse_setattr_in){
			    .valid = FATTR_MTIME, .mtime = 1, .mtimensec = 1000000000 }, &a),
		 -EINVAL);

	/* With a file handle (ftruncate, fchmod). */
	CHECK_EQ(fx_open(&x, FUSE_OPEN, e.nodeid, O_RDWR, &fh), 0);
	CHECK_EQ(fx_setattr(&x, e.nodeid, &(struct fuse_setattr_in){
			    .valid = FATTR_FH | FATTR_SIZE | FATTR_MODE, .fh = fh, .size = 8192,
			    .mode = 0600 }, &a), 0);
	CHECK_EQ(a.size, 8192);
	CHECK_EQ(a.mode & 07777, 0600);
	CHECK_EQ(fx_setattr(&x, e.nodeid, &(struct fuse_setattr_in){
			    .valid = FATTR_FH | FATTR_SIZE, .fh = fh + 12345, .size = 1 }, &a),
		 -EBADF);
	CHECK_EQ(fx_release(&x, FUSE_RELEASE, e.nodeid, fh), 0);
	CHECK_EQ(fx_setattr(&x, e.nodeid, &(struct fuse_setattr_in){
			    .valid = FATTR_FH | FATTR_SIZE, .fh = fh, .size = 1 }, &a), -EBADF);

	/* A directory cannot be truncated, by node or by its handle; its times can
	 * be set through its handle (futimens on a dir fd). */
	CHECK_EQ(fx_setattr(&x, FUSE_ROOT_ID, &(struct fuse_setattr_in){ .valid = FATTR_SIZE },
			    &a), -EISDIR);
	CHECK_EQ(fx_open(&x, FUSE_OPENDIR, FUSE_ROOT_ID, O_RDONLY, &dirfh), 0);
	CHECK_EQ(fx_setattr(&x, FUSE_ROOT_ID, &(struct fuse_setattr_in){
			    .valid = FATTR_FH | FATTR_MTIME, .fh = dirfh, .mtime = 3000 }, &a), 0);
	CHECK_EQ(a.mtime, 3000);
	fx_teardown(&x);
}

TEST(fs_setattr_chown_as_root)
{
	struct fuse_entry_out e;
	struct fuse_attr a;
	struct fx x;

	if (geteuid() != 0)
		SKIP("needs root");
	fx_setup(&x);
	fx_host_file(&x, "f", NULL);
	CHECK_EQ(fx_lookup(&x, FUSE_ROOT_ID, "f", &e), 0);
	CHECK_EQ(fx_setattr(&x, e.nodeid, &(struct fuse_setattr_in){
			    .valid = FATTR_UID | FATTR_GID, .uid = 1234, .gid = 5678 }, &a), 0);
	CHECK_EQ(a.uid, 1234);
	CHECK_EQ(a.gid, 5678);
	CHECK_EQ(fx_setattr(&x, e.nodeid, &(struct fuse_setattr_in){ .valid = FATTR_GID,
			    .gid = 42 }, &a), 0);
	CHECK_EQ(a.uid, 1234);
	CHECK_EQ(a.gid, 42);
	fx_teardown(&x);
}

TEST(fs_symlink_readlink_and_readlink_of_a_file_fails)
{
	struct fuse_entry_out e, f;
	struct fx x;
	struct fr *r;

	fx_setup(&x);
	CHECK_EQ(fx_symlink(&x, FUSE_ROOT_ID, "l", "some/where", &e), 0);
	CHECK(S_ISLNK(e.attr.mode));
	r = fr_begin(&x, FUSE_READLINK, e.nodeid);
	CHECK_EQ(fx_send(&x, r), 0);
	CHECK_EQ(x.plen, 10);
	CHECK(!memcmp(x.payload, "some/where", 10));
	CHECK_EQ(fx_symlink(&x, FUSE_ROOT_ID, "l", "again", &e), -EEXIST);
	CHECK_EQ(fx_symlink(&x, FUSE_ROOT_ID, "empty", "", &e), -ENOENT);
	fx_host_file(&x, "file", NULL);
	CHECK_EQ(fx_lookup(&x, FUSE_ROOT_ID, "file", &f), 0);
	r = fr_begin(&x, FUSE_READLINK, f.nodeid);
	CHECK_EQ(fx_send(&x, r), -EINVAL);
	fx_teardown(&x);
}

TEST(fs_mknod_makes_fifos_and_device_nodes_but_never_opens_them)
{
	struct fuse_entry_out e;
	uint64_t fh;
	struct fx x;

	fx_setup(&x);
	CHECK_EQ(fx_mknod(&x, "fifo", S_IFIFO | 0640, 0, &e), 0);
	CHECK(S_ISFIFO(e.attr.mode));
	CHECK_EQ(e.attr.mode & 07777, 0640);
	/* An OPEN of a FIFO would block a worker: the guest serves FIFOs itself. */
	CHECK_EQ(fx_open(&x, FUSE_OPEN, e.nodeid, O_RDONLY, &fh), -EACCES);
	CHECK_EQ(fx_mknod(&x, "dir", S_IFDIR | 0755, 0, &e), -EINVAL);
	CHECK_EQ(fx_mknod(&x, "fifo", S_IFIFO | 0640, 0, &e), -EEXIST);
	if (geteuid() == 0) {
		/* /dev/null is 1:3; new_encode_dev(1:3) = 0x103. */
		CHECK_EQ(fx_mknod(&x, "null", S_IFCHR | 0666, 0x103, &e), 0);
		CHECK(S_ISCHR(e.attr.mode));
		CHECK_EQ(e.attr.rdev, 0x103);
		CHECK_EQ(fx_open(&x, FUSE_OPEN, e.nodeid, O_RDWR, &fh), -EACCES);
	}
	fx_teardown(&x);
}

TEST(fs_mkdir_rmdir_unlink)
{
	struct fuse_entry_out d, e;
	struct stat st;
	char p[256];
	uint64_t fh;
	struct fx x;
	struct fr *r;

	fx_setup(&x);
	/* The mode arrives as sent: the guest applied its umask already. */
	CHECK_EQ(fx_mkdir(&x, FUSE_ROOT_ID, "d", 0777, &d), 0);
	fx_path(&x, "d", p, sizeof(p));
	CHECK_EQ(stat(p, &st), 0);
	CHECK_EQ(st.st_mode & 07777, 0777);
	CHECK_EQ(fx_mkdir(&x, FUSE_ROOT_ID, "d", 0777, &d), -EEXIST);
	CHECK_EQ(fx_create(&x, d.nodeid, "f", O_WRONLY, 0666, &e, &fh), 0);
	CHECK_EQ(fx_release(&x, FUSE_RELEASE, e.nodeid, fh), 0);
	fx_path(&x, "d/f", p, sizeof(p));
	CHECK_EQ(stat(p, &st), 0);
	CHECK_EQ(st.st_mode & 07777, 0666);

	r = fr_begin(&x, FUSE_RMDIR, FUSE_ROOT_ID);
	fr_str(r, "d");
	CHECK_EQ(fx_send(&x, r), -ENOTEMPTY);
	r = fr_begin(&x, FUSE_UNLINK, d.nodeid);
	fr_str(r, "f");
	CHECK_EQ(fx_send(&x, r), 0);
	CHECK(stat(p, &st) < 0);
	r = fr_begin(&x, FUSE_UNLINK, d.nodeid);
	fr_str(r, "f");
	CHECK_EQ(fx_send(&x, r), -ENOENT);
	r = fr_begin(&x, FUSE_UNLINK, FUSE_ROOT_ID);
	fr_str(r, "d");
	CHECK_EQ(fx_send(&x, r), -EISDIR);
	r = fr_begin(&x, FUSE_RMDIR, FUSE_ROOT_ID);
	fr_str(r, "d");
	CHECK_EQ(fx_send(&x, r), 0);
	fx_teardown(&x);
}

static int fx_rename2(struct fx *x, uint64_t dir, const char *a, uint64_t newdir,
		      const char *b, uint32_t flags)
{
	struct fuse_rename2_in in = { .newdir = newdir, .flags = flags };
	struct fr *r = fr_begin(x, FUSE_RENAME2, dir);

	fr_put(r, &in, sizeof(in));
	fr_str(r, a);
	fr_str(r, b);
	return fx_send(x, r);
}

TEST(fs_rename_rename2_noreplace_and_exchange)
{
	struct fuse_entry_out d;
	struct fx x;
	struct fr *r;

	fx_setup(&x);
	fx_host_file(&x, "a", "A");
	fx_host_file(&x, "b", "B");
	CHECK_EQ(fx_mkdir(&x, FUSE_ROOT_ID, "d", 0755, &d), 0);

	r = fr_begin(&x, FUSE_RENAME, FUSE_ROOT_ID);
	fr_put(r, &(struct fuse_rename_in){ .newdir = d.nodeid }, sizeof(struct fuse_rename_in));
	fr_str(r, "a");
	fr_str(r, "a2");
	CHECK_EQ(fx_send(&x, r), 0);
	CHECK(fx_host_has(&x, "d/a2", "A"));

	CHECK_EQ(fx_rename2(&x, d.nodeid, "a2", FUSE_ROOT_ID, "b", RENAME_NOREPLACE), -EEXIST);
	CHECK_EQ(fx_rename2(&x, d.nodeid, "a2", FUSE_ROOT_ID, "b", RENAME_EXCHANGE), 0);
	CHECK(fx_host_has(&x, "b", "A"));
	CHECK(fx_host_has(&x, "d/a2", "B"));
	CHECK_EQ(fx_rename2(&x, d.nodeid, "a2", FUSE_ROOT_ID, "c", RENAME_WHITEOUT), -EINVAL);
	CHECK_EQ(fx_rename2(&x, d.nodeid, "nope", FUSE_ROOT_ID, "c", 0), -ENOENT);
	CHECK_EQ(fx_rename2(&x, d.nodeid, "a2", FUSE_ROOT_ID, "c", 0), 0);
	CHECK(fx_host_has(&x, "c", "B"));
	fx_teardown(&x);
}

static int fx_link(struct fx *x, uint64_t old, uint64_t newdir, const char *name,
		   struct fuse_entry_out *e)
{
	struct fuse_link_in in = { .oldnodeid = old };

	return fx_entry_op(x, FUSE_LINK, newdir, &in, sizeof(in), name, e);
}

TEST(fs_link_shares_the_node_id_and_refuses_directories)
{
	struct fuse_entry_out f, l, d;
	struct fx x;

	fx_setup(&x);
	fx_host_file(&x, "f", "data");
	CHECK_EQ(fx_lookup(&x, FUSE_ROOT_ID, "f", &f), 0);
	CHECK_EQ(fx_link(&x, f.nodeid, FUSE_ROOT_ID, "g", &l), 0);
	CHECK_EQ(l.nodeid, f.nodeid);
	CHECK_EQ(l.attr.nlink, 2);
	CHECK(fx_host_has(&x, "g", "data"));
	CHECK_EQ(fx_link(&x, f.nodeid, FUSE_ROOT_ID, "g", &l), -EEXIST);
	CHECK_EQ(fx_mkdir(&x, FUSE_ROOT_ID, "d", 0755, &d), 0);
	CHECK_EQ(fx_link(&x, d.nodeid, FUSE_ROOT_ID, "d2", &l), -EPERM);
	fx_teardown(&x);
}

TEST(fs_statfs_and_access)
{
	struct fuse_statfs_out o;
	struct fuse_entry_out e;
	struct fx x;
	struct fr *r;

	fx_setup(&x);
	r = fr_begin(&x, FUSE_STATFS, FUSE_ROOT_ID);
	CHECK_EQ(fx_send(&x, r), 0);
	CHECK_EQ(x.plen, sizeof(o));
	memcpy(&o, x.payload, sizeof(o));
	CHECK(o.st.bsize > 0);
	CHECK_EQ(o.st.namelen, 255);

	fx_host_file(&x, "f", NULL);
	CHECK_EQ(fx_lookup(&x, FUSE_ROOT_ID, "f", &e), 0);
	r = fr_begin(&x, FUSE_ACCESS, e.nodeid);
	fr_put(r, &(struct fuse_access_in){ .mask = R_OK }, sizeof(struct fuse_access_in));
	CHECK_EQ(fx_send(&x, r), 0);
	r = fr_begin(&x, FUSE_ACCESS, e.nodeid);
	fr_put(r, &(struct fuse_access_in){ .mask = 0x100 }, sizeof(struct fuse_access_in));
	CHECK_EQ(fx_send(&x, r), -EINVAL);
	/* Mode 0644: nobody may execute it, root included. */
	r = fr_begin(&x, FUSE_ACCESS, e.nodeid);
	fr_put(r, &(struct fuse_access_in){ .mask = X_OK }, sizeof(struct fuse_access_in));
	CHECK_EQ(fx_send(&x, r), -EACCES);
	if (geteuid() == 0) {
		/* As guest uid 1000, a root-owned 0644 file is not writable. */
		r = fr_begin(&x, FUSE_ACCESS, e.nodeid);
		fr_hdr(r)->uid = 1000;
		fr_hdr(r)->gid = 1000;
		fr_put(r, &(struct fuse_access_in){ .mask = W_OK }, sizeof(struct fuse_access_in));
		CHECK_EQ(fx_send(&x, r), -EACCES);
	}
	fx_teardown(&x);
}

/* CREATE and MKDIR as guest uid/gid (a claim of the guest kernel's). */
static int fx_create_as(struct fx *x, uint32_t uid, uint32_t gid, uint32_t op, const char *name,
			struct fuse_entry_out *e)
{
	struct fuse_create_in in = { .flags = O_WRONLY, .mode = S_IFREG | 0644 };
	struct fr *r = fr_begin(x, op, FUSE_ROOT_ID);

	fr_hdr(r)->uid = uid;
	fr_hdr(r)->gid = gid;
	if (op == FUSE_CREATE)
		fr_put(r, &in, sizeof(in));
	else
		fr_put(r, &(struct fuse_mkdir_in){ .mode = 0700 }, sizeof(struct fuse_mkdir_in));
	fr_str(r, name);
	if (fx_send(x, r) == 0)
		memcpy(e, x->payload, sizeof(*e));
	return x->err;
}

TEST(fs_creations_show_the_guest_caller_and_stay_the_vmms_on_the_host)
{
	struct fuse_entry_out e;
	struct stat st;
	char p[256];
	struct fx x;

	fx_setup(&x);
	if (setxattr(x.root, "user.probe", "1", 1, 0) < 0)
		SKIP("no user xattrs on /tmp: %s", strerror(errno));
	removexattr(x.root, "user.probe");
	CHECK_EQ(fx_create_as(&x, 1000, 1001, FUSE_CREATE, "mine", &e), 0);
	CHECK_EQ(e.attr.uid, 1000);
	CHECK_EQ(e.attr.gid, 1001);
	fx_path(&x, "mine", p, sizeof(p));
	CHECK_EQ(lstat(p, &st), 0);
	CHECK_EQ(st.st_uid, geteuid());
	CHECK_EQ(st.st_gid, getegid());
	CHECK_EQ(fx_create_as(&x, 1000, 1001, FUSE_MKDIR, "mydir", &e), 0);
	CHECK_EQ(e.attr.uid, 1000);
	CHECK(S_ISDIR(e.attr.mode));
	CHECK_EQ(e.attr.mode & 07777, 0700);
	CHECK_EQ(fx_create_as(&x, 0, 0, FUSE_MKDIR, "rootdir", &e), 0);
	CHECK_EQ(e.attr.uid, 0);
	fx_teardown(&x);
}

TEST(fs_passthrough_creations_belong_to_the_guest_caller_when_root)
{
	struct fuse_entry_out e;
	struct fx x;

	if (geteuid() != 0)
		SKIP("needs root");
	fx_setup_cfg(&x, (struct fuse_server_config){ .passthrough_privileges = true });
	CHECK_EQ(chmod(x.root, 0777), 0);
	CHECK_EQ(fx_create_as(&x, 1000, 1001, FUSE_CREATE, "mine", &e), 0);
	CHECK_EQ(e.attr.uid, 1000);
	CHECK_EQ(e.attr.gid, 1001);
	CHECK_EQ(fx_create_as(&x, 1000, 1001, FUSE_MKDIR, "mydir", &e), 0);
	CHECK_EQ(e.attr.uid, 1000);
	/* The caller's identity is checked by the host too: uid 1000 cannot create
	 * in a root-owned 0755 directory. */
	CHECK_EQ(chmod(x.root, 0755), 0);
	CHECK_EQ(fx_create_as(&x, 1000, 1000, FUSE_MKDIR, "denied", &e), -EACCES);
	/* The worker is root again afterwards. */
	CHECK_EQ(fx_mkdir(&x, FUSE_ROOT_ID, "rootdir", 0755, &e), 0);
	CHECK_EQ(e.attr.uid, 0);
	fx_teardown(&x);
}

TEST(fs_unknown_ops_get_enosys_and_interrupt_gets_no_reply)
{
	struct fx x;
	struct fr *r;

	fx_setup(&x);
	r = fr_begin(&x, FUSE_IOCTL, FUSE_ROOT_ID);
	fr_put(r, &(struct fuse_ioctl_in){ 0 }, sizeof(struct fuse_ioctl_in));
	CHECK_EQ(fx_send(&x, r), -ENOSYS);
	r = fr_begin(&x, FUSE_SETLK, FUSE_ROOT_ID);
	fr_put(r, &(struct fuse_lk_in){ 0 }, sizeof(struct fuse_lk_in));
	CHECK_EQ(fx_send(&x, r), -ENOSYS);
	r = fr_begin(&x, 7, FUSE_ROOT_ID); /* a hole in the opcode list */
	CHECK_EQ(fx_send(&x, r), -ENOSYS);
	r = fr_begin(&x, 0xffffffffu, FUSE_ROOT_ID);
	CHECK_EQ(fx_send(&x, r), -ENOSYS);
	r = fr_begin(&x, FUSE_INTERRUPT, 0);
	fr_put(r, &(struct fuse_interrupt_in){ .unique = 5 }, sizeof(struct fuse_interrupt_in));
	CHECK_EQ(fx_send_raw(&x, r, false), 0);
	fx_teardown(&x);
}

TEST(fs_destroy_forgets_everything_and_init_works_again)
{
	struct fuse_entry_out e;
	struct fuse_attr a;
	uint64_t fh;
	struct fx x;
	struct fr *r;

	fx_setup(&x);
	fx_host_file(&x, "f", "x");
	CHECK_EQ(fx_lookup(&x, FUSE_ROOT_ID, "f", &e), 0);
	CHECK_EQ(fx_open(&x, FUSE_OPEN, e.nodeid, O_RDONLY, &fh), 0);
	r = fr_begin(&x, FUSE_DESTROY, 0);
	CHECK_EQ(fx_send(&x, r), 0);
	CHECK_EQ(fx_getattr(&x, FUSE_ROOT_ID, &a), -EIO);
	CHECK_EQ(fx_init(&x), 0);
	CHECK_EQ(fx_getattr(&x, e.nodeid, &a), -ESTALE);
	CHECK_EQ(fx_read(&x, e.nodeid, fh, 0, 1), -EBADF);
	CHECK_EQ(fx_getattr(&x, FUSE_ROOT_ID, &a), 0);
	fx_teardown(&x);
}
