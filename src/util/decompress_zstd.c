/* SPDX-License-Identifier: Apache-2.0 */
/* One zstd frame (RFC 8878) through libzstd's streaming decoder. */
#include <errno.h>
#include <zstd.h>
#include <zstd_errors.h>

#include "util/decompress.h"
#include "util/dynlib.h"
#include "util/log.h"

/* libzstd is loaded on first use (util/dynlib.h says why). */
struct zstd_fns {
	ZSTD_DCtx *(*create)(void);
	size_t (*decompress_stream)(ZSTD_DCtx *dctx, ZSTD_outBuffer *output, ZSTD_inBuffer *input);
	unsigned (*is_error)(size_t code);
	const char *(*error_name)(size_t code);
	ZSTD_ErrorCode (*error_code)(size_t code);
	size_t (*free_dctx)(ZSTD_DCtx *dctx);
};

int decompress_zstd(const void *in, size_t in_len, size_t max, const char *what,
		    void **out, size_t *out_len)
{
	struct dec_out o = { .max = max };
	ZSTD_inBuffer ib = { .src = in, .size = in_len };
	struct zstd_fns zs;
	const struct dynlib_sym syms[] = {
		{ "ZSTD_createDCtx", (void **)&zs.create },
		{ "ZSTD_decompressStream", (void **)&zs.decompress_stream },
		{ "ZSTD_isError", (void **)&zs.is_error },
		{ "ZSTD_getErrorName", (void **)&zs.error_name },
		{ "ZSTD_getErrorCode", (void **)&zs.error_code },
		{ "ZSTD_freeDCtx", (void **)&zs.free_dctx },
	};
	ZSTD_DCtx *dc;
	void *lib;
	int r;

	r = dynlib_open("libzstd.so.1", syms, sizeof(syms) / sizeof(syms[0]), what, &lib);
	if (r < 0)
		return r;
	dc = zs.create();
	if (!dc) {
		log_error("%s: cannot set up libzstd", what);
		dynlib_close(lib);
		return -ENOMEM;
	}
	/* The default window limit (ZSTD_WINDOWLOG_LIMIT_DEFAULT, 128 MiB) stays:
	 * it bounds the decoder's own memory, and `zstd` writes no larger window
	 * unless told to (--long). A frame's declared content size is checked
	 * against what it decodes to, so a lying size fails as corruption. */
	for (;;) {
		ZSTD_outBuffer ob;
		size_t zr;

		r = dec_out_room(&o, in_len, what);
		if (r < 0)
			break;
		ob = (ZSTD_outBuffer){ .dst = o.data, .size = o.cap, .pos = o.len };
		zr = zs.decompress_stream(dc, &ob, &ib);
		o.len = ob.pos;
		if (zs.is_error(zr)) {
			log_error("%s: corrupt zstd data (%s)", what, zs.error_name(zr));
			r = zs.error_code(zr) == ZSTD_error_memory_allocation ? -ENOMEM : -EINVAL;
			break;
		}
		/* 0: the frame is complete and flushed; what follows is not ours. */
		if (zr == 0) {
			r = 0;
			break;
		}
		if (ib.pos == ib.size && ob.pos < ob.size) {
			log_error("%s: zstd data ends before its frame does (truncated)", what);
			r = -EINVAL;
			break;
		}
	}
	zs.free_dctx(dc);
	dynlib_close(lib);
	return dec_out_finish(&o, r, what, out, out_len);
}
