/* SPDX-License-Identifier: Apache-2.0 */
#include "util/buf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int buf_reserve(struct buf *b, size_t n)
{
	size_t cap;
	uint8_t *p;

	if (n > BUF_MAX_LEN || b->len > BUF_MAX_LEN - n)
		return -EFBIG;
	if (b->len + n <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 256;
	while (cap < b->len + n)
		cap *= 2; /* cannot overflow: both stay below 2 * BUF_MAX_LEN */
	p = realloc(b->data, cap);
	if (!p)
		return -ENOMEM;
	b->data = p;
	b->cap = cap;
	return 0;
}

int buf_append(struct buf *b, const void *p, size_t n)
{
	int r = buf_reserve(b, n);

	if (r < 0)
		return r;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	return 0;
}

int buf_append_str0(struct buf *b, const char *s)
{
	return buf_append(b, s, strlen(s) + 1);
}

int buf_pad(struct buf *b, size_t align)
{
	size_t n = (align - (b->len & (align - 1))) & (align - 1);
	int r;

	if (!n)
		return 0;
	r = buf_reserve(b, n);
	if (r < 0)
		return r;
	memset(b->data + b->len, 0, n);
	b->len += n;
	return 0;
}

void buf_release(struct buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}
