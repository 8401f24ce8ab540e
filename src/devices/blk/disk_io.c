/* SPDX-License-Identifier: Apache-2.0 */
#include "devices/blk/disk_io.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util/log.h"

int disk_rw_full(int fd, const struct iovec *iov_in, int n, uint64_t off, bool write)
{
	struct iovec iov[IOV_MAX];
	int first = 0;

	if (n < 0 || n > IOV_MAX)
		return -EINVAL;
	memcpy(iov, iov_in, (size_t)n * sizeof(*iov));
	while (first < n) {
		ssize_t got = write ? pwritev(fd, iov + first, n - first, (off_t)off)
				    : preadv(fd, iov + first, n - first, (off_t)off);
		if (got < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (got == 0)
			return -EIO;
		off += (uint64_t)got;
		while (first < n && (size_t)got >= iov[first].iov_len)
			got -= (ssize_t)iov[first++].iov_len;
		if (first < n) {
			iov[first].iov_base = (uint8_t *)iov[first].iov_base + got;
			iov[first].iov_len -= (size_t)got;
		}
	}
	return 0;
}

int disk_pread_full(int fd, void *buf, size_t len, uint64_t off)
{
	struct iovec v = { buf, len };

	return len ? disk_rw_full(fd, &v, 1, off, false) : 0;
}

int disk_pwrite_full(int fd, const void *buf, size_t len, uint64_t off)
{
	struct iovec v = { (void *)buf, len };

	return len ? disk_rw_full(fd, &v, 1, off, true) : 0;
}

uint64_t disk_iov_total(const struct iovec *iov, int n)
{
	uint64_t t = 0;

	for (int i = 0; i < n; i++)
		t += iov[i].iov_len;
	return t;
}

int disk_iov_slice(const struct iovec *iov, int n, uint64_t skip, uint64_t len,
		   struct iovec *out, int max)
{
	int k = 0;

	for (int i = 0; i < n && len; i++) {
		uint64_t l = iov[i].iov_len;

		if (skip >= l) {
			skip -= l;
			continue;
		}
		if (k == max)
			return -EINVAL;
		l -= skip;
		if (l > len)
			l = len;
		out[k++] = (struct iovec){ (uint8_t *)iov[i].iov_base + skip, (size_t)l };
		len -= l;
		skip = 0;
	}
	return len ? -EINVAL : k;
}

/* Walks [skip, skip + len) of iov, calling fn on each piece with its place
 * in the flat buffer. */
static void iov_walk(const struct iovec *iov, int n, uint64_t skip, uint8_t *buf, size_t len,
		     int how)
{
	size_t done = 0;

	for (int i = 0; i < n && done < len; i++) {
		size_t l = iov[i].iov_len;
		uint8_t *p = iov[i].iov_base;

		if (skip >= l) {
			skip -= l;
			continue;
		}
		p += skip;
		l -= (size_t)skip;
		skip = 0;
		if (l > len - done)
			l = len - done;
		if (how == 0)
			memcpy(buf + done, p, l);
		else if (how == 1)
			memcpy(p, buf + done, l);
		else
			memset(p, 0, l);
		done += l;
	}
}

void disk_iov_to_buf(const struct iovec *iov, int n, uint64_t skip, void *buf, size_t len)
{
	iov_walk(iov, n, skip, buf, len, 0);
}

void disk_iov_from_buf(const struct iovec *iov, int n, uint64_t skip, const void *buf,
		       size_t len)
{
	iov_walk(iov, n, skip, (uint8_t *)buf, len, 1);
}

void disk_iov_zero(const struct iovec *iov, int n, uint64_t skip, uint64_t len)
{
	iov_walk(iov, n, skip, NULL, (size_t)len, 2);
}

int disk_open_beside(const char *image_path, const char *name, int flags, const char *what,
		     int *fd)
{
	struct open_how how = { .flags = (uint64_t)(flags | O_CLOEXEC),
				.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS };
	const char *slash = strrchr(image_path, '/');
	char *dir;
	int dfd, r;
	long got;

	if (!*name || name[0] == '/') {
		log_error("disk %s: %s \"%s\" is not a path relative to the image's directory; "
			  "refused", image_path, what, name);
		return -EXDEV;
	}
	dir = slash ? strndup(image_path, (size_t)(slash - image_path) + 1) : strdup(".");
	if (!dir)
		return -ENOMEM;
	dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		r = -errno;
		log_error("disk %s: cannot open the image's directory %s: %s", image_path, dir,
			  strerror(-r));
		free(dir);
		return r;
	}
	free(dir);
	do
		got = syscall(SYS_openat2, dfd, name, &how, sizeof(how));
	while (got < 0 && errno == EINTR);
	r = got < 0 ? -errno : 0;
	close(dfd);
	if (r == -EXDEV || r == -ELOOP)
		log_error("disk %s: %s \"%s\" leads outside the image's directory; refused",
			  image_path, what, name);
	else if (r < 0)
		log_error("disk %s: cannot open %s \"%s\": %s", image_path, what, name,
			  strerror(-r));
	else
		*fd = (int)got;
	return r;
}
