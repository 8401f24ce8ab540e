/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Embeds kernel.bin (the flattened vmlinux) in libkrunfw.so.5.
 *
 * The section is writable ("aw") because a VMM maps these pages into the guest, which
 * writes to its own image, and 64 KiB-aligned and padded to 64 KiB so that the mapping
 * covers whole pages of any host page size up to 64 KiB. glibc (2.35 and later) places
 * a segment at its p_align, so the runtime address keeps the alignment. .incbin makes
 * this a sub-second assembly, where a 16 MB C array takes minutes to compile.
 * KRUNFW_IMAGE is the path of kernel.bin, given by the Makefile.
 */
#ifndef KRUNFW_IMAGE
#error "build through the Makefile: it passes -DKRUNFW_IMAGE=\"path/to/kernel.bin\""
#endif

	.section .data.krunfw_image, "aw", @progbits
	.balign 65536
	.globl krunfw_image
	.hidden krunfw_image
	.type krunfw_image, @object
krunfw_image:
	.incbin KRUNFW_IMAGE
	.balign 65536, 0
	.globl krunfw_image_end
	.hidden krunfw_image_end
krunfw_image_end:
	.size krunfw_image, krunfw_image_end - krunfw_image

	/* No executable stack for whoever loads the library. */
	.section .note.GNU-stack, "", @progbits
