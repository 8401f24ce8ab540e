/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The bundled guest kernel: libkrunfw.so.5, found by the dynamic linker (next to
 * libkrun.so.1 through its $ORIGIN run path, or the usual library path), with
 * upstream's ABI: krunfw_get_kernel(&load, &entry, &size) returns a page-aligned
 * image to place at guest-physical `load`, entered at `entry`.
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
	/* The bundle's file and the image's page-aligned offset in it, so the VMM
	 * can map the image into guest RAM instead of copying it; -1 when the file
	 * could not be matched to the loaded image (the VMM then copies). */
	int fd;
	uint64_t file_offset;
};

/* 0, or -ENOENT (not found) / -EINVAL (bad ABI), logged. */
int krunfw_open(struct krunfw *k);
void krunfw_close(struct krunfw *k);

/* Once the image has been copied into guest RAM: drops this process's pages of
 * it (they are file-backed and read back from the file if touched again), so
 * the kernel is not resident twice. */
void krunfw_drop_pages(const struct krunfw *k);

#endif
