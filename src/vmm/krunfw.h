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

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

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
	/* [cow_start, cow_end): offsets of the image's read-mostly part, worth
	 * mapping copy-on-write (krunfw_get_kernel_cow_range); the rest is worth
	 * copying. Both 0 when the bundle does not say (upstream's): map it all. */
	uint64_t cow_start, cow_end;
	dev_t file_dev; /* fd's identity when it was opened (krunfw_file_usable) */
	ino_t file_ino;
};

/* 0, or -ENOENT (not found) / -EINVAL (bad ABI), logged. */
int krunfw_open(struct krunfw *k);
/* krunfw_open without the log: the reason goes into why[0..why_len). */
int krunfw_load(struct krunfw *k, char *why, size_t why_len);
void krunfw_close(struct krunfw *k);

/* Whether k->fd is still the bundle's file: a process that loaded us long ago
 * may have closed every fd since (an OCI runtime does before it runs the
 * container), and the number may now name another file. false: copy instead. */
bool krunfw_file_usable(const struct krunfw *k);

/* Once the image has been copied into guest RAM: drops this process's pages of
 * it (they are file-backed and read back from the file if touched again), so
 * the kernel is not resident twice. */
void krunfw_drop_pages(const struct krunfw *k);

#endif
