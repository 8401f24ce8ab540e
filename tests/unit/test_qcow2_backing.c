/* SPDX-License-Identifier: Apache-2.0 */
/*
 * qcow2 backing files (qcow2.txt "backing_file_offset"; libkrun.h's security
 * note): a chain reads through to its base and writes stay in the top image;
 * the format is the backing format extension's, raw without one; a name that
 * leaves the image's directory (absolute, "..", a symbolic link out) is
 * refused and logged.
 */
#include "disk_img.h"
#include "logcap.h"

#define MiB (1024u * 1024u)

static uint8_t *make_base(const struct img_dir *d, size_t size)
{
	uint8_t *b = malloc(size);

	CHECK(b != NULL);
	img_fill(b, 0, size, 11);
	img_write_file(d, "base.raw", b, size);
	return b;
}

/* top (4 MiB) over base (3 MiB: the rest reads as zeroes), written, checked. */
static void chain_reads_and_writes(const char *make_chain)
{
	size_t size = 4 * MiB, bsize = 3 * MiB;
	uint8_t *want = calloc(1, size), *base, buf[9000];
	struct img_dir d;
	struct disk *dk;
	uint8_t *got;

	CHECK(want != NULL);
	img_need_qemu();
	img_dir_make(&d);
	base = make_base(&d, bsize);
	memcpy(want, base, bsize);
	IMG_SH(&d, "%s", make_chain);
	CHECK_EQ(img_open(&d, "top.qcow2", DISK_FORMAT_QCOW2, false, &dk), 0);
	CHECK(img_disk_equals(dk, want, size));
	/* Partial clusters: the rest of each comes from the base. */
	img_fill(buf, 100000, sizeof(buf), 12);
	CHECK_EQ(img_io(dk, 100000, buf, sizeof(buf), true), 0);
	memcpy(want + 100000, buf, sizeof(buf));
	img_fill(buf, bsize - 3000, sizeof(buf), 13); /* across the base's end */
	CHECK_EQ(img_io(dk, bsize - 3000, buf, sizeof(buf), true), 0);
	memcpy(want + bsize - 3000, buf, sizeof(buf));
	CHECK(img_disk_equals(dk, want, size));
	disk_close(dk);
	/* The base is untouched; the top is clean and reads as want in QEMU. */
	got = img_read_file(&d, "base.raw", bsize);
	CHECK(memcmp(got, base, bsize) == 0);
	free(got);
	IMG_SH(&d, "qemu-img check -q top.qcow2");
	IMG_SH(&d, "qemu-img convert -O raw top.qcow2 out.raw");
	got = img_read_file(&d, "out.raw", size);
	CHECK(memcmp(got, want, size) == 0);
	free(got);
	free(base);
	free(want);
	img_dir_remove(&d);
}

TEST(qcow2_backing_raw_reads_through_and_writes_stay_on_top)
{
	chain_reads_and_writes("qemu-img create -q -f qcow2 -b base.raw -F raw top.qcow2 4M");
}

TEST(qcow2_backing_qcow2_chain_of_three_reads_through)
{
	chain_reads_and_writes("qemu-img convert -f raw -O qcow2 base.raw base.qcow2 && "
			       "qemu-img create -q -f qcow2 -b base.qcow2 -F qcow2 mid.qcow2 && "
			       "qemu-img create -q -f qcow2 -b mid.qcow2 -F qcow2 top.qcow2 4M");
}

TEST(qcow2_backing_in_a_subdirectory_is_resolved_beside_the_image)
{
	chain_reads_and_writes("mkdir sub && mv base.raw sub/ && ln -s sub/base.raw base.raw && "
			       "qemu-img create -q -f qcow2 -b sub/base.raw -F raw top.qcow2 4M");
}

static void refused(const char *make, const char *image, const char *log_says, int err)
{
	struct img_dir d;
	struct disk *dk;
	struct logcap c;

	img_need_qemu();
	img_dir_make(&d);
	free(make_base(&d, MiB));
	IMG_SH(&d, "%s", make);
	cap_start(&c);
	CHECK_EQ(img_open(&d, image, DISK_FORMAT_QCOW2, true, &dk), err);
	CHECK(strstr(cap_end(&c), log_says));
	img_dir_remove(&d);
}

TEST(qcow2_backing_by_absolute_path_is_refused)
{
	refused("qemu-img create -q -f qcow2 -b \"$PWD/base.raw\" -F raw top.qcow2 1M",
		"top.qcow2", "is not a path relative to the image's directory", -EXDEV);
}

TEST(qcow2_backing_through_dotdot_is_refused)
{
	refused("mkdir sub && qemu-img create -q -f qcow2 -b ../base.raw -F raw -u "
		"sub/top.qcow2 1M", "sub/top.qcow2", "leads outside the image's directory",
		-EXDEV);
}

TEST(qcow2_backing_symlink_out_of_the_directory_is_refused)
{
	refused("ln -s /etc/passwd evil.raw && "
		"qemu-img create -q -f qcow2 -b evil.raw -F raw -u top.qcow2 1M", "top.qcow2",
		"leads outside the image's directory", -EXDEV);
}

TEST(qcow2_backing_format_other_than_raw_or_qcow2_is_refused)
{
	refused("qemu-img convert -O vmdk base.raw base.vmdk && "
		"qemu-img create -q -f qcow2 -b base.vmdk -F vmdk top.qcow2 1M", "top.qcow2",
		"backing file format \"vmdk\" is not supported", -ENOTSUP);
}

/* Without a format extension the backing file is raw: a qcow2 file there is
 * read as its bytes, never probed and followed. */
TEST(qcow2_backing_without_a_format_is_raw_never_probed)
{
	static const uint8_t fmt_ext[4] = { 0xe2, 0x79, 0x2a, 0xca };
	struct img_dir d;
	struct disk *dk;
	uint8_t head[4], *top;
	char p[128];
	int fd;

	img_need_qemu();
	img_dir_make(&d);
	IMG_SH(&d, "qemu-img create -q -f qcow2 -b /etc/passwd -F raw -u inner.qcow2 1M && "
		   "qemu-img create -q -f qcow2 -b inner.qcow2 -F qcow2 top.qcow2 1M");
	/* qemu-img always writes the format extension (qcow2.txt type
	 * 0xe2792aca): a zero type ends the extensions there. */
	top = img_read_file(&d, "top.qcow2", 65536);
	uint8_t *ext = memmem(top, 65536, fmt_ext, 4);
	CHECK(ext != NULL);
	snprintf(p, sizeof(p), "%s/top.qcow2", d.path);
	fd = open(p, O_WRONLY);
	CHECK(fd >= 0);
	CHECK_EQ(pwrite(fd, "\0\0\0\0", 4, ext - top), 4);
	close(fd);
	free(top);
	CHECK_EQ(img_open(&d, "top.qcow2", DISK_FORMAT_QCOW2, true, &dk), 0);
	CHECK_EQ(img_io(dk, 0, head, 3, false), 0);
	CHECK(memcmp(head, "QFI", 3) == 0); /* inner.qcow2's header, as raw bytes */
	disk_close(dk);
	img_dir_remove(&d);
}

/* krun_add_disk2 opens the image as the format named, so a good chain is
 * accepted and an escaping backing file fails at the call, logged. */
TEST(qcow2_api_add_disk_checks_the_chain_at_the_call)
{
	struct img_dir d;
	struct logcap c;
	char top[128], bad[128];
	int32_t ctx = krun_create_ctx();

	CHECK(ctx >= 0);
	img_need_qemu();
	img_dir_make(&d);
	free(make_base(&d, MiB));
	IMG_SH(&d, "qemu-img create -q -f qcow2 -b base.raw -F raw top.qcow2 1M && "
		   "mkdir sub && qemu-img create -q -f qcow2 -b ../base.raw -F raw -u "
		   "sub/bad.qcow2 1M && qemu-img create -q -f vmdk -o subformat=monolithicFlat "
		   "v.vmdk 1M");
	snprintf(top, sizeof(top), "%s/top.qcow2", d.path);
	snprintf(bad, sizeof(bad), "%s/sub/bad.qcow2", d.path);
	CHECK_EQ(krun_add_disk2((uint32_t)ctx, "top", top, KRUN_DISK_FORMAT_QCOW2, false), 0);
	snprintf(top, sizeof(top), "%s/v.vmdk", d.path);
	CHECK_EQ(krun_add_disk3((uint32_t)ctx, "v", top, KRUN_DISK_FORMAT_VMDK, true, false,
				KRUN_SYNC_FULL), 0);
	cap_start(&c);
	CHECK_EQ(krun_add_disk2((uint32_t)ctx, "bad", bad, KRUN_DISK_FORMAT_QCOW2, true), -EXDEV);
	CHECK(strstr(cap_end(&c), "leads outside the image's directory"));
	CHECK_EQ(krun_free_ctx((uint32_t)ctx), 0);
	img_dir_remove(&d);
}
