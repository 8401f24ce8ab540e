/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Helpers for the image format tests (qcow2, VMDK): a scratch directory,
 * shell commands (qemu-img, qemu-io: a missing one FAILS the test, it is a
 * dependency that scripts/deps.sh installs), a known byte pattern, and whole
 * reads and writes through a struct disk.
 */
#ifndef LIBKRUN_TEST_DISK_IMG_H
#define LIBKRUN_TEST_DISK_IMG_H

#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "devices/blk/disk.h"

struct img_dir {
	char path[64];
};

static inline void img_dir_make(struct img_dir *d)
{
	snprintf(d->path, sizeof(d->path), "/tmp/test_disk_img.XXXXXX");
	CHECK(mkdtemp(d->path) != NULL);
}

static inline void img_dir_remove(struct img_dir *d)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", d->path);
	CHECK_EQ(system(cmd), 0);
}

/* Runs a shell command in dir; its exit status. Output only on failure. */
__attribute__((format(printf, 2, 3))) static inline int img_sh(const struct img_dir *d,
							      const char *fmt, ...)
{
	char cmd[1024], full[1200];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	snprintf(full, sizeof(full), "cd '%s' && { %s; } >log 2>&1", d->path, cmd);
	st = system(full);
	if (st != 0) {
		snprintf(full, sizeof(full), "echo '--- %s' >&2; cat '%s/log' >&2", cmd, d->path);
		if (system(full) != 0)
			fprintf(stderr, "(no log)\n");
	}
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

#define IMG_SH(d, ...) CHECK_EQ(img_sh(d, __VA_ARGS__), 0)

/* qemu-img and qemu-io come with Debian's qemu-utils: required, never skipped. */
static inline void img_need_qemu(void)
{
	if (system("command -v qemu-img >/dev/null && command -v qemu-io >/dev/null") != 0)
		harness_fail(__FILE__, __LINE__,
			     "qemu-img/qemu-io missing: install qemu-utils (scripts/deps.sh check)");
}

/* The byte at off of pattern seed: differs between neighbouring sectors and
 * between seeds, so a misplaced sector shows. */
static inline uint8_t img_pat(uint64_t off, unsigned int seed)
{
	uint64_t x = (off / 16 + 1) * 0x9e3779b97f4a7c15ULL + seed * 0x632be59bd9b4e019ULL;

	return (uint8_t)((x >> 56) ^ off);
}

static inline void img_fill(uint8_t *buf, uint64_t off, size_t len, unsigned int seed)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = img_pat(off + i, seed);
}

/* Writes a whole file from buf. */
static inline void img_write_file(const struct img_dir *d, const char *name, const void *buf,
				  size_t len)
{
	char p[256];
	int fd;

	snprintf(p, sizeof(p), "%s/%s", d->path, name);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	CHECK(fd >= 0);
	CHECK_EQ(write(fd, buf, len), (ssize_t)len);
	close(fd);
}

/* The whole file into a new buffer of at least *len bytes (rest zeroed). */
static inline uint8_t *img_read_file(const struct img_dir *d, const char *name, size_t len)
{
	char p[256];
	uint8_t *b = calloc(1, len);
	ssize_t got;
	int fd;

	CHECK(b != NULL);
	snprintf(p, sizeof(p), "%s/%s", d->path, name);
	fd = open(p, O_RDONLY);
	CHECK(fd >= 0);
	got = read(fd, b, len);
	CHECK(got >= 0);
	close(fd);
	return b;
}

/* QEMU's reading of a qcow2 image (qemu-img convert to raw) equals want. */
static inline bool img_qemu_reads(const struct img_dir *d, const char *name,
				  const uint8_t *want, size_t size)
{
	uint8_t *got;
	bool same;

	CHECK_EQ(img_sh(d, "qemu-img convert -f qcow2 -O raw %s out.raw", name), 0);
	got = img_read_file(d, "out.raw", size);
	same = memcmp(got, want, size) == 0;
	free(got);
	return same;
}

static inline int img_open(const struct img_dir *d, const char *name, enum disk_format f,
			   bool read_only, struct disk **dk)
{
	char p[256];
	struct disk_open_params prm = { .path = p, .read_only = read_only };

	snprintf(p, sizeof(p), "%s/%s", d->path, name);
	return disk_open(f, &prm, dk);
}

/* len bytes at off, split over three buffers so that pieces cross iovecs. */
static inline int img_io(struct disk *dk, uint64_t off, uint8_t *buf, size_t len, bool write)
{
	size_t a = len / 3, b = len / 3;
	struct iovec iov[3] = { { buf, a }, { buf + a, b }, { buf + a + b, len - a - b } };

	return write ? dk->ops->writev(dk, iov, 3, off) : dk->ops->readv(dk, iov, 3, off);
}

/* Reads the whole disk in odd-sized requests and compares with want. */
static inline bool img_disk_equals(struct disk *dk, const uint8_t *want, size_t size)
{
	uint8_t *got = malloc(size);
	bool same;

	CHECK(got != NULL);
	for (size_t off = 0; off < size;) {
		size_t n = size - off < 200704 + 1536 ? size - off : 200704 + 1536;
		CHECK_EQ(img_io(dk, off, got + off, n, false), 0);
		off += n;
	}
	same = memcmp(got, want, size) == 0;
	if (!same)
		for (size_t i = 0; i < size; i++)
			if (got[i] != want[i]) {
				fprintf(stderr, "first difference at %zu: %02x, want %02x\n", i,
					got[i], want[i]);
				break;
			}
	free(got);
	return same;
}

#endif
