/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The share fuzz_fs.c serves (its header comment describes it): made once at
 * init (share_init), built again from the template after an input that may
 * have changed it (tree_reset), changed by the host at the input's request
 * (host_change). Include after fuzz.h, in fuzz_fs.c only.
 */
#ifndef LIBKRUN_FUZZ_FS_SHARE_H
#define LIBKRUN_FUZZ_FS_SHARE_H

#include <dirent.h>
#include <errno.h>
#include <grp.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/xattr.h>

#define FSIZE_LIMIT (16ULL << 20)
#define USER_ID 65534
#define MANY_ENTRIES 2100 /* inode.c's first hash size is 1024, grown at twice that */
/* Outside the share: its content and its name must never reach the guest. */
#define SECRET_DATA "KRUN-FUZZ-OUTSIDE-7f3a9c"
#define SECRET_NAME "outside-name-7f3a9c"

static char base[128], share[160], moved[160];
static bool as_root, user_mode, have_mounts;

/* Removes everything under dirfd but the names in keep (mount points). */
static void wipe(int dirfd, const char **keep)
{
	DIR *d;
	struct dirent *e;
	int fd = dup(dirfd);

	FZ_CHECK(fd >= 0);
	d = fdopendir(fd);
	FZ_CHECK(d);
	while ((e = readdir(d))) {
		bool kept = !strcmp(e->d_name, ".") || !strcmp(e->d_name, "..");

		for (const char **k = keep; k && *k && !kept; k++)
			kept = !strcmp(e->d_name, *k);
		if (kept)
			continue;
		if (unlinkat(dirfd, e->d_name, 0) == 0)
			continue;
		if (errno == EISDIR || errno == EPERM || errno == ENOTEMPTY || errno == EACCES) {
			int sub;

			/* The guest may have taken the owner's rights away (a VMM that
			 * is not root keeps u+rwx on directories, but a host change may
			 * not): give them back to empty it. */
			(void)fchmodat(dirfd, e->d_name, 0700, AT_SYMLINK_NOFOLLOW);
			sub = openat(dirfd, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub >= 0) {
				wipe(sub, NULL);
				close(sub);
			}
			(void)unlinkat(dirfd, e->d_name, AT_REMOVEDIR);
		}
	}
	rewinddir(d);
	closedir(d);
}

static void put_file(const char *dir, const char *name, const char *content, mode_t mode)
{
	char p[512];
	int fd;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	fd = open(p, O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
		return; /* fixed/ as the user: already there */
	if (content)
		FZ_CHECK(write(fd, content, strlen(content)) == (ssize_t)strlen(content));
	close(fd);
}

static void put_socket(const char *dir, const char *name)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	FZ_CHECK(fd >= 0);
	snprintf(a.sun_path, sizeof(a.sun_path), "%s/%s", dir, name);
	(void)bind(fd, (struct sockaddr *)&a, sizeof(a));
	close(fd);
}

/* The special files of a directory: FIFO, socket, device node (root only). */
static void put_specials(const char *dir)
{
	char p[512];

	snprintf(p, sizeof(p), "%s/fifo", dir);
	(void)mkfifo(p, 0644);
	put_socket(dir, "sock");
	if (geteuid() == 0) {
		snprintf(p, sizeof(p), "%s/dev", dir);
		(void)mknod(p, S_IFCHR | 0666, makedev(1, 3));
	}
}

/* The share as every input finds it. */
static void tree_reset(void)
{
	/* Kept: the mount points, and fixed/, which the user cannot change. */
	const char *keep[5] = { NULL }, **k = keep;
	char p[512];
	int fd;

	if (have_mounts) {
		*k++ = "tmp";
		*k++ = "proc";
		*k++ = "many";
	}
	if (user_mode)
		*k++ = "fixed";
	/* A guest may chmod what it owns (with passthrough, the share too). */
	(void)chmod(share, 0755);
	fd = open(share, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	FZ_CHECK(fd >= 0);
	wipe(fd, keep);
	close(fd);
	snprintf(p, sizeof(p), "%s/tmp", share);
	(void)mkdir(p, 0777);
	(void)chmod(p, 0777);
	fd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	FZ_CHECK(fd >= 0);
	wipe(fd, NULL);
	close(fd);
	put_file(p, "tfile", "on tmpfs\n", 0644);
	/* A directory the host moved out of the share (a host change op). */
	fd = open(moved, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		wipe(fd, NULL);
		close(fd);
		(void)rmdir(moved);
	}

	put_file(share, "file", "hello, fuzzer\nsecond line\n", 0644);
	put_file(share, "empty", NULL, 0600);
	put_file(share, "exec", "#!/bin/sh\n", 04755);
	snprintf(p, sizeof(p), "%s/big", share);
	fd = open(p, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
	FZ_CHECK(fd >= 0);
	FZ_CHECK(ftruncate(fd, 1 << 20) == 0);
	FZ_CHECK(pwrite(fd, "x", 1, 70000) == 1);
	close(fd);
	snprintf(p, sizeof(p), "%s/file", share);
	(void)setxattr(p, "user.fuzz", "value", 5, 0);
	put_file(share, "mapped", "guest-owned\n", 0644);
	snprintf(p, sizeof(p), "%s/mapped", share);
	(void)setxattr(p, "user.containers.override_stat", "0:0:4755:file", 13, 0);
	put_file(share, "mapdev", NULL, 0600);
	snprintf(p, sizeof(p), "%s/mapdev", share);
	(void)setxattr(p, "user.containers.override_stat", "0:0:0666:char-1-3", 17, 0);
	snprintf(p, sizeof(p), "%s/dir", share);
	FZ_CHECK(mkdir(p, 0755) == 0);
	put_file(p, "inner", "inner file\n", 0644);
	snprintf(p, sizeof(p), "%s/dir/sub", share);
	FZ_CHECK(mkdir(p, 02775) == 0);
	snprintf(p, sizeof(p), "%s/link", share);
	FZ_CHECK(symlink("file", p) == 0);
	snprintf(p, sizeof(p), "%s/dangling", share);
	FZ_CHECK(symlink("nowhere", p) == 0);
	snprintf(p, sizeof(p), "%s/abs", share);
	FZ_CHECK(symlink("/etc/passwd", p) == 0);
	snprintf(p, sizeof(p), "%s/up", share);
	FZ_CHECK(symlink("../secret", p) == 0);
	snprintf(p, sizeof(p), "%s/loop", share);
	FZ_CHECK(symlink("loop", p) == 0);
	put_specials(share);
	if (!user_mode) {
		snprintf(p, sizeof(p), "%s/fixed", share);
		FZ_CHECK(mkdir(p, 0755) == 0);
		put_file(p, "ro", "fixed content\n", 0644);
		put_specials(p);
	}
}

static void setup_mounts(void)
{
	char p[512];

	if (unshare(CLONE_NEWNS) < 0) {
		fprintf(stderr, "fuzz_fs: no mount namespace (%s): no mounts\n", strerror(errno));
		return;
	}
	/* Nothing made below may propagate back to the host's namespace. In a
	 * chroot "/" is not a mount point (EINVAL): then the base alone is made a
	 * private mount of its own, by a bind mount onto itself. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 &&
	    (mount(base, base, NULL, MS_BIND, NULL) < 0 ||
	     mount(NULL, base, NULL, MS_REC | MS_PRIVATE, NULL) < 0)) {
		fprintf(stderr, "fuzz_fs: no private mount for %s (%s): no mounts\n", base,
			strerror(errno));
		return;
	}
	/* The whole base on a tmpfs of its own: nothing reaches a disk. */
	if (mount("fuzzfs", base, "tmpfs", 0, "size=256m,mode=0755") < 0) {
		fprintf(stderr, "fuzz_fs: tmpfs at %s: %s\n", base, strerror(errno));
		return;
	}
	FZ_CHECK(mkdir(share, 0755) == 0);
	snprintf(p, sizeof(p), "%s/tmp", share);
	FZ_CHECK(mkdir(p, 0755) == 0);
	if (mount("fuzztmp", p, "tmpfs", 0, "size=32m,mode=0777") < 0)
		return;
	snprintf(p, sizeof(p), "%s/proc", share);
	FZ_CHECK(mkdir(p, 0755) == 0);
	if (mount("/proc", p, NULL, MS_BIND | MS_REC, NULL) < 0)
		return;
	have_mounts = true;
	/* A directory of MANY_ENTRIES files, read-only (a bind mount of itself),
	 * so the guest can hold more inodes than the inode table's first hash
	 * size (READDIRPLUS) without the template growing. */
	snprintf(p, sizeof(p), "%s/many", share);
	FZ_CHECK(mkdir(p, 0755) == 0);
	for (int i = 0; i < MANY_ENTRIES; i++) {
		char n[16];

		snprintf(n, sizeof(n), "%d", i);
		put_file(p, n, NULL, 0644);
	}
	if (mount(p, p, NULL, MS_BIND, NULL) < 0 ||
	    mount(NULL, p, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL) < 0)
		fprintf(stderr, "fuzz_fs: read-only %s: %s\n", p, strerror(errno));
}

static void cleanup(void)
{
	int fd;

	/* The tmpfs goes with the mount namespace; its mount point is left. */
	if (have_mounts) {
		/* The tmpfs, and the bind mount of the base where there is one. */
		while (umount2(base, MNT_DETACH) == 0)
			;
		(void)rmdir(base);
		return;
	}
	fd = open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		wipe(fd, NULL);
		close(fd);
	}
	(void)rmdir(base);
}

/* Makes the base, the mounts (root), the files outside the share and the
 * share itself; drops to USER_ID in user mode; limits file sizes; gives this
 * thread its own umask 0, as fuse_server_thread_init does for a worker. */
static void share_init(void)
{
	const char *tmp = getenv("TMPDIR");
	struct rlimit fsz = { FSIZE_LIMIT, FSIZE_LIMIT };
	char p[512];

	as_root = geteuid() == 0;
	user_mode = as_root && getenv("FUZZ_FS_USER") && !strcmp(getenv("FUZZ_FS_USER"), "1");
	snprintf(base, sizeof(base), "%s/fuzz-fs-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	FZ_CHECK(mkdtemp(base));
	snprintf(share, sizeof(share), "%s/root", base);
	snprintf(moved, sizeof(moved), "%s/moved", base);
	if (as_root)
		setup_mounts();
	if (!have_mounts && mkdir(share, 0755) < 0)
		FZ_CHECK(errno == EEXIST);
	/* Outside the share. */
	put_file(base, "secret", SECRET_DATA "\n", 0644);
	put_file(base, SECRET_NAME, SECRET_DATA "\n", 0644);
	if (user_mode) {
		snprintf(p, sizeof(p), "%s/fixed", share);
		FZ_CHECK(mkdir(p, 0755) == 0);
		put_file(p, "ro", "fixed content\n", 0644);
		put_specials(p);
		FZ_CHECK(chown(base, USER_ID, USER_ID) == 0 && chown(share, USER_ID, USER_ID) == 0);
		if (have_mounts) { /* the tmpfs; without mounts tree_reset makes tmp/ */
			snprintf(p, sizeof(p), "%s/tmp", share);
			FZ_CHECK(chown(p, USER_ID, USER_ID) == 0);
		}
		FZ_CHECK(setgroups(0, NULL) == 0);
		FZ_CHECK(setresgid(USER_ID, USER_ID, USER_ID) == 0);
		FZ_CHECK(setresuid(USER_ID, USER_ID, USER_ID) == 0);
	}
	atexit(cleanup);
	FZ_CHECK(setrlimit(RLIMIT_FSIZE, &fsz) == 0);
	FZ_CHECK(unshare(CLONE_FS) == 0);
	umask(0);
	tree_reset();
	fprintf(stderr, "fuzz_fs: share %s, %s%s, mounts %s\n", share,
		as_root ? "root" : "not root", user_mode ? " dropped to 65534" : "",
		have_mounts ? "tmpfs + proc" : "none");
}

/* The host changes the tree under the server (its documented limits hold). */
static void host_change(uint8_t what)
{
	char a[512], b[512];

	switch (what % 6) {
	case 0: /* a file becomes a symlink out of the share */
		snprintf(a, sizeof(a), "%s/file", share);
		(void)unlink(a);
		(void)symlink("../secret", a);
		break;
	case 1: /* a directory moves out: reachable through held fds only */
		snprintf(a, sizeof(a), "%s/dir", share);
		(void)rename(a, moved);
		break;
	case 2:
		snprintf(a, sizeof(a), "%s/dir", share);
		(void)chmod(a, 0);
		break;
	case 3: /* a directory becomes a FIFO */
		snprintf(a, sizeof(a), "%s/dir/sub", share);
		(void)rmdir(a);
		(void)mkfifo(a, 0666);
		break;
	case 4:
		snprintf(a, sizeof(a), "%s/file", share);
		snprintf(b, sizeof(b), "%s/dir/renamed", share);
		(void)rename(a, b);
		break;
	default:
		snprintf(a, sizeof(a), "%s/big", share);
		(void)truncate(a, 0);
		break;
	}
}

#endif
