/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A growable byte buffer. Start from `struct buf b = {0};`, append, hand out
 * b.data / b.len, release with buf_release. A failed append leaves the buffer as
 * it was, so a caller can unwind with one buf_release.
 */
#ifndef LIBKRUN_UTIL_BUF_H
#define LIBKRUN_UTIL_BUF_H

#include <stddef.h>
#include <stdint.h>

/* No buffer grows past this: every length that reaches the guest fits 32 bits. */
#define BUF_MAX_LEN ((size_t)1 << 31)

struct buf {
	uint8_t *data;
	size_t len, cap;
};

/* Appends n bytes; 0 or -ENOMEM, -EFBIG past BUF_MAX_LEN. */
int buf_append(struct buf *b, const void *p, size_t n);
/* Appends a string with its terminating NUL. */
int buf_append_str0(struct buf *b, const char *s);
/* Appends zero bytes until len is a multiple of align (a power of two). */
int buf_pad(struct buf *b, size_t align);
/* Frees the storage; the buffer is empty and reusable afterwards. */
void buf_release(struct buf *b);

#endif
