/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The bundled guest kernel: libkrunfw.so.5, found by the dynamic linker (next to
 * libkrun.so.1 through its $ORIGIN run path, or the usual library path), with
 * upstream's ABI: krunfw_get_kernel(&load, &entry, &size) returns a page-aligned
 * image to place at guest-physical `load`, entered at `entry`.
 *
 * The library opens it once, when libkrun.so.1 itself is loaded (src/api/bundle.c):
 * an OCI runtime loads us on the host and creates contexts after entering the
 * container's root, where the bundle is not.
 */
#ifndef LIBKRUN_VMM_KRUNFW_H
#define LIBKRUN_VMM_KRUNFW_H

#include <stddef.h>
#include <stdint.h>

struct krunfw {
	void *handle;
	const void *image;
	size_t size;
	uint64_t load_addr, entry;
};

/* 0, or -ENOENT (not found) / -EINVAL (bad ABI), logged. */
int krunfw_open(struct krunfw *k);
/* krunfw_open without the log: the reason goes into why[0..why_len). */
int krunfw_load(struct krunfw *k, char *why, size_t why_len);
void krunfw_close(struct krunfw *k);

/* Once the image has been copied into guest RAM: drops this process's pages of
 * it (they are file-backed and read back from the file if touched again), so
 * the kernel is not resident twice. */
void krunfw_drop_pages(const struct krunfw *k);

#endif
