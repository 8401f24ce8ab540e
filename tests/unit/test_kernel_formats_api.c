/* SPDX-License-Identifier: Apache-2.0 */
/*
 * krun_set_kernel's compressed formats through the public API: the formats
 * upstream has on x86_64 are taken, PE_GZ (arm64) is refused, and a file
 * that does not unpack fails krun_start_enter before any VM exists, with the
 * reason logged and the context consumed.
 */
#include "harness.h"
#include "logcap.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "kernel_formats_util.h"
#include "libkrun.h"

struct tmpfile {
	char path[64];
};

static void write_tmp(struct tmpfile *t, const void *p, size_t len)
{
	int fd;

	snprintf(t->path, sizeof(t->path), "/tmp/krun-kfmt-XXXXXX");
	fd = mkstemp(t->path);
	CHECK(fd >= 0);
	CHECK(write(fd, p, len) == (ssize_t)len);
	close(fd);
}

/* krun_start_enter on a context whose kernel is path in format: its result,
 * and what it logged into c. */
static int start_with(const char *path, uint32_t format, struct logcap *c, const char **log)
{
	static const char *const argv[] = { NULL };
	uint32_t ctx = new_ctx();
	int r;

	CHECK_EQ(krun_set_kernel(ctx, path, format, NULL, NULL), 0);
	CHECK_EQ(krun_set_exec(ctx, "/bin/true", argv, argv), 0);
	cap_start(c);
	r = krun_start_enter(ctx);
	*log = cap_end(c);
	CHECK_EQ(krun_free_ctx(ctx), -ENOENT); /* consumed, as by any start */
	return r;
}

TEST(api_set_kernel_takes_upstreams_x86_formats_and_refuses_pe_gz)
{
	uint32_t ctx = new_ctx();
	struct logcap c;

	CHECK_EQ(krun_set_kernel(ctx, "/dev/null", KRUN_KERNEL_FORMAT_IMAGE_BZ2, NULL, NULL), 0);
	CHECK_EQ(krun_set_kernel(ctx, "/dev/null", KRUN_KERNEL_FORMAT_IMAGE_GZ, NULL, NULL), 0);
	CHECK_EQ(krun_set_kernel(ctx, "/dev/null", KRUN_KERNEL_FORMAT_IMAGE_ZSTD, NULL, NULL), 0);
	CHECK_EQ(krun_set_kernel(ctx, "/dev/null", KRUN_KERNEL_FORMAT_RAW, NULL, NULL), 0);
	cap_start(&c);
	CHECK_EQ(krun_set_kernel(ctx, "/dev/null", KRUN_KERNEL_FORMAT_PE_GZ, NULL, NULL), -EINVAL);
	CHECK(strstr(cap_end(&c), "PE_GZ is an aarch64/riscv64 format"));
	cap_start(&c);
	CHECK_EQ(krun_set_kernel(ctx, "/dev/null", 6, NULL, NULL), -EINVAL);
	CHECK(strstr(cap_end(&c), "unknown kernel format 6"));
	CHECK_EQ(krun_set_kernel(ctx, "/no/such/vmlinuz", KRUN_KERNEL_FORMAT_IMAGE_ZSTD, NULL,
				 NULL), -ENOENT);
	CHECK_EQ(krun_free_ctx(ctx), 0);
}

TEST(api_start_with_a_kernel_that_does_not_unpack_fails_before_the_vm)
{
	struct kf_blob elf = kf_elf(30000);
	struct kf_blob gz = kf_compress(KF_GZIP, elf.data, elf.len);
	struct kf_blob zs = kf_compress(KF_ZSTD, elf.data, elf.len);
	struct kf_blob text = { .data = (uint8_t *)"not a kernel at all\n", .len = 20 };
	struct kf_blob bz_text = kf_compress(KF_BZIP2, text.data, text.len);
	struct kf_blob cut = { .data = gz.data, .len = gz.len / 2 };
	struct kf_blob cut_file = kf_wrap(&cut, 100, 0);
	struct tmpfile t;
	struct logcap c;
	const char *log;
	static const struct {
		int which;
		uint32_t format;
		const char *says;
	} cases[] = {
		{ 0, KRUN_KERNEL_FORMAT_IMAGE_ZSTD, "holds no zstd stream" }, /* gzip as zstd */
		{ 1, KRUN_KERNEL_FORMAT_IMAGE_GZ, "holds no gzip stream" },   /* zstd as gzip */
		{ 2, KRUN_KERNEL_FORMAT_IMAGE_GZ, "truncated" },
		{ 3, KRUN_KERNEL_FORMAT_IMAGE_BZ2, "not an ELF vmlinux" },
		{ 4, KRUN_KERNEL_FORMAT_IMAGE_GZ, "holds no gzip stream" },   /* a plain ELF */
	};
	const struct kf_blob *files[] = { &gz, &zs, &cut_file, &bz_text, &elf };

	for (unsigned int i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		write_tmp(&t, files[cases[i].which]->data, files[cases[i].which]->len);
		CHECK_EQ(start_with(t.path, cases[i].format, &c, &log), -EINVAL);
		if (!strstr(log, cases[i].says) || !strstr(log, t.path))
			harness_fail(__FILE__, __LINE__, "case %u logged: %s", i, log);
		unlink(t.path);
	}
	kf_free(&cut_file);
	kf_free(&bz_text);
	kf_free(&zs);
	kf_free(&gz);
	kf_free(&elf);
}

/* A 600 KiB-ish file that would decompress to an ELF header and 513 MiB of
 * zeros: refused at the library's own bound (KIMAGE_MAX_UNPACKED, 512 MiB). */
TEST(api_start_with_a_decompression_bomb_fails_with_efbig)
{
	const size_t chunk = (size_t)1 << 20;
	struct kf_blob elf = kf_elf(4096), bomb = { 0 };
	ZSTD_CCtx *cc = ZSTD_createCCtx();
	uint8_t *zero = calloc(1, chunk);
	size_t cap = (size_t)4 << 20;
	struct tmpfile t;
	struct logcap c;
	const char *log;

	CHECK(cc != NULL && zero != NULL);
	bomb.data = malloc(cap);
	CHECK(bomb.data != NULL);
	for (unsigned int i = 0; i <= 513; i++) {
		ZSTD_inBuffer in = { i == 0 ? (const void *)elf.data : zero,
				     i == 0 ? elf.len : chunk, 0 };
		ZSTD_outBuffer out = { bomb.data, cap, bomb.len };
		size_t left;

		do {
			left = ZSTD_compressStream2(cc, &out, &in,
						    i == 513 ? ZSTD_e_end : ZSTD_e_continue);
			CHECK(!ZSTD_isError(left));
		} while (in.pos < in.size || (i == 513 && left != 0));
		bomb.len = out.pos;
	}
	ZSTD_freeCCtx(cc);
	free(zero);
	write_tmp(&t, bomb.data, bomb.len);
	CHECK_EQ(start_with(t.path, KRUN_KERNEL_FORMAT_IMAGE_ZSTD, &c, &log), -EFBIG);
	CHECK(strstr(log, "larger than 536870912 bytes"));
	unlink(t.path);
	kf_free(&bomb);
	kf_free(&elf);
}
