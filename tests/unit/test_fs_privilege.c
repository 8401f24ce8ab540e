/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Guest-made privilege stays in the guest (src/fs/statmap.c, xattr_map.c):
 * device nodes, set-ID bits, chowns, file capabilities and trusted.* attributes
 * made through the server leave nothing privileged on the host, whatever uid
 * the request claims, while the guest sees what it made; the mapping is
 * invisible to the guest; a host set-ID file loses its bits before the guest
 * writes it; host device nodes are never changed; a file system without user
 * xattrs refuses what it cannot keep; passthrough_privileges brings the old
 * behaviour back.
 */
#include "fuse_req.h"

#include <sched.h>
#include <sys/mount.h>
#include <sys/sysmacros.h>

static void fx_need_user_xattrs(const struct fx *x)
{
	if (setxattr(x->root, "user.probe", "1", 1, 0) < 0)
		SKIP("no user xattrs under /tmp: %s", strerror(errno));
	removexattr(x->root, "user.probe");
}

static void fx_host_stat(const struct fx *x, const char *rel, struct stat *st)
{
	char p[256];

	fx_path(x, rel, p, sizeof(p));
	CHECK_EQ(lstat(p, st), 0);
}

/* The host attribute name of rel into buf (NUL-terminated); its length or -errno. */
static long fx_host_xattr(const struct fx *x, const char *rel, const char *name, char *buf,
			  size_t n)
{
	char p[256];
	ssize_t k;

	fx_path(x, rel, p, sizeof(p));
	memset(buf, 0, n);
	k = lgetxattr(p, name, buf, n - 1);
	return k < 0 ? -errno : k;
}

/* SETATTR as the guest kernel claims uid/gid. */
static int fx_setattr_as(struct fx *x, uint32_t uid, uint64_t node, struct fuse_setattr_in in,
			 struct fuse_attr *a)
{
	struct fr *r = fr_begin(x, FUSE_SETATTR, node);

	fr_hdr(r)->uid = uid;
	fr_hdr(r)->gid = uid;
	fr_put(r, &in, sizeof(in));
	if (fx_send(x, r) == 0)
		memcpy(a, x->payload + offsetof(struct fuse_attr_out, attr), sizeof(*a));
	return x->err;
}

/* CREATE (O_RDWR) or MKDIR in parent as uid/gid; the new entry in e. */
static int fx_make_as(struct fx *x, uint32_t op, uint64_t parent, uint32_t uid, uint32_t gid,
		      const char *name, uint32_t mode, struct fuse_entry_out *e)
{
	struct fr *r = fr_begin(x, op, parent);

	fr_hdr(r)->uid = uid;
	fr_hdr(r)->gid = gid;
	if (op == FUSE_CREATE)
		fr_put(r, &(struct fuse_create_in){ .flags = O_RDWR, .mode = S_IFREG | mode },
		       sizeof(struct fuse_create_in));
	else
		fr_put(r, &(struct fuse_mkdir_in){ .mode = mode }, sizeof(struct fuse_mkdir_in));
	fr_str(r, name);
	if (fx_send(x, r) == 0)
		memcpy(e, x->payload, sizeof(*e));
	return x->err;
}

TEST(fs_guest_device_nodes_are_plain_empty_files_on_the_host)
{
	static const struct {
		const char *name;
		uint32_t mode, rdev;
		const char *map;
	} nodes[] = {
		{ "loop0", S_IFBLK | 0666, 0x700, "0:0:0666:block-7-0" }, /* 7:0 */
		{ "null", S_IFCHR | 0666, 0x103, "0:0:0666:char-1-3" },
		{ "fifo", S_IFIFO | 0640, 0, "0:0:0640:pipe" },
		{ "sock", S_IFSOCK | 0755, 0, "0:0:0755:socket" },
	};
	struct fuse_entry_out e;
	struct fuse_attr a;
	struct stat st;
	char v[64];
	uint64_t fh;
	struct fx x;

	fx_setup(&x);
	fx_need_user_xattrs(&x);
	for (size_t k = 0; k < sizeof(nodes) / sizeof(nodes[0]); k++) {
		CHECK_EQ(fx_mknod(&x, nodes[k].name, nodes[k].mode, nodes[k].rdev, &e), 0);
		CHECK_EQ(e.attr.mode, nodes[k].mode);
		CHECK_EQ(e.attr.rdev, nodes[k].rdev);
		CHECK_EQ(fx_getattr(&x, e.nodeid, &a), 0);
		CHECK_EQ(a.mode, nodes[k].mode);
		CHECK_EQ(a.rdev, nodes[k].rdev);
		CHECK_EQ(fx_open(&x, FUSE_OPEN, e.nodeid, O_RDWR, &fh), -EACCES);
		/* On the host: an empty private file of the VMM's, and the record. */
		fx_host_stat(&x, nodes[k].name, &st);
		CHECK(S_ISREG(st.st_mode));
		CHECK_EQ(st.st_mode & 07777, 0600);
		CHECK_EQ(st.st_size, 0);
		CHECK_EQ(st.st_uid, geteuid());
		CHECK_EQ(fx_host_xattr(&x, nodes[k].name, "user.containers.override_stat", v,
				       sizeof(v)), (long)strlen(nodes[k].map));
		CHECK_STR_EQ(v, nodes[k].map);
	}
	/* READDIR's types are the guest's too. */
	CHECK_EQ(fx_open(&x, FUSE_OPENDIR, FUSE_ROOT_ID, O_RDONLY, &fh), 0);
	CHECK_EQ(fx_readdir(&x, FUSE_READDIR, FUSE_ROOT_ID, fh, 0, 65536), 0);
	size_t seen = 0;
	for (size_t off = 0; off < x.plen;) {
		const struct fuse_dirent *d = (const void *)(x.payload + off);
		const char *name = (const char *)x.payload + off + FUSE_NAME_OFFSET;

		for (size_t k = 0; k < sizeof(nodes) / sizeof(nodes[0]); k++)
			if (d->namelen == strlen(nodes[k].name) &&
			    !memcmp(name, nodes[k].name, d->namelen)) {
				CHECK_EQ(d->type, IFTODT(nodes[k].mode));
				seen++;
			}
		off += FUSE_DIRENT_ALIGN(FUSE_NAME_OFFSET + d->namelen);
	}
	CHECK_EQ(seen, sizeof(nodes) / sizeof(nodes[0]));
	fx_teardown(&x);
}

TEST(fs_set_id_bits_and_chowns_stay_in_the_guest)
{
	struct fuse_entry_out f, d, g;
	struct fuse_attr a;
	struct stat st;
	char v[64];
	struct fx x;

	fx_setup(&x);
	fx_need_user_xattrs(&x);
	CHECK_EQ(fx_make_as(&x, FUSE_CREATE, FUSE_ROOT_ID, 1000, 1000, "f", 0644, &f), 0);
	CHECK_EQ(f.attr.uid, 1000);
	/* The reviewer's request: chown to 0 and chmod 06755, claiming uid 1000. */
	CHECK_EQ(fx_setattr_as(&x, 1000, f.nodeid, (struct fuse_setattr_in){
				       .valid = FATTR_UID | FATTR_GID, .uid = 0, .gid = 0 }, &a), 0);
	CHECK_EQ(fx_setattr_as(&x, 1000, f.nodeid, (struct fuse_setattr_in){
				       .valid = FATTR_MODE, .mode = S_IFREG | 06755 }, &a), 0);
	CHECK_EQ(a.mode, S_IFREG | 06755);
	CHECK_EQ(fx_getattr(&x, f.nodeid, &a), 0);
	CHECK_EQ(a.uid, 0);
	CHECK_EQ(a.gid, 0);
	CHECK_EQ(a.mode, S_IFREG | 06755);
	fx_host_stat(&x, "f", &st);
	CHECK_EQ(st.st_uid, geteuid());
	CHECK_EQ(st.st_gid, getegid());
	CHECK_EQ(st.st_mode, S_IFREG | 0755);
	CHECK_EQ(fx_setattr_as(&x, 0, f.nodeid, (struct fuse_setattr_in){
				       .valid = FATTR_UID | FATTR_GID, .uid = 1234, .gid = 5678 }, &a), 0);
	CHECK_EQ(a.uid, 1234);
	CHECK_EQ(a.gid, 5678);
	fx_host_stat(&x, "f", &st);
	CHECK_EQ(st.st_uid, geteuid());
	CHECK_EQ(fx_setattr_as(&x, 0, f.nodeid, (struct fuse_setattr_in){
				       .valid = FATTR_UID, .uid = (uint32_t)-1 }, &a), -EINVAL);

	/* What the host may show as it is stays plain: no record. */
	CHECK_EQ(fx_make_as(&x, FUSE_CREATE, FUSE_ROOT_ID, geteuid(), getegid(), "plain", 0644,
			    &g), 0);
	CHECK_EQ(fx_host_xattr(&x, "plain", "user.containers.override_stat", v, sizeof(v)),
		 -ENODATA);
	/* Back to what the host shows: the record goes. */
	CHECK_EQ(fx_setattr_as(&x, 0, f.nodeid, (struct fuse_setattr_in){
				       .valid = FATTR_UID | FATTR_GID | FATTR_MODE, .uid = geteuid(),
				       .gid = getegid(), .mode = 0755 }, &a), 0);
	CHECK_EQ(fx_host_xattr(&x, "f", "user.containers.override_stat", v, sizeof(v)), -ENODATA);

	/* A set-group-ID directory of the guest's: its group and bit are inherited
	 * in the guest, and the host directory has no S_ISGID. */
	CHECK_EQ(fx_make_as(&x, FUSE_MKDIR, FUSE_ROOT_ID, 0, 50, "shared", 02775, &d), 0);
	CHECK_EQ(d.attr.mode, S_IFDIR | 02775);
	fx_host_stat(&x, "shared", &st);
	CHECK_EQ(st.st_mode & 07777, 0775);
	CHECK_EQ(fx_make_as(&x, FUSE_CREATE, d.nodeid, 1000, 1000, "in", 0644, &g), 0);
	CHECK_EQ(g.attr.gid, 50);
	CHECK_EQ(fx_make_as(&x, FUSE_MKDIR, d.nodeid, 1000, 1000, "sub", 0755, &g), 0);
	CHECK_EQ(g.attr.gid, 50);
	CHECK_EQ(g.attr.mode, S_IFDIR | 02755);
	fx_teardown(&x);
}

TEST(fs_file_capabilities_and_trusted_xattrs_stay_in_the_guest)
{
	/* vfs_cap_data revision 2, effective, permitted CAP_NET_RAW (linux/capability.h). */
	static const uint32_t cap[5] = { 0x02000001, 1u << 13, 0, 0, 0 };
	struct fuse_entry_out e;
	char v[64];
	uint64_t fh;
	struct fx x;

	fx_setup(&x);
	fx_need_user_xattrs(&x);
	CHECK_EQ(fx_create(&x, FUSE_ROOT_ID, "ping", O_RDWR, 0755, &e, &fh), 0);
	CHECK_EQ(fx_xattr(&x, FUSE_SETXATTR, e.nodeid, "security.capability", cap, sizeof(cap),
			  0), 0);
	CHECK_EQ(fx_xattr(&x, FUSE_SETXATTR, e.nodeid, "trusted.overlay.opaque", "y", 1, 0), 0);
	CHECK_EQ(fx_xattr(&x, FUSE_SETXATTR, e.nodeid, "trusted.overlay.opaque", "y", 1,
			  XATTR_CREATE), -EEXIST);
	/* The host has neither, only their records in user.krun.* */
	CHECK_EQ(fx_host_xattr(&x, "ping", "security.capability", v, sizeof(v)), -ENODATA);
	CHECK_EQ(fx_host_xattr(&x, "ping", "trusted.overlay.opaque", v, sizeof(v)), -ENODATA);
	CHECK_EQ(fx_host_xattr(&x, "ping", "user.krun.security.capability", v, sizeof(v)),
		 (long)sizeof(cap));
	CHECK(!memcmp(v, cap, sizeof(cap)));
	/* The guest has both. */
	CHECK_EQ(fx_xattr(&x, FUSE_GETXATTR, e.nodeid, "security.capability", NULL, 100, 0), 0);
	CHECK_EQ(x.plen, sizeof(cap));
	CHECK(!memcmp(x.payload, cap, sizeof(cap)));
	CHECK_EQ(fx_xattr(&x, FUSE_GETXATTR, e.nodeid, "trusted.overlay.opaque", NULL, 100, 0), 0);
	CHECK_EQ(x.plen, 1);
	CHECK_EQ(fx_xattr(&x, FUSE_LISTXATTR, e.nodeid, NULL, NULL, 1000, 0), 0);
	CHECK_EQ(x.plen, sizeof("security.capability") + sizeof("trusted.overlay.opaque"));
	CHECK(memmem(x.payload, x.plen, "security.capability", sizeof("security.capability")));
	CHECK(memmem(x.payload, x.plen, "trusted.overlay.opaque", sizeof("trusted.overlay.opaque")));
	CHECK_EQ(fx_xattr(&x, FUSE_REMOVEXATTR, e.nodeid, "trusted.overlay.opaque", NULL, 0, 0), 0);
	CHECK_EQ(fx_host_xattr(&x, "ping", "user.krun.trusted.overlay.opaque", v, sizeof(v)),
		 -ENODATA);
	fx_teardown(&x);
}

TEST(fs_the_mapping_attributes_are_invisible_to_the_guest)
{
	struct fuse_entry_out e;
	struct fuse_attr a;
	uint64_t fh;
	struct fx x;

	fx_setup(&x);
	fx_need_user_xattrs(&x);
	CHECK_EQ(fx_create(&x, FUSE_ROOT_ID, "f", O_RDWR, 0644, &e, &fh), 0);
	CHECK_EQ(fx_setattr_as(&x, 0, e.nodeid, (struct fuse_setattr_in){
				       .valid = FATTR_UID, .uid = 1234 }, &a), 0);
	CHECK_EQ(fx_xattr(&x, FUSE_SETXATTR, e.nodeid, "security.x", "1", 1, 0), 0);
	CHECK_EQ(fx_xattr(&x, FUSE_SETXATTR, e.nodeid, "user.a", "2", 1, 0), 0);
	CHECK_EQ(fx_xattr(&x, FUSE_GETXATTR, e.nodeid, "user.containers.override_stat", NULL, 100,
			  0), -ENODATA);
	CHECK_EQ(fx_xattr(&x, FUSE_SETXATTR, e.nodeid, "user.containers.override_stat",
			  "0:0:4755:file", 13, 0), -EPERM);
	CHECK_EQ(fx_xattr(&x, FUSE_REMOVEXATTR, e.nodeid, "user.containers.override_stat", NULL,
			  0, 0), -EPERM);
	CHECK_EQ(fx_xattr(&x, FUSE_GETXATTR, e.nodeid, "user.krun.security.x", NULL, 100, 0),
		 -ENODATA);
	CHECK_EQ(fx_xattr(&x, FUSE_SETXATTR, e.nodeid, "user.krun.security.capability", "1", 1,
			  0), -EPERM);
	CHECK_EQ(fx_xattr(&x, FUSE_REMOVEXATTR, e.nodeid, "user.krun.security.x", NULL, 0, 0),
		 -EPERM);
	/* Only the guest's own names, the size query included. */
	CHECK_EQ(fx_xattr(&x, FUSE_LISTXATTR, e.nodeid, NULL, NULL, 1000, 0), 0);
	CHECK_EQ(x.plen, sizeof("user.a") + sizeof("security.x"));
	CHECK(memmem(x.payload, x.plen, "user.a", sizeof("user.a")));
	CHECK(memmem(x.payload, x.plen, "security.x", sizeof("security.x")));
	CHECK_EQ(fx_xattr(&x, FUSE_LISTXATTR, e.nodeid, NULL, NULL, 0, 0), 0);
	CHECK_EQ(((const struct fuse_getxattr_out *)(const void *)x.payload)->size,
		 sizeof("user.a") + sizeof("security.x"));
	CHECK_EQ(fx_xattr(&x, FUSE_LISTXATTR, e.nodeid, NULL, NULL, 12, 0), -ERANGE);
	CHECK_EQ(fx_getattr(&x, e.nodeid, &a), 0);
	CHECK_EQ(a.uid, 1234);
	fx_teardown(&x);
}

TEST(fs_host_set_id_files_lose_their_bits_before_the_guest_writes)
{
	struct fuse_setattr_in trunc = { .valid = FATTR_SIZE, .size = 1 };
	struct fuse_entry_out e;
	struct fuse_attr a;
	struct stat st;
	char p[256];
	uint64_t fh;
	bool view;
	struct fx x;

	fx_setup(&x);
	/* Where the share keeps no user xattrs the guest loses the bit too. */
	view = setxattr(x.root, "user.probe", "1", 1, 0) == 0;
	removexattr(x.root, "user.probe");
	fx_host_file(&x, "su", "host binary");
	fx_path(&x, "su", p, sizeof(p));
	CHECK_EQ(chmod(p, 04755), 0);
	fx_host_file(&x, "sg", "host binary");
	fx_path(&x, "sg", p, sizeof(p));
	CHECK_EQ(chmod(p, 02755), 0);
	CHECK_EQ(fx_lookup(&x, FUSE_ROOT_ID, "su", &e), 0);
	CHECK_EQ(e.attr.mode, S_IFREG | 04755); /* host-made: shown as it is */
	CHECK_EQ(fx_open(&x, FUSE_OPEN, e.nodeid, O_RDONLY, &fh), 0);
	fx_host_stat(&x, "su", &st);
	CHECK_EQ(st.st_mode & 07777, 04755);
	CHECK_EQ(fx_open(&x, FUSE_OPEN, e.nodeid, O_WRONLY, &fh), 0);
	fx_host_stat(&x, "su", &st);
	CHECK_EQ(st.st_mode & 07777, 0755);
	CHECK_EQ(fx_write(&x, e.nodeid, fh, 0, "guest", 5), 5);
	fx_host_stat(&x, "su", &st);
	CHECK_EQ(st.st_mode & 07777, 0755);
	CHECK_EQ(fx_getattr(&x, e.nodeid, &a), 0);
	CHECK_EQ(a.mode, S_IFREG | (view ? 04755 : 0755));
	/* A truncate without a handle too. */
	CHECK_EQ(fx_lookup(&x, FUSE_ROOT_ID, "sg", &e), 0);
	CHECK_EQ(fx_setattr(&x, e.nodeid, &trunc, &a), 0);
	fx_host_stat(&x, "sg", &st);
	CHECK_EQ(st.st_mode & 07777, 0755);
	CHECK_EQ(st.st_size, 1);
	fx_teardown(&x);
}

TEST(fs_host_device_nodes_are_never_changed)
{
	struct fuse_entry_out e;
	struct fuse_attr a;
	struct stat st;
	char p[256];
	struct fx x;

	if (geteuid() != 0)
		SKIP("needs root to make a device node");
	fx_setup(&x);
	fx_path(&x, "null", p, sizeof(p));
	CHECK_EQ(mknod(p, S_IFCHR | 0600, makedev(1, 3)), 0);
	CHECK_EQ(fx_lookup(&x, FUSE_ROOT_ID, "null", &e), 0);
	CHECK(S_ISCHR(e.attr.mode));
	CHECK_EQ(fx_setattr_as(&x, 0, e.nodeid, (struct fuse_setattr_in){
				       .valid = FATTR_MODE, .mode = 0666 }, &a), -EPERM);
	CHECK_EQ(fx_setattr_as(&x, 0, e.nodeid, (struct fuse_setattr_in){
				       .valid = FATTR_UID, .uid = 1000 }, &a), -EPERM);
	CHECK_EQ(lstat(p, &st), 0);
	CHECK_EQ(st.st_mode, S_IFCHR | 0600);
	CHECK_EQ(st.st_uid, 0);
	fx_teardown(&x);
}

TEST(fs_without_user_xattrs_privileges_are_refused_and_owners_kept)
{
	struct fuse_server_config cfg = { 0 };
	struct fuse_entry_out e;
	struct fuse_attr a;
	struct stat st;
	char p[256];
	struct fx x;

	if (geteuid() != 0 || unshare(CLONE_NEWNS) < 0 ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		SKIP("needs root and a mount namespace of its own");
	fx_setup(&x);
	fuse_server_destroy(x.s);
	x.s = NULL;
	CHECK_EQ(mount("ram", x.root, "ramfs", 0, "mode=0755"), 0);
	if (setxattr(x.root, "user.probe", "1", 1, 0) == 0 || errno != EOPNOTSUPP) {
		umount2(x.root, MNT_DETACH);
		SKIP("ramfs keeps user xattrs here");
	}
	cfg.root = x.root;
	CHECK_EQ(fuse_server_create(&cfg, &x.s), 0);
	CHECK_EQ(fx_init(&x), 0);
	CHECK_EQ(fx_mknod(&x, "loop0", S_IFBLK | 0666, 0x700, &e), -EPERM);
	fx_path(&x, "loop0", p, sizeof(p));
	CHECK(lstat(p, &st) < 0 && errno == ENOENT);
	CHECK_EQ(fx_mknod(&x, "fifo", S_IFIFO | 0640, 0, &e), 0);
	CHECK(S_ISFIFO(e.attr.mode));
	fx_host_stat(&x, "fifo", &st);
	CHECK(S_ISFIFO(st.st_mode));
	/* The owner is the host's to hold: a root VMM gives it. */
	CHECK_EQ(fx_make_as(&x, FUSE_CREATE, FUSE_ROOT_ID, 1000, 1001, "f", 04755, &e), 0);
	CHECK_EQ(e.attr.uid, 1000);
	CHECK_EQ(e.attr.mode, S_IFREG | 0755);
	fx_host_stat(&x, "f", &st);
	CHECK_EQ(st.st_uid, 1000);
	CHECK_EQ(st.st_mode & 07777, 0755);
	CHECK_EQ(fx_setattr_as(&x, 0, e.nodeid, (struct fuse_setattr_in){
				       .valid = FATTR_MODE, .mode = 04755 }, &a), -EPERM);
	fx_host_stat(&x, "f", &st);
	CHECK_EQ(st.st_mode & 07777, 0755);
	CHECK(fx_xattr(&x, FUSE_SETXATTR, e.nodeid, "security.capability", "x", 1, 0) < 0);
	fuse_server_destroy(x.s);
	x.s = NULL;
	CHECK_EQ(umount2(x.root, MNT_DETACH), 0);
	fx_teardown(&x);
}

TEST(fs_passthrough_privileges_puts_them_on_the_host_as_before)
{
	struct fuse_entry_out e;
	struct fuse_attr a;
	struct stat st;
	char v[16];
	uint64_t fh;
	struct fx x;

	if (geteuid() != 0)
		SKIP("needs root");
	fx_setup_cfg(&x, (struct fuse_server_config){ .passthrough_privileges = true });
	CHECK_EQ(fx_mknod(&x, "loop0", S_IFBLK | 0600, 0x700, &e), 0);
	fx_host_stat(&x, "loop0", &st);
	CHECK(S_ISBLK(st.st_mode));
	CHECK_EQ(st.st_rdev, makedev(7, 0));
	CHECK_EQ(fx_create(&x, FUSE_ROOT_ID, "su", O_RDWR, 0755, &e, &fh), 0);
	CHECK_EQ(fx_setattr(&x, e.nodeid, &(struct fuse_setattr_in){ .valid = FATTR_MODE,
			    .mode = 04755 }, &a), 0);
	fx_host_stat(&x, "su", &st);
	CHECK_EQ(st.st_mode & 07777, 04755);
	CHECK_EQ(fx_xattr(&x, FUSE_SETXATTR, e.nodeid, "trusted.krun", "v", 1, 0), 0);
	CHECK_EQ(fx_host_xattr(&x, "su", "trusted.krun", v, sizeof(v)), 1);
	/* SETATTR switches to the caller too: uid 1000 cannot give its file to root. */
	CHECK_EQ(chmod(x.root, 0777), 0);
	CHECK_EQ(fx_make_as(&x, FUSE_CREATE, FUSE_ROOT_ID, 1000, 1000, "mine", 0644, &e), 0);
	fx_host_stat(&x, "mine", &st);
	CHECK_EQ(st.st_uid, 1000);
	CHECK_EQ(fx_setattr_as(&x, 1000, e.nodeid, (struct fuse_setattr_in){
				       .valid = FATTR_UID, .uid = 0 }, &a), -EPERM);
	fx_host_stat(&x, "mine", &st);
	CHECK_EQ(st.st_uid, 1000);
	fx_teardown(&x);
}
