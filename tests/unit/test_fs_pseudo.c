/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Kernel-interface file systems inside a share (src/fs/realfs.c): a procfs or
 * sysfs mounted in it is an empty stub directory that nothing else may use,
 * nothing on it is looked up, opened or listed, a proc or nsfs file
 * bind-mounted into it is refused, a root on one is refused, and a real file
 * system mounted inside (tmpfs) works as ever.
 */
#include "fuse_req.h"

#include <linux/magic.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/statfs.h>

/* This process in a mount namespace of its own, so that nothing mounted here
 * outlives it; false without the privilege. */
static bool fx_private_mounts(void)
{
	return geteuid() == 0 && unshare(CLONE_NEWNS) == 0 &&
	       mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0;
}

static bool fx_fs_is(const char *path, unsigned long magic)
{
	struct statfs sf;

	return statfs(path, &sf) == 0 && (unsigned long)(uint32_t)sf.f_type == magic;
}

/* A server on root instead of x's own tree (which x still cleans up). */
static int fx_reroot(struct fx *x, const char *root)
{
	struct fuse_server_config cfg = { .root = root };
	int r;

	fuse_server_destroy(x->s);
	x->s = NULL;
	r = fuse_server_create(&cfg, &x->s);
	if (r == 0)
		CHECK_EQ(fx_init(x), 0);
	return r;
}

/* The stub of a pseudo file system's mount point: a directory, root's, 0555,
 * that the guest may stat (and mount over) and nothing else. */
static void fx_check_stub(struct fx *x, const struct fuse_entry_out *e)
{
	struct fuse_setattr_in chmod_in = { .valid = FATTR_MODE, .mode = 0777 };
	struct fuse_entry_out in;
	struct fuse_attr a;
	uint64_t fh;

	CHECK(S_ISDIR(e->attr.mode));
	CHECK_EQ(e->attr.mode & 07777, 0555);
	CHECK_EQ(e->attr.uid, 0);
	CHECK_EQ(fx_getattr(x, e->nodeid, &a), 0);
	CHECK(S_ISDIR(a.mode));
	CHECK_EQ(a.ino, e->attr.ino);
	CHECK_EQ(fx_lookup(x, e->nodeid, "self", &in), -EACCES);
	CHECK_EQ(fx_lookup(x, e->nodeid, "1", &in), -EACCES);
	CHECK_EQ(fx_open(x, FUSE_OPENDIR, e->nodeid, O_RDONLY, &fh), -EACCES);
	CHECK_EQ(fx_open(x, FUSE_OPEN, e->nodeid, O_RDONLY, &fh), -EACCES);
	CHECK_EQ(fx_mkdir(x, e->nodeid, "d", 0755, &in), -EACCES);
	CHECK_EQ(fx_create(x, e->nodeid, "f", O_RDWR, 0644, &in, &fh), -EACCES);
	CHECK_EQ(fx_setattr(x, e->nodeid, &chmod_in, &a), -EACCES);
	CHECK_EQ(fx_xattr(x, FUSE_LISTXATTR, e->nodeid, NULL, NULL, 100, 0), -EACCES);
	CHECK_EQ(fx_send(x, fr_begin(x, FUSE_STATFS, e->nodeid)), -EACCES);
}

TEST(fs_a_share_of_slash_shows_proc_and_sys_as_empty_stubs)
{
	struct fuse_entry_out proc, e;
	char pid[16];
	struct fx x;

	if (!fx_fs_is("/proc", PROC_SUPER_MAGIC))
		SKIP("no procfs on /proc");
	fx_setup(&x);
	CHECK_EQ(fx_reroot(&x, "/"), 0);
	CHECK_EQ(fx_lookup(&x, FUSE_ROOT_ID, "proc", &proc), 0);
	fx_check_stub(&x, &proc);
	/* The reviewer's way to this very process's memory: proc, <pid>, mem. */
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	CHECK_EQ(fx_lookup(&x, proc.nodeid, pid, &e), -EACCES);
	/* The same stub each time: a guest's mount over it stays put. */
	CHECK_EQ(fx_lookup(&x, FUSE_ROOT_ID, "proc", &e), 0);
	CHECK_EQ(e.nodeid, proc.nodeid);
	if (fx_fs_is("/sys", SYSFS_MAGIC)) {
		CHECK_EQ(fx_lookup(&x, FUSE_ROOT_ID, "sys", &e), 0);
		fx_check_stub(&x, &e);
		CHECK_EQ(fx_lookup(&x, e.nodeid, "kernel", &e), -EACCES);
	}
	fx_teardown(&x);
}

TEST(fs_a_share_rooted_on_a_pseudo_fs_is_refused)
{
	const char *roots[] = { "/proc", "/proc/self", "/proc/self/fd", "/sys", "/sys/kernel" };
	struct fuse_server *s = NULL;

	for (size_t k = 0; k < sizeof(roots) / sizeof(roots[0]); k++) {
		struct fuse_server_config cfg = { .root = roots[k] };

		if (!fx_fs_is(roots[k], k < 3 ? PROC_SUPER_MAGIC : SYSFS_MAGIC))
			continue;
		CHECK_EQ(fuse_server_create(&cfg, &s), -EACCES);
	}
}

/* The READDIRPLUS entry named name in the reply held by x, or NULL. */
static const struct fuse_direntplus *fx_find_plus(const struct fx *x, const char *name)
{
	for (size_t off = 0; off + FUSE_NAME_OFFSET_DIRENTPLUS <= x->plen;) {
		const struct fuse_direntplus *d = (const void *)(x->payload + off);

		if (d->dirent.namelen == strlen(name) &&
		    !memcmp(x->payload + off + FUSE_NAME_OFFSET_DIRENTPLUS, name, strlen(name)))
			return d;
		off += FUSE_DIRENT_ALIGN(FUSE_NAME_OFFSET_DIRENTPLUS + d->dirent.namelen);
	}
	return NULL;
}

/* Mounts what at root/rel (a directory or, for a bind mount, a file). */
static void fx_mount(const struct fx *x, const char *rel, const char *src, const char *type,
		     unsigned long flags, bool dir)
{
	char p[256];

	fx_path(x, rel, p, sizeof(p));
	if (dir)
		CHECK_EQ(mkdir(p, 0755), 0);
	else
		fx_host_file(x, rel, "placeholder");
	CHECK_EQ(mount(src, p, type, flags, NULL), 0);
}

static void fx_umount(const struct fx *x, const char *rel)
{
	char p[256];

	fx_path(x, rel, p, sizeof(p));
	CHECK_EQ(umount2(p, MNT_DETACH), 0);
}

TEST(fs_pseudo_mounts_inside_a_share_are_stubs_and_their_files_are_refused)
{
	static const char *const mounts[] = { "proc", "sys", "tmp", "mem", "netns" };
	const struct fuse_direntplus *d;
	struct fuse_entry_out e, tmp;
	char mem[64];
	uint64_t fh;
	struct fx x;

	if (!fx_private_mounts())
		SKIP("needs root and a mount namespace of its own");
	fx_setup(&x);
	snprintf(mem, sizeof(mem), "/proc/%d/mem", (int)getpid());
	fx_mount(&x, "proc", "proc", "proc", 0, true);
	fx_mount(&x, "sys", "sys", "sysfs", 0, true);
	fx_mount(&x, "tmp", "tmp", "tmpfs", 0, true);
	fx_mount(&x, "mem", mem, NULL, MS_BIND, false);
	fx_mount(&x, "netns", "/proc/self/ns/net", NULL, MS_BIND, false);

	CHECK_EQ(fx_lookup(&x, FUSE_ROOT_ID, "proc", &e), 0);
	fx_check_stub(&x, &e);
	CHECK_EQ(fx_lookup(&x, FUSE_ROOT_ID, "sys", &e), 0);
	fx_check_stub(&x, &e);
	/* Files of pseudo file systems bind-mounted in: never reached. */
	CHECK_EQ(fx_lookup(&x, FUSE_ROOT_ID, "mem", &e), -EACCES);
	CHECK_EQ(fx_lookup(&x, FUSE_ROOT_ID, "netns", &e), -EACCES);
	CHECK_EQ(fx_create(&x, FUSE_ROOT_ID, "mem", O_RDWR, 0644, &e, &fh), -EACCES);
	/* A real file system mounted inside works. */
	CHECK_EQ(fx_lookup(&x, FUSE_ROOT_ID, "tmp", &tmp), 0);
	CHECK_EQ(fx_create(&x, tmp.nodeid, "in-tmpfs", O_RDWR, 0644, &e, &fh), 0);
	CHECK_EQ(fx_write(&x, e.nodeid, fh, 0, "ok", 2), 2);
	CHECK(fx_host_has(&x, "tmp/in-tmpfs", "ok"));

	/* Listed as the mount points they are, with the same answers. */
	CHECK_EQ(fx_open(&x, FUSE_OPENDIR, FUSE_ROOT_ID, O_RDONLY, &fh), 0);
	CHECK_EQ(fx_readdir(&x, FUSE_READDIRPLUS, FUSE_ROOT_ID, fh, 0, 65536), 0);
	d = fx_find_plus(&x, "proc");
	CHECK(d && d->entry_out.nodeid && S_ISDIR(d->entry_out.attr.mode));
	CHECK_EQ(d->entry_out.attr.mode & 07777, 0555);
	d = fx_find_plus(&x, "mem");
	CHECK(d && d->entry_out.nodeid == 0);
	d = fx_find_plus(&x, "netns");
	CHECK(d && d->entry_out.nodeid == 0);
	CHECK_EQ(fx_release(&x, FUSE_RELEASEDIR, FUSE_ROOT_ID, fh), 0);

	for (size_t k = 0; k < sizeof(mounts) / sizeof(mounts[0]); k++)
		fx_umount(&x, mounts[k]);
	fx_teardown(&x);
}
