/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Escape attempts out of the shared directory: symlinks (absolute, relative,
 * dangling) pointing out, hard links of them, "..", a directory the host moves
 * out, and CREATE over FIFOs and device nodes. /proc and its magic links are
 * test_fs_pseudo.c's.
 */
#include "fuse_req.h"

#include <sys/sysmacros.h>

static void fx_secret_untouched(const struct fx *x, const struct stat *before)
{
	char p[128], buf[16] = { 0 };
	struct stat st;
	int fd;

	snprintf(p, sizeof(p), "%s/secret", x->base);
	CHECK_EQ(lstat(p, &st), 0);
	CHECK_EQ(st.st_mode, before->st_mode);
	CHECK_EQ(st.st_uid, before->st_uid);
	CHECK_EQ(st.st_nlink, 1);
	CHECK_EQ(st.st_size, 6);
	CHECK_EQ(st.st_mtim.tv_sec, before->st_mtim.tv_sec);
	CHECK_EQ(getxattr(p, "user.pwned", buf, sizeof(buf)), -1);
	fd = open(p, O_RDONLY);
	CHECK(fd >= 0);
	CHECK_EQ(read(fd, buf, sizeof(buf)), 6);
	close(fd);
	CHECK(!memcmp(buf, "SECRET", 6));
}

TEST(fs_symlinks_out_of_the_share_are_never_followed)
{
	struct fuse_entry_out e, l, h0;
	struct fuse_attr a;
	struct stat before;
	char target[128], p[256];
	const char *names[] = { "abs", "rel", "rel2" };
	uint64_t fh;
	struct fx x;
	struct fr *r;

	fx_setup(&x);
	snprintf(target, sizeof(target), "%s/secret", x.base);
	CHECK_EQ(lstat(target, &before), 0);
	fx_path(&x, "abs", p, sizeof(p));
	CHECK_EQ(symlink(target, p), 0);
	fx_path(&x, "rel", p, sizeof(p));
	CHECK_EQ(symlink("../secret", p), 0);
	CHECK_EQ(fx_mkdir(&x, FUSE_ROOT_ID, "sub", 0755, &e), 0);
	fx_path(&x, "sub/rel2", p, sizeof(p));
	CHECK_EQ(symlink("../../secret", p), 0);

	for (int k = 0; k < 3; k++) {
		uint64_t parent = k < 2 ? FUSE_ROOT_ID : e.nodeid;

		CHECK_EQ(fx_lookup(&x, parent, names[k], &l), 0);
		CHECK(S_ISLNK(l.attr.mode));
		CHECK(l.attr.ino != before.st_ino);
		CHECK_EQ(fx_open(&x, FUSE_OPEN, l.nodeid, O_RDONLY, &fh), -ELOOP);
		CHECK_EQ(fx_open(&x, FUSE_OPEN, l.nodeid, O_RDWR | O_TRUNC, &fh), -ELOOP);
		CHECK_EQ(fx_open(&x, FUSE_OPENDIR, l.nodeid, O_RDONLY, &fh), -ENOTDIR);
		CHECK_EQ(fx_lookup(&x, l.nodeid, "x", &h0), -ENOTDIR);
		CHECK_EQ(fx_getattr(&x, l.nodeid, &a), 0);
		CHECK(S_ISLNK(a.mode));
		/* Attribute changes land on the link itself, if anywhere. */
		r = fr_begin(&x, FUSE_SETATTR, l.nodeid);
		fr_put(r, &(struct fuse_setattr_in){ .valid = FATTR_MODE, .mode = 0777 },
		       sizeof(struct fuse_setattr_in));
		CHECK_EQ(fx_send(&x, r), -EOPNOTSUPP);
		r = fr_begin(&x, FUSE_SETATTR, l.nodeid);
		fr_put(r, &(struct fuse_setattr_in){ .valid = FATTR_SIZE }, sizeof(struct fuse_setattr_in));
		CHECK_EQ(fx_send(&x, r), -EINVAL);
		r = fr_begin(&x, FUSE_SETATTR, l.nodeid);
		fr_put(r, &(struct fuse_setattr_in){ .valid = FATTR_MTIME | FATTR_ATIME, .mtime = 5,
						     .atime = 5 },
		       sizeof(struct fuse_setattr_in));
		CHECK_EQ(fx_send(&x, r), 0);
		if (geteuid() == 0) {
			r = fr_begin(&x, FUSE_SETATTR, l.nodeid);
			fr_put(r, &(struct fuse_setattr_in){ .valid = FATTR_UID, .uid = 4321 },
			       sizeof(struct fuse_setattr_in));
			CHECK_EQ(fx_send(&x, r), 0);
		}
		r = fr_begin(&x, FUSE_SETXATTR, l.nodeid);
		fr_put(r, &(struct fuse_setxattr_in){ .size = 1 }, FUSE_COMPAT_SETXATTR_IN_SIZE);
		fr_str(r, "user.pwned");
		fr_put(r, "1", 1);
		CHECK(fx_send(&x, r) != 0);
		/* A hard link of the link is a link, not the secret. */
		struct fuse_entry_out h;
		char hl[16];
		snprintf(hl, sizeof(hl), "hl%d", k);
		r = fr_begin(&x, FUSE_LINK, FUSE_ROOT_ID);
		fr_put(r, &(struct fuse_link_in){ .oldnodeid = l.nodeid }, sizeof(struct fuse_link_in));
		fr_str(r, hl);
		CHECK_EQ(fx_send(&x, r), 0);
		memcpy(&h, x.payload, sizeof(h));
		CHECK(S_ISLNK(h.attr.mode));
		CHECK_EQ(h.nodeid, l.nodeid);
		fx_secret_untouched(&x, &before);
	}

	/* CREATE through a dangling symlink to a new outside file. */
	snprintf(target, sizeof(target), "%s/created", x.base);
	fx_path(&x, "dangling", p, sizeof(p));
	CHECK_EQ(symlink(target, p), 0);
	CHECK(fx_create(&x, FUSE_ROOT_ID, "dangling", O_RDWR, 0644, &l, &fh) < 0);
	CHECK(fx_create(&x, FUSE_ROOT_ID, "dangling", O_RDWR | O_EXCL, 0644, &l, &fh) < 0);
	CHECK_EQ(fx_mkdir(&x, FUSE_ROOT_ID, "dangling", 0755, &l), -EEXIST);
	struct stat st;
	CHECK(lstat(target, &st) < 0);
	fx_teardown(&x);
}

TEST(fs_dotdot_never_climbs_even_from_a_directory_the_host_moved_out)
{
	struct fuse_entry_out d, e;
	char from[256], to[128];
	uint64_t fh;
	struct fx x;

	fx_setup(&x);
	CHECK_EQ(fx_lookup_raw(&x, "..", 3), -EPERM);
	CHECK_EQ(fx_mkdir(&x, FUSE_ROOT_ID, "d", 0755, &d), 0);
	fx_host_file(&x, "d/inner", "in");
	fx_path(&x, "d", from, sizeof(from));
	snprintf(to, sizeof(to), "%s/moved", x.base);
	CHECK_EQ(rename(from, to), 0);
	/* The node still names the moved directory (documented in fuse_server.h):
	 * its own subtree stays reachable, nothing above it. */
	CHECK_EQ(fx_lookup(&x, d.nodeid, "inner", &e), 0);
	{
		struct fr *r = fr_begin(&x, FUSE_LOOKUP, d.nodeid);

		fr_str(r, "..");
		CHECK_EQ(fx_send(&x, r), -EPERM);
		r = fr_begin(&x, FUSE_LOOKUP, d.nodeid);
		fr_str(r, "../secret");
		CHECK_EQ(fx_send(&x, r), -EINVAL);
	}
	CHECK_EQ(fx_create(&x, d.nodeid, "..", O_RDWR, 0644, &e, &fh), -EPERM);
	fx_teardown(&x);
}

TEST(fs_create_over_an_existing_fifo_or_device_never_opens_it)
{
	struct fuse_entry_out e;
	uint64_t fh;
	struct fx x;
	char p[256];

	fx_setup(&x);
	fx_path(&x, "fifo", p, sizeof(p));
	CHECK_EQ(mkfifo(p, 0666), 0);
	/* Opening a FIFO would block this worker for good: die loudly instead. */
	alarm(20);
	CHECK_EQ(fx_create(&x, FUSE_ROOT_ID, "fifo", O_RDWR, 0644, &e, &fh), -EEXIST);
	CHECK_EQ(fx_create(&x, FUSE_ROOT_ID, "fifo", O_RDONLY | O_EXCL, 0644, &e, &fh), -EEXIST);
	if (geteuid() == 0) {
		fx_path(&x, "null", p, sizeof(p));
		CHECK_EQ(mknod(p, S_IFCHR | 0666, makedev(1, 3)), 0);
		CHECK_EQ(fx_create(&x, FUSE_ROOT_ID, "null", O_WRONLY, 0644, &e, &fh), -EEXIST);
	}
	alarm(0);
	CHECK_EQ(fx_mkdir(&x, FUSE_ROOT_ID, "d", 0755, &e), 0);
	CHECK_EQ(fx_create(&x, FUSE_ROOT_ID, "d", O_RDONLY, 0644, &e, &fh), -EISDIR);
	/* A regular file already there is opened (and O_TRUNC applies). */
	fx_host_file(&x, "reg", "old");
	CHECK_EQ(fx_create(&x, FUSE_ROOT_ID, "reg", O_RDWR | O_TRUNC, 0644, &e, &fh), 0);
	CHECK(fx_host_has(&x, "reg", ""));
	CHECK_EQ(fx_write(&x, e.nodeid, fh, 0, "new", 3), 3);
	CHECK(fx_host_has(&x, "reg", "new"));
	fx_teardown(&x);
}
