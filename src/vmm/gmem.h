/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Guest memory: the guest-physical RAM regions and the one checked way to turn a
 * guest-physical address (GPA) into a host pointer.
 *
 * Every access to guest memory goes through gmem_ptr (or gmem_read/gmem_write):
 * a range is valid only if it lies wholly inside one RAM region, with overflow
 * checked. The guest is hostile: an address it gives may be anything.
 *
 * RAM is mapped MAP_PRIVATE|MAP_ANONYMOUS|MAP_NORESERVE, never pre-faulted, so
 * untouched guest memory costs the host nothing, and a range released with
 * gmem_discard reads back as zero. Shared RAM (gmem_create_shared) is a memfd
 * mapped MAP_SHARED instead, so that another process (a vhost-user backend)
 * can map the same pages; it is as lazy.
 */
#ifndef LIBKRUN_VMM_GMEM_H
#define LIBKRUN_VMM_GMEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GMEM_MAX_REGIONS 4

struct gmem_region {
	uint64_t gpa;  /* guest-physical start, page-aligned */
	uint64_t size; /* bytes, page-aligned, > 0 */
	uint8_t *host; /* host mapping of [gpa, gpa + size) */
};

struct gmem {
	struct gmem_region region[GMEM_MAX_REGIONS]; /* sorted by gpa, disjoint */
	unsigned int nregions;
	uint8_t *base;      /* one host mapping holding every region back to back */
	size_t mapped_size; /* its size */
	bool shared;        /* gmem_create_shared's: fd is the memfd behind base */
	int fd;             /* at offset 0; meaningless unless shared (a zeroed gmem is private) */
};

/*
 * Maps host memory for the given regions (their .host is ignored and set here).
 * Regions must be sorted, disjoint, page-aligned and non-empty; n <= GMEM_MAX_REGIONS.
 * Returns 0 or -EINVAL / -ENOMEM. On error nothing stays mapped.
 */
int gmem_create(struct gmem *m, const struct gmem_region *regions, unsigned int n);

/*
 * The same, on a memfd mapped shared: region i lies at file offset
 * region[i].host - base in m->fd. Returns 0 or -errno (memfd_create, ftruncate).
 */
int gmem_create_shared(struct gmem *m, const struct gmem_region *regions, unsigned int n);

/* Unmaps everything; safe on a zeroed or already destroyed gmem. */
void gmem_destroy(struct gmem *m);

/*
 * Host pointer for [gpa, gpa + len), or NULL if len == 0, the range overflows, or
 * it is not wholly inside one region. The pointer stays valid until gmem_destroy.
 */
void *gmem_ptr(const struct gmem *m, uint64_t gpa, uint64_t len);

/* Copies between guest memory and the host; 0 or -EFAULT (nothing copied). */
int gmem_read(const struct gmem *m, uint64_t gpa, void *dst, size_t len);
int gmem_write(const struct gmem *m, uint64_t gpa, const void *src, size_t len);

/*
 * Maps len bytes of fd at offset over guest RAM at gpa, private and writable
 * (copy-on-write): the guest sees the file's bytes, and only the pages it
 * touches cost the host memory. gpa, offset and len must be page-aligned and
 * the range inside one region. 0 or -errno (the RAM is then as it was);
 * -ENOTSUP on shared RAM, where private pages would hide the bytes from the
 * other process.
 */
int gmem_map_file(const struct gmem *m, uint64_t gpa, uint64_t len, int fd, uint64_t offset);

/*
 * Reads len bytes of fd at offset into guest RAM at gpa: from the page cache
 * straight into guest memory, with no copy of the file in the process. The
 * range must be inside one region. 0, -EFAULT (outside guest RAM) or -EIO (a
 * read error or the file ended early: part of the range may be written).
 */
int gmem_read_file(const struct gmem *m, uint64_t gpa, uint64_t len, int fd, uint64_t offset);

/*
 * Gives the host back the pages of [host, host + len), a page-aligned range
 * inside m's mapping: they read back as zero. MADV_DONTNEED for private RAM;
 * shared RAM needs MADV_REMOVE, which frees the memfd's pages too (DONTNEED
 * would only drop this process's mapping of them). 0 or -errno.
 */
int gmem_discard(const struct gmem *m, void *host, size_t len);

/* Total RAM bytes over all regions. */
uint64_t gmem_size(const struct gmem *m);

#endif
