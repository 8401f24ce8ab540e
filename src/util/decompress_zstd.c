/* SPDX-License-Identifier: Apache-2.0 */
/* One zstd frame (RFC 8878) through libzstd's streaming decoder. */
#include <errno.h>
#include <zstd.h>
#include <zstd_errors.h>

#include "util/decompress.h"
#include "util/log.h"

int decompress_zstd(const void *in, size_t in_len, size_t max, const char *what,
		    void **out, size_t *out_len)
{
	struct dec_out o = { .max = max };
	ZSTD_inBuffer ib = { .src = in, .size = in_len };
	ZSTD_DCtx *dc = ZSTD_createDCtx();
	int r;

	if (!dc) {
		log_error("%s: cannot set up libzstd", what);
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
		zr = ZSTD_decompressStream(dc, &ob, &ib);
		o.len = ob.pos;
		if (ZSTD_isError(zr)) {
			log_error("%s: corrupt zstd data (%s)", what, ZSTD_getErrorName(zr));
			r = ZSTD_getErrorCode(zr) == ZSTD_error_memory_allocation ? -ENOMEM
										   : -EINVAL;
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
	ZSTD_freeDCtx(dc);
	return dec_out_finish(&o, r, what, out, out_len);
}
