/* SPDX-License-Identifier: Apache-2.0 */
/* The FUSE server's file I/O and xattr ops, and a read-only share. */
#include "fuse_req.h"

#include <sys/xattr.h>

TEST(fs_open_create_read_write_flush_fsync_release)
{
	struct fuse_entry_out e;
	uint64_t fh, fh2;
	struct fx x;
	struct fr *r;

	fx_setup(&x);
	CHECK_EQ(fx_create(&x, FUSE_ROOT_ID, "f", O_RDWR | O_EXCL, 0644, &e, &fh), 0);
	CHECK(S_ISREG(e.attr.mode));
	CHECK_EQ(fx_create(&x, FUSE_ROOT_ID, "f", O_RDWR | O_EXCL, 0644, &e, &fh2), -EEXIST);
	CHECK_EQ(fx_write(&x, e.nodeid, fh, 0, "hello world", 11), 11);
	CHECK_EQ(fx_write(&x, e.nodeid, fh, 6, "WORLD", 5), 5);
	CHECK_EQ(fx_read(&x, e.nodeid, fh, 0, 100), 11);
	CHECK(!memcmp(x.payload, "hello WORLD", 11));
	CHECK_EQ(fx_read(&x, e.nodeid, fh, 6, 3), 3);
	CHECK(!memcmp(x.payload, "WOR", 3));
	CHECK_EQ(fx_read(&x, e.nodeid, fh, 1000, 10), 0);
	CHECK(fx_host_has(&x, "f", "hello WORLD"));

	r = fr_begin(&x, FUSE_FLUSH, e.nodeid);
	fr_put(r, &(struct fuse_flush_in){ .fh = fh }, sizeof(struct fuse_flush_in));
	CHECK_EQ(fx_send(&x, r), 0);
	r = fr_begin(&x, FUSE_FSYNC, e.nodeid);
	fr_put(r, &(struct fuse_fsync_in){ .fh = fh, .fsync_flags = FUSE_FSYNC_FDATASYNC },
	       sizeof(struct fuse_fsync_in));
	CHECK_EQ(fx_send(&x, r), 0);
	CHECK_EQ(fx_release(&x, FUSE_RELEASE, e.nodeid, fh), 0);
	CHECK_EQ(fx_release(&x, FUSE_RELEASE, e.nodeid, fh), -EBADF);
	CHECK_EQ(fx_read(&x, e.nodeid, fh, 0, 10), -EBADF);
	r = fr_begin(&x, FUSE_FLUSH, e.nodeid);
	fr_put(r, &(struct fuse_flush_in){ .fh = fh }, sizeof(struct fuse_flush_in));
	CHECK_EQ(fx_send(&x, r), -EBADF);

	/* O_TRUNC on OPEN (FUSE_ATOMIC_O_TRUNC); a read-only handle cannot write. */
	CHECK_EQ(fx_open(&x, FUSE_OPEN, e.nodeid, O_RDONLY | O_TRUNC, &fh), 0);
	CHECK(fx_host_has(&x, "f", ""));
	CHECK_EQ(fx_write(&x, e.nodeid, fh, 0, "x", 1), -EBADF);
	CHECK_EQ(fx_release(&x, FUSE_RELEASE, e.nodeid, fh), 0);
	/* O_APPEND appends whatever the offset. */
	CHECK_EQ(fx_open(&x, FUSE_OPEN, e.nodeid, O_WRONLY | O_APPEND, &fh), 0);
	CHECK_EQ(fx_write(&x, e.nodeid, fh, 0, "ab", 2), 2);
	CHECK_EQ(fx_write(&x, e.nodeid, fh, 0, "cd", 2), 2);
	CHECK(fx_host_has(&x, "f", "abcd"));
	CHECK_EQ(fx_open(&x, FUSE_OPEN, FUSE_ROOT_ID, O_RDONLY, &fh2), -EISDIR);
	CHECK_EQ(fx_open(&x, FUSE_OPEN, e.nodeid, O_ACCMODE, &fh2), -EINVAL);
	fx_teardown(&x);
}

/* OPEN's open_flags for a handle of node (released again), or ~0u. */
static uint32_t fx_open_flags_once(struct fx *x, uint64_t node, uint32_t flags)
{
	struct fuse_open_out o;
	uint64_t fh;

	if (fx_open(x, FUSE_OPEN, node, flags, &fh) != 0)
		return ~0u;
	memcpy(&o, x->payload, sizeof(o));
	CHECK_EQ(fx_release(x, FUSE_RELEASE, node, fh), 0);
	return o.open_flags;
}

static void fx_host_write(const struct fx *x, const char *rel, const char *content)
{
	char p[256];
	FILE *f;

	fx_path(x, rel, p, sizeof(p));
	f = fopen(p, "w");
	CHECK(f != NULL);
	fputs(content, f);
	CHECK_EQ(fclose(f), 0);
}

/* Close-to-open: the guest may keep its cached pages at an OPEN only while the
 * file's data version (mtime, ctime, size) is the one it last opened. */
TEST(fs_reopen_keeps_the_guest_cache_only_while_the_file_is_unchanged_and_reads_skip_flush)
{
	struct timespec old[2];
	struct stat st;
	char p[256];
	uint64_t node, fh;
	struct fx x;

	fx_setup(&x);
	fx_host_write(&x, "f", "one");
	node = fx_node(&x, FUSE_ROOT_ID, "f");
	CHECK_EQ(fx_open_flags_once(&x, node, O_RDONLY) & FOPEN_KEEP_CACHE, 0);
	CHECK_EQ(fx_open_flags_once(&x, node, O_RDONLY) & FOPEN_KEEP_CACHE, FOPEN_KEEP_CACHE);
	CHECK_EQ(fx_open_flags_once(&x, node, O_RDWR) & FOPEN_KEEP_CACHE, FOPEN_KEEP_CACHE);
	/* A read-only handle's close sends no FLUSH; a writable one's does. */
	CHECK_EQ(fx_open_flags_once(&x, node, O_RDONLY) & FOPEN_NOFLUSH, FOPEN_NOFLUSH);
	CHECK_EQ(fx_open_flags_once(&x, node, O_WRONLY) & FOPEN_NOFLUSH, 0);
	CHECK_EQ(fx_open_flags_once(&x, node, O_RDONLY | O_TRUNC) & FOPEN_NOFLUSH, 0);

	/* The host rewrites it, same size, and puts the old mtime back: the
	 * ctime still tells. */
	fx_path(&x, "f", p, sizeof(p));
	CHECK_EQ(stat(p, &st), 0);
	old[0] = st.st_atim;
	old[1] = st.st_mtim;
	usleep(20000); /* past the file system's timestamp granularity */
	fx_host_write(&x, "f", "two");
	CHECK_EQ(utimensat(AT_FDCWD, p, old, 0), 0);
	CHECK_EQ(fx_open_flags_once(&x, node, O_RDONLY) & FOPEN_KEEP_CACHE, 0);
	CHECK_EQ(fx_open_flags_once(&x, node, O_RDONLY) & FOPEN_KEEP_CACHE, FOPEN_KEEP_CACHE);

	/* The host changes the size. */
	fx_host_write(&x, "f", "three");
	CHECK_EQ(fx_open_flags_once(&x, node, O_RDONLY) & FOPEN_KEEP_CACHE, 0);

	/* The guest's own write costs its cache once. */
	CHECK_EQ(fx_open(&x, FUSE_OPEN, node, O_WRONLY, &fh), 0);
	usleep(20000);
	CHECK_EQ(fx_write(&x, node, fh, 0, "THREE", 5), 5);
	CHECK_EQ(fx_release(&x, FUSE_RELEASE, node, fh), 0);
	CHECK_EQ(fx_open_flags_once(&x, node, O_RDONLY) & FOPEN_KEEP_CACHE, 0);
	CHECK_EQ(fx_open_flags_once(&x, node, O_RDONLY) & FOPEN_KEEP_CACHE, FOPEN_KEEP_CACHE);

	/* A new inode behind the guest's node id (forgotten, looked up again)
	 * starts with nothing known. */
	fx_forget(&x, node, 1);
	node = fx_node(&x, FUSE_ROOT_ID, "f");
	CHECK_EQ(fx_open_flags_once(&x, node, O_RDONLY) & FOPEN_KEEP_CACHE, 0);
	fx_teardown(&x);
}

TEST(fs_one_mib_write_and_read_through_4k_segments)
{
	const uint32_t n = 1u << 20;
	struct fuse_entry_out e;
	uint8_t *data = malloc(n);
	uint64_t fh;
	struct fx x;

	CHECK(data);
	for (uint32_t k = 0; k < n; k++)
		data[k] = (uint8_t)(k * 7 + (k >> 12));
	fx_setup(&x);
	CHECK_EQ(fx_create(&x, FUSE_ROOT_ID, "big", O_RDWR, 0644, &e, &fh), 0);
	x.split = 4096;
	CHECK_EQ(fx_write(&x, e.nodeid, fh, 0, data, n), n);
	CHECK_EQ(fx_read(&x, e.nodeid, fh, 0, n), n);
	CHECK(!memcmp(x.payload, data, n));
	/* Above max_write: refused; a read is capped at max_write. */
	CHECK_EQ(fx_write(&x, e.nodeid, fh, 0, data, n), n);
	x.split = 0;
	{
		struct fuse_write_in in = { .fh = fh, .size = n + 1 };
		struct fr *r = fr_begin(&x, FUSE_WRITE, e.nodeid);

		fr_put(r, &in, sizeof(in));
		fr_put(r, data, n);
		fr_put(r, "z", 1);
		CHECK_EQ(fx_send(&x, r), -EINVAL);
	}
	CHECK_EQ(fx_read(&x, e.nodeid, fh, 0, 2 * n), n);
	free(data);
	fx_teardown(&x);
}

TEST(fs_xattrs_set_get_list_remove)
{
	struct fuse_getxattr_out o;
	struct fuse_entry_out e;
	char p[256];
	struct fx x;

	fx_setup(&x);
	fx_host_file(&x, "f", NULL);
	fx_path(&x, "f", p, sizeof(p));
	if (setxattr(p, "user.probe", "1", 1, 0) < 0)
		SKIP("no user xattrs on /tmp: %s", strerror(errno));
	removexattr(p, "user.probe");
	CHECK_EQ(fx_lookup(&x, FUSE_ROOT_ID, "f", &e), 0);
	CHECK_EQ(fx_xattr(&x, FUSE_SETXATTR, e.nodeid, "user.a", "value", 5, 0), 0);
	CHECK_EQ(fx_xattr(&x, FUSE_SETXATTR, e.nodeid, "user.a", "v", 1, XATTR_CREATE), -EEXIST);
	CHECK_EQ(fx_xattr(&x, FUSE_SETXATTR, e.nodeid, "user.b", "v", 1, XATTR_REPLACE),
		 -ENODATA);
	CHECK_EQ(fx_xattr(&x, FUSE_SETXATTR, e.nodeid, "user.b", "v", 1, 0x100), -EINVAL);
	/* Size 0 asks for the length. */
	CHECK_EQ(fx_xattr(&x, FUSE_GETXATTR, e.nodeid, "user.a", NULL, 0, 0), 0);
	CHECK_EQ(x.plen, sizeof(o));
	memcpy(&o, x.payload, sizeof(o));
	CHECK_EQ(o.size, 5);
	CHECK_EQ(fx_xattr(&x, FUSE_GETXATTR, e.nodeid, "user.a", NULL, 100, 0), 0);
	CHECK_EQ(x.plen, 5);
	CHECK(!memcmp(x.payload, "value", 5));
	CHECK_EQ(fx_xattr(&x, FUSE_GETXATTR, e.nodeid, "user.a", NULL, 2, 0), -ERANGE);
	CHECK_EQ(fx_xattr(&x, FUSE_GETXATTR, e.nodeid, "user.none", NULL, 100, 0), -ENODATA);
	CHECK_EQ(fx_xattr(&x, FUSE_LISTXATTR, e.nodeid, NULL, NULL, 100, 0), 0);
	CHECK_EQ(x.plen, 7);
	CHECK(!memcmp(x.payload, "user.a", 7));
	CHECK_EQ(fx_xattr(&x, FUSE_LISTXATTR, e.nodeid, NULL, NULL, 0, 0), 0);
	memcpy(&o, x.payload, sizeof(o));
	CHECK_EQ(o.size, 7);
	CHECK_EQ(fx_xattr(&x, FUSE_REMOVEXATTR, e.nodeid, "user.a", NULL, 0, 0), 0);
	CHECK_EQ(fx_xattr(&x, FUSE_REMOVEXATTR, e.nodeid, "user.a", NULL, 0, 0), -ENODATA);
	/* The host sees what the guest set. */
	CHECK_EQ(fx_xattr(&x, FUSE_SETXATTR, e.nodeid, "user.h", "hv", 2, 0), 0);
	char v[8] = { 0 };
	CHECK_EQ(getxattr(p, "user.h", v, sizeof(v)), 2);
	CHECK(!strcmp(v, "hv"));
	fx_teardown(&x);
}

TEST(fs_xattr_limits_are_checked_before_use)
{
	struct fuse_entry_out e;
	char name[300];
	struct fx x;
	struct fr *r;

	fx_setup(&x);
	fx_host_file(&x, "f", NULL);
	CHECK_EQ(fx_lookup(&x, FUSE_ROOT_ID, "f", &e), 0);
	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = 0;
	memcpy(name, "user.", 5);
	CHECK_EQ(fx_xattr(&x, FUSE_GETXATTR, e.nodeid, name, NULL, 10, 0), -ERANGE);
	CHECK_EQ(fx_xattr(&x, FUSE_GETXATTR, e.nodeid, "", NULL, 10, 0), -EINVAL);
	/* A value over 64 KiB, or a size that disagrees with the bytes sent. */
	r = fr_begin(&x, FUSE_SETXATTR, e.nodeid);
	fr_put(r, &(struct fuse_setxattr_in){ .size = 70000 }, FUSE_COMPAT_SETXATTR_IN_SIZE);
	fr_str(r, "user.big");
	fr_put(r, x.out, 100);
	CHECK_EQ(fx_send(&x, r), -E2BIG);
	r = fr_begin(&x, FUSE_SETXATTR, e.nodeid);
	fr_put(r, &(struct fuse_setxattr_in){ .size = 50 }, FUSE_COMPAT_SETXATTR_IN_SIZE);
	fr_str(r, "user.lie");
	fr_put(r, "abc", 3);
	CHECK_EQ(fx_send(&x, r), -EINVAL);
	/* A huge size query is capped to 64 KiB and to the reply room. */
	x.out_room = 64;
	CHECK_EQ(fx_xattr(&x, FUSE_LISTXATTR, e.nodeid, NULL, NULL, 0xffffffffu, 0), -ERANGE);
	fx_teardown(&x);
}

static int fx_lseek(struct fx *x, uint64_t node, uint64_t fh, uint64_t off, uint32_t whence,
		    uint64_t *res)
{
	struct fr *r = fr_begin(x, FUSE_LSEEK, node);

	fr_put(r, &(struct fuse_lseek_in){ .fh = fh, .offset = off, .whence = whence },
	       sizeof(struct fuse_lseek_in));
	if (fx_send(x, r) == 0)
		memcpy(res, x->payload, sizeof(*res));
	return x->err;
}

TEST(fs_fallocate_and_lseek_data_hole_on_a_sparse_file)
{
	const uint64_t far = 16u << 20;
	struct fuse_entry_out e;
	struct fuse_attr a;
	uint64_t fh, off;
	struct fx x;
	struct fr *r;

	fx_setup(&x);
	CHECK_EQ(fx_create(&x, FUSE_ROOT_ID, "sparse", O_RDWR, 0644, &e, &fh), 0);
	CHECK_EQ(fx_write(&x, e.nodeid, fh, far, "end", 3), 3);
	CHECK_EQ(fx_getattr(&x, e.nodeid, &a), 0);
	CHECK_EQ(a.size, far + 3);
	CHECK_EQ(fx_lseek(&x, e.nodeid, fh, 0, SEEK_HOLE, &off), 0);
	CHECK_EQ(off, 0);
	CHECK_EQ(fx_lseek(&x, e.nodeid, fh, 0, SEEK_DATA, &off), 0);
	CHECK(off <= far && off >= far - (1u << 20));
	CHECK_EQ(fx_lseek(&x, e.nodeid, fh, far + 100, SEEK_DATA, &off), -ENXIO);
	CHECK_EQ(fx_lseek(&x, e.nodeid, fh, 0, SEEK_SET, &off), -EINVAL);
	CHECK_EQ(fx_lseek(&x, e.nodeid, fh, 1ull << 63, SEEK_DATA, &off), -EINVAL);

	/* Allocate the first MiB: a hole no more. */
	r = fr_begin(&x, FUSE_FALLOCATE, e.nodeid);
	fr_put(r, &(struct fuse_fallocate_in){ .fh = fh, .length = 1u << 20 },
	       sizeof(struct fuse_fallocate_in));
	CHECK_EQ(fx_send(&x, r), 0);
	CHECK_EQ(fx_getattr(&x, e.nodeid, &a), 0);
	CHECK(a.blocks >= (1u << 20) / 512);
	r = fr_begin(&x, FUSE_FALLOCATE, e.nodeid);
	fr_put(r, &(struct fuse_fallocate_in){ .fh = fh, .offset = 1ull << 63, .length = 1 },
	       sizeof(struct fuse_fallocate_in));
	CHECK_EQ(fx_send(&x, r), -EFBIG);
	r = fr_begin(&x, FUSE_FALLOCATE, e.nodeid);
	fr_put(r, &(struct fuse_fallocate_in){ .fh = 999, .length = 1 },
	       sizeof(struct fuse_fallocate_in));
	CHECK_EQ(fx_send(&x, r), -EBADF);
	fx_teardown(&x);
}

TEST(fs_copy_file_range_copies_between_handles)
{
	struct fuse_entry_out a, b;
	struct fuse_copy_file_range_in in;
	struct fuse_write_out o;
	uint64_t fa, fb;
	struct fx x;
	struct fr *r;

	fx_setup(&x);
	CHECK_EQ(fx_create(&x, FUSE_ROOT_ID, "a", O_RDWR, 0644, &a, &fa), 0);
	CHECK_EQ(fx_create(&x, FUSE_ROOT_ID, "b", O_RDWR, 0644, &b, &fb), 0);
	CHECK_EQ(fx_write(&x, a.nodeid, fa, 0, "0123456789", 10), 10);
	in = (struct fuse_copy_file_range_in){ .fh_in = fa, .off_in = 2, .nodeid_out = b.nodeid,
					       .fh_out = fb, .off_out = 1, .len = 5 };
	r = fr_begin(&x, FUSE_COPY_FILE_RANGE, a.nodeid);
	fr_put(r, &in, sizeof(in));
	CHECK_EQ(fx_send(&x, r), 0);
	memcpy(&o, x.payload, sizeof(o));
	CHECK_EQ(o.size, 5);
	CHECK_EQ(fx_read(&x, b.nodeid, fb, 0, 10), 6);
	CHECK(!memcmp(x.payload, "\0" "23456", 6));
	in.flags = 1;
	r = fr_begin(&x, FUSE_COPY_FILE_RANGE, a.nodeid);
	fr_put(r, &in, sizeof(in));
	CHECK_EQ(fx_send(&x, r), -EINVAL);
	in.flags = 0;
	in.fh_out = 4242;
	r = fr_begin(&x, FUSE_COPY_FILE_RANGE, a.nodeid);
	fr_put(r, &in, sizeof(in));
	CHECK_EQ(fx_send(&x, r), -EBADF);
	fx_teardown(&x);
}

TEST(fs_read_only_share_refuses_every_change)
{
	struct fuse_entry_out e;
	struct fuse_attr a;
	uint64_t fh;
	struct fx x;

	fx_setup_opts(&x, true);
	fx_host_file(&x, "f", "ro");
	CHECK_EQ(fx_lookup(&x, FUSE_ROOT_ID, "f", &e), 0);
	CHECK_EQ(fx_open(&x, FUSE_OPEN, e.nodeid, O_RDWR, &fh), -EROFS);
	CHECK_EQ(fx_open(&x, FUSE_OPEN, e.nodeid, O_RDONLY | O_TRUNC, &fh), -EROFS);
	CHECK_EQ(fx_open(&x, FUSE_OPEN, e.nodeid, O_RDONLY, &fh), 0);
	CHECK_EQ(fx_read(&x, e.nodeid, fh, 0, 10), 2);
	CHECK_EQ(fx_write(&x, e.nodeid, fh, 0, "x", 1), -EROFS);
	CHECK_EQ(fx_create(&x, FUSE_ROOT_ID, "n", O_RDWR, 0644, &e, &fh), -EROFS);
	CHECK_EQ(fx_mkdir(&x, FUSE_ROOT_ID, "d", 0755, &e), -EROFS);
	CHECK_EQ(fx_setattr(&x, e.nodeid, &(struct fuse_setattr_in){ .valid = FATTR_MODE },
			    &a), -EROFS);
	CHECK_EQ(fx_xattr(&x, FUSE_SETXATTR, e.nodeid, "user.a", "v", 1, 0), -EROFS);
	CHECK(fx_host_has(&x, "f", "ro"));
	fx_teardown(&x);
}
