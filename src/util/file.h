/* SPDX-License-Identifier: Apache-2.0 */
#ifndef LIBKRUN_UTIL_FILE_H
#define LIBKRUN_UTIL_FILE_H

#include <stddef.h>

/* Reads a whole regular file of at most max bytes into a new buffer (free()).
 * 0, or -errno (-EFBIG above max), logged with the path. */
int file_read_all(const char *path, size_t max, void **data, size_t *len);

#endif
