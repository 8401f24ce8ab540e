/* SPDX-License-Identifier: Apache-2.0 */
#ifndef LIBKRUN_UTIL_FILE_H
#define LIBKRUN_UTIL_FILE_H

#include <stddef.h>

/* Reads a whole regular file of at most max bytes into a new buffer (free()).
 * 0, or -errno (-EFBIG above max), logged with the path. */
int file_read_all(const char *path, size_t max, void **data, size_t *len);

/* Opens a regular file of at most max bytes for reading: *fd (O_CLOEXEC) and
 * its size. 0, or -errno (-EFBIG above max, -EINVAL not a regular file),
 * logged with the path. */
int file_open_regular(const char *path, size_t max, int *fd, size_t *size);

/*
 * Drops this process's copies of the whole pages inside [addr, addr + len) of
 * a file mapping it only reads (a library's rodata, a bundled image): they
 * stay in the page cache and fault back in on the next read, so they stop
 * counting in RSS. Pages only partly inside are kept. Errors are logged at
 * debug level: nothing depends on the drop.
 */
void file_pages_drop(const void *addr, size_t len);

#endif
