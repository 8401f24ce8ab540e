// SPDX-License-Identifier: Apache-2.0
/*
 * flatten: turns an x86_64 vmlinux into the flat image that libkrunfw.so.5 carries.
 *
 *   flatten VMLINUX OUT
 *
 * The image holds every PT_LOAD segment's file bytes at (p_paddr - base), where base
 * is the lowest p_paddr; gaps between segments are zero, and the end is zero-padded
 * to a multiple of 64 KiB so that a VMM can map the image straight into guest memory
 * (upstream libkrunfw rounds the same way, covering 4K/16K/64K host pages). The
 * NOBITS tail of a segment (.bss, .brk) is not stored: the kernel clears it itself,
 * but the VMM must back it with guest RAM, so its end is reported as KERNEL_MEM_SIZE.
 *
 * On success it prints shell assignments on stdout (for kernel.env):
 *   KERNEL_LOAD_ADDR, KERNEL_ENTRY (physical, from e_entry), KERNEL_IMAGE_SIZE
 *   (padded), KERNEL_MEM_SIZE (bytes from base to the end of the last segment's
 *   memory, bss included).
 * It is built and run by kernel/build.sh, on the host, never shipped.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define IMAGE_ALIGN (64u * 1024u)
/* Far above any kernel we build (~20 MB); bounds the allocation below. */
#define IMAGE_MAX (512ull << 20)

struct seg {
	uint64_t paddr, offset, filesz, memsz;
};

static int seg_cmp(const void *a, const void *b)
{
	const struct seg *x = a, *y = b;
	return x->paddr < y->paddr ? -1 : x->paddr > y->paddr;
}

/* Collects the PT_LOAD segments, checked against the file size, sorted by paddr. */
static int load_segments(const uint8_t *f, size_t len, struct seg *segs, size_t *n)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)f;
	size_t i, cnt = 0;

	if (len < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 ||
	    eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_ident[EI_DATA] != ELFDATA2LSB ||
	    eh->e_machine != EM_X86_64) {
		fprintf(stderr, "flatten: not an x86_64 ELF64 file\n");
		return -1;
	}
	if (eh->e_phentsize != sizeof(Elf64_Phdr) || eh->e_phnum == 0 || eh->e_phnum > 64 ||
	    eh->e_phoff > len || (len - eh->e_phoff) / sizeof(Elf64_Phdr) < eh->e_phnum) {
		fprintf(stderr, "flatten: bad program header table\n");
		return -1;
	}
	for (i = 0; i < eh->e_phnum; i++) {
		Elf64_Phdr ph;

		memcpy(&ph, f + eh->e_phoff + i * sizeof(ph), sizeof(ph));
		if (ph.p_type != PT_LOAD)
			continue;
		if (ph.p_offset > len || ph.p_filesz > len - ph.p_offset ||
		    ph.p_filesz > ph.p_memsz || ph.p_memsz > IMAGE_MAX) {
			fprintf(stderr, "flatten: PT_LOAD %zu out of bounds\n", i);
			return -1;
		}
		segs[cnt++] = (struct seg){ ph.p_paddr, ph.p_offset, ph.p_filesz, ph.p_memsz };
	}
	if (cnt == 0) {
		fprintf(stderr, "flatten: no PT_LOAD segment\n");
		return -1;
	}
	qsort(segs, cnt, sizeof(*segs), seg_cmp);
	for (i = 1; i < cnt; i++) {
		if (segs[i].paddr < segs[i - 1].paddr + segs[i - 1].memsz) {
			fprintf(stderr, "flatten: PT_LOAD segments overlap at 0x%" PRIx64 "\n",
				segs[i].paddr);
			return -1;
		}
	}
	if (segs[cnt - 1].paddr + segs[cnt - 1].memsz - segs[0].paddr > IMAGE_MAX) {
		fprintf(stderr, "flatten: segments span more than %llu bytes\n", IMAGE_MAX);
		return -1;
	}
	*n = cnt;
	return 0;
}

static int write_all(int fd, const uint8_t *p, size_t len)
{
	while (len) {
		ssize_t w = write(fd, p, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

static int flatten(const uint8_t *f, size_t len, const char *out)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)f;
	struct seg segs[64];
	size_t n, i;
	uint64_t base, end, memend, size;
	uint8_t *img;
	int fd, r = -1;

	if (load_segments(f, len, segs, &n) != 0)
		return -1;
	base = segs[0].paddr;
	end = base;
	for (i = 0; i < n; i++)
		if (segs[i].filesz && segs[i].paddr + segs[i].filesz > end)
			end = segs[i].paddr + segs[i].filesz;
	memend = segs[n - 1].paddr + segs[n - 1].memsz;
	if (eh->e_entry < base || eh->e_entry >= end) {
		fprintf(stderr, "flatten: entry 0x%" PRIx64 " outside the image\n",
			(uint64_t)eh->e_entry);
		return -1;
	}
	size = (end - base + IMAGE_ALIGN - 1) / IMAGE_ALIGN * IMAGE_ALIGN;
	img = calloc(1, size);
	if (!img) {
		fprintf(stderr, "flatten: out of memory\n");
		return -1;
	}
	for (i = 0; i < n; i++)
		memcpy(img + (segs[i].paddr - base), f + segs[i].offset, segs[i].filesz);

	fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write_all(fd, img, size) != 0 || fsync(fd) != 0) {
		fprintf(stderr, "flatten: writing %s: %s\n", out, strerror(errno));
		goto out;
	}
	printf("KERNEL_LOAD_ADDR=0x%" PRIx64 "\n", base);
	printf("KERNEL_ENTRY=0x%" PRIx64 "\n", (uint64_t)eh->e_entry);
	printf("KERNEL_IMAGE_SIZE=%" PRIu64 "\n", size);
	printf("KERNEL_MEM_SIZE=%" PRIu64 "\n", memend - base);
	r = 0;
out:
	if (fd >= 0)
		close(fd);
	free(img);
	return r;
}

int main(int argc, char **argv)
{
	struct stat st;
	void *f;
	int fd, r;

	if (argc != 3) {
		fprintf(stderr, "usage: flatten VMLINUX OUT\n");
		return 2;
	}
	fd = open(argv[1], O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) != 0) {
		fprintf(stderr, "flatten: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	f = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (f == MAP_FAILED) {
		fprintf(stderr, "flatten: mmap %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	r = flatten(f, (size_t)st.st_size, argv[2]);
	munmap(f, (size_t)st.st_size);
	return r ? 1 : 0;
}
