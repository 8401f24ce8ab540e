/* SPDX-License-Identifier: Apache-2.0 */
/* The output buffer of util/decompress_*.c. */
#include "util/decompress.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "util/log.h"

/* First allocation: a few times the input (kernels compress 3-5x), at least
 * 1 MiB, and never more than the bound allows. */
#define DEC_FIRST_MIN ((size_t)1 << 20)
#define DEC_FIRST_RATIO 4

static int too_large(const struct dec_out *o, const char *what)
{
	log_error("%s: decompressed data is larger than %zu bytes (a decompression bomb?)",
		  what, o->max);
	return -EFBIG;
}

int dec_out_room(struct dec_out *o, size_t in_len, const char *what)
{
	size_t limit = o->max < SIZE_MAX ? o->max + 1 : SIZE_MAX, cap;
	uint8_t *p;

	if (o->len < o->cap)
		return 0;
	if (o->len >= limit)
		return too_large(o, what);
	if (o->cap == 0) {
		cap = in_len > SIZE_MAX / DEC_FIRST_RATIO ? limit : in_len * DEC_FIRST_RATIO;
		if (cap < DEC_FIRST_MIN)
			cap = DEC_FIRST_MIN;
	} else {
		cap = o->cap > SIZE_MAX / 2 ? limit : o->cap * 2;
	}
	if (cap > limit)
		cap = limit;
	p = realloc(o->data, cap);
	if (!p) {
		log_error("%s: no memory for %zu bytes of decompressed data", what, cap);
		return -ENOMEM;
	}
	o->data = p;
	o->cap = cap;
	return 0;
}

int dec_out_finish(struct dec_out *o, int r, const char *what, void **out, size_t *out_len)
{
	uint8_t *p;

	/* The stream may end on the one byte past max that the buffer has room for. */
	if (r == 0 && o->len > o->max)
		r = too_large(o, what);
	if (r < 0) {
		free(o->data);
		*o = (struct dec_out){ 0 };
		return r;
	}
	/* Shrinking cannot fail in glibc, but keep the larger block if it does. */
	p = o->len ? realloc(o->data, o->len) : o->data;
	*out = p ? p : o->data;
	*out_len = o->len;
	*o = (struct dec_out){ 0 };
	return 0;
}
