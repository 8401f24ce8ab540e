/* SPDX-License-Identifier: Apache-2.0 */
#include "util/file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/log.h"

int file_open_regular(const char *path, size_t max, int *fd, size_t *size)
{
	struct stat st;
	int r;

	*fd = open(path, O_RDONLY | O_CLOEXEC);
	if (*fd < 0) {
		r = -errno;
		log_error("cannot open %s: %s", path, strerror(-r));
		return r;
	}
	if (fstat(*fd, &st) < 0) {
		r = -errno;
		log_error("cannot stat %s: %s", path, strerror(-r));
		goto bad;
	}
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size > max) {
		r = S_ISREG(st.st_mode) ? -EFBIG : -EINVAL;
		log_error("%s: not a regular file of at most %zu bytes", path, max);
		goto bad;
	}
	*size = (size_t)st.st_size;
	return 0;
bad:
	close(*fd);
	*fd = -1;
	return r;
}

int file_read_all(const char *path, size_t max, void **data, size_t *len)
{
	size_t done = 0, size;
	char *buf = NULL;
	int fd, r;

	r = file_open_regular(path, max, &fd, &size);
	if (r < 0)
		return r;
	buf = malloc(size ? size : 1);
	if (!buf) {
		r = -ENOMEM;
		goto out;
	}
	while (done < size) {
		ssize_t n = read(fd, buf + done, size - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = n < 0 ? -errno : -EIO;
			log_error("cannot read %s: %s", path, strerror(-r));
			free(buf);
			goto out;
		}
		done += (size_t)n;
	}
	*data = buf;
	*len = done;
	r = 0;
out:
	close(fd);
	return r;
}

void file_pages_drop(const void *addr, size_t len)
{
	long page = sysconf(_SC_PAGESIZE);
	uintptr_t start = (uintptr_t)addr, end = start + len;

	if (!addr || page <= 0 || end < start)
		return;
	start = (start + (uintptr_t)page - 1) & ~((uintptr_t)page - 1);
	end &= ~((uintptr_t)page - 1);
	if (end > start && madvise((void *)start, end - start, MADV_DONTNEED) < 0)
		log_debug("dropping %lu bytes of file pages: %s", (unsigned long)(end - start),
			  strerror(errno));
}
