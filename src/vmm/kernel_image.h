/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The compressed kernel formats of krun_set_kernel (KRUN_KERNEL_FORMAT_IMAGE_*):
 * a file that holds, somewhere inside it, a gzip, bzip2 or zstd stream of an
 * ELF vmlinux, such as a distribution's vmlinuz. Upstream libkrun (1.18,
 * src/vmm/src/builder.rs, load_external_kernel) finds the stream by its magic
 * bytes, decompresses it and loads the result as an ELF kernel; so do we,
 * with the output bounded and every failure an error instead of a panic.
 */
#ifndef LIBKRUN_VMM_KERNEL_IMAGE_H
#define LIBKRUN_VMM_KERNEL_IMAGE_H

#include <stddef.h>

#include "vmm/arch.h"

/*
 * Most bytes a compressed kernel may decompress to: 512 MiB, the size limit of
 * a kernel file given uncompressed (KRUN_KERNEL_FORMAT_ELF), so that no
 * format admits a larger kernel than another. A vmlinux inside a vmlinuz is
 * stripped (arch/x86/boot/compressed/Makefile: objcopy -R .comment -S):
 * Debian's 6.1 one is about 60 MiB, an allyesconfig one a few hundred; and
 * it all has to fit in guest RAM besides.
 */
#define KIMAGE_MAX_UNPACKED ((size_t)512 << 20)

/* Whether format is one kimage_unpack takes (KERNEL_FORMAT_IMAGE_*). */
bool kimage_is_compressed(enum kernel_format format);

/*
 * Finds the first stream of format's compression in file (its magic bytes,
 * plus the header bytes after them that any real stream has), decompresses
 * it to at most max bytes and checks that the result is an ELF file (the
 * loader checks the rest). *elf (free()) and *elf_len get it. 0, or -errno
 * logged once, naming the file by name: -EINVAL (no such stream in the file, corrupt or truncated
 * data, not an ELF inside, not a compressed format), -EFBIG (more than max
 * bytes: a decompression bomb), -ENOMEM.
 */
int kimage_unpack(enum kernel_format format, const void *file, size_t len, size_t max,
		  const char *name, void **elf, size_t *elf_len);

#endif
