/* SPDX-License-Identifier: Apache-2.0 */
#include "vmm/gmem.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "util/log.h"

#define GMEM_PAGE 4096ULL
#define GMEM_HUGE (2ULL << 20)

static int gmem_check_layout(const struct gmem_region *r, unsigned int n)
{
	if (n == 0 || n > GMEM_MAX_REGIONS)
		return -EINVAL;
	for (unsigned int i = 0; i < n; i++) {
		if (r[i].size == 0 || (r[i].gpa | r[i].size) & (GMEM_PAGE - 1))
			return -EINVAL;
		if (r[i].size > UINT64_MAX - r[i].gpa)
			return -EINVAL;
		if (i + 1 < n && r[i].gpa + r[i].size > r[i + 1].gpa)
			return -EINVAL;
	}
	return 0;
}

/*
 * total bytes at a 2 MiB-aligned address: a guest-physical 2 MiB page can then
 * be one host huge page and one KVM large mapping (both need the host address
 * and the GPA to agree modulo 2 MiB; regions start 2 MiB-aligned), wherever
 * huge pages are allowed. A PROT_NONE reservation with room to align, the
 * mapping placed in it, the slack given back.
 */
static void *gmem_map_aligned(uint64_t total, bool shared, int fd)
{
	uint8_t *resv = mmap(NULL, total + GMEM_HUGE, PROT_NONE,
			     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	uint8_t *base;

	if (resv == MAP_FAILED)
		return MAP_FAILED;
	base = (uint8_t *)(((uintptr_t)resv + GMEM_HUGE - 1) & ~(uintptr_t)(GMEM_HUGE - 1));
	if (mmap(base, total, PROT_READ | PROT_WRITE,
		 (shared ? MAP_SHARED : MAP_PRIVATE | MAP_ANONYMOUS) | MAP_NORESERVE | MAP_FIXED,
		 fd, 0) == MAP_FAILED) {
		int e = errno;
		munmap(resv, total + GMEM_HUGE);
		errno = e;
		return MAP_FAILED;
	}
	if (base > resv)
		munmap(resv, (size_t)(base - resv));
	if (base + total < resv + total + GMEM_HUGE)
		munmap(base + total, (size_t)(resv + GMEM_HUGE - base));
	return base;
}

static int gmem_map(struct gmem *m, const struct gmem_region *regions, unsigned int n,
		    bool shared)
{
	uint64_t total = 0;
	int fd = -1, r;

	memset(m, 0, sizeof(*m));
	r = gmem_check_layout(regions, n);
	if (r < 0) {
		log_error("gmem: invalid memory layout (%u regions)", n);
		return r;
	}
	for (unsigned int i = 0; i < n; i++) {
		if (regions[i].size > SIZE_MAX - total)
			return -ENOMEM;
		total += regions[i].size;
	}

	if (shared) {
		fd = memfd_create("krun-guest-ram", MFD_CLOEXEC);
		if (fd < 0 || ftruncate(fd, (off_t)total) < 0) {
			r = -errno;
			log_error("gmem: cannot make a %llu-byte memfd for guest RAM: %s",
				  (unsigned long long)total, strerror(-r));
			goto fail;
		}
	}
	void *base = gmem_map_aligned(total, shared, fd);
	if (base == MAP_FAILED) {
		r = -errno;
		log_error("gmem: cannot map %llu bytes of guest RAM: %s",
			  (unsigned long long)total, strerror(-r));
		goto fail;
	}

	/* Transparent huge pages, asked for (as QEMU does), so that they apply
	 * where the host's THP mode is "madvise" too. Each first touch of a guest
	 * page is a nested-paging fault, and with 4 KiB host pages the guest
	 * takes one per page: a boot to /bin/true took ~8 600 of them against
	 * ~1 200 with huge pages, and its uptime at the workload fell from ~1.1 s
	 * to ~0.7 s (emulated KVM, docs/benchmarks.md). The cost is memory: a
	 * 2 MiB page for a partly used 2 MiB, measured +4.7 MiB for a 128 MiB
	 * guest (29.8 to 34.5 MiB RSS) and +7 MiB for an idle 2 GiB one (62.8 to
	 * 69.7). Free-page reporting gives memory back in 2 MiB-aligned blocks
	 * (page_reporting_order is pageblock_order), whole huge pages. The VMM's
	 * own stacks stay off huge pages (start.c). */
	if (madvise(base, total, MADV_HUGEPAGE) < 0)
		log_debug("gmem: MADV_HUGEPAGE: %s", strerror(errno));
	m->base = base;
	m->mapped_size = total;
	m->shared = shared;
	m->fd = fd;
	m->nregions = n;
	uint64_t off = 0;
	for (unsigned int i = 0; i < n; i++) {
		m->region[i] = regions[i];
		m->region[i].host = m->base + off;
		off += regions[i].size;
	}
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	return r;
}

int gmem_create(struct gmem *m, const struct gmem_region *regions, unsigned int n)
{
	return gmem_map(m, regions, n, false);
}

int gmem_create_shared(struct gmem *m, const struct gmem_region *regions, unsigned int n)
{
	return gmem_map(m, regions, n, true);
}

int gmem_discard(const struct gmem *m, void *host, size_t len)
{
	if (madvise(host, len, m->shared ? MADV_REMOVE : MADV_DONTNEED) < 0)
		return -errno;
	return 0;
}

int gmem_map_file(const struct gmem *m, uint64_t gpa, uint64_t len, int fd, uint64_t offset)
{
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
	uint8_t *dst = gmem_ptr(m, gpa, len);
	void *p;

	if (!dst || (gpa | len | offset) & (page - 1))
		return -EINVAL;
	if (m->shared)
		return -ENOTSUP;
	/* MAP_FIXED replaces the anonymous pages in place: the KVM memory slot
	 * keeps its host range and follows the new mapping. */
	p = mmap(dst, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED, fd, (off_t)offset);
	if (p == MAP_FAILED) {
		int r = -errno;
		/* The old mapping may be gone: put zeroed anonymous memory back. */
		if (mmap(dst, len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0) == MAP_FAILED)
			return -errno;
		return r;
	}
	return 0;
}

int gmem_read_file(const struct gmem *m, uint64_t gpa, uint64_t len, int fd, uint64_t offset)
{
	uint8_t *dst = gmem_ptr(m, gpa, len);
	uint64_t done = 0;

	if (!dst || offset > (uint64_t)INT64_MAX - len)
		return -EFAULT;
	while (done < len) {
		ssize_t n = pread(fd, dst + done, len - done, (off_t)(offset + done));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -EIO;
		done += (uint64_t)n;
	}
	return 0;
}

void gmem_destroy(struct gmem *m)
{
	if (m->base)
		munmap(m->base, m->mapped_size);
	if (m->shared)
		close(m->fd);
	memset(m, 0, sizeof(*m));
}

void *gmem_ptr(const struct gmem *m, uint64_t gpa, uint64_t len)
{
	if (len == 0)
		return NULL;
	for (unsigned int i = 0; i < m->nregions; i++) {
		const struct gmem_region *r = &m->region[i];

		/* Written as differences so that no sum can wrap (gpa + len may). */
		if (gpa < r->gpa)
			break; /* regions are sorted: no later one can hold it */
		uint64_t off = gpa - r->gpa;
		if (off >= r->size)
			continue;
		if (len > r->size - off)
			return NULL; /* runs past the region: holes are never bridged */
		return r->host + off;
	}
	return NULL;
}

int gmem_read(const struct gmem *m, uint64_t gpa, void *dst, size_t len)
{
	const void *p;

	if (len == 0)
		return 0;
	p = gmem_ptr(m, gpa, len);
	if (!p)
		return -EFAULT;
	memcpy(dst, p, len);
	return 0;
}

int gmem_write(const struct gmem *m, uint64_t gpa, const void *src, size_t len)
{
	void *p;

	if (len == 0)
		return 0;
	p = gmem_ptr(m, gpa, len);
	if (!p)
		return -EFAULT;
	memcpy(p, src, len);
	return 0;
}

uint64_t gmem_size(const struct gmem *m)
{
	uint64_t total = 0;

	for (unsigned int i = 0; i < m->nregions; i++)
		total += m->region[i].size;
	return total;
}
