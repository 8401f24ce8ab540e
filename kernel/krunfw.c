// SPDX-License-Identifier: Apache-2.0
/*
 * libkrunfw.so.5: hands the embedded guest kernel to the VMM (contract in krunfw.h).
 * The image itself comes from bundle.S; the KRUNFW_* values come from kernel.env
 * and kernel/cow-range.sh, passed by the Makefile as -D options.
 */
#include "krunfw.h"

#include <stdint.h>

#if !defined(KRUNFW_LOAD_ADDR) || !defined(KRUNFW_ENTRY) || !defined(KRUNFW_RELEASE) || \
	!defined(KRUNFW_CONFIG_SHA256) || !defined(KRUNFW_IMAGE_SIZE) || !defined(KRUNFW_COW_RANGE)
#error "build through the Makefile: it passes the KRUNFW_* values from kernel.env"
#endif

#define KRUNFW_ABI_VERSION 5
#define KRUNFW_EXPORT __attribute__((visibility("default")))
#define STR_(x) #x
#define STR(x) STR_(x)

/* Defined in bundle.S; hidden so that nothing outside the library can bind to them. */
extern char krunfw_image[] __attribute__((visibility("hidden")));
extern char krunfw_image_end[] __attribute__((visibility("hidden")));

KRUNFW_EXPORT char *krunfw_get_kernel(size_t *load_addr, size_t *entry_addr, size_t *size)
{
	if (load_addr)
		*load_addr = KRUNFW_LOAD_ADDR;
	if (entry_addr)
		*entry_addr = KRUNFW_ENTRY;
	if (size)
		*size = (size_t)((uintptr_t)krunfw_image_end - (uintptr_t)krunfw_image);
	return krunfw_image;
}

KRUNFW_EXPORT void krunfw_get_kernel_cow_range(size_t *start, size_t *end)
{
	static const size_t range[2] = { KRUNFW_COW_RANGE };

	if (start)
		*start = range[0];
	if (end)
		*end = range[1];
}

KRUNFW_EXPORT int krunfw_get_version(void)
{
	return KRUNFW_ABI_VERSION;
}

KRUNFW_EXPORT const char *krunfw_get_build_info(void)
{
	return "linux " KRUNFW_RELEASE " config-sha256 " KRUNFW_CONFIG_SHA256
	       " image-size " STR(KRUNFW_IMAGE_SIZE) " load " STR(KRUNFW_LOAD_ADDR)
	       " entry " STR(KRUNFW_ENTRY);
}
