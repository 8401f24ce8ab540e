/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Extended attributes for VM test scripts, in the guest and on the host
 * (busybox has no setfattr or setcap). Static, no dependencies.
 *
 *   fs_xattr set FILE NAME VALUE   sets NAME to the string VALUE
 *   fs_xattr setcap FILE           security.capability = cap_net_raw+ep (a
 *                                  vfs_cap_data revision 2, linux/capability.h)
 *   fs_xattr get FILE NAME         prints the value in hex
 *   fs_xattr list FILE             prints the names, one a line
 *   fs_xattr probe DIR             exit 0 if DIR's file system keeps user.*
 *                                  attributes (tried on a scratch file)
 *
 * Exit 0 on success; else 1 with "fs_xattr: OP: strerror" on stderr. No call
 * follows a final symlink (l*xattr).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/xattr.h>
#include <unistd.h>

static int failed(const char *op)
{
	fprintf(stderr, "fs_xattr: %s: %s\n", op, strerror(errno));
	return 1;
}

static int do_get(const char *file, const char *name)
{
	unsigned char v[65536];
	ssize_t n = lgetxattr(file, name, v, sizeof(v));

	if (n < 0)
		return failed("get");
	for (ssize_t k = 0; k < n; k++)
		printf("%02x", v[k]);
	printf("\n");
	return 0;
}

static int do_list(const char *file)
{
	char v[65536];
	ssize_t n = llistxattr(file, v, sizeof(v));

	if (n < 0)
		return failed("list");
	for (ssize_t k = 0; k < n; k += (ssize_t)strlen(v + k) + 1)
		printf("%s\n", v + k);
	return 0;
}

static int do_probe(const char *dir)
{
	char p[4096];
	int fd, r;

	snprintf(p, sizeof(p), "%s/.fs_xattr-probe", dir);
	fd = open(p, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
	if (fd < 0)
		return failed("probe");
	close(fd);
	r = lsetxattr(p, "user.probe", "1", 1, 0);
	unlink(p);
	return r < 0 ? failed("probe") : 0;
}

int main(int argc, char **argv)
{
	/* Little-endian words: magic_etc (revision 2 | effective), then
	 * permitted and inheritable for capabilities 0-31 and 32-63. */
	static const uint32_t cap_net_raw[5] = { 0x02000001, 1u << 13, 0, 0, 0 };
	const char *op = argc > 1 ? argv[1] : "";

	if (!strcmp(op, "set") && argc == 5)
		return lsetxattr(argv[2], argv[3], argv[4], strlen(argv[4]), 0) < 0 ? failed("set")
										    : 0;
	if (!strcmp(op, "setcap") && argc == 3)
		return lsetxattr(argv[2], "security.capability", cap_net_raw, sizeof(cap_net_raw),
				 0) < 0 ? failed("setcap") : 0;
	if (!strcmp(op, "get") && argc == 4)
		return do_get(argv[2], argv[3]);
	if (!strcmp(op, "list") && argc == 3)
		return do_list(argv[2]);
	if (!strcmp(op, "probe") && argc == 3)
		return do_probe(argv[2]);
	fprintf(stderr, "usage: fs_xattr set FILE NAME VALUE | setcap FILE | get FILE NAME | "
			"list FILE | probe DIR\n");
	return 2;
}
