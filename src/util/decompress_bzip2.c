/* SPDX-License-Identifier: Apache-2.0 */
/* One bzip2 stream through libbz2 (bzlib.h, "Low-level interface"). */
#include <bzlib.h>
#include <errno.h>
#include <limits.h>

#include "util/decompress.h"
#include "util/dynlib.h"
#include "util/log.h"

/* libbz2 counts in unsigned int. */
#define BZ_CHUNK ((size_t)UINT_MAX)

/* libbz2 is loaded on first use (util/dynlib.h says why). */
struct bz2_fns {
	int (*init)(bz_stream *strm, int verbosity, int small);
	int (*decompress)(bz_stream *strm);
	int (*end)(bz_stream *strm);
};

int decompress_bzip2(const void *in, size_t in_len, size_t max, const char *what,
		     void **out, size_t *out_len)
{
	struct dec_out o = { .max = max };
	bz_stream bs = { 0 };
	size_t in_done = 0;
	struct bz2_fns bz;
	const struct dynlib_sym syms[] = {
		{ "BZ2_bzDecompressInit", (void **)&bz.init },
		{ "BZ2_bzDecompress", (void **)&bz.decompress },
		{ "BZ2_bzDecompressEnd", (void **)&bz.end },
	};
	void *lib;
	int r, br;

	r = dynlib_open("libbz2.so.1.0", syms, sizeof(syms) / sizeof(syms[0]), what, &lib);
	if (r < 0)
		return r;
	/* small = 0: the fast decoder (up to ~3.7 MiB of state for -9 blocks). */
	if (bz.init(&bs, 0, 0) != BZ_OK) {
		log_error("%s: cannot set up libbz2", what);
		dynlib_close(lib);
		return -ENOMEM;
	}
	for (;;) {
		unsigned int before_out;

		r = dec_out_room(&o, in_len, what);
		if (r < 0)
			break;
		if (bs.avail_in == 0 && in_done < in_len) {
			bs.next_in = (char *)in + in_done;
			bs.avail_in = (unsigned int)dec_min(in_len - in_done, BZ_CHUNK);
			in_done += bs.avail_in;
		}
		bs.next_out = (char *)o.data + o.len;
		bs.avail_out = (unsigned int)dec_min(o.cap - o.len, BZ_CHUNK);
		before_out = bs.avail_out;
		br = bz.decompress(&bs);
		o.len += before_out - bs.avail_out;
		if (br == BZ_STREAM_END) {
			r = 0;
			break;
		}
		if (br == BZ_MEM_ERROR) {
			log_error("%s: libbz2 is out of memory", what);
			r = -ENOMEM;
			break;
		}
		if (br != BZ_OK) {
			/* BZ_DATA_ERROR (a CRC or structure check), BZ_DATA_ERROR_MAGIC. */
			log_error("%s: corrupt bzip2 data (libbz2 error %d)", what, br);
			r = -EINVAL;
			break;
		}
		if (bs.avail_in == 0 && in_done == in_len && bs.avail_out > 0) {
			log_error("%s: bzip2 data ends before its stream does (truncated)", what);
			r = -EINVAL;
			break;
		}
	}
	bz.end(&bs);
	dynlib_close(lib);
	return dec_out_finish(&o, r, what, out, out_len);
}
