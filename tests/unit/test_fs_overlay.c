/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Virtual entries of a share (fs/overlay.h): a file served from the VMM's
 * memory, read-only, shadowing a host file of the same name; a virtual
 * directory holding a virtual file, listable, where nothing can be made; a
 * one-shot file gone after one lookup; READDIR of the root listing host and
 * virtual entries across pages; the host folder never changed; bad spec lists
 * refused.
 */
#include "fuse_req.h"
#include "fs/fs.h"
#include "fs/overlay.h"

static const struct fs_overlay_spec specs[] = {
	{ .path = "hello", .data = (const uint8_t *)"virtual hello\n", .len = 14, .mode = 0444 },
	{ .path = "vdir", .mode = 0755, .dir = true },
	{ .path = "vdir/inner", .data = (const uint8_t *)"in", .len = 2, .mode = 0400 },
	{ .path = "/once", .data = (const uint8_t *)"1", .len = 1, .mode = 0444, .one_shot = true },
};

static void setup(struct fx *x)
{
	fx_setup_cfg(x, (struct fuse_server_config){ .nthreads_hint = 1, .overlays = specs,
						    .noverlays = 4 });
}

TEST(fs_overlay_file_reads_from_memory_and_refuses_changes)
{
	struct fuse_entry_out e;
	struct fuse_attr a;
	uint64_t fh;
	struct fx x;

	setup(&x);
	fx_host_file(&x, "hello", "host bytes");
	CHECK_EQ(fx_lookup(&x, FUSE_ROOT_ID, "hello", &e), 0);
	CHECK_EQ(e.attr.mode, S_IFREG | 0444);
	CHECK_EQ(e.attr.size, 14);
	CHECK_EQ(e.attr.uid, 0);
	CHECK_EQ(fx_open(&x, FUSE_OPEN, e.nodeid, O_RDONLY, &fh), 0);
	CHECK_EQ(fx_read(&x, e.nodeid, fh, 0, 100), 14);
	CHECK(!memcmp(x.payload, "virtual hello\n", 14));
	CHECK_EQ(fx_release(&x, FUSE_RELEASE, e.nodeid, fh), 0);
	CHECK_EQ(fx_setattr(&x, e.nodeid, &(struct fuse_setattr_in){ .valid = FATTR_MODE,
								   .mode = 0777 }, &a), -EROFS);
	CHECK_EQ(fx_setattr(&x, e.nodeid, &(struct fuse_setattr_in){ .valid = FATTR_SIZE },
			    &a), -EROFS);
	CHECK_EQ(fx_xattr(&x, FUSE_SETXATTR, e.nodeid, "user.a", "v", 1, 0), -EROFS);
	/* A write handle cannot change sealed bytes. */
	if (fx_open(&x, FUSE_OPEN, e.nodeid, O_WRONLY, &fh) == 0) {
		CHECK(fx_write(&x, e.nodeid, fh, 0, "x", 1) < 0);
		CHECK_EQ(fx_release(&x, FUSE_RELEASE, e.nodeid, fh), 0);
	}
	CHECK_EQ(fx_read(&x, e.nodeid, 0, 0, 1), -EBADF);
	CHECK(fx_host_has(&x, "hello", "host bytes"));
	fx_teardown(&x);
}

TEST(fs_overlay_dir_holds_virtual_entries_only)
{
	struct fx_ent ents[8];
	struct fuse_entry_out e, d;
	uint64_t fh;
	struct fx x;
	int n;

	setup(&x);
	CHECK_EQ(fx_lookup(&x, FUSE_ROOT_ID, "vdir", &d), 0);
	CHECK(S_ISDIR(d.attr.mode));
	CHECK_EQ(fx_lookup(&x, d.nodeid, "inner", &e), 0);
	CHECK_EQ(e.attr.size, 2);
	CHECK_EQ(fx_lookup(&x, d.nodeid, "nope", &e), -ENOENT);
	CHECK_EQ(fx_mkdir(&x, d.nodeid, "made", 0755, &e), -EROFS);
	CHECK_EQ(fx_create(&x, d.nodeid, "made", O_RDWR, 0644, &e, &fh), -EROFS);
	CHECK_EQ(fx_open(&x, FUSE_OPENDIR, d.nodeid, O_RDONLY, &fh), 0);
	CHECK_EQ(fx_readdir(&x, FUSE_READDIRPLUS, d.nodeid, fh, 0, 4096), 0);
	n = fx_parse_dir(&x, true, ents, 8);
	CHECK_EQ(n, 1);
	CHECK_STR_EQ(ents[0].name, "inner");
	CHECK_EQ(ents[0].type, DT_REG);
	CHECK(ents[0].nodeid != 0);
	CHECK_EQ(fx_readdir(&x, FUSE_READDIR, d.nodeid, fh, ents[0].off, 4096), 0);
	CHECK_EQ(x.plen, 0);
	CHECK_EQ(fx_release(&x, FUSE_RELEASEDIR, d.nodeid, fh), 0);
	char p[256];
	fx_path(&x, "vdir", p, sizeof(p));
	CHECK(access(p, F_OK) < 0 && errno == ENOENT); /* nothing on the host */
	fx_teardown(&x);
}

TEST(fs_overlay_one_shot_file_is_gone_after_one_lookup)
{
	struct fuse_entry_out e;
	struct fx x;

	setup(&x);
	CHECK_EQ(fx_lookup(&x, FUSE_ROOT_ID, "once", &e), 0);
	CHECK_EQ(fx_lookup(&x, FUSE_ROOT_ID, "once", &e), -ENOENT);
	fx_teardown(&x);
}

/* The root lists host entries, then the virtual ones, a shadowed host name
 * once, and a reply can end anywhere: 1 entry per page here. */
TEST(fs_overlay_root_listing_merges_and_pages)
{
	struct fx_ent ents[4];
	uint64_t fh, off = 0;
	int hello = 0, vdir = 0, host = 0, once = 0, total = 0;
	struct fx x;

	setup(&x);
	fx_host_file(&x, "hello", "host");
	fx_host_file(&x, "hostfile", NULL);
	CHECK_EQ(fx_open(&x, FUSE_OPENDIR, FUSE_ROOT_ID, O_RDONLY, &fh), 0);
	for (;;) {
		CHECK_EQ(fx_readdir(&x, FUSE_READDIR, FUSE_ROOT_ID, fh, off, 48), 0);
		if (x.plen == 0)
			break;
		CHECK_EQ(fx_parse_dir(&x, false, ents, 4), 1);
		hello += !strcmp(ents[0].name, "hello");
		vdir += !strcmp(ents[0].name, "vdir") && ents[0].type == DT_DIR;
		host += !strcmp(ents[0].name, "hostfile");
		once += !strcmp(ents[0].name, "once");
		off = ents[0].off;
		CHECK(++total < 20);
	}
	CHECK_EQ(hello, 1);
	CHECK_EQ(vdir, 1);
	CHECK_EQ(host, 1);
	CHECK_EQ(once, 1);
	CHECK_EQ(total, 6); /* . .. hostfile hello vdir once */
	CHECK_EQ(fx_release(&x, FUSE_RELEASEDIR, FUSE_ROOT_ID, fh), 0);
	fx_teardown(&x);
}

TEST(fs_overlay_bad_specs_are_refused)
{
	const struct fs_overlay_spec no_parent[] = { { .path = "a/b", .mode = 0644 } };
	const struct fs_overlay_spec file_parent[] = { { .path = "f", .mode = 0644 },
						       { .path = "f/b", .mode = 0644 } };
	const struct fs_overlay_spec twice[] = { { .path = "d", .dir = true },
						 { .path = "d", .mode = 0644 } };
	const struct fs_overlay_spec dots[] = { { .path = "../x", .mode = 0644 } };
	const struct fs_overlay_spec empty[] = { { .path = "d", .dir = true },
						 { .path = "d//x", .mode = 0644 } };
	unsigned int bad;

	CHECK_EQ(fs_overlay_check(no_parent, 1, &bad), -ENOENT);
	CHECK_EQ(fs_overlay_check(file_parent, 2, &bad), -ENOTDIR);
	CHECK_EQ(bad, 1);
	CHECK_EQ(fs_overlay_check(twice, 2, &bad), -EEXIST);
	CHECK_EQ(fs_overlay_check(dots, 1, &bad), -EINVAL);
	CHECK_EQ(fs_overlay_check(empty, 2, &bad), -EINVAL);
	CHECK_EQ(fs_overlay_check(specs, 4, &bad), 0);
}

/* READDIR offsets are the guest's: any value, on the root and on a virtual
 * directory, gives a well-formed reply or the end, never a wrap to the start. */
TEST(fs_overlay_readdir_garbage_offsets_end_cleanly)
{
	static const uint64_t offs[] = { FS_OVERLAY_OFF, FS_OVERLAY_OFF + FS_OVERLAY_MAX,
					 FS_OVERLAY_OFF + FS_OVERLAY_MAX + 1,
					 FS_OVERLAY_OFF + (1ULL << 32) + 1, UINT64_MAX,
					 INT64_MAX };
	struct fx_ent ents[8];
	struct fuse_entry_out d;
	uint64_t fh[2], node[2];
	struct fx x;

	setup(&x);
	CHECK_EQ(fx_lookup(&x, FUSE_ROOT_ID, "vdir", &d), 0);
	node[0] = FUSE_ROOT_ID;
	node[1] = d.nodeid;
	for (int k = 0; k < 2; k++)
		CHECK_EQ(fx_open(&x, FUSE_OPENDIR, node[k], O_RDONLY, &fh[k]), 0);
	for (size_t i = 0; i < sizeof(offs) / sizeof(offs[0]); i++) {
		for (int k = 0; k < 2; k++) {
			int r = fx_readdir(&x, FUSE_READDIRPLUS, node[k], fh[k], offs[i], 4096);

			CHECK(r == 0 || r == -EINVAL);
			int n = r == 0 ? fx_parse_dir(&x, true, ents, 8) : 0;
			/* Past the virtual entries: nothing; the first virtual
			 * offset of the root lists only what follows it. */
			if (offs[i] > FS_OVERLAY_OFF + 4)
				CHECK_EQ(n, 0);
			for (int e = 0; e < n; e++)
				CHECK(strcmp(ents[e].name, ".") && strcmp(ents[e].name, ".."));
		}
	}
	for (int k = 0; k < 2; k++)
		CHECK_EQ(fx_release(&x, FUSE_RELEASEDIR, node[k], fh[k]), 0);
	fx_teardown(&x);
}
