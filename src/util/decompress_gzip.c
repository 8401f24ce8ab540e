/* SPDX-License-Identifier: Apache-2.0 */
/* One gzip member (RFC 1952) through zlib's inflate. */
#include <errno.h>
#include <limits.h>
#include <zlib.h>

#include "util/decompress.h"
#include "util/dynlib.h"
#include "util/log.h"

/* zlib counts in uInt: feed and drain it in pieces of at most this. */
#define GZ_CHUNK ((size_t)UINT_MAX)

/* zlib is loaded on first use (util/dynlib.h says why); these are the
 * functions used, with zlib.h's prototypes. */
struct zlib_fns {
	int (*inflate_init2)(z_streamp strm, int window_bits, const char *version, int size);
	int (*inflate)(z_streamp strm, int flush);
	int (*inflate_end)(z_streamp strm);
};

int decompress_gzip(const void *in, size_t in_len, size_t max, const char *what,
		    void **out, size_t *out_len)
{
	struct dec_out o = { .max = max };
	z_stream zs = { 0 };
	size_t in_done = 0;
	struct zlib_fns z;
	const struct dynlib_sym syms[] = {
		{ "inflateInit2_", (void **)&z.inflate_init2 },
		{ "inflate", (void **)&z.inflate },
		{ "inflateEnd", (void **)&z.inflate_end },
	};
	void *lib;
	int r, zr;

	r = dynlib_open("libz.so.1", syms, sizeof(syms) / sizeof(syms[0]), what, &lib);
	if (r < 0)
		return r;
	/* 16 + MAX_WBITS: a gzip wrapper, whose CRC-32 and length (ISIZE) zlib
	 * checks at the end, so a member that lies about its size fails there.
	 * inflateInit2_ is what zlib.h's inflateInit2 macro expands to. */
	if (z.inflate_init2(&zs, 16 + MAX_WBITS, ZLIB_VERSION, (int)sizeof(zs)) != Z_OK) {
		log_error("%s: cannot set up zlib", what);
		dynlib_close(lib);
		return -ENOMEM;
	}
	for (;;) {
		size_t before_out;

		r = dec_out_room(&o, in_len, what);
		if (r < 0)
			break;
		if (zs.avail_in == 0 && in_done < in_len) {
			zs.next_in = (Bytef *)in + in_done;
			zs.avail_in = (uInt)dec_min(in_len - in_done, GZ_CHUNK);
			in_done += zs.avail_in;
		}
		zs.next_out = o.data + o.len;
		zs.avail_out = (uInt)dec_min(o.cap - o.len, GZ_CHUNK);
		before_out = zs.avail_out;
		zr = z.inflate(&zs, Z_NO_FLUSH);
		o.len += before_out - zs.avail_out;
		if (zr == Z_STREAM_END) {
			r = 0;
			break;
		}
		if (zr == Z_MEM_ERROR) {
			log_error("%s: zlib is out of memory", what);
			r = -ENOMEM;
			break;
		}
		if (zr != Z_OK && zr != Z_BUF_ERROR) {
			log_error("%s: corrupt gzip data (%s)", what, zs.msg ? zs.msg : "zlib error");
			r = -EINVAL;
			break;
		}
		/* Room to write, yet no input left: the member is cut short. */
		if (zs.avail_in == 0 && in_done == in_len && zs.avail_out > 0) {
			log_error("%s: gzip data ends before its stream does (truncated)", what);
			r = -EINVAL;
			break;
		}
	}
	z.inflate_end(&zs);
	dynlib_close(lib);
	return dec_out_finish(&o, r, what, out, out_len);
}
