/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The static guest init (build/init/init), embedded read-only in libkrun.so so
 * that the library needs no file at run time. initramfs_build copies it into
 * the archive appended to the guest's initramfs. The Makefile passes the path.
 */
#ifndef KRUN_INIT_PATH
#error "KRUN_INIT_PATH must name the built guest init"
#endif

	.section .rodata.krun_init, "a", @progbits
	.balign 16
	.globl krun_init_start
	.hidden krun_init_start
	.type krun_init_start, @object
krun_init_start:
	.incbin KRUN_INIT_PATH
	.globl krun_init_end
	.hidden krun_init_end
	.type krun_init_end, @object
krun_init_end:
	.size krun_init_start, krun_init_end - krun_init_start

	/* No executable stack for the library. */
	.section .note.GNU-stack, "", @progbits
