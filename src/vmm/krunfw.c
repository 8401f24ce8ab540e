/* SPDX-License-Identifier: Apache-2.0 */
#include "vmm/krunfw.h"

#include <dlfcn.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "util/log.h"

#define KRUNFW_SONAME "libkrunfw.so.5"

typedef char *(*krunfw_get_kernel_fn)(size_t *load_addr, size_t *entry_addr, size_t *size);

int krunfw_open(struct krunfw *k)
{
	krunfw_get_kernel_fn get_kernel;
	size_t load = 0, entry = 0, size = 0;
	long page = sysconf(_SC_PAGESIZE);

	memset(k, 0, sizeof(*k));
	k->handle = dlopen(KRUNFW_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (!k->handle) {
		log_error("cannot load the guest kernel bundle %s: %s", KRUNFW_SONAME, dlerror());
		return -ENOENT;
	}
	get_kernel = (krunfw_get_kernel_fn)dlsym(k->handle, "krunfw_get_kernel");
	if (!get_kernel) {
		log_error("%s has no krunfw_get_kernel", KRUNFW_SONAME);
		goto bad;
	}
	k->image = get_kernel(&load, &entry, &size);
	if (!k->image || size == 0 || (uintptr_t)k->image % (uintptr_t)page ||
	    load % (size_t)page || entry < load || entry - load >= size) {
		log_error("%s returned an unusable image (load %#zx entry %#zx size %zu)",
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

void krunfw_close(struct krunfw *k)
{
	if (k->handle)
		dlclose(k->handle);
	memset(k, 0, sizeof(*k));
}
