/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Kernel loaders: ELF vmlinux, bzImage (64-bit boot protocol) and flat images.
 * The image comes from the user's configuration, but it is still parsed as
 * untrusted input: every offset and size is checked against the file and every
 * destination against guest RAM (through gmem_ptr) before a byte is copied.
 */
#include <elf.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "arch/x86_64/layout.h"
#include "arch/x86_64/x86.h"
#include "util/log.h"

/* Copies filesz bytes from the image and zeroes up to memsz at gpa. */
static int load_segment(const struct gmem *m, uint64_t gpa, const uint8_t *src,
			uint64_t filesz, uint64_t memsz)
{
	uint8_t *dst = gmem_ptr(m, gpa, memsz);

	if (!dst)
		return -ENOMEM;
	memcpy(dst, src, filesz);
	memset(dst + filesz, 0, memsz - filesz);
	return 0;
}

/* Kernel pieces must stay clear of the boot structures below 1 MiB. */
static bool above_boot_area(uint64_t gpa)
{
	return gpa >= LAYOUT_HIMEM;
}

static void kernel_defaults(struct x86_kernel *k)
{
	memset(k, 0, sizeof(*k));
	k->initrd_max = LAYOUT_INITRD_ADDR_MAX;
	k->cmdline_max = LAYOUT_CMDLINE_DEFAULT_MAX;
}

static int elf_check_header(const Elf64_Ehdr *eh, size_t size)
{
	if (size < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 ||
	    eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_ident[EI_DATA] != ELFDATA2LSB ||
	    eh->e_machine != EM_X86_64 || eh->e_type != ET_EXEC)
		return -EINVAL;
	/* PN_XNUM (0xffff) would move the count into section 0: not for a kernel. */
	if (eh->e_phentsize != sizeof(Elf64_Phdr) || eh->e_phnum == 0 ||
	    eh->e_phnum == PN_XNUM || eh->e_phoff > size ||
	    (size - eh->e_phoff) / sizeof(Elf64_Phdr) < eh->e_phnum)
		return -EINVAL;
	return 0;
}

/* Where an ELF kernel's bytes come from: the caller's buffer, or the file
 * itself (boot_spec.kernel_from_fd), read piece by piece. */
struct elf_src {
	const uint8_t *buf; /* NULL: read from fd */
	int fd;
	uint64_t size;
};

/* Copies [off, off + len) of the image into dst; -EINVAL past its end. */
static int elf_read(const struct elf_src *s, uint64_t off, void *dst, size_t len)
{
	ssize_t n;

	if (off > s->size || len > s->size - off)
		return -EINVAL;
	if (s->buf) {
		memcpy(dst, s->buf + off, len);
		return 0;
	}
	do
		n = pread(s->fd, dst, len, (off_t)off);
	while (n < 0 && errno == EINTR);
	return n == (ssize_t)len ? 0 : -EIO;
}

/* A segment: its file bytes at gpa, then zeros up to memsz. */
static int elf_load_segment(const struct gmem *m, const struct elf_src *s, const Elf64_Phdr *ph)
{
	uint8_t *dst = gmem_ptr(m, ph->p_paddr, ph->p_memsz);

	if (!dst)
		return -ENOMEM;
	if (s->buf)
		memcpy(dst, s->buf + ph->p_offset, ph->p_filesz);
	else if (ph->p_filesz &&
		 gmem_read_file(m, ph->p_paddr, ph->p_filesz, s->fd, ph->p_offset) < 0)
		return -EIO;
	memset(dst + ph->p_filesz, 0, ph->p_memsz - ph->p_filesz);
	return 0;
}

/* vmlinux: PT_LOAD segments at p_paddr, entry at e_entry, which vmlinux.lds.S
 * makes physical (ENTRY(phys_startup_64)). */
static int load_elf(const struct gmem *m, const struct elf_src *s, struct x86_kernel *k)
{
	Elf64_Ehdr eh = { 0 };
	bool entry_ok = false;
	unsigned int nload = 0;
	int r;

	if (elf_read(s, 0, &eh, sizeof(eh)) < 0 || elf_check_header(&eh, s->size) < 0) {
		log_error("x86: kernel is not a valid x86_64 ELF executable");
		return -EINVAL;
	}
	for (unsigned int i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;

		if (elf_read(s, eh.e_phoff + (uint64_t)i * sizeof(ph), &ph, sizeof(ph)) < 0) {
			log_error("x86: cannot read ELF program header %u", i);
			return -EIO;
		}
		if (ph.p_type != PT_LOAD || ph.p_memsz == 0)
			continue;
		if (ph.p_filesz > ph.p_memsz || ph.p_offset > s->size ||
		    ph.p_filesz > s->size - ph.p_offset || ph.p_paddr + ph.p_memsz < ph.p_paddr) {
			log_error("x86: ELF segment %u has bad offsets or sizes", i);
			return -EINVAL;
		}
		r = above_boot_area(ph.p_paddr) ? elf_load_segment(m, s, &ph) : -ENOMEM;
		if (r == -EIO) {
			log_error("x86: cannot read ELF segment %u from the kernel file", i);
			return r;
		}
		if (r < 0) {
			log_error("x86: ELF segment %u [0x%llx, +0x%llx) is outside guest RAM",
				  i, (unsigned long long)ph.p_paddr,
				  (unsigned long long)ph.p_memsz);
			return -ENOMEM;
		}
		if (eh.e_entry >= ph.p_paddr && eh.e_entry - ph.p_paddr < ph.p_memsz)
			entry_ok = true;
		if (ph.p_paddr + ph.p_memsz > k->end)
			k->end = ph.p_paddr + ph.p_memsz;
		if (nload == 0 || ph.p_paddr < k->start)
			k->start = ph.p_paddr;
		nload++;
	}
	if (nload == 0 || !entry_ok) {
		log_error("x86: ELF entry 0x%llx is not inside a loaded segment",
			  (unsigned long long)eh.e_entry);
		return -EINVAL;
	}
	k->entry = eh.e_entry;
	return 0;
}

/*
 * bzImage (Documentation/arch/x86/boot.rst): the setup header sits at 0x1f1 and
 * ends at 0x202 + the byte at 0x201; setup_sects (0 meaning 4) 512-byte sectors
 * of real-mode code follow the boot sector, then the protected-mode kernel. The
 * 64-bit entry (protocol 2.12+, XLF_KERNEL_64) is 0x200 into the latter.
 */
#define BZ_HDR_OFF 0x1f1
#define BZ_MAGIC 0x53726448 /* "HdrS" */
#define BZ_MIN_VERSION 0x020c

static int load_bzimage(const struct gmem *m, const uint8_t *f, size_t size,
			struct x86_kernel *k)
{
	struct setup_header *h = &k->hdr;
	size_t hdr_end, setup_size, copy;
	uint64_t payload, need_end;

	if (size < 0x202 + 4 + 1) {
		log_error("x86: bzImage too short");
		return -EINVAL;
	}
	hdr_end = 0x202 + (size_t)f[0x201];
	copy = hdr_end - BZ_HDR_OFF;
	if (copy > sizeof(*h))
		copy = sizeof(*h); /* a newer header: fields past ours are not needed */
	if (hdr_end > size) {
		log_error("x86: bzImage setup header runs past the file");
		return -EINVAL;
	}
	memset(h, 0, sizeof(*h));
	memcpy(h, f + BZ_HDR_OFF, copy);
	if (h->header != BZ_MAGIC || h->boot_flag != 0xaa55 || h->version < BZ_MIN_VERSION ||
	    !(h->xloadflags & XLF_KERNEL_64)) {
		log_error("x86: bzImage lacks a 64-bit entry (protocol 0x%x, need 2.12+)",
			  h->version);
		return -EINVAL;
	}
	setup_size = ((size_t)(h->setup_sects ? h->setup_sects : 4) + 1) * 512;
	if (setup_size >= size || (uint64_t)h->syssize * 16 > size - setup_size) {
		log_error("x86: bzImage is truncated");
		return -EINVAL;
	}
	payload = size - setup_size;
	if (load_segment(m, LAYOUT_BZIMAGE_LOAD, f + setup_size, payload, payload) < 0) {
		log_error("x86: bzImage (%llu bytes) does not fit in guest RAM",
			  (unsigned long long)payload);
		return -ENOMEM;
	}
	/* The decompressor works in init_size bytes from where it runs the kernel
	 * (pref_address, LOAD_PHYSICAL_ADDR for a non-relocatable kernel). */
	need_end = h->pref_address + h->init_size;
	if (need_end < h->pref_address || !gmem_ptr(m, h->pref_address, h->init_size)) {
		log_error("x86: bzImage needs RAM up to 0x%llx",
			  (unsigned long long)need_end);
		return -ENOMEM;
	}
	k->start = LAYOUT_BZIMAGE_LOAD;
	k->end = LAYOUT_BZIMAGE_LOAD + payload;
	if (need_end > k->end)
		k->end = need_end;
	k->entry = LAYOUT_BZIMAGE_LOAD + LAYOUT_BZIMAGE_ENTRY_OFF;
	k->initrd_max = h->initrd_addr_max;
	/* boot.rst: cmdline_size excludes the terminating NUL. */
	if (h->cmdline_size)
		k->cmdline_max = h->cmdline_size < LAYOUT_CMDLINE_AREA ? h->cmdline_size + 1
								      : LAYOUT_CMDLINE_AREA;
	k->has_hdr = true;
	return 0;
}

/*
 * A mappable flat image: mapped copy-on-write where a boot mostly reads it and
 * copied where it writes nearly every page (the bundle's hint, struct
 * boot_spec). The host keeps one copy of the read-mostly pages for all VMs;
 * the copied parts, in huge-page guest RAM, fault once per 2 MiB, where mapped
 * they would fault twice per 4 KiB page (read, then copy-on-write), each
 * fault a nested-paging exit of the vCPU.
 */
static int map_raw(const struct gmem *m, const struct boot_spec *b)
{
	const uint8_t *img = b->kernel;
	uint64_t cs = b->kernel_cow_start, ce = b->kernel_cow_end, size = b->kernel_size;
	int r;

	if (cs >= ce)
		return gmem_map_file(m, b->load_addr, size, b->kernel_fd, b->kernel_file_offset);
	r = gmem_map_file(m, b->load_addr + cs, ce - cs, b->kernel_fd, b->kernel_file_offset + cs);
	if (r == 0 && cs)
		r = load_segment(m, b->load_addr, img, cs, cs);
	if (r == 0 && ce < size)
		r = load_segment(m, b->load_addr + ce, img + ce, size - ce, size - ce);
	return r;
}

/* Flat image (e.g. libkrunfw's): bytes at load_addr, entry given. Its bss is
 * not in the image; the kernel clears it, in RAM that must follow the image. */
static int load_raw(const struct gmem *m, const struct boot_spec *b, struct x86_kernel *k)
{
	const uint64_t size = b->kernel_size;
	int r = -1;

	/* Mapped, only the pages the guest touches cost the host memory, and the
	 * host keeps one copy of the image in its page cache for every VM. */
	if (b->kernel_mappable && above_boot_area(b->load_addr)) {
		r = map_raw(m, b);
		if (r < 0)
			log_debug("x86: cannot map the kernel image (%s); copying it", strerror(-r));
	}
	if (r < 0 && (!above_boot_area(b->load_addr) ||
		      load_segment(m, b->load_addr, b->kernel, size, size) < 0)) {
		log_error("x86: kernel image [0x%llx, +0x%llx) is outside guest RAM",
			  (unsigned long long)b->load_addr, (unsigned long long)size);
		return -ENOMEM;
	}
	if (b->entry < b->load_addr || b->entry - b->load_addr >= size) {
		log_error("x86: kernel entry 0x%llx is outside the image",
			  (unsigned long long)b->entry);
		return -EINVAL;
	}
	k->entry = b->entry;
	k->start = b->load_addr;
	k->end = b->load_addr + size;
	return 0;
}

/* Upstream libkrun maps a RAW kernel on x86_64 at 0x8000_0000 and enters it
 * there (src/libkrun/src/lib.rs, map_kernel): a flat image whose first byte
 * is its 64-bit entry, like libkrunfw's, run at 2 GiB. */
uint64_t arch_raw_kernel_addr(void)
{
	return LAYOUT_RAW_KERNEL;
}

int x86_load_kernel(const struct gmem *m, const struct boot_spec *b, struct x86_kernel *k)
{
	bool from_fd = b->format == KERNEL_FORMAT_ELF && b->kernel_from_fd;

	kernel_defaults(k);
	if ((!b->kernel && !from_fd) || b->kernel_size == 0) {
		log_error("x86: no kernel image");
		return -EINVAL;
	}
	switch (b->format) {
	case KERNEL_FORMAT_RAW:
		return load_raw(m, b, k);
	case KERNEL_FORMAT_ELF:
		return load_elf(m, &(struct elf_src){ .buf = from_fd ? NULL : b->kernel,
						      .fd = b->kernel_fd, .size = b->kernel_size },
				k);
	case KERNEL_FORMAT_BZIMAGE:
		return load_bzimage(m, b->kernel, b->kernel_size, k);
	case KERNEL_FORMAT_PE_GZ:
	case KERNEL_FORMAT_IMAGE_BZ2:
	case KERNEL_FORMAT_IMAGE_GZ:
	case KERNEL_FORMAT_IMAGE_ZSTD:
		break; /* unpacked or refused before (vmm/kernel_image.h, api/start.c) */
	}
	log_error("x86: unsupported kernel format %d", (int)b->format);
	return -EINVAL;
}
