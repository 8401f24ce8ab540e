/* SPDX-License-Identifier: Apache-2.0 */
/* x86 boot setup: kernel loaders (ELF, bzImage, RAW), initrd, zero page. */
#include <elf.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "test_x86_util.h"

#define MiB (1ULL << 20)
#define KLOAD 0x1000000ULL
#define ELF_CODE_OFF 0x200

/* A minimal vmlinux: one PT_LOAD at 16 MiB with 64 file bytes and a bss. */
struct elf_file {
	uint8_t bytes[ELF_CODE_OFF + 64];
};

static Elf64_Phdr *elf_ph(struct elf_file *f)
{
	return (Elf64_Phdr *)(void *)(f->bytes + sizeof(Elf64_Ehdr));
}

static Elf64_Ehdr *elf_eh(struct elf_file *f)
{
	return (Elf64_Ehdr *)(void *)f->bytes;
}

static void elf_make(struct elf_file *f)
{
	Elf64_Ehdr *eh = elf_eh(f);
	Elf64_Phdr *ph = elf_ph(f);

	memset(f, 0, sizeof(*f));
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_type = ET_EXEC;
	eh->e_machine = EM_X86_64;
	eh->e_entry = KLOAD + 0x10;
	eh->e_phoff = sizeof(*eh);
	eh->e_phentsize = sizeof(*ph);
	eh->e_phnum = 1;
	ph->p_type = PT_LOAD;
	ph->p_offset = ELF_CODE_OFF;
	ph->p_paddr = KLOAD;
	ph->p_vaddr = 0xffffffff81000000ULL;
	ph->p_filesz = 64;
	ph->p_memsz = 0x3000;
	for (unsigned int i = 0; i < 64; i++)
		f->bytes[ELF_CODE_OFF + i] = (uint8_t)(0xa0 + i);
}

/* Loads from an exactly-sized heap copy, so ASan sees any read past the end. */
static int load(const struct gmem *m, const void *img, size_t size, enum kernel_format fmt,
		struct x86_kernel *k)
{
	void *copy = malloc(size);
	struct boot_spec b = { .kernel = copy, .kernel_size = size, .format = fmt,
			       .load_addr = KLOAD, .entry = KLOAD };
	int r;

	CHECK(copy != NULL);
	memcpy(copy, img, size);
	r = x86_load_kernel(m, &b, k);
	free(copy);
	return r;
}

/* Loads the way krun_set_kernel's ELF files are: from the file, which the
 * loader reads itself (boot_spec.kernel_from_fd). */
static int load_fd(const struct gmem *m, const void *img, size_t size, struct x86_kernel *k)
{
	char path[] = "/tmp/test_x86_boot.XXXXXX";
	int fd = mkstemp(path);
	struct boot_spec b = { .kernel_size = size, .format = KERNEL_FORMAT_ELF,
			       .kernel_fd = fd, .kernel_from_fd = true };
	int r;

	CHECK(fd >= 0);
	unlink(path);
	CHECK_EQ(write(fd, img, size), (ssize_t)size);
	r = x86_load_kernel(m, &b, k);
	close(fd);
	return r;
}

TEST(x86_elf_segments_load_at_paddr_with_zeroed_bss)
{
	struct gmem m;
	struct elf_file f;
	struct x86_kernel k;
	uint8_t *p;

	x86_test_mem(&m, 128 * MiB);
	elf_make(&f);
	memset(x86_test_at(&m, KLOAD, 0x3000), 0x55, 0x3000); /* stale bytes */
	CHECK_EQ(load(&m, &f, sizeof(f), KERNEL_FORMAT_ELF, &k), 0);
	p = x86_test_at(&m, KLOAD, 0x3000);
	CHECK(memcmp(p, f.bytes + ELF_CODE_OFF, 64) == 0);
	CHECK(p[64] == 0 && p[0x2fff] == 0);
	CHECK_EQ(k.entry, KLOAD + 0x10);
	CHECK_EQ(k.end, KLOAD + 0x3000);
	CHECK(!k.has_hdr);

	/* The same from the file. */
	memset(x86_test_at(&m, KLOAD, 0x3000), 0x55, 0x3000);
	memset(&k, 0, sizeof(k));
	CHECK_EQ(load_fd(&m, &f, sizeof(f), &k), 0);
	CHECK(memcmp(p, f.bytes + ELF_CODE_OFF, 64) == 0);
	CHECK(p[64] == 0 && p[0x2fff] == 0);
	CHECK_EQ(k.entry, KLOAD + 0x10);
	CHECK_EQ(k.end, KLOAD + 0x3000);
	gmem_destroy(&m);
}

/* A file that shrank between its size being taken and the loader's read
 * (another process truncating it) fails the load; nothing crashes. */
TEST(x86_elf_from_a_file_shorter_than_its_size_fails_with_eio)
{
	char path[] = "/tmp/test_x86_boot.XXXXXX";
	int fd = mkstemp(path);
	struct elf_file f;
	struct gmem m;
	struct x86_kernel k;

	CHECK(fd >= 0);
	unlink(path);
	x86_test_mem(&m, 128 * MiB);
	elf_make(&f);
	CHECK_EQ(write(fd, &f, ELF_CODE_OFF + 10), ELF_CODE_OFF + 10); /* the segment cut */
	struct boot_spec b = { .kernel_size = sizeof(f), .format = KERNEL_FORMAT_ELF,
			       .kernel_fd = fd, .kernel_from_fd = true };
	CHECK_EQ(x86_load_kernel(&m, &b, &k), -EIO);
	b.kernel_size = sizeof(Elf64_Ehdr) + 8; /* headers cut */
	CHECK_EQ(x86_load_kernel(&m, &b, &k), -EINVAL);
	close(fd);
	gmem_destroy(&m);
}

TEST(x86_elf_loader_rejects_hostile_files)
{
	struct gmem m;
	struct elf_file f;
	struct x86_kernel k;

	x86_test_mem(&m, 128 * MiB);
#define BAD(expr, err)                                                         \
	do {                                                                   \
		elf_make(&f);                                                  \
		expr;                                                          \
		CHECK_EQ(load(&m, &f, sizeof(f), KERNEL_FORMAT_ELF, &k), err); \
		CHECK_EQ(load_fd(&m, &f, sizeof(f), &k), err);                 \
	} while (0)
	BAD(elf_ph(&f)->p_paddr = 200 * MiB, -ENOMEM);          /* outside RAM */
	BAD(elf_ph(&f)->p_paddr = 128 * MiB - 0x1000, -ENOMEM); /* runs past the end */
	BAD(elf_ph(&f)->p_paddr = LAYOUT_ZERO_PAGE, -ENOMEM);   /* over the boot area */
	BAD(elf_ph(&f)->p_filesz = 0x4000, -EINVAL);            /* filesz > memsz */
	BAD(elf_ph(&f)->p_offset = sizeof(f) - 8, -EINVAL);     /* data past the end */
	BAD(elf_ph(&f)->p_offset = UINT64_MAX - 8, -EINVAL);    /* offset overflow */
	BAD((elf_ph(&f)->p_paddr = UINT64_MAX - 0xfff, elf_eh(&f)->e_entry = UINT64_MAX - 0xff0),
	    -EINVAL);                                           /* paddr + memsz wraps */
	BAD(elf_eh(&f)->e_phoff = sizeof(f) - 10, -EINVAL);     /* headers past the end */
	BAD(elf_eh(&f)->e_phoff = UINT64_MAX - 10, -EINVAL);
	BAD(elf_eh(&f)->e_phnum = 1000, -EINVAL);
	BAD(elf_eh(&f)->e_phnum = PN_XNUM, -EINVAL);
	BAD(elf_eh(&f)->e_phentsize = 32, -EINVAL);
	BAD(elf_eh(&f)->e_entry = KLOAD + 0x3000, -EINVAL);     /* entry past the segment */
	BAD(elf_eh(&f)->e_machine = EM_386, -EINVAL);
	BAD(elf_eh(&f)->e_ident[EI_CLASS] = ELFCLASS32, -EINVAL);
	BAD(elf_eh(&f)->e_ident[0] = 0, -EINVAL);
	BAD(elf_ph(&f)->p_type = PT_NOTE, -EINVAL);             /* nothing to load */
#undef BAD
	elf_make(&f);
	CHECK_EQ(load(&m, &f, sizeof(Elf64_Ehdr) - 1, KERNEL_FORMAT_ELF, &k), -EINVAL);
	CHECK_EQ(load(&m, &f, sizeof(Elf64_Ehdr) + 8, KERNEL_FORMAT_ELF, &k), -EINVAL);
	CHECK_EQ(load_fd(&m, &f, sizeof(Elf64_Ehdr) - 1, &k), -EINVAL);
	CHECK_EQ(load_fd(&m, &f, sizeof(Elf64_Ehdr) + 8, &k), -EINVAL);
	gmem_destroy(&m);
}

/* A synthetic bzImage: boot sector + 1 setup sector, then 4 KiB of payload. */
#define BZ_SETUP 1024
#define BZ_PAYLOAD 4096
static void bz_make(uint8_t *img, uint16_t version)
{
	struct setup_header h = {
		.setup_sects = 1,
		.boot_flag = 0xaa55,
		.syssize = BZ_PAYLOAD / 16,
		.header = 0x53726448,
		.version = version,
		.loadflags = LOADED_HIGH | CAN_USE_HEAP,
		.code32_start = 0x100000,
		.initrd_addr_max = 0x37ffffff,
		.kernel_alignment = 0x200000,
		.xloadflags = XLF_KERNEL_64,
		.cmdline_size = 4095,
		.pref_address = KLOAD,
		.init_size = 8 * MiB,
	};
	/* The jump at 0x200 gives the header end: 0x202 + its second byte. */
	h.jump = (uint16_t)(0xeb | ((0x1f1 + sizeof(h) - 0x202) << 8));
	memset(img, 0, BZ_SETUP + BZ_PAYLOAD);
	memcpy(img + 0x1f1, &h, sizeof(h));
	for (unsigned int i = 0; i < BZ_PAYLOAD; i++)
		img[BZ_SETUP + i] = (uint8_t)(i * 7);
}

TEST(x86_bzimage_loads_at_1m_and_enters_at_0x200)
{
	static uint8_t img[BZ_SETUP + BZ_PAYLOAD];
	struct gmem m;
	struct x86_kernel k;

	x86_test_mem(&m, 128 * MiB);
	bz_make(img, 0x020f);
	CHECK_EQ(load(&m, img, sizeof(img), KERNEL_FORMAT_BZIMAGE, &k), 0);
	CHECK(memcmp(x86_test_at(&m, LAYOUT_HIMEM, BZ_PAYLOAD), img + BZ_SETUP, BZ_PAYLOAD) == 0);
	CHECK_EQ(k.entry, 0x100200);
	CHECK_EQ(k.end, KLOAD + 8 * MiB); /* pref_address + init_size */
	CHECK_EQ(k.initrd_max, 0x37ffffff);
	CHECK_EQ(k.cmdline_max, 4096);
	CHECK(k.has_hdr);
	CHECK_EQ(k.hdr.version, 0x020f);
	gmem_destroy(&m);
}

TEST(x86_bzimage_loader_rejects_old_or_truncated_images)
{
	static uint8_t img[BZ_SETUP + BZ_PAYLOAD];
	struct gmem m;
	struct x86_kernel k;

	x86_test_mem(&m, 128 * MiB);
	bz_make(img, 0x020b); /* before 2.12: no 64-bit entry */
	CHECK_EQ(load(&m, img, sizeof(img), KERNEL_FORMAT_BZIMAGE, &k), -EINVAL);
	bz_make(img, 0x020f);
	img[0x1f1 + offsetof(struct setup_header, xloadflags)] = 0;
	CHECK_EQ(load(&m, img, sizeof(img), KERNEL_FORMAT_BZIMAGE, &k), -EINVAL);
	bz_make(img, 0x020f);
	CHECK_EQ(load(&m, img, sizeof(img) - 16, KERNEL_FORMAT_BZIMAGE, &k), -EINVAL); /* syssize */
	CHECK_EQ(load(&m, img, 0x210, KERNEL_FORMAT_BZIMAGE, &k), -EINVAL); /* header cut */
	CHECK_EQ(load(&m, img, 0x100, KERNEL_FORMAT_BZIMAGE, &k), -EINVAL);
	img[0x202] = 'X';
	CHECK_EQ(load(&m, img, sizeof(img), KERNEL_FORMAT_BZIMAGE, &k), -EINVAL);
	bz_make(img, 0x020f);
	img[0x1f1 + offsetof(struct setup_header, init_size) + 3] = 0x40; /* 1 GiB */
	CHECK_EQ(load(&m, img, sizeof(img), KERNEL_FORMAT_BZIMAGE, &k), -ENOMEM);
	gmem_destroy(&m);
}

TEST(x86_raw_image_is_copied_at_load_addr)
{
	uint8_t img[8192];
	struct gmem m;
	struct x86_kernel k;
	struct boot_spec b = { .kernel = img, .kernel_size = sizeof(img),
			       .format = KERNEL_FORMAT_RAW, .load_addr = KLOAD,
			       .entry = KLOAD + 0x40 };

	for (unsigned int i = 0; i < sizeof(img); i++)
		img[i] = (uint8_t)(i ^ 0x5a);
	x86_test_mem(&m, 64 * MiB);
	CHECK_EQ(x86_load_kernel(&m, &b, &k), 0);
	CHECK(memcmp(x86_test_at(&m, KLOAD, sizeof(img)), img, sizeof(img)) == 0);
	CHECK_EQ(k.entry, KLOAD + 0x40);
	CHECK_EQ(k.end, KLOAD + sizeof(img));
	b.entry = KLOAD + sizeof(img);
	CHECK_EQ(x86_load_kernel(&m, &b, &k), -EINVAL);
	b.entry = b.load_addr = 64 * MiB - 4096;
	CHECK_EQ(x86_load_kernel(&m, &b, &k), -ENOMEM);
	b.entry = b.load_addr = LAYOUT_CMDLINE;
	CHECK_EQ(x86_load_kernel(&m, &b, &k), -ENOMEM);
	b.format = (enum kernel_format)7;
	CHECK_EQ(x86_load_kernel(&m, &b, &k), -EINVAL);
	gmem_destroy(&m);
}

/* Whether [p, p + len) lies inside one mapping of this process whose file is
 * named by a line of /proc/self/maps ending in path. */
static bool mapped_from(const void *p, size_t len, const char *path)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	bool found = false;

	CHECK(f != NULL);
	while (!found && fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;
		size_t n = strcspn(line, "\n");

		line[n] = 0;
		found = sscanf(line, "%lx-%lx", &lo, &hi) == 2 && (uintptr_t)p >= lo &&
			(uintptr_t)p + len <= hi && n >= strlen(path) &&
			strcmp(line + n - strlen(path), path) == 0;
	}
	fclose(f);
	return found;
}

TEST(x86_raw_mappable_image_maps_its_cow_range_and_copies_the_rest)
{
	const size_t page = 4096, size = 6 * page;
	char path[] = "/tmp/test_x86_boot.XXXXXX";
	uint8_t *img = malloc(size);
	struct gmem m;
	struct x86_kernel k;
	int fd = mkstemp(path);
	struct boot_spec b = { .kernel = img, .kernel_size = size, .format = KERNEL_FORMAT_RAW,
			       .load_addr = KLOAD, .entry = KLOAD, .kernel_mappable = true,
			       .kernel_fd = fd, .kernel_cow_start = 2 * page,
			       .kernel_cow_end = 4 * page };

	CHECK(img != NULL && fd >= 0);
	for (size_t i = 0; i < size; i++)
		img[i] = (uint8_t)(i * 7 + i / 4096);
	CHECK(write(fd, img, size) == (ssize_t)size);
	x86_test_mem(&m, 64 * MiB);
	CHECK_EQ(x86_load_kernel(&m, &b, &k), 0);
	/* The guest sees the whole image; only the range comes from the file. */
	CHECK(memcmp(x86_test_at(&m, KLOAD, size), img, size) == 0);
	CHECK(mapped_from(x86_test_at(&m, KLOAD + 2 * page, 2 * page), 2 * page, path));
	CHECK(!mapped_from(x86_test_at(&m, KLOAD, page), page, path));
	CHECK(!mapped_from(x86_test_at(&m, KLOAD + 4 * page, page), page, path));
	/* Copy-on-write: the guest's writes stay out of the file. */
	x86_test_at(&m, KLOAD + 2 * page, 1)[0] ^= 0xff;
	CHECK(pread(fd, img, 1, 2 * page) == 1 && img[0] == (uint8_t)(2 * page * 7 + 2));
	gmem_destroy(&m);

	/* No range (an upstream bundle): the whole image is mapped. */
	b.kernel_cow_start = b.kernel_cow_end = 0;
	x86_test_mem(&m, 64 * MiB);
	CHECK_EQ(x86_load_kernel(&m, &b, &k), 0);
	CHECK(mapped_from(x86_test_at(&m, KLOAD, size), size, path));
	gmem_destroy(&m);
	close(fd);
	unlink(path);
	free(img);
}

TEST(x86_initrd_goes_high_page_aligned_below_the_limits)
{
	struct gmem m = { .nregions = 1 };
	struct x86_kernel k = { .end = KLOAD + 20 * MiB, .initrd_max = LAYOUT_INITRD_ADDR_MAX };
	uint64_t gpa;

	m.region[0] = (struct gmem_region){ .gpa = 0, .size = 128 * MiB };
	CHECK_EQ(x86_initrd_place(&m, &k, 1 * MiB, &gpa), 0);
	CHECK_EQ(gpa, 127 * MiB);
	CHECK_EQ(x86_initrd_place(&m, &k, 1 * MiB + 5, &gpa), 0);
	CHECK_EQ(gpa, 127 * MiB - 4096);
	CHECK_EQ(gpa % 4096, 0);
	m.region[0].size = LAYOUT_MMIO_HOLE; /* 3 GiB: initrd_addr_max rules */
	CHECK_EQ(x86_initrd_place(&m, &k, 1 * MiB, &gpa), 0);
	CHECK_EQ(gpa, 0x80000000ULL - 1 * MiB);
	k.initrd_max = 0x37ffffff;
	CHECK_EQ(x86_initrd_place(&m, &k, 4096, &gpa), 0);
	CHECK_EQ(gpa, 0x38000000ULL - 4096);
	m.region[0].size = 128 * MiB;
	CHECK_EQ(x86_initrd_place(&m, &k, 128 * MiB - KLOAD - 20 * MiB + 1, &gpa), -ENOMEM);
	CHECK_EQ(x86_initrd_place(&m, &k, 200 * MiB, &gpa), -ENOMEM);
	CHECK_EQ(x86_initrd_place(&m, &k, UINT64_MAX, &gpa), -ENOMEM);
}

static const struct boot_params *zero_page(const struct gmem *m)
{
	return (const struct boot_params *)(void *)x86_test_at(m, LAYOUT_ZERO_PAGE,
							       sizeof(struct boot_params));
}

TEST(x86_boot_write_fills_the_zero_page_for_elf)
{
	static const char cmdline[] = "console=hvc0 virtio_mmio.device=4K@0xd0000000:5";
	static const uint8_t initrd[3000] = { 0x30, 0x37, 0x30, 0x37 };
	static const char *const oem[] = { "oem-from-the-boot-spec" };
	struct elf_file f;
	struct gmem m;
	struct boot_spec b = { .kernel = &f, .kernel_size = sizeof(f),
			       .format = KERNEL_FORMAT_ELF, .initrd = initrd,
			       .initrd_size = sizeof(initrd), .cmdline = cmdline,
			       .oem_strings = oem, .noem_strings = 1 };
	uint64_t entry = 0;
	uint16_t ebda;

	elf_make(&f);
	x86_test_mem(&m, 256 * MiB);
	CHECK_EQ(x86_boot_write(&m, &b, 2, &entry), 0);
	CHECK_EQ(entry, KLOAD + 0x10);
	const struct boot_params *bp = zero_page(&m);
	CHECK_EQ(bp->hdr.boot_flag, 0xaa55);
	CHECK_EQ(bp->hdr.header, 0x53726448);
	CHECK_EQ(bp->hdr.type_of_loader, 0xff);
	CHECK(bp->hdr.loadflags & LOADED_HIGH);
	CHECK_EQ(bp->hdr.cmd_line_ptr, LAYOUT_CMDLINE);
	CHECK_EQ(bp->hdr.cmdline_size, 2047);
	CHECK_EQ(bp->ext_cmd_line_ptr, 0);
	CHECK_STR_EQ((const char *)x86_test_at(&m, LAYOUT_CMDLINE, sizeof(cmdline)), cmdline);
	CHECK_EQ(bp->hdr.ramdisk_image, 256 * MiB - 4096);
	CHECK_EQ(bp->hdr.ramdisk_size, sizeof(initrd));
	CHECK(memcmp(x86_test_at(&m, bp->hdr.ramdisk_image, sizeof(initrd)), initrd,
		     sizeof(initrd)) == 0);
	CHECK_EQ(bp->e820_entries, 3);
	CHECK_EQ(bp->e820_table[2].addr + bp->e820_table[2].size, 256 * MiB);
	CHECK_EQ(bp->sentinel, 0);
	memcpy(&ebda, x86_test_at(&m, LAYOUT_BDA_EBDA_SEG, 2), 2);
	CHECK_EQ((uint64_t)ebda << 4, LAYOUT_EBDA);
	/* The SMBIOS tables (test_x86_smbios.c), with the spec's OEM string. */
	CHECK(memcmp(x86_test_at(&m, LAYOUT_SMBIOS, 5), "_SM3_", 5) == 0);
	CHECK(memmem(x86_test_at(&m, LAYOUT_SMBIOS, 512), 512, oem[0], strlen(oem[0]) + 1));
	gmem_destroy(&m);
}

TEST(x86_boot_write_copies_and_edits_the_bzimage_header)
{
	static uint8_t img[BZ_SETUP + BZ_PAYLOAD];
	struct gmem m;
	struct boot_spec b = { .kernel = img, .kernel_size = sizeof(img),
			       .format = KERNEL_FORMAT_BZIMAGE, .cmdline = "quiet" };
	uint64_t entry;

	bz_make(img, 0x020f);
	x86_test_mem(&m, 64 * MiB);
	CHECK_EQ(x86_boot_write(&m, &b, 1, &entry), 0);
	CHECK_EQ(entry, 0x100200);
	const struct boot_params *bp = zero_page(&m);
	CHECK_EQ(bp->hdr.version, 0x020f);
	CHECK_EQ(bp->hdr.setup_sects, 1);
	CHECK_EQ(bp->hdr.init_size, 8 * MiB);
	CHECK_EQ(bp->hdr.type_of_loader, 0xff);
	CHECK_EQ(bp->hdr.loadflags & CAN_USE_HEAP, 0);
	CHECK_EQ(bp->hdr.cmd_line_ptr, LAYOUT_CMDLINE);
	CHECK_EQ(bp->hdr.cmdline_size, 4095);
	CHECK_EQ(bp->hdr.ramdisk_image, 0);
	CHECK_EQ(bp->hdr.ramdisk_size, 0);
	gmem_destroy(&m);
}

TEST(x86_boot_write_rejects_a_command_line_longer_than_the_kernel_takes)
{
	static char cmdline[2049];
	struct elf_file f;
	struct gmem m;
	struct boot_spec b = { .kernel = &f, .kernel_size = sizeof(f),
			       .format = KERNEL_FORMAT_ELF, .cmdline = cmdline };
	uint64_t entry;

	elf_make(&f);
	x86_test_mem(&m, 64 * MiB);
	memset(cmdline, 'a', 2047);
	CHECK_EQ(x86_boot_write(&m, &b, 1, &entry), 0);
	cmdline[2047] = 'a';
	CHECK_EQ(x86_boot_write(&m, &b, 1, &entry), -E2BIG);
	gmem_destroy(&m);
}

TEST(x86_page_tables_identity_map_4g_and_gdt_has_boot_selectors)
{
	struct gmem m;
	struct kvm_sregs s = { 0 };
	struct kvm_regs r;

	x86_test_mem(&m, 64 * MiB);
	CHECK_EQ(x86_page_tables_write(&m), 0);
	CHECK_EQ(x86_gdt_write(&m), 0);
	CHECK_EQ(x86_test_u64(&m, LAYOUT_PML4), LAYOUT_PDPT | 3);
	CHECK_EQ(x86_test_u64(&m, LAYOUT_PML4 + 8), 0);
	for (unsigned int g = 0; g < 4; g++)
		CHECK_EQ(x86_test_u64(&m, LAYOUT_PDPT + 8 * g), (LAYOUT_PD + 4096 * g) | 3);
	CHECK_EQ(x86_test_u64(&m, LAYOUT_PDPT + 32), 0);
	CHECK_EQ(x86_test_u64(&m, LAYOUT_PD), 0x83);
	CHECK_EQ(x86_test_u64(&m, LAYOUT_PD + 8 * 8), (8ULL << 21) | 0x83); /* 16 MiB */
	CHECK_EQ(x86_test_u64(&m, LAYOUT_PD + 8 * 2047), 0xffe00000ULL | 0x83);
	CHECK_EQ(x86_test_u64(&m, LAYOUT_GDT + LAYOUT_BOOT_CS), 0x00af9b000000ffffULL);
	CHECK_EQ(x86_test_u64(&m, LAYOUT_GDT + LAYOUT_BOOT_DS), 0x00cf93000000ffffULL);

	x86_sregs_long_mode(&s);
	CHECK_EQ(s.cs.selector, LAYOUT_BOOT_CS);
	CHECK(s.cs.l == 1 && s.cs.db == 0 && s.cs.present == 1 && s.cs.s == 1);
	CHECK_EQ(s.ss.selector, LAYOUT_BOOT_DS);
	CHECK_EQ(s.ds.db, 1);
	CHECK_EQ(s.tr.type, 11);
	CHECK_EQ(s.cr3, LAYOUT_PML4);
	CHECK_EQ(s.cr0 & 0x80000001ULL, 0x80000001ULL); /* PG | PE */
	CHECK_EQ(s.cr0 & 0x60000000ULL, 0);             /* caches on */
	CHECK_EQ(s.cr4 & 0x20, 0x20);                   /* PAE */
	CHECK_EQ(s.efer & 0x500, 0x500);                /* LME | LMA */
	CHECK_EQ(s.gdt.base, LAYOUT_GDT);
	x86_regs_boot(&r, KLOAD);
	CHECK_EQ(r.rip, KLOAD);
	CHECK_EQ(r.rsi, LAYOUT_ZERO_PAGE);
	CHECK_EQ(r.rflags, 2);
	CHECK_EQ(r.rsp, LAYOUT_BOOT_STACK);
	gmem_destroy(&m);
}
