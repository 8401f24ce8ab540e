/* SPDX-License-Identifier: Apache-2.0 */
/*
 * VMDK text descriptors (VMware "Virtual Disk Format 1.1", "The Descriptor
 * File") with FLAT and ZERO extents: bytes land in the right extent file at
 * its offset, ZERO extents read as zeroes and refuse writes, and what is not
 * supported (sparse, delta links) or leaves the descriptor's directory is
 * refused with a log line. The descriptors are written by hand.
 */
#include "disk_img.h"
#include "logcap.h"

#define KiB 1024u

static const char head[] = "# Disk DescriptorFile\nversion=1\nCID=12345678\n"
			   "parentCID=ffffffff\ncreateType=\"%s\"\n\n# Extent description\n";

static void write_desc(const struct img_dir *d, const char *type, const char *extents)
{
	static char text[8192];
	int n = snprintf(text, sizeof(text), head, type);

	n += snprintf(text + n, sizeof(text) - (size_t)n, "%s\n# The Disk Data Base\n#DDB\n\n"
		      "ddb.virtualHWVersion = \"4\"\n", extents);
	CHECK(n > 0 && (size_t)n < sizeof(text));
	img_write_file(d, "d.vmdk", text, (size_t)n);
}

static void zero_file(const struct img_dir *d, const char *name, size_t size)
{
	uint8_t *z = calloc(1, size);

	CHECK(z != NULL);
	img_write_file(d, name, z, size);
	free(z);
}

TEST(vmdk_flat_and_zero_extents_read_and_write_in_place)
{
	struct img_dir d;
	struct disk *dk;
	uint8_t buf[200 * KiB], want[200 * KiB], *f;

	img_dir_make(&d);
	zero_file(&d, "a-flat.vmdk", 64 * KiB);
	zero_file(&d, "b-flat.vmdk", 128 * KiB);
	/* 64 KiB of a, 32 KiB of zeroes, 64 KiB of b from its 64th sector. */
	write_desc(&d, "twoGbMaxExtentFlat",
		   "RW 128 FLAT \"a-flat.vmdk\" 0\nRW 64 ZERO\r\n"
		   "RW 128 FLAT \"b-flat.vmdk\" 64\n");
	CHECK_EQ(img_open(&d, "d.vmdk", DISK_FORMAT_VMDK, false, &dk), 0);
	CHECK_EQ(dk->size, 160 * KiB);
	img_fill(buf, 0, 160 * KiB, 4);
	memcpy(want, buf, 160 * KiB);
	/* Across the ZERO extent: refused, nothing needs to land. */
	CHECK_EQ(img_io(dk, 0, buf, 160 * KiB, true), -EIO);
	CHECK_EQ(img_io(dk, 0, buf, 64 * KiB, true), 0);
	CHECK_EQ(img_io(dk, 96 * KiB, buf + 96 * KiB, 64 * KiB, true), 0);
	memset(want + 64 * KiB, 0, 32 * KiB);
	CHECK(img_disk_equals(dk, want, 160 * KiB));
	/* Zeroes over the ZERO extent are fine; over flat ones they are written. */
	CHECK_EQ(dk->ops->write_zeroes(dk, 60 * KiB, 40 * KiB, true), 0);
	memset(want + 60 * KiB, 0, 40 * KiB);
	CHECK(img_disk_equals(dk, want, 160 * KiB));
	CHECK_EQ(dk->ops->flush(dk), 0);
	disk_close(dk);
	f = img_read_file(&d, "b-flat.vmdk", 128 * KiB);
	CHECK(memcmp(f + 32 * KiB, want + 96 * KiB, 64 * KiB) == 0);
	for (size_t i = 0; i < 32 * KiB; i++)
		CHECK_EQ(f[i], 0); /* before the extent's offset: untouched */
	free(f);
	f = img_read_file(&d, "a-flat.vmdk", 64 * KiB);
	CHECK(memcmp(f, want, 64 * KiB) == 0);
	free(f);
	img_dir_remove(&d);
}

TEST(vmdk_made_by_qemu_img_reads_its_pattern)
{
	struct img_dir d;
	struct disk *dk;
	uint8_t *want = malloc(1024 * KiB);

	CHECK(want != NULL);
	img_need_qemu();
	img_dir_make(&d);
	img_fill(want, 0, 1024 * KiB, 8);
	img_write_file(&d, "src.raw", want, 1024 * KiB);
	IMG_SH(&d, "qemu-img convert -f raw -O vmdk -o subformat=monolithicFlat src.raw m.vmdk");
	CHECK_EQ(img_open(&d, "m.vmdk", DISK_FORMAT_VMDK, true, &dk), 0);
	CHECK(img_disk_equals(dk, want, 1024 * KiB));
	CHECK_EQ(img_io(dk, 0, want, 512, true), -EROFS);
	disk_close(dk);
	free(want);
	img_dir_remove(&d);
}

static void refused(const char *type, const char *extents, int err, const char *says)
{
	struct img_dir d;
	struct disk *dk;
	struct logcap c;
	const char *log;

	img_dir_make(&d);
	zero_file(&d, "a-flat.vmdk", 4 * KiB);
	write_desc(&d, type, extents);
	cap_start(&c);
	CHECK_EQ(img_open(&d, "d.vmdk", DISK_FORMAT_VMDK, false, &dk), err);
	log = cap_end(&c);
	if (!strstr(log, says))
		harness_fail(__FILE__, __LINE__, "log lacks \"%s\": %s", says, log);
	img_dir_remove(&d);
}

TEST(vmdk_extent_outside_the_directory_is_refused)
{
	refused("monolithicFlat", "RW 8 FLAT \"/etc/passwd\" 0", -EXDEV,
		"not a path relative to the image's directory");
	refused("monolithicFlat", "RW 8 FLAT \"../a-flat.vmdk\" 0", -EXDEV,
		"leads outside the image's directory");
}

TEST(vmdk_unsupported_or_malformed_descriptors_are_refused)
{
	refused("monolithicSparse", "RW 8 SPARSE \"a-flat.vmdk\"", -ENOTSUP,
		"create type monolithicSparse");
	refused("monolithicFlat", "RW 8 SPARSE \"a-flat.vmdk\"", -ENOTSUP,
		"SPARSE extents are not supported");
	refused("monolithicFlat", "RW 16 FLAT \"a-flat.vmdk\" 0", -EINVAL,
		"not a regular file of at least 8192 bytes");
	refused("monolithicFlat", "RW 8 FLAT \"a-flat.vmdk\" 99999999999999999999", -EINVAL,
		"bad extent line");
	refused("monolithicFlat", "RW 4503599627370497 ZERO", -EINVAL,
		"bad extent line");
	refused("monolithicFlat", "RW 4503599627370495 ZERO\nRW 4503599627370495 ZERO", -EINVAL,
		"more than 2^61 bytes");
	refused("monolithicFlat", "RW 8 FLAT", -EINVAL, "without a file name");
	refused("monolithicFlat", "RW 8 FLAT \"a-flat.vmdk", -EINVAL, "without a file name");
	refused("monolithicFlat", "", -EINVAL, "lists no extent");
	refused("monolithicFlat\"\nparentCID=1234abcd\nx=\"", "RW 8 ZERO", -ENOTSUP,
		"delta links");
}

TEST(vmdk_too_many_extents_or_a_binary_file_is_refused)
{
	struct img_dir d;
	struct disk *dk;
	struct logcap c;
	static char many[300 * 12];
	size_t n = 0;

	for (int i = 0; i < 300; i++)
		n += (size_t)snprintf(many + n, sizeof(many) - n, "RW 1 ZERO\n");
	refused("monolithicFlat", many, -EINVAL, "more than 256 extents");
	img_dir_make(&d);
	img_write_file(&d, "d.vmdk", "KDMV\1\0\0\0", 8);
	cap_start(&c);
	CHECK_EQ(img_open(&d, "d.vmdk", DISK_FORMAT_VMDK, false, &dk), -ENOTSUP);
	CHECK(strstr(cap_end(&c), "sparse (binary) VMDK"));
	img_dir_remove(&d);
}
