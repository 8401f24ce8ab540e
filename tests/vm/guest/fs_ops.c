/* SPDX-License-Identifier: Apache-2.0 */
/*
 * File operations busybox has no tool for, run inside the guest (static) by the
 * fs_* VM tests. Each subcommand checks everything it does and exits 0 only if
 * every expectation held; otherwise it prints what differed and exits 1.
 *   fs_ops mmap FILE          shared writable mapping: stores seen by pread, and
 *                             pwrite seen through the mapping; leaves the file
 *   fs_ops rename2 DIR        renameat2 NOREPLACE and EXCHANGE on files and a dir;
 *                             leaves DIR/b = "A", DIR/c = "B"
 *   fs_ops xattr FILE         trusted.* set/get/list/remove and their errors;
 *                             leaves trusted.krun = "guest-value"
 *   fs_ops xattr-get FILE N   prints xattr N of FILE (for the host side)
 *   fs_ops unlink-open FILE   I/O on an fd whose name is gone
 *   fs_ops locks FILE         flock and fcntl locks conflict across processes
 *   fs_ops fsync FILE         write + fsync + fdatasync, fsync of its directory
 *   fs_ops sparse FILE        a byte past 5 GiB: size, holes read as zeros, blocks
 *   fs_ops create-many DIR N  creates DIR/f00000 .. f(N-1), empty
 *   fs_ops as-user ID CMD...  runs CMD with uid = gid = ID and no groups
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#define RENAME_EXCHANGE (1 << 1)
#endif

static int failures;

/* Records a failed expectation; returns cond. */
static int expect(int cond, const char *what)
{
	if (!cond) {
		fprintf(stderr, "fs_ops: expected %s (errno %d: %s)\n", what, errno,
			strerror(errno));
		failures++;
	}
	return cond;
}

/* A call that must fail with errno want. */
static void expect_errno(int r, int want, const char *what)
{
	if (r == -1 && errno == want)
		return;
	fprintf(stderr, "fs_ops: %s: got %d errno %d (%s), expected errno %d (%s)\n", what, r,
		r == -1 ? errno : 0, r == -1 ? strerror(errno) : "-", want, strerror(want));
	failures++;
}

static void put(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	expect(fd >= 0 && write(fd, s, strlen(s)) == (ssize_t)strlen(s), path);
	if (fd >= 0)
		close(fd);
}

/* 1 if the file at path holds exactly s. */
static int holds(const char *path, const char *s)
{
	char buf[256];
	int fd = open(path, O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf));
	if (fd >= 0)
		close(fd);
	return n == (ssize_t)strlen(s) && !memcmp(buf, s, (size_t)n);
}

static void do_mmap(const char *path)
{
	static const char via_map[] = "stored through a shared mapping";
	static const char via_write[] = "written with pwrite";
	char buf[64], page[8192];
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (!expect(fd >= 0, "open"))
		return;
	memset(page, 'a', sizeof(page));
	expect(write(fd, page, sizeof(page)) == (ssize_t)sizeof(page), "write 8 KiB");
	char *m = mmap(NULL, sizeof(page), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (!expect(m != MAP_FAILED, "mmap MAP_SHARED read-write")) {
		close(fd);
		return;
	}
	memcpy(m + 4096 + 100, via_map, sizeof(via_map));
	/* Another fd, no msync: the guest's page cache is the one copy. */
	int fd2 = open(path, O_RDONLY);
	expect(fd2 >= 0 && pread(fd2, buf, sizeof(via_map), 4096 + 100) == sizeof(via_map) &&
		       !memcmp(buf, via_map, sizeof(via_map)),
	       "a store through the mapping seen by pread");
	expect(pwrite(fd, via_write, sizeof(via_write), 10) == sizeof(via_write), "pwrite");
	expect(!memcmp(m + 10, via_write, sizeof(via_write)), "pwrite seen through the mapping");
	expect(msync(m, sizeof(page), MS_SYNC) == 0, "msync");
	munmap(m, sizeof(page));
	if (fd2 >= 0)
		close(fd2);
	close(fd);
}

static void do_rename2(const char *dir)
{
	char a[512], b[512], c[512], d[512];
	snprintf(a, sizeof(a), "%s/a", dir);
	snprintf(b, sizeof(b), "%s/b", dir);
	snprintf(c, sizeof(c), "%s/c", dir);
	snprintf(d, sizeof(d), "%s/d", dir);
	put(a, "A");
	put(b, "B");
	expect_errno(renameat2(AT_FDCWD, a, AT_FDCWD, b, RENAME_NOREPLACE), EEXIST,
		     "NOREPLACE onto an existing name");
	expect(holds(a, "A") && holds(b, "B"), "both files unchanged after a refused NOREPLACE");
	expect(renameat2(AT_FDCWD, a, AT_FDCWD, c, RENAME_NOREPLACE) == 0, "NOREPLACE to a new name");
	expect(access(a, F_OK) && holds(c, "A"), "a moved to c");
	expect(renameat2(AT_FDCWD, b, AT_FDCWD, c, RENAME_EXCHANGE) == 0, "EXCHANGE b, c");
	expect(holds(b, "A") && holds(c, "B"), "b and c swapped");
	expect_errno(renameat2(AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE), ENOENT,
		     "EXCHANGE with a missing name");
	expect_errno(renameat2(AT_FDCWD, b, AT_FDCWD, c, RENAME_EXCHANGE | RENAME_NOREPLACE),
		     EINVAL, "EXCHANGE|NOREPLACE");
	/* A directory and a file trade places, then back. */
	expect(mkdir(d, 0755) == 0, "mkdir d");
	expect(renameat2(AT_FDCWD, d, AT_FDCWD, b, RENAME_EXCHANGE) == 0, "EXCHANGE dir d, file b");
	struct stat st;
	expect(stat(b, &st) == 0 && S_ISDIR(st.st_mode) && holds(d, "A"), "dir and file swapped");
	expect(renameat2(AT_FDCWD, d, AT_FDCWD, b, RENAME_EXCHANGE) == 0, "EXCHANGE back");
	expect(rmdir(d) == 0 && holds(b, "A"), "swapped back");
}

static void do_xattr(const char *path)
{
	static const char v[] = "guest-value";
	char big[4000], buf[4096];
	ssize_t n;
	memset(big, 'x', sizeof(big));
	if (access(path, F_OK))
		put(path, "has xattrs\n");
	expect(setxattr(path, "trusted.krun", "first", 5, XATTR_CREATE) == 0, "XATTR_CREATE");
	expect_errno(setxattr(path, "trusted.krun", "again", 5, XATTR_CREATE), EEXIST,
		     "XATTR_CREATE of an existing name");
	expect_errno(setxattr(path, "trusted.none", "x", 1, XATTR_REPLACE), ENODATA,
		     "XATTR_REPLACE of a missing name");
	expect(setxattr(path, "trusted.krun", v, strlen(v), XATTR_REPLACE) == 0, "XATTR_REPLACE");
	expect(getxattr(path, "trusted.krun", NULL, 0) == (ssize_t)strlen(v), "size query");
	n = getxattr(path, "trusted.krun", buf, sizeof(buf));
	expect(n == (ssize_t)strlen(v) && !memcmp(buf, v, (size_t)n), "getxattr value");
	expect_errno((int)getxattr(path, "trusted.krun", buf, 3), ERANGE, "getxattr, small buffer");
	expect(setxattr(path, "trusted.big", big, sizeof(big), 0) == 0, "4000-byte value");
	n = getxattr(path, "trusted.big", buf, sizeof(buf));
	expect(n == (ssize_t)sizeof(big) && !memcmp(buf, big, sizeof(big)), "4000-byte value back");
	n = listxattr(path, buf, sizeof(buf));
	int seen = 0;
	for (ssize_t i = 0; n > 0 && i < n; i += (ssize_t)strlen(buf + i) + 1)
		seen += !strcmp(buf + i, "trusted.krun") + !strcmp(buf + i, "trusted.big");
	expect(seen == 2, "listxattr names trusted.krun and trusted.big");
	expect(removexattr(path, "trusted.big") == 0, "removexattr");
	expect_errno((int)getxattr(path, "trusted.big", buf, sizeof(buf)), ENODATA,
		     "getxattr after removexattr");
	expect_errno(removexattr(path, "trusted.big"), ENODATA, "removexattr of a missing name");
}

static int do_xattr_get(const char *path, const char *name)
{
	char buf[4096];
	ssize_t n = getxattr(path, name, buf, sizeof(buf));
	if (n < 0) {
		perror("getxattr");
		return 1;
	}
	fwrite(buf, 1, (size_t)n, stdout);
	putchar('\n');
	return 0;
}

static void do_unlink_open(const char *path)
{
	char buf[32];
	struct stat st;
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (!expect(fd >= 0, "open"))
		return;
	expect(write(fd, "before", 6) == 6, "write");
	expect(unlink(path) == 0, "unlink");
	expect_errno(stat(path, &st), ENOENT, "stat of the unlinked name");
	expect(fstat(fd, &st) == 0 && st.st_nlink == 0 && st.st_size == 6, "fstat: nlink 0, size 6");
	expect(pwrite(fd, "after", 5, 6) == 5, "write after unlink");
	expect(pread(fd, buf, sizeof(buf), 0) == 11 && !memcmp(buf, "beforeafter", 11),
	       "read back both writes");
	expect(ftruncate(fd, 3) == 0 && fstat(fd, &st) == 0 && st.st_size == 3,
	       "ftruncate after unlink");
	expect(close(fd) == 0, "close");
}

/* Runs fn in a child process; returns its exit status. */
static int in_child(int (*fn)(const char *), const char *path)
{
	pid_t pid = fork();
	int st;
	if (pid == 0)
		_exit(fn(path));
	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

/* 0 if another process's flock is seen: LOCK_NB fails with EWOULDBLOCK. */
static int child_flock(const char *path)
{
	int fd = open(path, O_RDWR);
	return fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == -1 && errno == EWOULDBLOCK ? 0 : 1;
}

/* 0 if F_GETLK reports the parent's write lock and F_SETLK is refused. */
static int child_fcntl(const char *path)
{
	int fd = open(path, O_RDWR);
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 10 };
	if (fd < 0 || fcntl(fd, F_GETLK, &fl) || fl.l_type != F_WRLCK || fl.l_pid != getppid())
		return 1;
	fl.l_type = F_WRLCK;
	if (fcntl(fd, F_SETLK, &fl) != -1 || (errno != EAGAIN && errno != EACCES))
		return 2;
	/* Bytes past the locked range are free. */
	fl.l_start = 100;
	return fcntl(fd, F_SETLK, &fl) ? 3 : 0;
}

static void do_locks(const char *path)
{
	int fd = open(path, O_RDWR | O_CREAT, 0644);
	if (!expect(fd >= 0, "open"))
		return;
	expect(flock(fd, LOCK_EX) == 0, "flock LOCK_EX");
	expect(in_child(child_flock, path) == 0, "another process blocked by the flock");
	expect(flock(fd, LOCK_UN) == 0, "flock LOCK_UN");
	expect(in_child(child_flock, path) == 1, "the flock gone after LOCK_UN");
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 10 };
	expect(fcntl(fd, F_SETLK, &fl) == 0, "fcntl F_SETLK write lock");
	expect(in_child(child_fcntl, path) == 0, "another process sees the fcntl lock");
	close(fd);
}

static void do_fsync(const char *path)
{
	char *copy = strdup(path);
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0644);
	if (!expect(fd >= 0 && copy, "open"))
		return;
	expect(write(fd, "synced\n", 7) == 7, "write");
	expect(fsync(fd) == 0, "fsync");
	expect(fdatasync(fd) == 0, "fdatasync");
	close(fd);
	int dfd = open(dirname(copy), O_RDONLY | O_DIRECTORY);
	expect(dfd >= 0 && fsync(dfd) == 0, "fsync of the directory");
	if (dfd >= 0)
		close(dfd);
	free(copy);
}

static void do_sparse(const char *path)
{
	const off_t end = (5LL << 30) + 123; /* past 4 GiB: 64-bit offsets all the way */
	char buf[4096], zero[4096] = { 0 };
	struct stat st;
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (!expect(fd >= 0, "open"))
		return;
	expect(pwrite(fd, "end", 3, end) == 3, "pwrite at 5 GiB + 123");
	expect(fstat(fd, &st) == 0 && st.st_size == end + 3, "size 5 GiB + 126");
	expect(st.st_blocks < 2048, "fewer than 1 MiB of blocks allocated");
	expect(pread(fd, buf, sizeof(buf), 4LL << 30) == sizeof(buf) && !memcmp(buf, zero, 4096),
	       "the hole at 4 GiB reads as zeros");
	expect(pread(fd, buf, 8, end - 5) == 8 && !memcmp(buf, "\0\0\0\0\0end", 8),
	       "the bytes at the end");
	close(fd);
}

static void do_create_many(const char *dir, long n)
{
	char name[600];
	for (long i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "%s/f%05ld", dir, i);
		int fd = open(name, O_WRONLY | O_CREAT | O_EXCL, 0644);
		if (!expect(fd >= 0, name))
			return;
		close(fd);
	}
}

int main(int argc, char **argv)
{
	const char *op = argc > 1 ? argv[1] : "", *arg = argc > 2 ? argv[2] : NULL;
	if (!arg) {
		fprintf(stderr, "usage: fs_ops OP PATH [ARG]\n");
		return 2;
	}
	if (!strcmp(op, "as-user") && argc > 3) {
		gid_t id = (gid_t)atoi(arg);
		if (setgroups(0, NULL) || setgid(id) || setuid(id)) {
			perror("fs_ops as-user");
			return 1;
		}
		execvp(argv[3], &argv[3]);
		perror(argv[3]);
		return 127;
	}
	if (!strcmp(op, "mmap"))
		do_mmap(arg);
	else if (!strcmp(op, "rename2"))
		do_rename2(arg);
	else if (!strcmp(op, "xattr"))
		do_xattr(arg);
	else if (!strcmp(op, "xattr-get") && argc == 4)
		return do_xattr_get(arg, argv[3]);
	else if (!strcmp(op, "unlink-open"))
		do_unlink_open(arg);
	else if (!strcmp(op, "locks"))
		do_locks(arg);
	else if (!strcmp(op, "fsync"))
		do_fsync(arg);
	else if (!strcmp(op, "sparse"))
		do_sparse(arg);
	else if (!strcmp(op, "create-many") && argc == 4)
		do_create_many(arg, atol(argv[3]));
	else {
		fprintf(stderr, "fs_ops: unknown op %s\n", op);
		return 2;
	}
	if (failures)
		return 1;
	printf("ok: fs_ops %s\n", op);
	return 0;
}
