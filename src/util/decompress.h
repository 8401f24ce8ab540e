/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One-shot decompression of a single gzip, bzip2 or zstd stream held in memory,
 * with a bound on the output (the input may be a decompression bomb).
 *
 * Each decompress_* function decodes the one stream (zstd: frame) that starts
 * at in[0] and stops at its end: bytes after it are ignored, since a kernel's
 * vmlinuz carries its decompressor's code after the payload. On success *out
 * (free()) holds *out_len <= max bytes. Errors, each logged once with `what`
 * naming the data: -EINVAL (not that format, corrupt, or the input ends before
 * the stream does), -EFBIG (the stream holds more than max bytes; decoding
 * stops there), -ENOMEM.
 */
#ifndef LIBKRUN_UTIL_DECOMPRESS_H
#define LIBKRUN_UTIL_DECOMPRESS_H

#include <stddef.h>
#include <stdint.h>

int decompress_gzip(const void *in, size_t in_len, size_t max, const char *what,
		    void **out, size_t *out_len);
int decompress_bzip2(const void *in, size_t in_len, size_t max, const char *what,
		     void **out, size_t *out_len);
int decompress_zstd(const void *in, size_t in_len, size_t max, const char *what,
		    void **out, size_t *out_len);

/* The output buffer the decompressors share: it grows by doubling, but never
 * past max + 1 bytes, so that a stream with one byte too many is told from one
 * that fits exactly. */
struct dec_out {
	uint8_t *data;
	size_t len, cap, max;
};

static inline size_t dec_min(size_t a, size_t b)
{
	return a < b ? a : b;
}

/* Makes room for at least one more byte. 0; -EFBIG once len is past max (logged,
 * with what); -ENOMEM. in_len sizes the first allocation. */
int dec_out_room(struct dec_out *o, size_t in_len, const char *what);
/* Hands the bytes to the caller (shrunk to fit) or, with r < 0 or more than
 * max bytes (-EFBIG, logged), frees them. Returns r or -EFBIG. */
int dec_out_finish(struct dec_out *o, int r, const char *what, void **out, size_t *out_len);

#endif
