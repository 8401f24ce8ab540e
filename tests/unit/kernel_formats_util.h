/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Compressed kernel images for the tests of the KRUN_KERNEL_FORMAT_IMAGE_*
 * formats (test_kernel_formats*.c): a small ELF vmlinux, compressed with the
 * same libraries the library decompresses with, inside a vmlinuz-like file
 * (a prefix standing in for the boot code, then the stream, then a tail).
 */
#ifndef LIBKRUN_TEST_KERNEL_FORMATS_UTIL_H
#define LIBKRUN_TEST_KERNEL_FORMATS_UTIL_H

#include <bzlib.h>
#include <elf.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#include "harness.h"

#define KF_LOAD 0x1000000ULL /* where the test vmlinux's one segment goes */
#define KF_CODE_OFF 0x1000
#define KF_PREFIX 20000 /* about a real x86 vmlinuz's setup code */
#define KF_TAIL 3000

enum kf_codec { KF_GZIP, KF_BZIP2, KF_ZSTD };

struct kf_blob {
	uint8_t *data;
	size_t len;
};

/* Deterministic bytes (xorshift), so that a failure reproduces. */
static inline uint32_t kf_rand(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/* Bytes in 0x60..0x7f: no compressor's magic (0x1f, 'B', 0x28) starts there. */
static inline void kf_filler(uint8_t *p, size_t n, uint32_t seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(0x60 | (kf_rand(&seed) & 0x1f));
}

/* An x86_64 ET_EXEC with one PT_LOAD of code_len file bytes (compressible
 * text, as code is) at KF_LOAD, entry at its start. */
static inline struct kf_blob kf_elf(size_t code_len)
{
	struct kf_blob b = { .len = KF_CODE_OFF + code_len };
	Elf64_Ehdr eh = { 0 };
	Elf64_Phdr ph = { 0 };

	b.data = calloc(1, b.len);
	CHECK(b.data != NULL);
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	eh.e_type = ET_EXEC;
	eh.e_machine = EM_X86_64;
	eh.e_version = EV_CURRENT;
	eh.e_entry = KF_LOAD;
	eh.e_phoff = sizeof(eh);
	eh.e_ehsize = sizeof(eh);
	eh.e_phentsize = sizeof(ph);
	eh.e_phnum = 1;
	ph.p_type = PT_LOAD;
	ph.p_offset = KF_CODE_OFF;
	ph.p_paddr = KF_LOAD;
	ph.p_vaddr = 0xffffffff81000000ULL;
	ph.p_filesz = code_len;
	ph.p_memsz = code_len + 0x10000;
	memcpy(b.data, &eh, sizeof(eh));
	memcpy(b.data + sizeof(eh), &ph, sizeof(ph));
	for (size_t i = 0; i < code_len; i++)
		b.data[KF_CODE_OFF + i] = (uint8_t)("mov rax, rbx; call 0x1234\n"[i % 26] + i / 4096);
	return b;
}

static inline struct kf_blob kf_compress(enum kf_codec c, const void *in, size_t len)
{
	struct kf_blob b = { 0 };
	size_t cap = len + len / 8 + 4096;

	b.data = malloc(cap);
	CHECK(b.data != NULL);
	switch (c) {
	case KF_GZIP: {
		z_stream zs = { 0 };

		CHECK(deflateInit2(&zs, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) ==
		      Z_OK);
		zs.next_in = (Bytef *)in;
		zs.avail_in = (uInt)len;
		zs.next_out = b.data;
		zs.avail_out = (uInt)cap;
		CHECK(deflate(&zs, Z_FINISH) == Z_STREAM_END);
		b.len = cap - zs.avail_out;
		deflateEnd(&zs);
		break;
	}
	case KF_BZIP2: {
		unsigned int n = (unsigned int)cap;

		CHECK(BZ2_bzBuffToBuffCompress((char *)b.data, &n, (char *)in, (unsigned int)len,
					       9, 0, 0) == BZ_OK);
		b.len = n;
		break;
	}
	case KF_ZSTD:
		b.len = ZSTD_compress(b.data, cap, in, len, 3);
		CHECK(!ZSTD_isError(b.len));
		break;
	}
	return b;
}

/* prefix filler, the stream, then tail bytes of filler. */
static inline struct kf_blob kf_wrap(const struct kf_blob *stream, size_t prefix, size_t tail)
{
	struct kf_blob b = { .len = prefix + stream->len + tail };

	b.data = malloc(b.len);
	CHECK(b.data != NULL);
	kf_filler(b.data, prefix, 7);
	memcpy(b.data + prefix, stream->data, stream->len);
	kf_filler(b.data + prefix + stream->len, tail, 11);
	return b;
}

static inline void kf_free(struct kf_blob *b)
{
	free(b->data);
	*b = (struct kf_blob){ 0 };
}

#endif
