/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The ABI of libkrunfw.so.5, the guest kernel bundle (the same as upstream
 * libkrunfw's soname 5). A VMM dlopens "libkrunfw.so.5" and looks these up by name.
 *
 * The image is an x86_64 vmlinux's PT_LOAD segments flattened from the lowest
 * physical load address (kernel/flatten.c). Its bss is not included: the VMM must
 * give the guest RAM right after the image (the kernel clears its bss itself).
 */
#ifndef LIBKRUNFW_H
#define LIBKRUNFW_H

#include <stddef.h>

/*
 * Returns the kernel image, and sets *load_addr to the guest-physical address where
 * it must be placed, *entry_addr to the guest-physical 64-bit entry (startup_64,
 * expecting %rsi = boot_params) and *size to the image's length. NULL outputs are
 * skipped. The pointer is 64 KiB-aligned, writable, and the size is a multiple of
 * 64 KiB, so the VMM may map the pages straight into guest memory at load_addr; it
 * stays valid while the library is loaded. Each call returns the same buffer.
 */
char *krunfw_get_kernel(size_t *load_addr, size_t *entry_addr, size_t *size);

/*
 * libkrun-c's addition to the ABI (a VMM must not require it): sets *start and
 * *end to the part of the image, as offsets into it, that a boot mostly only
 * reads (rodata and most of .data), 2 MiB-aligned; both 0 when unknown. Mapped
 * copy-on-write it costs the host little; the rest a boot writes almost
 * entirely (text patched by alternatives, .init and the gaps between sections
 * freed to the page allocator), so a VMM copies that into its (huge-page)
 * guest RAM: one fault per 2 MiB instead of two per 4 KiB page.
 */
void krunfw_get_kernel_cow_range(size_t *start, size_t *end);

/* The ABI version: 5, as in the soname. */
int krunfw_get_version(void);

/*
 * A static, human-readable description of the kernel in the bundle, e.g.
 * "linux 6.1.192 config-sha256 <64 hex> image-size 16842752 load 0x1000000
 * entry 0x1000000". For logs and bug reports; not meant to be parsed.
 */
const char *krunfw_get_build_info(void);

#endif
