/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The compressed kernel formats (vmm/kernel_image.h): the stream is found after
 * a prefix and unpacked to the ELF the x86 loader then loads; truncated,
 * corrupt, lying, oversized (bomb) and mislabelled files fail with -EINVAL or
 * -EFBIG and never read or write out of bounds (ASan).
 */
#include <errno.h>

#include "kernel_formats_util.h"
#include "test_x86_util.h"
#include "util/dynlib.h"
#include "vmm/kernel_image.h"

#define MiB ((size_t)1 << 20)

static const struct {
	enum kf_codec codec;
	enum kernel_format format;
	const char *name;
} formats[] = {
	{ KF_GZIP, KERNEL_FORMAT_IMAGE_GZ, "gzip" },
	{ KF_BZIP2, KERNEL_FORMAT_IMAGE_BZ2, "bzip2" },
	{ KF_ZSTD, KERNEL_FORMAT_IMAGE_ZSTD, "zstd" },
};
#define NFORMATS (sizeof(formats) / sizeof(formats[0]))

/* kimage_unpack on an exactly-sized heap copy, so that ASan sees any read past
 * the end of the file. */
static int unpack(enum kernel_format fmt, const uint8_t *p, size_t len, size_t max,
		  struct kf_blob *out)
{
	void *copy = malloc(len ? len : 1);
	void *elf = NULL;
	size_t elf_len = 0;
	int r;

	CHECK(copy != NULL);
	memcpy(copy, p, len);
	r = kimage_unpack(fmt, copy, len, max, "test.img", &elf, &elf_len);
	free(copy);
	if (r == 0) {
		out->data = elf;
		out->len = elf_len;
	} else {
		CHECK(elf == NULL);
	}
	return r;
}

/* The format's stream of `in`, inside a vmlinuz-like file. */
static struct kf_blob image_of(unsigned int i, const struct kf_blob *in)
{
	struct kf_blob s = kf_compress(formats[i].codec, in->data, in->len);
	struct kf_blob f = kf_wrap(&s, KF_PREFIX, KF_TAIL);

	kf_free(&s);
	return f;
}

TEST(kimage_each_format_is_found_after_a_prefix_and_unpacks_to_the_elf)
{
	struct kf_blob elf = kf_elf(200000);

	for (unsigned int i = 0; i < NFORMATS; i++) {
		struct kf_blob f = image_of(i, &elf), out = { 0 };
		struct gmem m;
		struct x86_kernel k;
		struct boot_spec b = { .format = KERNEL_FORMAT_ELF };

		CHECK_EQ(unpack(formats[i].format, f.data, f.len, KIMAGE_MAX_UNPACKED, &out), 0);
		CHECK_EQ(out.len, elf.len);
		CHECK(memcmp(out.data, elf.data, elf.len) == 0);
		/* and the result is what the ELF loader boots */
		x86_test_mem(&m, 64 * MiB);
		b.kernel = out.data;
		b.kernel_size = out.len;
		CHECK_EQ(x86_load_kernel(&m, &b, &k), 0);
		CHECK_EQ(k.entry, KF_LOAD);
		CHECK(memcmp(x86_test_at(&m, KF_LOAD, 200000), elf.data + KF_CODE_OFF, 200000) == 0);
		gmem_destroy(&m);
		kf_free(&out);
		kf_free(&f);
	}
	kf_free(&elf);
}

TEST(kimage_stream_at_offset_zero_and_without_a_tail_unpacks)
{
	struct kf_blob elf = kf_elf(5000);

	for (unsigned int i = 0; i < NFORMATS; i++) {
		struct kf_blob s = kf_compress(formats[i].codec, elf.data, elf.len), out = { 0 };

		CHECK_EQ(unpack(formats[i].format, s.data, s.len, KIMAGE_MAX_UNPACKED, &out), 0);
		CHECK_EQ(out.len, elf.len);
		kf_free(&out);
		kf_free(&s);
	}
	kf_free(&elf);
}

/* A magic that is not a stream's start (gzip with reserved flag bits, "BZh"
 * with no block after it) is passed over for the real stream behind it. */
TEST(kimage_magic_without_a_stream_header_is_skipped)
{
	struct kf_blob elf = kf_elf(5000), out = { 0 };
	static const uint8_t fake_gz[] = { 0x1f, 0x8b, 0x08, 0xe0 };
	static const uint8_t fake_bz[] = { 'B', 'Z', 'h', '9', 'x', 'y', 'z', 'w', 'v', 'u' };

	for (unsigned int i = 0; i < 2; i++) {
		struct kf_blob f = image_of(i, &elf);
		const uint8_t *fake = i == 0 ? fake_gz : fake_bz;
		size_t n = i == 0 ? sizeof(fake_gz) : sizeof(fake_bz);

		memcpy(f.data + 100, fake, n);
		CHECK_EQ(unpack(formats[i].format, f.data, f.len, KIMAGE_MAX_UNPACKED, &out), 0);
		CHECK_EQ(out.len, elf.len);
		kf_free(&out);
		kf_free(&f);
	}
	kf_free(&elf);
}

TEST(kimage_truncated_streams_fail_with_einval)
{
	struct kf_blob elf = kf_elf(100000), out = { 0 };

	for (unsigned int i = 0; i < NFORMATS; i++) {
		struct kf_blob s = kf_compress(formats[i].codec, elf.data, elf.len);
		/* Cut inside the data, inside the header, and just before the end
		 * (gzip: its length field; bzip2: the stream CRC; zstd: the last block). */
		const size_t cuts[] = { s.len / 2, 5, s.len - 1 };

		for (unsigned int c = 0; c < 3; c++) {
			struct kf_blob cut = { .data = s.data, .len = cuts[c] };
			struct kf_blob f = kf_wrap(&cut, 64, 0);

			if (unpack(formats[i].format, f.data, f.len, KIMAGE_MAX_UNPACKED, &out) !=
			    -EINVAL)
				harness_fail(__FILE__, __LINE__, "%s cut at %zu/%zu did not fail",
					     formats[i].name, cuts[c], s.len);
			kf_free(&f);
		}
		kf_free(&s);
	}
	kf_free(&elf);
}

TEST(kimage_garbage_after_the_magic_fails_with_einval)
{
	static const uint8_t heads[NFORMATS][10] = {
		{ 0x1f, 0x8b, 0x08, 0x00, 1, 2, 3, 4, 0, 3 },
		{ 'B', 'Z', 'h', '9', 0x31, 0x41, 0x59, 0x26, 0x53, 0x59 },
		{ 0x28, 0xb5, 0x2f, 0xfd, 0x24, 0x10, 0x51, 0x00, 0x00, 0x99 },
	};
	struct kf_blob out = { 0 };

	for (unsigned int i = 0; i < NFORMATS; i++) {
		struct kf_blob f = { .len = 5000 };

		f.data = malloc(f.len);
		CHECK(f.data != NULL);
		kf_filler(f.data, f.len, 3);
		for (size_t j = 1000; j < f.len; j++) /* any bytes, not only filler */
			f.data[j] = (uint8_t)(j * 131 + 7);
		memcpy(f.data + 1000, heads[i], sizeof(heads[i]));
		CHECK_EQ(unpack(formats[i].format, f.data, f.len, KIMAGE_MAX_UNPACKED, &out),
			 -EINVAL);
		kf_free(&f);
	}
}

TEST(kimage_bomb_stops_at_the_bound_with_efbig)
{
	struct kf_blob elf = kf_elf(4 * MiB), out = { 0 };

	for (unsigned int i = 0; i < NFORMATS; i++) {
		struct kf_blob f = image_of(i, &elf);

		CHECK(f.len < MiB); /* a small file that grows past the bound */
		CHECK_EQ(unpack(formats[i].format, f.data, f.len, MiB, &out), -EFBIG);
		/* the bound is inclusive: exactly the ELF's size fits, one less does not */
		CHECK_EQ(unpack(formats[i].format, f.data, f.len, elf.len - 1, &out), -EFBIG);
		CHECK_EQ(unpack(formats[i].format, f.data, f.len, elf.len, &out), 0);
		CHECK_EQ(out.len, elf.len);
		kf_free(&out);
		kf_free(&f);
	}
	kf_free(&elf);
}

/* gzip's trailer states the CRC-32 and the length; a zstd frame header may
 * state the content size. Either lie is found. */
TEST(kimage_lying_sizes_and_checksums_fail_with_einval)
{
	struct kf_blob elf = kf_elf(70000), out = { 0 };
	struct kf_blob s = kf_compress(KF_GZIP, elf.data, elf.len);
	uint8_t d, fcs_flag, single, did;
	size_t at;

	s.data[s.len - 4] ^= 1; /* ISIZE */
	CHECK_EQ(unpack(KERNEL_FORMAT_IMAGE_GZ, s.data, s.len, KIMAGE_MAX_UNPACKED, &out), -EINVAL);
	s.data[s.len - 4] ^= 1;
	s.data[s.len - 8] ^= 1; /* CRC-32 */
	CHECK_EQ(unpack(KERNEL_FORMAT_IMAGE_GZ, s.data, s.len, KIMAGE_MAX_UNPACKED, &out), -EINVAL);
	kf_free(&s);

	/* bzip2: a flipped bit in the data breaks a block CRC. */
	s = kf_compress(KF_BZIP2, elf.data, elf.len);
	s.data[s.len / 2] ^= 0x10;
	CHECK_EQ(unpack(KERNEL_FORMAT_IMAGE_BZ2, s.data, s.len, KIMAGE_MAX_UNPACKED, &out),
		 -EINVAL);
	kf_free(&s);

	/* zstd (RFC 8878 §3.1.1.1): descriptor, [window], [dictionary id], size. */
	s = kf_compress(KF_ZSTD, elf.data, elf.len);
	d = s.data[4];
	fcs_flag = d >> 6;
	single = (d >> 5) & 1;
	did = d & 3;
	CHECK(fcs_flag != 0); /* ZSTD_compress states the size */
	at = 5 + (single ? 0 : 1) + (did ? (size_t)1 << (did - 1) : 0);
	s.data[at] ^= 1; /* the size's low byte: off by one */
	CHECK_EQ(unpack(KERNEL_FORMAT_IMAGE_ZSTD, s.data, s.len, KIMAGE_MAX_UNPACKED, &out),
		 -EINVAL);
	kf_free(&s);
	kf_free(&elf);
}

TEST(kimage_payload_that_is_not_an_elf_fails_with_einval)
{
	struct kf_blob text = { .len = 50000 }, out = { 0 };

	text.data = malloc(text.len);
	CHECK(text.data != NULL);
	kf_filler(text.data, text.len, 5);
	for (unsigned int i = 0; i < NFORMATS; i++) {
		struct kf_blob f = image_of(i, &text);

		CHECK_EQ(unpack(formats[i].format, f.data, f.len, KIMAGE_MAX_UNPACKED, &out),
			 -EINVAL);
		kf_free(&f);
	}
	/* An empty stream decodes to nothing, which is no ELF either. */
	text.len = 0;
	for (unsigned int i = 0; i < NFORMATS; i++) {
		struct kf_blob f = image_of(i, &text);

		CHECK_EQ(unpack(formats[i].format, f.data, f.len, KIMAGE_MAX_UNPACKED, &out),
			 -EINVAL);
		kf_free(&f);
	}
	kf_free(&text);
}

TEST(kimage_file_of_another_format_fails_with_einval)
{
	static const uint8_t *const magic_only[NFORMATS] = {
		(const uint8_t *)"\x1f\x8b\x08", (const uint8_t *)"BZh9",
		(const uint8_t *)"\x28\xb5\x2f\xfd",
	};
	struct kf_blob elf = kf_elf(5000), out = { 0 };

	for (unsigned int i = 0; i < NFORMATS; i++) {
		struct kf_blob f = image_of(i, &elf);

		for (unsigned int j = 0; j < NFORMATS; j++)
			if (j != i)
				CHECK_EQ(unpack(formats[j].format, f.data, f.len,
						KIMAGE_MAX_UNPACKED, &out), -EINVAL);
		kf_free(&f);
	}
	/* A plain vmlinux (no stream in it), an empty file, a magic alone. */
	for (unsigned int j = 0; j < NFORMATS; j++) {
		CHECK_EQ(unpack(formats[j].format, elf.data, elf.len, KIMAGE_MAX_UNPACKED, &out),
			 -EINVAL);
		CHECK_EQ(unpack(formats[j].format, elf.data, 0, KIMAGE_MAX_UNPACKED, &out), -EINVAL);
		CHECK_EQ(unpack(formats[j].format, magic_only[j], strlen((const char *)magic_only[j]),
				KIMAGE_MAX_UNPACKED, &out), -EINVAL);
	}
	/* Formats that are not compressed images. */
	CHECK(!kimage_is_compressed(KERNEL_FORMAT_ELF));
	CHECK(!kimage_is_compressed(KERNEL_FORMAT_RAW));
	CHECK(!kimage_is_compressed(KERNEL_FORMAT_PE_GZ));
	CHECK(!kimage_is_compressed(KERNEL_FORMAT_BZIMAGE));
	CHECK_EQ(unpack(KERNEL_FORMAT_ELF, elf.data, elf.len, KIMAGE_MAX_UNPACKED, &out), -EINVAL);
	CHECK_EQ(unpack(KERNEL_FORMAT_PE_GZ, elf.data, elf.len, KIMAGE_MAX_UNPACKED, &out), -EINVAL);
	kf_free(&elf);
}

/* Every prefix of a good stream (a sample of cut points) fails cleanly: the
 * decoders must not read past what they are given. */
TEST(kimage_every_cut_of_a_stream_fails_cleanly)
{
	struct kf_blob elf = kf_elf(20000), out = { 0 };

	for (unsigned int i = 0; i < NFORMATS; i++) {
		struct kf_blob s = kf_compress(formats[i].codec, elf.data, elf.len);

		for (size_t n = 0; n < s.len; n += 1 + n / 8)
			CHECK_EQ(unpack(formats[i].format, s.data, n, KIMAGE_MAX_UNPACKED, &out),
				 -EINVAL);
		kf_free(&s);
	}
	kf_free(&elf);
}

/* KRUN_KERNEL_FORMAT_RAW as upstream has it on x86_64: the bytes at 2 GiB,
 * entered there; a VM without RAM past 2 GiB cannot take it. */
TEST(raw_image_goes_to_upstreams_2gib_and_needs_the_ram_for_it)
{
	uint8_t img[4096];
	struct gmem m;
	struct x86_kernel k;
	struct boot_spec b = { .kernel = img, .kernel_size = sizeof(img),
			       .format = KERNEL_FORMAT_RAW };

	CHECK_EQ(arch_raw_kernel_addr(), 0x80000000ULL);
	b.load_addr = b.entry = arch_raw_kernel_addr();
	for (unsigned int i = 0; i < sizeof(img); i++)
		img[i] = (uint8_t)(i * 7);
	x86_test_mem(&m, 2304 * MiB);
	CHECK_EQ(x86_load_kernel(&m, &b, &k), 0);
	CHECK_EQ(k.entry, 0x80000000ULL);
	CHECK(memcmp(x86_test_at(&m, 0x80000000ULL, sizeof(img)), img, sizeof(img)) == 0);
	/* The initrd (at most 2 GiB - 1, x86_64's initrd_addr_max) goes below it. */
	uint64_t gpa = 0;
	CHECK_EQ(x86_initrd_place(&m, &k, 5 * MiB, &gpa), 0);
	CHECK(gpa >= LAYOUT_HIMEM && gpa + 5 * MiB <= 0x80000000ULL);
	CHECK_EQ(x86_initrd_place(&m, &k, 2048 * MiB, &gpa), -ENOMEM);
	gmem_destroy(&m);
	x86_test_mem(&m, 2048 * MiB);
	CHECK_EQ(x86_load_kernel(&m, &b, &k), -ENOMEM);
	gmem_destroy(&m);
}

/* The decompressors load their library on first use (util/dynlib.h): a library
 * or symbol that is not there is -ENOENT, not a crash, and a found one fills
 * every slot. */
TEST(dynlib_missing_library_or_symbol_fails_with_enoent)
{
	int (*fn)(void) = NULL;
	const struct dynlib_sym missing_sym[] = { { "no_such_symbol_krun", (void **)&fn } };
	const struct dynlib_sym present[] = { { "ZSTD_versionNumber", (void **)&fn } };
	void *h = NULL;

	CHECK(dynlib_open("libno-such-library-krun.so.9", present, 1, "test", &h) == -ENOENT);
	CHECK(h == NULL);
	CHECK(dynlib_open("libzstd.so.1", missing_sym, 1, "test", &h) == -ENOENT);
	CHECK(h == NULL && fn == NULL);
	CHECK(dynlib_open("libzstd.so.1", present, 1, "test", &h) == 0);
	CHECK(h != NULL && fn != NULL && fn() > 0);
	dynlib_close(h);
}
