/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Builds FUSE requests as the guest's virtio-fs driver lays them out and feeds
 * them to a fuse_server, for the tests/unit/test_fs_*.c programs.
 *
 *   struct fx x; fx_setup(&x);            temp tree: x.base/root shared, x.base/secret outside
 *   struct fr *r = fr_begin(&x, FUSE_LOOKUP, FUSE_ROOT_ID);
 *   fr_str(r, "name");
 *   fx_send(&x, r);                       x.err, x.payload, x.plen hold the reply
 *   fx_teardown(&x);
 *
 * x.split > 0 cuts the request into segments of that many bytes (and the reply
 * room too), to exercise the scatter/gather code. Helpers fx_* wrap common ops;
 * each returns the reply's error (0 or -errno).
 */
#ifndef LIBKRUN_TEST_FUSE_REQ_H
#define LIBKRUN_TEST_FUSE_REQ_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <linux/fuse.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "fs/fuse_server.h"
#include "harness.h"

#define FR_MAX (2u << 20)  /* request bytes */
#define FX_OUT (2u << 20)  /* reply room */
#define FX_SEGS 1024

struct fr {
	uint8_t *buf;
	size_t len;
};

struct fx {
	char base[64], root[80];
	struct fuse_server *s;
	struct fr req;
	uint8_t *out;
	size_t out_room;   /* reply room offered (default FX_OUT) */
	size_t split;      /* 0: one segment each way */
	uint64_t unique;
	/* last reply */
	size_t rlen;
	int err;
	const uint8_t *payload;
	size_t plen;
};

static inline struct fr *fr_begin(struct fx *x, uint32_t opcode, uint64_t nodeid)
{
	struct fuse_in_header h = { .opcode = opcode, .unique = ++x->unique, .nodeid = nodeid,
				    .uid = 0, .gid = 0, .pid = 1 };

	memcpy(x->req.buf, &h, sizeof(h));
	x->req.len = sizeof(h);
	return &x->req;
}

static inline void fr_put(struct fr *r, const void *p, size_t n)
{
	CHECK(r->len + n <= FR_MAX);
	memcpy(r->buf + r->len, p, n);
	r->len += n;
}

static inline void fr_str(struct fr *r, const char *s)
{
	fr_put(r, s, strlen(s) + 1);
}

static inline struct fuse_in_header *fr_hdr(struct fr *r)
{
	return (struct fuse_in_header *)(void *)r->buf;
}

/* Cuts [p, p+n) into segments of at most split bytes. */
static inline int fx_cut(uint8_t *p, size_t n, size_t split, struct iovec *v)
{
	int k = 0;

	if (!split)
		split = n ? n : 1;
	for (size_t off = 0; off < n; off += split) {
		CHECK(k < FX_SEGS);
		v[k++] = (struct iovec){ p + off, n - off < split ? n - off : split };
	}
	return k;
}

/* Sends the request as built (fixing its len unless keep_len); parses the reply. */
static inline size_t fx_send_raw(struct fx *x, struct fr *r, bool keep_len)
{
	struct iovec in[FX_SEGS], out[FX_SEGS];
	struct fuse_out_header oh;
	size_t osplit;
	int nin, nout;

	if (!keep_len)
		fr_hdr(r)->len = (uint32_t)r->len;
	nin = fx_cut(r->buf, r->len, x->split, in);
	osplit = x->split;
	if (osplit && x->out_room / osplit >= FX_SEGS)
		osplit = x->out_room / (FX_SEGS - 1) + 1;
	nout = fx_cut(x->out, x->out_room, osplit, out);
	memset(x->out, 0xa5, x->out_room);
	x->rlen = fuse_server_handle(x->s, in, nin, out, nout);
	x->err = 0;
	x->payload = x->out + sizeof(oh);
	x->plen = 0;
	if (x->rlen) {
		CHECK(x->rlen >= sizeof(oh) && x->rlen <= x->out_room);
		memcpy(&oh, x->out, sizeof(oh));
		CHECK_EQ(oh.len, x->rlen);
		CHECK_EQ(oh.unique, fr_hdr(r)->unique);
		x->err = oh.error;
		x->plen = x->rlen - sizeof(oh);
		if (oh.error)
			CHECK_EQ(x->plen, 0);
	}
	return x->rlen;
}

static inline int fx_send(struct fx *x, struct fr *r)
{
	fx_send_raw(x, r, false);
	return x->err;
}

static inline void fx_path(const struct fx *x, const char *rel, char *buf, size_t n)
{
	snprintf(buf, n, "%s/%s", x->root, rel);
}

static inline int fx_rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st; (void)flag; (void)f;
	remove(p);
	return 0;
}

static inline int fx_init(struct fx *x)
{
	struct fuse_init_in in = { .major = 7, .minor = 38, .max_readahead = 65536,
				   .flags = 0xffffffffu & ~FUSE_INIT_EXT };
	struct fr *r = fr_begin(x, FUSE_INIT, 0);

	fr_put(r, &in, sizeof(in));
	return fx_send(x, r);
}

/* A fresh temp tree under dir and an initialised server on base/root,
 * configured as cfg (its root aside). */
static inline void fx_setup_in(struct fx *x, const char *dir, struct fuse_server_config cfg)
{

	memset(x, 0, sizeof(*x));
	snprintf(x->base, sizeof(x->base), "%s/fs-test-XXXXXX", dir);
	CHECK(mkdtemp(x->base));
	snprintf(x->root, sizeof(x->root), "%s/root", x->base);
	CHECK_EQ(mkdir(x->root, 0755), 0);
	char secret[96];
	snprintf(secret, sizeof(secret), "%s/secret", x->base);
	int fd = open(secret, O_CREAT | O_WRONLY, 0600);
	CHECK(fd >= 0);
	CHECK_EQ(write(fd, "SECRET", 6), 6);
	close(fd);
	x->req.buf = calloc(1, FR_MAX);
	x->out = calloc(1, FX_OUT);
	CHECK(x->req.buf && x->out);
	x->out_room = FX_OUT;
	cfg.root = x->root;
	CHECK_EQ(fuse_server_create(&cfg, &x->s), 0);
	CHECK_EQ(fuse_server_thread_init(x->s), 0);
	CHECK_EQ(fx_init(x), 0);
}

static inline void fx_setup_cfg(struct fx *x, struct fuse_server_config cfg)
{
	fx_setup_in(x, "/tmp", cfg);
}

static inline void fx_setup_opts(struct fx *x, bool read_only)
{
	fx_setup_cfg(x, (struct fuse_server_config){ .read_only = read_only, .nthreads_hint = 1 });
}

static inline void fx_setup(struct fx *x)
{
	fx_setup_opts(x, false);
}

static inline void fx_teardown(struct fx *x)
{
	fuse_server_destroy(x->s);
	nftw(x->base, fx_rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(x->req.buf);
	free(x->out);
}

/* Writes a host file under root (content may be NULL: empty). */
static inline void fx_host_file(const struct fx *x, const char *rel, const char *content)
{
	char p[256];
	int fd;

	fx_path(x, rel, p, sizeof(p));
	fd = open(p, O_CREAT | O_WRONLY | O_TRUNC, 0644);
	CHECK(fd >= 0);
	if (content)
		CHECK_EQ(write(fd, content, strlen(content)), (ssize_t)strlen(content));
	close(fd);
}

static inline int fx_lookup(struct fx *x, uint64_t parent, const char *name,
			    struct fuse_entry_out *e)
{
	struct fr *r = fr_begin(x, FUSE_LOOKUP, parent);

	fr_str(r, name);
	if (fx_send(x, r) == 0) {
		CHECK_EQ(x->plen, sizeof(*e));
		memcpy(e, x->payload, sizeof(*e));
		/* A negative entry: the guest kernel reads node id 0 as -ENOENT
		 * that it may remember for entry_valid (fuse_lookup_name). */
		if (e->nodeid == 0) {
			CHECK(e->entry_valid > 0);
			return -ENOENT;
		}
	}
	return x->err;
}

static inline uint64_t fx_node(struct fx *x, uint64_t parent, const char *name)
{
	struct fuse_entry_out e;

	CHECK_EQ(fx_lookup(x, parent, name, &e), 0);
	return e.nodeid;
}

static inline void fx_forget(struct fx *x, uint64_t nodeid, uint64_t n)
{
	struct fuse_forget_in in = { .nlookup = n };
	struct fr *r = fr_begin(x, FUSE_FORGET, nodeid);

	fr_put(r, &in, sizeof(in));
	CHECK_EQ(fx_send_raw(x, r, false), 0);
}

static inline int fx_getattr(struct fx *x, uint64_t nodeid, struct fuse_attr *a)
{
	struct fuse_getattr_in in = { 0 };
	struct fr *r = fr_begin(x, FUSE_GETATTR, nodeid);

	fr_put(r, &in, sizeof(in));
	if (fx_send(x, r) == 0) {
		struct fuse_attr_out o;

		CHECK_EQ(x->plen, sizeof(o));
		memcpy(&o, x->payload, sizeof(o));
		*a = o.attr;
	}
	return x->err;
}

static inline int fx_open(struct fx *x, uint32_t opcode, uint64_t nodeid, uint32_t flags,
			  uint64_t *fh)
{
	struct fuse_open_in in = { .flags = flags };
	struct fr *r = fr_begin(x, opcode, nodeid);

	fr_put(r, &in, sizeof(in));
	if (fx_send(x, r) == 0) {
		struct fuse_open_out o;

		CHECK_EQ(x->plen, sizeof(o));
		memcpy(&o, x->payload, sizeof(o));
		*fh = o.fh;
	}
	return x->err;
}

static inline int fx_release(struct fx *x, uint32_t opcode, uint64_t nodeid, uint64_t fh)
{
	struct fuse_release_in in = { .fh = fh };
	struct fr *r = fr_begin(x, opcode, nodeid);

	fr_put(r, &in, sizeof(in));
	return fx_send(x, r);
}

static inline int fx_create(struct fx *x, uint64_t parent, const char *name, uint32_t flags,
			    uint32_t mode, struct fuse_entry_out *e, uint64_t *fh)
{
	struct fuse_create_in in = { .flags = flags, .mode = S_IFREG | mode };
	struct fr *r = fr_begin(x, FUSE_CREATE, parent);

	fr_put(r, &in, sizeof(in));
	fr_str(r, name);
	if (fx_send(x, r) == 0) {
		struct fuse_open_out o;

		CHECK_EQ(x->plen, sizeof(*e) + sizeof(o));
		memcpy(e, x->payload, sizeof(*e));
		memcpy(&o, x->payload + sizeof(*e), sizeof(o));
		*fh = o.fh;
	}
	return x->err;
}

/* READ: returns the byte count or the error; data lands in x->payload. */
static inline long fx_read(struct fx *x, uint64_t nodeid, uint64_t fh, uint64_t off,
			   uint32_t size)
{
	struct fuse_read_in in = { .fh = fh, .offset = off, .size = size };
	struct fr *r = fr_begin(x, FUSE_READ, nodeid);

	fr_put(r, &in, sizeof(in));
	return fx_send(x, r) ? x->err : (long)x->plen;
}

/* WRITE: returns the bytes written or the error. */
static inline long fx_write(struct fx *x, uint64_t nodeid, uint64_t fh, uint64_t off,
			    const void *data, uint32_t size)
{
	struct fuse_write_in in = { .fh = fh, .offset = off, .size = size };
	struct fr *r = fr_begin(x, FUSE_WRITE, nodeid);
	struct fuse_write_out o;

	fr_put(r, &in, sizeof(in));
	fr_put(r, data, size);
	if (fx_send(x, r))
		return x->err;
	CHECK_EQ(x->plen, sizeof(o));
	memcpy(&o, x->payload, sizeof(o));
	return o.size;
}

/* An op of node whose arguments are in (n bytes) then a name, answered with
 * an entry (MKDIR, MKNOD, LINK). */
static inline int fx_entry_op(struct fx *x, uint32_t op, uint64_t node, const void *in,
			      size_t n, const char *name, struct fuse_entry_out *e)
{
	struct fr *r = fr_begin(x, op, node);

	fr_put(r, in, n);
	fr_str(r, name);
	if (fx_send(x, r) == 0)
		memcpy(e, x->payload, sizeof(*e));
	return x->err;
}

static inline int fx_mkdir(struct fx *x, uint64_t parent, const char *name, uint32_t mode,
			   struct fuse_entry_out *e)
{
	struct fuse_mkdir_in in = { .mode = mode };

	return fx_entry_op(x, FUSE_MKDIR, parent, &in, sizeof(in), name, e);
}

/* MKNOD in the root; rdev in the guest's encoding (new_encode_dev). */
static inline int fx_mknod(struct fx *x, const char *name, uint32_t mode, uint32_t rdev,
			   struct fuse_entry_out *e)
{
	struct fuse_mknod_in in = { .mode = mode, .rdev = rdev };

	return fx_entry_op(x, FUSE_MKNOD, FUSE_ROOT_ID, &in, sizeof(in), name, e);
}

static inline int fx_symlink(struct fx *x, uint64_t parent, const char *name,
			     const char *target, struct fuse_entry_out *e)
{
	struct fr *r = fr_begin(x, FUSE_SYMLINK, parent);

	fr_str(r, name);
	fr_str(r, target);
	if (fx_send(x, r) == 0)
		memcpy(e, x->payload, sizeof(*e));
	return x->err;
}

static inline int fx_readdir(struct fx *x, uint32_t opcode, uint64_t nodeid, uint64_t fh,
			     uint64_t off, uint32_t size)
{
	struct fuse_read_in in = { .fh = fh, .offset = off, .size = size };
	struct fr *r = fr_begin(x, opcode, nodeid);

	fr_put(r, &in, sizeof(in));
	return fx_send(x, r);
}

static inline int fx_setattr(struct fx *x, uint64_t nodeid, const struct fuse_setattr_in *in,
		      struct fuse_attr *a)
{
	struct fr *r = fr_begin(x, FUSE_SETATTR, nodeid);

	fr_put(r, in, sizeof(*in));
	if (fx_send(x, r) == 0) {
		struct fuse_attr_out o;

		CHECK_EQ(x->plen, sizeof(o));
		memcpy(&o, x->payload, sizeof(o));
		*a = o.attr;
	}
	return x->err;
}

static inline int fx_xattr(struct fx *x, uint32_t op, uint64_t node, const char *name,
		    const void *val, uint32_t size, uint32_t flags)
{
	struct fr *r = fr_begin(x, op, node);

	if (op == FUSE_SETXATTR) {
		fr_put(r, &(struct fuse_setxattr_in){ .size = size, .flags = flags },
		       FUSE_COMPAT_SETXATTR_IN_SIZE);
		fr_str(r, name);
		fr_put(r, val, size);
	} else if (op == FUSE_REMOVEXATTR) {
		fr_str(r, name);
	} else {
		fr_put(r, &(struct fuse_getxattr_in){ .size = size },
		       sizeof(struct fuse_getxattr_in));
		if (name)
			fr_str(r, name);
	}
	return fx_send(x, r);
}

/* LOOKUP with a raw name block (may lack a NUL, or hold several). */
static inline int fx_lookup_raw(struct fx *x, const void *name, size_t n)
{
	struct fr *r = fr_begin(x, FUSE_LOOKUP, FUSE_ROOT_ID);

	fr_put(r, name, n);
	if (fx_send(x, r) == 0 && x->plen == sizeof(struct fuse_entry_out) &&
	    ((const struct fuse_entry_out *)x->payload)->nodeid == 0)
		return -ENOENT; /* a negative entry, as fx_lookup reads it */
	return x->err;
}

/* Host-side check: the file at rel (under root) has this content. */
static inline bool fx_host_has(const struct fx *x, const char *rel, const char *content)
{
	char p[256], buf[256] = { 0 };
	int fd;
	ssize_t n;

	fx_path(x, rel, p, sizeof(p));
	fd = open(p, O_RDONLY);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	return n >= 0 && strcmp(buf, content) == 0;
}

struct fx_ent {
	char name[256];
	uint64_t ino, off, nodeid;
	uint32_t type;
	struct fuse_attr attr;
};

/* Parses a READDIR(PLUS) reply into ents; returns the count. */
static inline int fx_parse_dir(const struct fx *x, bool plus, struct fx_ent *ents, int max)
{
	size_t head = plus ? FUSE_NAME_OFFSET_DIRENTPLUS : FUSE_NAME_OFFSET;
	int n = 0;

	for (size_t off = 0; off < x->plen; n++) {
		struct fuse_direntplus dp = { 0 };
		struct fuse_dirent d;
		size_t len;

		CHECK(off + head <= x->plen);
		if (plus)
			memcpy(&dp.entry_out, x->payload + off, sizeof(dp.entry_out));
		memcpy(&d, x->payload + off + head - FUSE_NAME_OFFSET, FUSE_NAME_OFFSET);
		CHECK(d.namelen > 0 && d.namelen <= 255);
		len = FUSE_DIRENT_ALIGN(head + d.namelen);
		CHECK(off + len <= x->plen);
		CHECK(n < max);
		memcpy(ents[n].name, x->payload + off + head, d.namelen);
		ents[n].name[d.namelen] = 0;
		ents[n].ino = d.ino;
		ents[n].off = d.off;
		ents[n].type = d.type;
		ents[n].nodeid = dp.entry_out.nodeid;
		ents[n].attr = dp.entry_out.attr;
		off += len;
	}
	return n;
}

#endif
