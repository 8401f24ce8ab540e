/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Compressed kernel images: find the payload by its magic, as upstream does
 * and as Linux's scripts/extract-vmlinux does, then decompress it.
 */
#include "vmm/kernel_image.h"

#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/decompress.h"
#include "util/log.h"

struct kimage_codec {
	const char *name;
	const uint8_t *magic; /* upstream's search key */
	size_t magic_len;
	/* The bytes after the magic look like the start of a real stream. */
	bool (*plausible)(const uint8_t *p, size_t left);
	int (*decompress)(const void *in, size_t in_len, size_t max, const char *what,
			  void **out, size_t *out_len);
};

/* RFC 1952 §2.3.1: ID1 ID2 CM=8 (deflate), then FLG, whose bits 5-7 are
 * reserved and must be zero. */
static bool gzip_plausible(const uint8_t *p, size_t left)
{
	return left > 3 && (p[3] & 0xe0) == 0;
}

/* "BZh", the block size '1'..'9', then either a block's magic (the BCD digits
 * of pi) or the end-of-stream magic (those of sqrt(pi)) of an empty stream. */
static bool bzip2_plausible(const uint8_t *p, size_t left)
{
	static const uint8_t block[6] = { 0x31, 0x41, 0x59, 0x26, 0x53, 0x59 };
	static const uint8_t eos[6] = { 0x17, 0x72, 0x45, 0x38, 0x50, 0x90 };

	return left >= 10 && p[3] >= '1' && p[3] <= '9' &&
	       (!memcmp(p + 4, block, sizeof(block)) || !memcmp(p + 4, eos, sizeof(eos)));
}

/* RFC 8878 §3.1.1: the 4-byte magic is distinctive enough. */
static bool zstd_plausible(const uint8_t *p, size_t left)
{
	(void)p;
	return left > 4;
}

static const uint8_t gzip_magic[] = { 0x1f, 0x8b, 0x08 };
static const uint8_t bzip2_magic[] = { 'B', 'Z', 'h' };
static const uint8_t zstd_magic[] = { 0x28, 0xb5, 0x2f, 0xfd };

static const struct kimage_codec *codec_of(enum kernel_format format)
{
	static const struct kimage_codec gzip = {
		.name = "gzip", .magic = gzip_magic, .magic_len = sizeof(gzip_magic),
		.plausible = gzip_plausible, .decompress = decompress_gzip,
	};
	static const struct kimage_codec bzip2 = {
		.name = "bzip2", .magic = bzip2_magic, .magic_len = sizeof(bzip2_magic),
		.plausible = bzip2_plausible, .decompress = decompress_bzip2,
	};
	static const struct kimage_codec zstd = {
		.name = "zstd", .magic = zstd_magic, .magic_len = sizeof(zstd_magic),
		.plausible = zstd_plausible, .decompress = decompress_zstd,
	};

	switch (format) {
	case KERNEL_FORMAT_IMAGE_GZ:
		return &gzip;
	case KERNEL_FORMAT_IMAGE_BZ2:
		return &bzip2;
	case KERNEL_FORMAT_IMAGE_ZSTD:
		return &zstd;
	case KERNEL_FORMAT_RAW:
	case KERNEL_FORMAT_ELF:
	case KERNEL_FORMAT_PE_GZ:
	case KERNEL_FORMAT_BZIMAGE:
		break;
	}
	return NULL;
}

bool kimage_is_compressed(enum kernel_format format)
{
	return codec_of(format) != NULL;
}

/* First offset at or after `from` where the codec's magic starts a plausible
 * stream; len if none. Upstream takes the first match of the magic alone; the
 * header check only skips matches that could not decode anyway. */
static size_t find_stream(const struct kimage_codec *c, const uint8_t *f, size_t len,
			  size_t from)
{
	while (from < len) {
		const uint8_t *p = memmem(f + from, len - from, c->magic, c->magic_len);

		if (!p)
			break;
		if (c->plausible(p, len - (size_t)(p - f)))
			return (size_t)(p - f);
		from = (size_t)(p - f) + 1;
	}
	return len;
}

int kimage_unpack(enum kernel_format format, const void *file, size_t len, size_t max,
		  const char *name, void **elf, size_t *elf_len)
{
	const struct kimage_codec *c = codec_of(format);
	const uint8_t *f = file;
	char what[256];
	void *out = NULL;
	size_t off, out_len = 0;
	int r;

	if (!c) {
		log_error("%s: kernel format %d is not a compressed image", name, (int)format);
		return -EINVAL;
	}
	off = find_stream(c, f, len, 0);
	if (off == len) {
		log_error("%s: kernel image holds no %s stream (no %s magic found)", name,
			  c->name, c->name);
		return -EINVAL;
	}
	log_debug("%s: kernel image: %s stream at offset 0x%zx", name, c->name, off);
	snprintf(what, sizeof(what), "%s: the kernel image's %s stream at 0x%zx", name, c->name,
		 off);
	r = c->decompress(f + off, len - off, max, what, &out, &out_len);
	if (r < 0)
		return r;
	if (out_len < SELFMAG || memcmp(out, ELFMAG, SELFMAG) != 0) {
		log_error("%s: decompressed %zu bytes that are not an ELF vmlinux", what,
			  out_len);
		free(out);
		return -EINVAL;
	}
	*elf = out;
	*elf_len = out_len;
	return 0;
}
