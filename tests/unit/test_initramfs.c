/* SPDX-License-Identifier: Apache-2.0 */
/* The newc writer, checked by GNU cpio (an independent reader): what it
 * extracts must be exactly what was written. */
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmm/initramfs.h"

struct tmp {
	char dir[64];
};

static void tmp_make(struct tmp *t, const struct cpio *c)
{
	char path[128];
	int fd;

	if (system("command -v cpio >/dev/null 2>&1") != 0)
		SKIP("no cpio(1)");
	snprintf(t->dir, sizeof(t->dir), "/tmp/krun-cpio-XXXXXX");
	CHECK(mkdtemp(t->dir) != NULL);
	snprintf(path, sizeof(path), "%s/a.cpio", t->dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	CHECK(fd >= 0);
	CHECK_EQ(write(fd, c->buf.data, c->buf.len), (long long)c->buf.len);
	close(fd);
	snprintf(path, sizeof(path), "%s/out", t->dir);
	CHECK(mkdir(path, 0755) == 0);
}

/* Runs "cpio ARGS < a.cpio" in out/ and returns its exit status. */
static int tmp_cpio(const struct tmp *t, const char *args)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "cd %s/out && umask 0 && cpio --quiet %s < ../a.cpio", t->dir,
		 args);
	return system(cmd);
}

static void tmp_remove(const struct tmp *t)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", t->dir);
	CHECK_EQ(system(cmd), 0);
}

static void check_file(const struct tmp *t, const char *name, mode_t mode, const void *data,
		       size_t len)
{
	char path[4300];
	struct stat st;
	char *got = malloc(len + 1);
	int fd;

	CHECK(got != NULL);
	snprintf(path, sizeof(path), "%s/out/%s", t->dir, name);
	CHECK(lstat(path, &st) == 0);
	CHECK_EQ(st.st_mode, mode);
	if (S_ISREG(mode)) {
		CHECK_EQ(st.st_size, (long long)len);
		fd = open(path, O_RDONLY);
		CHECK(fd >= 0);
		CHECK_EQ(read(fd, got, len + 1), (long long)len);
		close(fd);
		CHECK(len == 0 || memcmp(got, data, len) == 0);
	}
	free(got);
}

TEST(cpio_files_and_dirs_extract_with_their_modes_and_contents)
{
	struct cpio c = { 0 };
	struct tmp t;

	CHECK_EQ(cpio_add_dir(&c, "/etc", 0755), 0);
	CHECK_EQ(cpio_add_dir(&c, "etc/sub", 0700), 0);
	CHECK_EQ(cpio_add_file(&c, "etc/sub/f", 0640, "hello\n", 6), 0);
	CHECK_EQ(cpio_add_file(&c, "empty", 0755, NULL, 0), 0);
	CHECK_EQ(cpio_add_file(&c, "three", 0600, "abc", 3), 0);
	CHECK_EQ(cpio_finish(&c), 0);
	CHECK_EQ(c.buf.len % 4, 0);
	CHECK(memcmp(c.buf.data, "070701", 6) == 0);

	tmp_make(&t, &c);
	CHECK_EQ(tmp_cpio(&t, "-idm"), 0);
	check_file(&t, "etc", S_IFDIR | 0755, NULL, 0);
	check_file(&t, "etc/sub", S_IFDIR | 0700, NULL, 0);
	check_file(&t, "etc/sub/f", S_IFREG | 0640, "hello\n", 6);
	check_file(&t, "empty", S_IFREG | 0755, NULL, 0);
	check_file(&t, "three", S_IFREG | 0600, "abc", 3);
	tmp_remove(&t);
	cpio_release(&c);
}

TEST(cpio_odd_names_survive_the_round_trip)
{
	static const char *const names[] = {
		"with space", "new\nline", "tab\there", "\xc3\xa9t\xc3\xa9", "-dash", "a:b=c",
		"q\"uote'", "TRAILER!!!x",
	};
	char longname[256];
	struct cpio c = { 0 };
	struct tmp t;
	size_t i;

	memset(longname, 'n', 255);
	longname[255] = '\0';
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		CHECK_EQ(cpio_add_file(&c, names[i], 0644, names[i], strlen(names[i])), 0);
	CHECK_EQ(cpio_add_file(&c, longname, 0644, "x", 1), 0);
	CHECK_EQ(cpio_finish(&c), 0);

	tmp_make(&t, &c);
	CHECK_EQ(tmp_cpio(&t, "-idm"), 0);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		check_file(&t, names[i], S_IFREG | 0644, names[i], strlen(names[i]));
	check_file(&t, longname, S_IFREG | 0644, "x", 1);
	tmp_remove(&t);
	cpio_release(&c);
}

TEST(cpio_big_file_is_extracted_byte_for_byte)
{
	size_t len = (5u << 20) + 3, i; /* odd length: the data padding is exercised */
	unsigned char *data = malloc(len);
	struct cpio c = { 0 };
	struct tmp t;

	CHECK(data != NULL);
	for (i = 0; i < len; i++)
		data[i] = (unsigned char)(i * 2654435761u >> 24);
	CHECK_EQ(cpio_add_file(&c, "big", 0600, data, len), 0);
	CHECK_EQ(cpio_add_file(&c, "after", 0600, "z", 1), 0);
	CHECK_EQ(cpio_finish(&c), 0);
	tmp_make(&t, &c);
	CHECK_EQ(tmp_cpio(&t, "-idm"), 0);
	check_file(&t, "big", S_IFREG | 0600, data, len);
	check_file(&t, "after", S_IFREG | 0600, "z", 1);
	tmp_remove(&t);
	cpio_release(&c);
	free(data);
}

TEST(cpio_300_records_all_listed_and_extracted)
{
	struct cpio c = { 0 };
	char name[32], cmd[256];
	struct tmp t;
	int i;

	CHECK_EQ(cpio_add_dir(&c, "d", 0755), 0);
	for (i = 0; i < 299; i++) {
		snprintf(name, sizeof(name), "d/f%d", i);
		CHECK_EQ(cpio_add_file(&c, name, 0644, name, strlen(name)), 0);
	}
	CHECK_EQ(cpio_finish(&c), 0);
	tmp_make(&t, &c);
	snprintf(cmd, sizeof(cmd), "cd %s && test \"$(cpio --quiet -t < a.cpio | wc -l)\" = 300",
		 t.dir);
	CHECK_EQ(system(cmd), 0);
	CHECK_EQ(tmp_cpio(&t, "-idm"), 0);
	for (i = 0; i < 299; i++) {
		snprintf(name, sizeof(name), "d/f%d", i);
		check_file(&t, name, S_IFREG | 0644, name, strlen(name));
	}
	tmp_remove(&t);
	cpio_release(&c);
}

TEST(cpio_rejects_bad_entries_and_leaves_the_archive_unchanged)
{
	char *longname = malloc(4097);
	struct cpio c = { 0 };
	size_t len;

	CHECK(longname != NULL);
	CHECK_EQ(cpio_add_file(&c, "ok", 0644, "x", 1), 0);
	len = c.buf.len;
	CHECK_EQ(cpio_add_file(&c, "", 0644, "x", 1), -EINVAL);
	CHECK_EQ(cpio_add_dir(&c, "///", 0755), -EINVAL);
	CHECK_EQ(cpio_add_file(&c, "f", S_IFREG | 0644, "x", 1), -EINVAL);
	CHECK_EQ(cpio_add_dir(&c, "d", 010000), -EINVAL);
	memset(longname, 'a', 4096);
	longname[4096] = '\0';
	CHECK_EQ(cpio_add_file(&c, longname, 0644, "x", 1), -ENAMETOOLONG);
	longname[4095] = '\0';
	CHECK_EQ(c.buf.len, len);
	CHECK_EQ(cpio_add_file(&c, longname, 0644, "x", 1), 0);
	free(longname);
	cpio_release(&c);
}

TEST(guest_config_add_writes_key_nul_value_nul)
{
	struct buf b = { 0 };

	CHECK_EQ(guest_config_add(&b, "exec", "/bin/sh"), 0);
	CHECK_EQ(guest_config_add(&b, "arg", ""), 0);
	CHECK_EQ(b.len, 18);
	CHECK(memcmp(b.data, "exec\0/bin/sh\0arg\0\0", 18) == 0);
	CHECK_EQ(guest_config_add(&b, "", "x"), -EINVAL);
	CHECK_EQ(guest_config_add(&b, NULL, "x"), -EINVAL);
	CHECK_EQ(guest_config_add(&b, "k", NULL), -EINVAL);
	CHECK_EQ(b.len, 18);
	buf_release(&b);
}

TEST(initramfs_build_holds_init_config_and_console)
{
	static const char cfg[] = "exec\0/bin/true\0";
	static const char init[] = "\177ELF pretend";
	struct cpio c = { 0 };
	char cmd[512];
	struct tmp t;

	CHECK_EQ(initramfs_build(&c, init, sizeof(init), cfg, sizeof(cfg) - 1), 0);
	CHECK_EQ(c.buf.len % 4, 0);
	tmp_make(&t, &c);
	/* The device node is listed, not extracted: tests need not run as root. */
	snprintf(cmd, sizeof(cmd),
		 "cd %s && cpio --quiet -tv < a.cpio > list && "
		 "grep -q '^crw------- .* 5, *1 .* dev/console$' list && "
		 "grep -q '^drwx------ .* \\.krun$' list && "
		 "test \"$(cpio --quiet -t < a.cpio | tr '\\n' ' ')\" = "
		 "'.krun dev dev/console init .krun/config '",
		 t.dir);
	CHECK_EQ(system(cmd), 0);
	CHECK_EQ(tmp_cpio(&t, "-idm init .krun .krun/config"), 0);
	check_file(&t, "init", S_IFREG | 0755, init, sizeof(init));
	check_file(&t, ".krun/config", S_IFREG | 0400, cfg, sizeof(cfg) - 1);
	tmp_remove(&t);
	cpio_release(&c);
}
