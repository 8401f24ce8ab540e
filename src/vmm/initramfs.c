/* SPDX-License-Identifier: Apache-2.0 */
/*
 * newc cpio writer (Documentation/driver-api/early-userspace/buffer-format.rst):
 * each entry is "070701", 13 fields of 8 hex digits, the NUL-terminated name,
 * padding to 4 bytes, the data, padding to 4 bytes.
 */
#include "vmm/initramfs.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "util/log.h"

#define CPIO_NAME_MAX 4095 /* PATH_MAX - 1: the kernel rejects longer names */
#define CPIO_HDR_LEN 110   /* 6 + 13 * 8 */

struct cpio_entry {
	const char *name;
	uint32_t mode, nlink, rdev_major, rdev_minor;
	const void *data;
	size_t len;
};

static int cpio_add(struct cpio *c, const struct cpio_entry *e)
{
	char hdr[CPIO_HDR_LEN + 1];
	size_t namelen = strlen(e->name) + 1, old = c->buf.len;
	int r;

	/*
	 * Field order: ino mode uid gid nlink mtime filesize devmajor devminor
	 * rdevmajor rdevminor namesize check. mtime 0 keeps the archive
	 * reproducible; check is only used by the "070702" variant.
	 */
	snprintf(hdr, sizeof(hdr),
		 "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
		 c->next_ino, e->mode, 0u, 0u, e->nlink, 0u, (uint32_t)e->len, 0u, 0u,
		 e->rdev_major, e->rdev_minor, (uint32_t)namelen, 0u);
	r = buf_append(&c->buf, hdr, CPIO_HDR_LEN);
	if (!r)
		r = buf_append(&c->buf, e->name, namelen);
	if (!r)
		r = buf_pad(&c->buf, 4);
	if (!r)
		r = buf_append(&c->buf, e->data, e->len);
	if (!r)
		r = buf_pad(&c->buf, 4);
	if (r < 0) {
		c->buf.len = old; /* the archive stays as it was */
		return r;
	}
	c->next_ino++;
	return 0;
}

static int cpio_add_checked(struct cpio *c, const char *path, uint32_t type, uint32_t perm,
			    const struct cpio_entry *tmpl)
{
	struct cpio_entry e = *tmpl;

	while (*path == '/')
		path++;
	if (!*path || (perm & ~07777u))
		return -EINVAL;
	if (strlen(path) > CPIO_NAME_MAX)
		return -ENAMETOOLONG;
	if (e.len > UINT32_MAX)
		return -EFBIG;
	e.name = path;
	e.mode = type | perm;
	return cpio_add(c, &e);
}

int cpio_add_dir(struct cpio *c, const char *path, uint32_t perm)
{
	const struct cpio_entry e = { .nlink = 2 };

	return cpio_add_checked(c, path, S_IFDIR, perm, &e);
}

int cpio_add_file(struct cpio *c, const char *path, uint32_t perm, const void *data,
		  size_t len)
{
	const struct cpio_entry e = { .nlink = 1, .data = data, .len = len };

	return cpio_add_checked(c, path, S_IFREG, perm, &e);
}

int cpio_add_chardev(struct cpio *c, const char *path, uint32_t perm, uint32_t major,
		     uint32_t minor)
{
	const struct cpio_entry e = { .nlink = 1, .rdev_major = major, .rdev_minor = minor };

	return cpio_add_checked(c, path, S_IFCHR, perm, &e);
}

int cpio_finish(struct cpio *c)
{
	const struct cpio_entry e = { .name = "TRAILER!!!", .nlink = 1 };

	return cpio_add(c, &e);
}

void cpio_release(struct cpio *c)
{
	buf_release(&c->buf);
	c->next_ino = 0;
}

int guest_config_add(struct buf *b, const char *key, const char *value)
{
	size_t old = b->len;
	int r;

	if (!key || !*key || !value)
		return -EINVAL;
	r = buf_append_str0(b, key);
	if (!r)
		r = buf_append_str0(b, value);
	if (r < 0)
		b->len = old;
	return r;
}

int initramfs_build(struct cpio *c, const void *init, size_t init_len, const void *config,
		    size_t config_len)
{
	int r;

	/* Inode 0 is avoided: some cpio readers treat it as "no inode". */
	c->next_ino = c->next_ino ? c->next_ino : 1;
	r = cpio_add_dir(c, ".krun", 0700);
	if (!r)
		r = cpio_add_dir(c, "dev", 0755);
	if (!r)
		r = cpio_add_chardev(c, "dev/console", 0600, 5, 1);
	if (!r)
		r = cpio_add_file(c, "init", 0755, init, init_len);
	if (!r)
		r = cpio_add_file(c, ".krun/config", 0400, config, config_len);
	if (!r)
		r = cpio_finish(c);
	if (r < 0) {
		log_error("initramfs: cannot build the init archive: %s", strerror(-r));
		cpio_release(c);
	}
	return r;
}
