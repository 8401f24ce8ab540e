/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The FUSE server against a hostile guest: malformed requests, lying lengths,
 * forged ids and handles, bad names, escape attempts out of the shared
 * directory, and fd exhaustion.
 */
#include "fuse_req.h"

#include <sys/resource.h>
#include <sys/wait.h>
#include <sys/xattr.h>

static size_t fx_handle(struct fx *x, const void *req, size_t len, size_t out_room)
{
	struct iovec in = { (void *)(uintptr_t)req, len }, out = { x->out, out_room };

	return fuse_server_handle(x->s, &in, len ? 1 : 0, &out, 1);
}

TEST(fs_short_requests_get_no_reply_or_einval)
{
	struct fuse_out_header oh;
	uint8_t buf[64] = { 0 };
	struct fuse_in_header h = { .len = 16, .opcode = FUSE_GETATTR, .unique = 77 };
	struct fx x;

	fx_setup(&x);
	CHECK_EQ(fx_handle(&x, buf, 0, 64), 0);
	CHECK_EQ(fx_handle(&x, &h, 10, 64), 0);
	/* 16 bytes carry len, opcode and unique: an EINVAL can be addressed. */
	CHECK_EQ(fx_handle(&x, &h, 16, 64), sizeof(oh));
	memcpy(&oh, x.out, sizeof(oh));
	CHECK_EQ(oh.error, -EINVAL);
	CHECK_EQ(oh.unique, 77);
	h.len = 39;
	CHECK_EQ(fx_handle(&x, &h, 39, 64), sizeof(oh));
	memcpy(&oh, x.out, sizeof(oh));
	CHECK_EQ(oh.error, -EINVAL);
	/* No room for a reply header: no reply. */
	struct fr *r = fr_begin(&x, FUSE_GETATTR, FUSE_ROOT_ID);
	fr_put(r, &(struct fuse_getattr_in){ 0 }, sizeof(struct fuse_getattr_in));
	fr_hdr(r)->len = (uint32_t)r->len;
	CHECK_EQ(fx_handle(&x, r->buf, r->len, 15), 0);
	/* Too many segments. */
	struct iovec *many = calloc(FUSE_SERVER_MAX_SEGS + 1, sizeof(*many));
	CHECK(many);
	many[0] = (struct iovec){ r->buf, r->len };
	struct iovec out = { x.out, 64 };
	CHECK_EQ(fuse_server_handle(x.s, many, FUSE_SERVER_MAX_SEGS + 1, &out, 1), 0);
	CHECK_EQ(fuse_server_handle(x.s, many, -1, &out, 1), 0);
	free(many);
	fx_teardown(&x);
}

TEST(fs_lengths_that_lie_get_einval_and_do_nothing)
{
	struct fuse_entry_out e;
	uint64_t fh;
	struct fx x;
	struct fr *r;
	const uint32_t lies[] = { 0, 1, 39, 40, 0xffffffffu };

	fx_setup(&x);
	fx_host_file(&x, "f", "x");
	for (size_t k = 0; k < sizeof(lies) / sizeof(lies[0]) + 2; k++) {
		r = fr_begin(&x, FUSE_MKDIR, FUSE_ROOT_ID);
		fr_put(r, &(struct fuse_mkdir_in){ .mode = 0755 }, sizeof(struct fuse_mkdir_in));
		fr_str(r, "made");
		fr_hdr(r)->len = k < 5 ? lies[k] : (uint32_t)r->len + (k == 5 ? 1 : -1u);
		CHECK_EQ(fx_send_raw(&x, r, true), sizeof(struct fuse_out_header));
		CHECK_EQ(x.err, -EINVAL);
	}
	CHECK_EQ(fx_lookup(&x, FUSE_ROOT_ID, "made", &e), -ENOENT);

	/* Arguments shorter than the op's fixed struct. */
	r = fr_begin(&x, FUSE_GETATTR, FUSE_ROOT_ID);
	fr_put(r, "12345678", 8);
	CHECK_EQ(fx_send(&x, r), -EINVAL);
	r = fr_begin(&x, FUSE_SETATTR, FUSE_ROOT_ID);
	fr_put(r, &(struct fuse_setattr_in){ 0 }, sizeof(struct fuse_setattr_in) - 1);
	CHECK_EQ(fx_send(&x, r), -EINVAL);

	/* WRITE whose size disagrees with the data that follows. */
	CHECK_EQ(fx_lookup(&x, FUSE_ROOT_ID, "f", &e), 0);
	CHECK_EQ(fx_open(&x, FUSE_OPEN, e.nodeid, O_RDWR, &fh), 0);
	for (int d = -1; d <= 1; d += 2) {
		r = fr_begin(&x, FUSE_WRITE, e.nodeid);
		fr_put(r, &(struct fuse_write_in){ .fh = fh, .size = (uint32_t)(4 + d) },
		       sizeof(struct fuse_write_in));
		fr_put(r, "data", 4);
		CHECK_EQ(fx_send(&x, r), -EINVAL);
	}
	CHECK(fx_host_has(&x, "f", "x"));
	/* BATCH_FORGET announcing more entries than it carries is dropped whole. */
	r = fr_begin(&x, FUSE_BATCH_FORGET, 0);
	fr_put(r, &(struct fuse_batch_forget_in){ .count = 1000 }, sizeof(struct fuse_batch_forget_in));
	fr_put(r, &(struct fuse_forget_one){ .nodeid = e.nodeid, .nlookup = 1 },
	       sizeof(struct fuse_forget_one));
	CHECK_EQ(fx_send_raw(&x, r, false), 0);
	CHECK_EQ(fx_read(&x, e.nodeid, fh, 0, 1), 1);
	struct fuse_attr a;
	CHECK_EQ(fx_getattr(&x, e.nodeid, &a), 0);
	fx_teardown(&x);
}

TEST(fs_reply_room_too_small_fails_before_any_effect)
{
	struct fuse_entry_out e;
	struct fuse_attr a;
	struct fx x;

	fx_setup(&x);
	fx_host_file(&x, "f", NULL);
	x.out_room = sizeof(struct fuse_out_header) + 100;
	CHECK_EQ(fx_lookup(&x, FUSE_ROOT_ID, "f", &e), -EINVAL);
	CHECK_EQ(fx_mkdir(&x, FUSE_ROOT_ID, "d", 0755, &e), -EINVAL);
	x.out_room = FX_OUT;
	CHECK_EQ(fx_lookup(&x, FUSE_ROOT_ID, "d", &e), -ENOENT);
	/* Had the failed LOOKUP counted, one FORGET would not free the node. */
	CHECK_EQ(fx_lookup(&x, FUSE_ROOT_ID, "f", &e), 0);
	fx_forget(&x, e.nodeid, 1);
	CHECK_EQ(fx_getattr(&x, e.nodeid, &a), -ESTALE);
	fx_teardown(&x);
}

TEST(fs_forged_and_stale_node_ids_are_estale)
{
	struct fuse_entry_out e, e2;
	struct fuse_attr a;
	struct fx x;
	const uint64_t forged[] = { 0, 2, 1000, 0xffffffffull, 1ull << 32 | 1, ~0ull,
				    0x8000000000000001ull };

	fx_setup(&x);
	for (size_t k = 0; k < sizeof(forged) / sizeof(forged[0]); k++) {
		CHECK_EQ(fx_getattr(&x, forged[k], &a), -ESTALE);
		CHECK_EQ(fx_lookup(&x, forged[k], "f", &e), -ESTALE);
		fx_forget(&x, forged[k], 1); /* ignored, no crash */
	}
	fx_host_file(&x, "f", NULL);
	fx_host_file(&x, "g", NULL);
	CHECK_EQ(fx_lookup(&x, FUSE_ROOT_ID, "f", &e), 0);
	CHECK_EQ(fx_lookup(&x, FUSE_ROOT_ID, "f", &e), 0);
	fx_forget(&x, e.nodeid, 1);
	CHECK_EQ(fx_getattr(&x, e.nodeid, &a), 0);
	fx_forget(&x, e.nodeid, 5); /* more than held: to zero, freed */
	CHECK_EQ(fx_getattr(&x, e.nodeid, &a), -ESTALE);
	/* The slot is reused under a new generation: the old id stays dead. */
	CHECK_EQ(fx_lookup(&x, FUSE_ROOT_ID, "g", &e2), 0);
	CHECK((uint32_t)e2.nodeid == (uint32_t)e.nodeid);
	CHECK(e2.nodeid != e.nodeid);
	CHECK_EQ(fx_getattr(&x, e.nodeid, &a), -ESTALE);
	CHECK_EQ(fx_getattr(&x, e2.nodeid, &a), 0);
	/* The root is never forgotten. */
	fx_forget(&x, FUSE_ROOT_ID, 100);
	CHECK_EQ(fx_getattr(&x, FUSE_ROOT_ID, &a), 0);
	fx_teardown(&x);
}

TEST(fs_forged_released_and_wrong_kind_handles_are_ebadf)
{
	struct fuse_entry_out e;
	uint64_t fh, dfh, fh2;
	struct fx x;
	const uint64_t forged[] = { 0, 1ull << 40, ~0ull, 12345 };

	fx_setup(&x);
	fx_host_file(&x, "f", "abc");
	CHECK_EQ(fx_lookup(&x, FUSE_ROOT_ID, "f", &e), 0);
	for (size_t k = 0; k < sizeof(forged) / sizeof(forged[0]); k++) {
		CHECK_EQ(fx_read(&x, e.nodeid, forged[k], 0, 1), -EBADF);
		CHECK_EQ(fx_write(&x, e.nodeid, forged[k], 0, "z", 1), -EBADF);
		CHECK_EQ(fx_readdir(&x, FUSE_READDIR, FUSE_ROOT_ID, forged[k], 0, 4096), -EBADF);
		CHECK_EQ(fx_release(&x, FUSE_RELEASE, e.nodeid, forged[k]), -EBADF);
	}
	CHECK_EQ(fx_open(&x, FUSE_OPEN, e.nodeid, O_RDONLY, &fh), 0);
	CHECK_EQ(fx_open(&x, FUSE_OPENDIR, FUSE_ROOT_ID, O_RDONLY, &dfh), 0);
	CHECK_EQ(fx_read(&x, e.nodeid, dfh, 0, 1), -EBADF);
	CHECK_EQ(fx_readdir(&x, FUSE_READDIR, FUSE_ROOT_ID, fh, 0, 4096), -EBADF);
	CHECK_EQ(fx_release(&x, FUSE_RELEASE, e.nodeid, dfh), -EBADF);
	CHECK_EQ(fx_release(&x, FUSE_RELEASEDIR, e.nodeid, fh), -EBADF);
	CHECK_EQ(fx_release(&x, FUSE_RELEASE, e.nodeid, fh), 0);
	CHECK_EQ(fx_read(&x, e.nodeid, fh, 0, 1), -EBADF);
	/* Slot reuse: the released fh stays dead, the new one works. */
	CHECK_EQ(fx_open(&x, FUSE_OPEN, e.nodeid, O_RDONLY, &fh2), 0);
	CHECK(fh2 != fh);
	CHECK_EQ(fx_read(&x, e.nodeid, fh, 0, 1), -EBADF);
	CHECK_EQ(fx_read(&x, e.nodeid, fh2, 0, 3), 3);
	CHECK_EQ(fx_open(&x, FUSE_OPENDIR, e.nodeid, O_RDONLY, &fh2), -ENOTDIR);
	fx_teardown(&x);
}

TEST(fs_bad_names_are_refused_by_every_op)
{
	struct fuse_entry_out e;
	char longname[300];
	uint64_t fh;
	struct fx x;
	struct fr *r;

	fx_setup(&x);
	fx_host_file(&x, "f", NULL);
	CHECK_EQ(fx_lookup_raw(&x, "a/b", 4), -EINVAL);
	CHECK_EQ(fx_lookup_raw(&x, "/etc", 5), -EINVAL);
	CHECK_EQ(fx_lookup_raw(&x, "", 1), -EINVAL);
	CHECK_EQ(fx_lookup_raw(&x, "", 0), -EINVAL);
	CHECK_EQ(fx_lookup_raw(&x, ".", 2), -EPERM);
	CHECK_EQ(fx_lookup_raw(&x, "..", 3), -EPERM);
	CHECK_EQ(fx_lookup_raw(&x, "f", 1), -EINVAL);          /* no NUL */
	CHECK_EQ(fx_lookup_raw(&x, "f\0junk", 7), -EINVAL);    /* embedded NUL */
	CHECK_EQ(fx_lookup_raw(&x, "f\0", 2), 0);
	memset(longname, 'a', sizeof(longname));
	longname[256] = 0;
	CHECK_EQ(fx_lookup_raw(&x, longname, 257), -ENAMETOOLONG);
	CHECK_EQ(fx_lookup_raw(&x, longname, sizeof(longname)), -ENAMETOOLONG);
	longname[255] = 0;
	CHECK_EQ(fx_lookup_raw(&x, longname, 256), -ENOENT);

	CHECK_EQ(fx_mkdir(&x, FUSE_ROOT_ID, "..", 0755, &e), -EPERM);
	CHECK_EQ(fx_mkdir(&x, FUSE_ROOT_ID, "../escaped", 0755, &e), -EINVAL);
	CHECK_EQ(fx_create(&x, FUSE_ROOT_ID, "../escaped", O_RDWR, 0644, &e, &fh), -EINVAL);
	CHECK_EQ(fx_symlink(&x, FUSE_ROOT_ID, "/tmp/x", "t", &e), -EINVAL);
	r = fr_begin(&x, FUSE_UNLINK, FUSE_ROOT_ID);
	fr_str(r, "..");
	CHECK_EQ(fx_send(&x, r), -EPERM);
	r = fr_begin(&x, FUSE_RMDIR, FUSE_ROOT_ID);
	fr_str(r, "../root");
	CHECK_EQ(fx_send(&x, r), -EINVAL);
	r = fr_begin(&x, FUSE_RENAME, FUSE_ROOT_ID);
	fr_put(r, &(struct fuse_rename_in){ .newdir = FUSE_ROOT_ID }, sizeof(struct fuse_rename_in));
	fr_str(r, "f");
	fr_str(r, "..");
	CHECK_EQ(fx_send(&x, r), -EPERM);
	r = fr_begin(&x, FUSE_RENAME, FUSE_ROOT_ID);
	fr_put(r, &(struct fuse_rename_in){ .newdir = FUSE_ROOT_ID }, sizeof(struct fuse_rename_in));
	fr_str(r, "f");
	fr_str(r, "../stolen");
	CHECK_EQ(fx_send(&x, r), -EINVAL);
	r = fr_begin(&x, FUSE_LINK, FUSE_ROOT_ID);
	fr_put(r, &(struct fuse_link_in){ .oldnodeid = fx_node(&x, FUSE_ROOT_ID, "f") },
	       sizeof(struct fuse_link_in));
	fr_str(r, "../linked");
	CHECK_EQ(fx_send(&x, r), -EINVAL);

	char p[128];
	struct stat st;
	snprintf(p, sizeof(p), "%s/escaped", x.base);
	CHECK(lstat(p, &st) < 0);
	snprintf(p, sizeof(p), "%s/stolen", x.base);
	CHECK(lstat(p, &st) < 0);
	snprintf(p, sizeof(p), "%s/linked", x.base);
	CHECK(lstat(p, &st) < 0);
	fx_teardown(&x);
}

/*
 * In a child (the fd limit is the process's): a low RLIMIT_NOFILE, lookups past
 * it get EMFILE, READDIRPLUS still lists every entry, and once the guest forgets
 * some nodes the table serves lookups again with consistent node ids.
 */
static int fx_exhaust(struct fx *x)
{
	enum { N = 200 };
	static uint64_t ids[N];
	struct rlimit rl;
	int ok = 0, emfile = 0, fd;
	char name[16];
	uint64_t dfh;

	for (int k = 0; k < N; k++) {
		snprintf(name, sizeof(name), "f%03d", k);
		fx_host_file(x, name, NULL);
	}
	/* Room for about 60 more fds than the lowest free one now. */
	fd = dup(0);
	if (fd < 0 || getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return 10;
	close(fd);
	rl.rlim_cur = (rlim_t)fd + 60;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
		return 11;
	for (int k = 0; k < N; k++) {
		struct fuse_entry_out e;
		int r;

		snprintf(name, sizeof(name), "f%03d", k);
		r = fx_lookup(x, FUSE_ROOT_ID, name, &e);
		ids[k] = r ? 0 : e.nodeid;
		if (r == 0)
			ok++;
		else if (r == -EMFILE)
			emfile++;
		else
			return 13;
	}
	if (ok < 20 || emfile < 50)
		return 14;
	/* Listing works without fds: plain entries (node id 0) past the limit. */
	if (fx_open(x, FUSE_OPENDIR, FUSE_ROOT_ID, O_RDONLY, &dfh) == -EMFILE) {
		fx_forget(x, ids[0], 1);
		ids[0] = 0;
		if (fx_open(x, FUSE_OPENDIR, FUSE_ROOT_ID, O_RDONLY, &dfh))
			return 15;
	}
	if (fx_readdir(x, FUSE_READDIRPLUS, FUSE_ROOT_ID, dfh, 0, 65536))
		return 16;
	/* Every entry is there (N files, "." and ".."); those that carry a node
	 * hold a guest reference, which the guest gives back. */
	int listed = 0, plain = 0;
	for (size_t off = 0; off < x->plen; listed++) {
		struct fuse_direntplus d;

		memcpy(&d, x->payload + off, sizeof(d));
		if (d.entry_out.nodeid)
			fx_forget(x, d.entry_out.nodeid, 1);
		else
			plain++;
		off += FUSE_DIRENTPLUS_SIZE(&d);
	}
	if (listed != N + 2 || plain < 50)
		return 19;
	/* Forget all but the first 5 nodes: lookups work again, same ids for the kept. */
	for (int k = 5; k < N; k++)
		if (ids[k])
			fx_forget(x, ids[k], 1);
	for (int k = 0; k < N; k++) {
		struct fuse_entry_out e;

		snprintf(name, sizeof(name), "f%03d", k);
		if (k >= 40)
			break;
		if (fx_lookup(x, FUSE_ROOT_ID, name, &e))
			return 17;
		if (k < 5 && ids[k] && e.nodeid != ids[k])
			return 18;
	}
	return 0;
}

TEST(fs_fd_exhaustion_answers_emfile_and_keeps_the_table_consistent)
{
	struct fx x;
	int status;
	pid_t pid;

	fx_setup(&x);
	fflush(stdout);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0)
		_exit(fx_exhaust(&x));
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status));
	CHECK_EQ(WEXITSTATUS(status), 0);
	fx_teardown(&x);
}
