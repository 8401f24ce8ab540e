/* SPDX-License-Identifier: Apache-2.0 */
#include "vmm/krunfw.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/file.h"
#include "util/log.h"

#define KRUNFW_SONAME "libkrunfw.so.5"

struct segment_search {
	uintptr_t addr;    /* the image's address */
	const char *path;  /* the bundle's path, from dladdr */
	uint64_t offset;   /* out: the image's offset in that file */
	bool found;
};

/* dl_iterate_phdr callback: the PT_LOAD segment of `path` holding the image. */
static int find_segment(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct segment_search *s = arg;

	(void)size;
	if (!info->dlpi_name || strcmp(info->dlpi_name, s->path))
		return 0;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t start = info->dlpi_addr + ph->p_vaddr;

		if (ph->p_type != PT_LOAD || s->addr < start || s->addr - start >= ph->p_filesz)
			continue;
		s->offset = ph->p_offset + (s->addr - start);
		s->found = true;
		return 1;
	}
	return 0;
}

/* Whether the file holds the image at offset: the first, middle and last page
 * compared (the file could have been replaced since it was loaded). */
static bool file_matches(int fd, uint64_t offset, const struct krunfw *k, size_t page)
{
	const size_t at[] = { 0, (k->size / 2) & ~(page - 1), k->size - page };
	char *buf = malloc(page);
	bool same = buf != NULL;

	for (size_t i = 0; same && i < 3; i++)
		same = pread(fd, buf, page, (off_t)(offset + at[i])) == (ssize_t)page &&
		       !memcmp(buf, (const char *)k->image + at[i], page);
	free(buf);
	return same;
}

/* Finds the bundle's file and the image's offset in it (see struct krunfw). */
static void krunfw_find_file(struct krunfw *k, size_t page)
{
	struct segment_search s = { .addr = (uintptr_t)k->image };
	Dl_info info;
	struct stat st;
	int fd;

	k->fd = -1;
	if (!dladdr(k->image, &info) || !info.dli_fname || k->size % page)
		return;
	s.path = info.dli_fname;
	if (!dl_iterate_phdr(find_segment, &s) || !s.found || s.offset % page)
		return;
	fd = open(s.path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	if (fstat(fd, &st) < 0 || !file_matches(fd, s.offset, k, page)) {
		log_debug("krunfw: %s does not hold the loaded image; it will be copied", s.path);
		close(fd);
		return;
	}
	k->fd = fd;
	k->file_dev = st.st_dev;
	k->file_ino = st.st_ino;
	k->file_offset = s.offset;
}

typedef char *(*krunfw_get_kernel_fn)(size_t *load_addr, size_t *entry_addr, size_t *size);
typedef void (*krunfw_get_cow_range_fn)(size_t *start, size_t *end);

/* Our bundle's hint of what to map and what to copy (kernel/krunfw.h); one
 * that is absent, unaligned or outside the image is ignored: all is mapped. */
static void krunfw_cow_range(struct krunfw *k, size_t page)
{
	krunfw_get_cow_range_fn get = (krunfw_get_cow_range_fn)dlsym(k->handle,
								   "krunfw_get_kernel_cow_range");
	size_t start = 0, end = 0;

	if (!get)
		return;
	get(&start, &end);
	if (start >= end || end > k->size || start % page || end % page) {
		if (start || end)
			log_debug("krunfw: copy-on-write range [%#zx, %#zx) of a %zu-byte image "
				  "ignored", start, end, k->size);
		return;
	}
	k->cow_start = start;
	k->cow_end = end;
}

int krunfw_load(struct krunfw *k, char *why, size_t why_len)
{
	krunfw_get_kernel_fn get_kernel;
	size_t load = 0, entry = 0, size = 0;
	long page = sysconf(_SC_PAGESIZE);
	const char *err;

	memset(k, 0, sizeof(*k));
	k->fd = -1;
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
	krunfw_find_file(k, (size_t)page);
	krunfw_cow_range(k, (size_t)page);
	return 0;
bad:
	dlclose(k->handle);
	memset(k, 0, sizeof(*k));
	k->fd = -1;
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

bool krunfw_file_usable(const struct krunfw *k)
{
	struct stat st;

	return k->fd >= 0 && fstat(k->fd, &st) == 0 && st.st_dev == k->file_dev &&
	       st.st_ino == k->file_ino;
}

void krunfw_close(struct krunfw *k)
{
	if (k->handle)
		dlclose(k->handle);
	/* Not a number that has come to name another file since. */
	if (krunfw_file_usable(k))
		close(k->fd);
	memset(k, 0, sizeof(*k));
	k->fd = -1;
}

void krunfw_drop_pages(const struct krunfw *k)
{
	/* Whole pages inside the image only (the ABI makes it page-aligned). */
	file_pages_drop(k->image, k->size);
}
