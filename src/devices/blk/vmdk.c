/* SPDX-License-Identifier: Apache-2.0 */
/*
 * VMDK with a text descriptor (VMware's "Virtual Disk Format 1.1", section
 * "The Descriptor File"): the file the caller names lists extents, each a
 * range of the disk in 512-byte sectors, in order:
 *
 *   RW 2048 FLAT "disk-flat.vmdk" 0     (access, sectors, type, file, offset)
 *   RW 1024 ZERO
 *
 * Supported: FLAT extents (bytes of another file from a sector offset on,
 * read and written) and ZERO extents (read as zeroes; a write there is
 * -EIO), i.e. the monolithicFlat, twoGbMaxExtentFlat and vmfs create types.
 * Refused: sparse and stream-optimized extents (a binary "KDMV" file or a
 * SPARSE/VMFSSPARSE/SESPARSE extent) and delta links (parentCID), by name.
 *
 * The descriptor is hostile: at most VMDK_MAX_DESC bytes and VMDK_MAX_EXTENTS
 * extents, numbers checked for overflow, and every extent file resolved
 * relative to the descriptor's directory, never outside it (disk_io.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "devices/blk/disk.h"
#include "devices/blk/disk_io.h"
#include "util/log.h"

#define VMDK_MAX_DESC (64u << 10)
#define VMDK_MAX_EXTENTS 256u
#define VMDK_MAX_SECTORS (1ULL << 52) /* 2^61 bytes, as qcow2.c allows */
#define ZERO_CHUNK (64u << 10)

enum vmdk_access { VMDK_RW, VMDK_RDONLY, VMDK_NOACCESS };

struct vmdk_extent {
	uint64_t start, len; /* bytes of the disk */
	uint64_t file_off;   /* FLAT: where start lies in the file */
	int fd;              /* FLAT; -1 for ZERO */
	enum vmdk_access access;
};

struct vmdk {
	struct disk disk;
	char *path;
	unsigned int n;
	struct vmdk_extent ext[VMDK_MAX_EXTENTS];
};

static void vmdk_free(struct vmdk *v)
{
	for (unsigned int i = 0; i < v->n; i++)
		if (v->ext[i].fd >= 0)
			close(v->ext[i].fd);
	free(v->path);
	free(v);
}

static void vmdk_close(struct disk *dk)
{
	vmdk_free((struct vmdk *)dk);
}

/* how: 0 read, 1 write, 2 write zeroes; each extent's piece of [off, off + len). */
static int vmdk_rw(struct disk *dk, const struct iovec *iov, int n, uint64_t off, uint64_t len,
		   int how)
{
	struct vmdk *v = (struct vmdk *)dk;
	struct iovec sub[DISK_IOV_MAX];
	uint64_t done = 0;
	int r = 0;

	if (off > dk->size || len > dk->size - off)
		return -EINVAL;
	if (how != 0 && dk->read_only)
		return -EROFS;
	for (unsigned int i = 0; i < v->n && done < len && r == 0; i++) {
		const struct vmdk_extent *e = &v->ext[i];
		uint64_t pos = off + done, in, piece;
		int k;

		if (pos >= e->start + e->len)
			continue;
		in = pos - e->start;
		piece = e->len - in < len - done ? e->len - in : len - done;
		if (e->access == VMDK_NOACCESS || (how != 0 && e->access == VMDK_RDONLY))
			r = -EIO;
		else if (e->fd < 0 && how == 0)
			disk_iov_zero(iov, n, done, piece);
		else if (e->fd < 0)
			/* A ZERO extent has nowhere to keep data; zeroes it has. */
			r = how == 1 ? -EIO : 0;
		else if (how == 2) {
			uint8_t *z = calloc(1, ZERO_CHUNK);
			for (uint64_t z_done = 0; z && r == 0 && z_done < piece;) {
				size_t c = piece - z_done < ZERO_CHUNK ? piece - z_done : ZERO_CHUNK;
				r = disk_pwrite_full(e->fd, z, c, e->file_off + in + z_done);
				z_done += c;
			}
			r = z ? r : -ENOMEM;
			free(z);
		} else if ((k = disk_iov_slice(iov, n, done, piece, sub, DISK_IOV_MAX)) < 0)
			r = k;
		else
			r = disk_rw_full(e->fd, sub, k, e->file_off + in, how == 1);
		done += piece;
	}
	return r;
}

static int vmdk_readv(struct disk *dk, const struct iovec *iov, int n, uint64_t off)
{
	return vmdk_rw(dk, iov, n, off, disk_iov_total(iov, n), 0);
}

static int vmdk_writev(struct disk *dk, const struct iovec *iov, int n, uint64_t off)
{
	return vmdk_rw(dk, iov, n, off, disk_iov_total(iov, n), 1);
}

static int vmdk_write_zeroes(struct disk *dk, uint64_t off, uint64_t len, bool may_unmap)
{
	(void)may_unmap; /* flat extents are written; nothing is unmapped */
	return vmdk_rw(dk, NULL, 0, off, len, 2);
}

static int vmdk_discard(struct disk *dk, uint64_t off, uint64_t len)
{
	/* A hint (virtio 1.2 §5.2.6.2): keeping the content is correct. */
	if (off > dk->size || len > dk->size - off)
		return -EINVAL;
	return dk->read_only ? -EROFS : 0;
}

static int vmdk_flush(struct disk *dk)
{
	struct vmdk *v = (struct vmdk *)dk;

	if (dk->read_only)
		return 0;
	for (unsigned int i = 0; i < v->n; i++)
		if (v->ext[i].fd >= 0 && v->ext[i].access == VMDK_RW && fdatasync(v->ext[i].fd) < 0)
			return -errno;
	return 0;
}

static const struct disk_ops vmdk_ops = {
	.name = "vmdk",
	.readv = vmdk_readv,
	.writev = vmdk_writev,
	.flush = vmdk_flush,
	.discard = vmdk_discard,
	.write_zeroes = vmdk_write_zeroes,
	.close = vmdk_close,
};

/* The next word or "quoted string" of *s; NULL at the end of the line. */
static char *next_token(char **s)
{
	char *p = *s + strspn(*s, " \t"), *t;

	if (!*p)
		return NULL;
	if (*p == '"') {
		t = strchr(p + 1, '"');
		if (!t)
			return NULL;
		*t = 0;
		*s = t + 1;
		return p + 1;
	}
	t = p + strcspn(p, " \t");
	if (*t)
		*t++ = 0;
	*s = t;
	return p;
}

static int parse_u64(const char *s, uint64_t max, uint64_t *v)
{
	char *end;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	*v = strtoull(s, &end, 10);
	return errno || *end || *v > max ? -EINVAL : 0;
}

/* One extent line: ACCESS SECTORS TYPE ["FILE" [OFFSET]]. */
static int parse_extent(struct vmdk *v, char *line, const char *path, bool read_only)
{
	char *acc = next_token(&line), *sec = next_token(&line), *type = next_token(&line);
	char *file = next_token(&line), *offs = next_token(&line);
	struct vmdk_extent *e = &v->ext[v->n];
	uint64_t sectors, offset = 0;
	struct stat st;
	int r;

	if (v->n == VMDK_MAX_EXTENTS) {
		log_error("vmdk %s: more than %u extents", path, VMDK_MAX_EXTENTS);
		return -EINVAL;
	}
	*e = (struct vmdk_extent){ .fd = -1, .start = v->disk.size };
	e->access = !strcmp(acc, "RW") ? VMDK_RW : !strcmp(acc, "RDONLY") ? VMDK_RDONLY
									  : VMDK_NOACCESS;
	if (parse_u64(sec, VMDK_MAX_SECTORS, &sectors) < 0 || sectors == 0 || !type ||
	    (offs && parse_u64(offs, VMDK_MAX_SECTORS, &offset) < 0) || next_token(&line)) {
		log_error("vmdk %s: bad extent line (ACCESS SECTORS TYPE [\"FILE\" [OFFSET]])",
			  path);
		return -EINVAL;
	}
	if (sectors * 512 > VMDK_MAX_SECTORS * 512 - v->disk.size) {
		log_error("vmdk %s: the extents add up to more than 2^61 bytes", path);
		return -EINVAL;
	}
	e->len = sectors * 512;
	e->file_off = offset * 512;
	if (!strcmp(type, "ZERO")) {
		if (file) {
			log_error("vmdk %s: a ZERO extent names no file", path);
			return -EINVAL;
		}
	} else if (!strcmp(type, "FLAT") || !strcmp(type, "VMFS")) {
		bool ro = read_only || e->access != VMDK_RW;

		if (!file) {
			log_error("vmdk %s: a %s extent without a file name", path, type);
			return -EINVAL;
		}
		if (e->access != VMDK_NOACCESS) {
			r = disk_open_beside(path, file, ro ? O_RDONLY : O_RDWR, "extent", &e->fd);
			if (r < 0)
				return r;
			if (fstat(e->fd, &st) < 0 || !S_ISREG(st.st_mode) ||
			    (uint64_t)st.st_size < e->file_off + e->len) {
				log_error("vmdk %s: extent \"%s\" is not a regular file of at least "
					  "%" PRIu64 " bytes", path, file, e->file_off + e->len);
				close(e->fd);
				return -EINVAL;
			}
		}
	} else {
		log_error("vmdk %s: %s extents are not supported (FLAT and ZERO only)", path, type);
		return -ENOTSUP;
	}
	v->disk.size += e->len;
	v->n++;
	return 0;
}

/* A descriptor line that is not an extent: only what changes the meaning
 * of the disk is looked at. */
static int parse_setting(char *line, const char *path)
{
	char *eq = strchr(line, '='), *val;

	if (!eq)
		return 0;
	/* The value, quoted or not. */
	val = eq + 1 + strspn(eq + 1, " \t\"");
	val[strcspn(val, "\" \t")] = 0;
	if (!strncmp(line, "parentCID", 9) && strcmp(val, "ffffffff")) {
		log_error("vmdk %s: delta links (a parent disk) are not supported", path);
		return -ENOTSUP;
	}
	if (!strncmp(line, "createType", 10) && strcmp(val, "monolithicFlat") &&
	    strcmp(val, "twoGbMaxExtentFlat") && strcmp(val, "vmfs")) {
		log_error("vmdk %s: create type %.40s is not supported (monolithicFlat, "
			  "twoGbMaxExtentFlat, vmfs)", path, val);
		return -ENOTSUP;
	}
	return 0;
}

static int parse_descriptor(struct vmdk *v, char *text, size_t len, bool read_only)
{
	char *line = text, *nl;
	int r = 0;

	if (len >= 4 && !memcmp(text, "KDMV", 4)) {
		log_error("vmdk %s: a sparse (binary) VMDK; only text descriptors with FLAT and "
			  "ZERO extents are supported", v->path);
		return -ENOTSUP;
	}
	/* qemu-img pads a descriptor with NULs to a sector: the text ends at
	 * the first one, as a C string (QEMU reads it so too). */
	if (!strstr(text, "# Disk DescriptorFile")) {
		log_error("vmdk %s: not a VMDK text descriptor", v->path);
		return -EINVAL;
	}
	for (; line && r == 0; line = nl) {
		nl = strchr(line, '\n');
		if (nl)
			*nl++ = 0;
		line[strcspn(line, "\r")] = 0;
		line += strspn(line, " \t");
		if (!*line || *line == '#')
			continue;
		if (!strncmp(line, "RW ", 3) || !strncmp(line, "RDONLY ", 7) ||
		    !strncmp(line, "NOACCESS ", 9))
			r = parse_extent(v, line, v->path, read_only);
		else
			r = parse_setting(line, v->path);
	}
	if (r == 0 && v->n == 0) {
		log_error("vmdk %s: the descriptor lists no extent", v->path);
		r = -EINVAL;
	}
	return r;
}

/* The descriptor: at most VMDK_MAX_DESC bytes, NUL-terminated. */
static int read_descriptor(const char *path, char **text, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), r = 0;
	size_t got = 0;
	char *t;

	if (fd < 0) {
		r = -errno;
		log_error("vmdk %s: cannot open: %s", path, strerror(-r));
		return r;
	}
	t = malloc(VMDK_MAX_DESC + 2);
	while (t && got <= VMDK_MAX_DESC) {
		ssize_t n = read(fd, t + got, VMDK_MAX_DESC + 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = n < 0 ? -errno : 0;
			break;
		}
		got += (size_t)n;
	}
	close(fd);
	if (!t)
		return -ENOMEM;
	if (r == 0 && got > VMDK_MAX_DESC && memcmp(t, "KDMV", 4)) {
		log_error("vmdk %s: not a VMDK text descriptor (over %u bytes)", path,
			  VMDK_MAX_DESC);
		r = -EINVAL;
	}
	if (r < 0) {
		if (r != -EINVAL)
			log_error("vmdk %s: cannot read: %s", path, strerror(-r));
		free(t);
		return r;
	}
	t[got] = 0;
	*text = t;
	*len = got;
	return 0;
}

int disk_vmdk_open(const struct disk_open_params *p, struct disk **out)
{
	struct vmdk *v = calloc(1, sizeof(*v));
	size_t len = 0;
	char *text = NULL;
	int r;

	if (!v || !(v->path = strdup(p->path))) {
		free(v);
		return -ENOMEM;
	}
	r = read_descriptor(p->path, &text, &len);
	if (r < 0)
		goto out_free;
	r = parse_descriptor(v, text, len, p->read_only);
	free(text);
	if (r < 0)
		goto out_free;
	v->disk.ops = &vmdk_ops;
	v->disk.read_only = p->read_only;
	*out = &v->disk;
	return 0;
out_free:
	vmdk_free(v);
	return r;
}
