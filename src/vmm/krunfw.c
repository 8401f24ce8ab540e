/* SPDX-License-Identifier: Apache-2.0 */
#include "vmm/krunfw.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "util/file.h"
#include "util/log.h"

#define KRUNFW_SONAME "libkrunfw.so.5"

typedef char *(*krunfw_get_kernel_fn)(size_t *load_addr, size_t *entry_addr, size_t *size);

int krunfw_load(struct krunfw *k, char *why, size_t why_len)
{
	krunfw_get_kernel_fn get_kernel;
	size_t load = 0, entry = 0, size = 0;
	long page = sysconf(_SC_PAGESIZE);
	const char *err;

	memset(k, 0, sizeof(*k));
	k->handle = dlopen(KRUNFW_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (!k->handle) {
		err = dlerror();
		snprintf(why, why_len, "cannot load the guest kernel bundle %s: %s", KRUNFW_SONAME,
			 err ? err : "not found");
		return -ENOENT;
	}
	get_kernel = (krunfw_get_kernel_fn)dlsym(k->handle, "krunfw_get_kernel");
	if (!get_kernel) {
		snprintf(why, why_len, "%s has no krunfw_get_kernel", KRUNFW_SONAME);
		goto bad;
	}
	k->image = get_kernel(&load, &entry, &size);
	if (!k->image || size == 0 || (uintptr_t)k->image % (uintptr_t)page ||
	    load % (size_t)page || entry < load || entry - load >= size) {
		snprintf(why, why_len,
			 "%s returned an unusable image (load %#zx entry %#zx size %zu)",
			 KRUNFW_SONAME, load, entry, size);
		goto bad;
	}
	k->size = size;
	k->load_addr = load;
	k->entry = entry;
	return 0;
bad:
	dlclose(k->handle);
	memset(k, 0, sizeof(*k));
	return -EINVAL;
}

int krunfw_open(struct krunfw *k)
{
	char why[256];
	int r = krunfw_load(k, why, sizeof(why));

	if (r < 0)
		log_error("%s", why);
	return r;
}

void krunfw_close(struct krunfw *k)
{
	if (k->handle)
		dlclose(k->handle);
	memset(k, 0, sizeof(*k));
}

void krunfw_drop_pages(const struct krunfw *k)
{
	/* Whole pages inside the image only (the ABI makes it page-aligned). */
	file_pages_drop(k->image, k->size);
}
