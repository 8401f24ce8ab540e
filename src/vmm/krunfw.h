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
};

/* 0, or -ENOENT (not found) / -EINVAL (bad ABI), logged. */
int krunfw_open(struct krunfw *k);
void krunfw_close(struct krunfw *k);

#endif
