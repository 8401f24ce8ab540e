/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The guest's extended attributes on the host, unless passthrough_privileges
 * (statmap.c has the why). The guest's user.* attributes are the host file's
 * own. Every other namespace would carry host privilege: security.capability
 * is a file capability, other security.* names are LSM labels, trusted.* steers
 * overlayfs and needs CAP_SYS_ADMIN (xattr(7)). So the guest's trusted.X,
 * security.X and system.X are kept on the host as user.krun.trusted.X, etc.,
 * and given back under their own names: a setcap in the guest works in the
 * guest and grants nothing on the host.
 *
 * The host's own attributes in those namespaces (a capability that the host's
 * package manager set on a binary of a container image) are shown to the
 * guest where it has none of its own of that name, so they go on working in
 * the guest; the guest may remove them (a privilege dropped), never write them.
 *
 * The server's own names, user.containers.override_stat and user.krun.*, are
 * not the guest's: not listed, -ENODATA to read, -EPERM to write or remove.
 */
#include "fs/fs.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/xattr.h>

#define FS_XATTR_PREFIX "user.krun."
#define FS_XATTR_PREFIX_LEN (sizeof(FS_XATTR_PREFIX) - 1)
#define FS_XATTR_LIST_MAX 65536 /* XATTR_LIST_MAX */

static bool fs_xattr_user(const char *name)
{
	return !strncmp(name, "user.", 5);
}

/* The host name of guest name, into buf: 0 (name itself, a user.* name), 1
 * (FS_XATTR_PREFIX name), -EPERM for one of ours, -ERANGE if too long. */
static int fs_xattr_host_name(const char *name, char buf[FS_MAX_XATTR_NAME + 1],
			      const char **host)
{
	if (!strcmp(name, FS_STAT_XATTR) || !strncmp(name, FS_XATTR_PREFIX, FS_XATTR_PREFIX_LEN))
		return -EPERM;
	if (fs_xattr_user(name)) {
		*host = name;
		return 0;
	}
	if (strlen(name) > FS_MAX_XATTR_NAME - FS_XATTR_PREFIX_LEN)
		return -ERANGE;
	snprintf(buf, FS_MAX_XATTR_NAME + 1, FS_XATTR_PREFIX "%s", name);
	*host = buf;
	return 1;
}

ssize_t fs_xattr_map_get(const char *path, const char *name, void *buf, size_t cap)
{
	char hbuf[FS_MAX_XATTR_NAME + 1];
	const char *host;
	int m = fs_xattr_host_name(name, hbuf, &host);
	ssize_t n;

	if (m < 0)
		return m == -EPERM ? -ENODATA : m;
	n = getxattr(path, host, buf, cap);
	if (n < 0 && errno == ENODATA && m == 1)
		n = getxattr(path, name, buf, cap); /* the host's own */
	return n < 0 ? -errno : n;
}

/* Whether the host list (n bytes) holds FS_XATTR_PREFIX name. */
static bool fs_xattr_mapped(const char *list, size_t n, const char *name)
{
	for (size_t k = 0; k < n; k += strlen(list + k) + 1)
		if (!strncmp(list + k, FS_XATTR_PREFIX, FS_XATTR_PREFIX_LEN) &&
		    !strcmp(list + k + FS_XATTR_PREFIX_LEN, name))
			return true;
	return false;
}

/* The guest's names out of the host's list (n bytes, NUL-terminated names):
 * never longer than it. */
static size_t fs_xattr_guest_list(const char *list, size_t n, char *out)
{
	size_t len = 0;

	for (size_t k = 0; k < n; k += strlen(list + k) + 1) {
		const char *name = list + k;

		if (!strcmp(name, FS_STAT_XATTR))
			continue;
		if (!strncmp(name, FS_XATTR_PREFIX, FS_XATTR_PREFIX_LEN)) {
			name += FS_XATTR_PREFIX_LEN;
			if (fs_xattr_user(name) || !*name)
				continue; /* never one of the guest's */
		} else if (!fs_xattr_user(name) && fs_xattr_mapped(list, n, name)) {
			continue; /* the guest's own of that name wins */
		}
		memcpy(out + len, name, strlen(name) + 1);
		len += strlen(name) + 1;
	}
	return len;
}

ssize_t fs_xattr_map_list(const char *path, void *buf, size_t cap)
{
	/* The whole host list, whatever the guest's size: what it sees is shorter. */
	char *list = malloc(2 * FS_XATTR_LIST_MAX + 1);
	ssize_t n;

	if (!list)
		return -ENOMEM;
	n = listxattr(path, list, FS_XATTR_LIST_MAX);
	if (n < 0) {
		n = -errno;
	} else {
		list[n] = '\0'; /* the kernel ends every name with one; be sure */
		n = (ssize_t)fs_xattr_guest_list(list, (size_t)n, list + FS_XATTR_LIST_MAX + 1);
		if (cap && (size_t)n > cap)
			n = -ERANGE;
		else if (cap)
			memcpy(buf, list + FS_XATTR_LIST_MAX + 1, (size_t)n);
	}
	free(list);
	return n;
}

int fs_xattr_map_set(const char *path, const char *name, const void *val, size_t size,
		     int flags)
{
	char hbuf[FS_MAX_XATTR_NAME + 1];
	const char *host;
	int m = fs_xattr_host_name(name, hbuf, &host);

	if (m < 0)
		return m;
	/* CREATE and REPLACE as the guest sees it: the host's own counts. */
	if (m == 1 && (flags & XATTR_CREATE) && getxattr(path, name, NULL, 0) >= 0)
		return -EEXIST;
	if (setxattr(path, host, val, size, flags) == 0)
		return 0;
	if (m == 1 && errno == ENODATA && (flags & XATTR_REPLACE) &&
	    getxattr(path, name, NULL, 0) >= 0)
		return setxattr(path, host, val, size, 0) < 0 ? -errno : 0;
	return -errno;
}

int fs_xattr_map_remove(const char *path, const char *name)
{
	char hbuf[FS_MAX_XATTR_NAME + 1];
	const char *host;
	int m = fs_xattr_host_name(name, hbuf, &host);

	if (m < 0)
		return m;
	if (removexattr(path, host) == 0)
		return 0;
	if (m == 1 && errno == ENODATA)
		return removexattr(path, name) < 0 ? -errno : 0; /* the host's own */
	return -errno;
}
