/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A bounded mutation fuzzer for the FUSE server: well-formed seeds for every op,
 * then random field values, byte flips, lying lengths, truncation, random
 * segmentation and reply room. The server must never crash (ASan/UBSan watch),
 * reply beyond the room, or answer an error with a payload. FALLOCATE and
 * COPY_FILE_RANGE are left out only because random sizes would fill the disk.
 */
#include "fuse_req.h"

#include <sys/mman.h>

#define FZ_ITERS 100000

static uint64_t fz_next(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static const uint32_t fz_ops[] = {
	FUSE_LOOKUP, FUSE_FORGET, FUSE_GETATTR, FUSE_SETATTR, FUSE_READLINK, FUSE_SYMLINK,
	FUSE_MKNOD, FUSE_MKDIR, FUSE_UNLINK, FUSE_RMDIR, FUSE_RENAME, FUSE_LINK, FUSE_OPEN,
	FUSE_READ, FUSE_WRITE, FUSE_STATFS, FUSE_RELEASE, FUSE_FSYNC, FUSE_SETXATTR,
	FUSE_GETXATTR, FUSE_LISTXATTR, FUSE_REMOVEXATTR, FUSE_FLUSH, FUSE_INIT, FUSE_OPENDIR,
	FUSE_READDIR, FUSE_RELEASEDIR, FUSE_FSYNCDIR, FUSE_ACCESS, FUSE_CREATE, FUSE_INTERRUPT,
	FUSE_DESTROY, FUSE_BATCH_FORGET, FUSE_READDIRPLUS, FUSE_RENAME2, FUSE_LSEEK, FUSE_IOCTL,
	FUSE_GETLK, FUSE_SETUPMAPPING, FUSE_REMOVEMAPPING, 0, 99,
};

#define FZ_WINDOW (8u << 20) /* the DAX window the server maps into */
#define FZ_RANGE (2u << 20)  /* its mapping unit (ops_dax.c) */

static const char *const fz_names[] = {
	"a", "b", "dir", "f", "..", ".", "", "x/y", "/", "link", "long-name-for-fun", "\xff\xfe",
};

struct fz {
	uint64_t rng;
	uint64_t ids[16]; /* node ids and handles seen in replies */
};

static uint64_t fz_id(struct fz *z)
{
	uint64_t r = fz_next(&z->rng);

	switch (r % 8) {
	case 0:
		return FUSE_ROOT_ID;
	case 1:
		return r >> 8;
	case 2:
		return (r >> 8) % 64;
	default:
		return z->ids[(r >> 8) % 16];
	}
}

/* The op's fixed argument size (linux/fuse.h), so that most seeds are well formed. */
static size_t fz_fixed(uint32_t op)
{
	switch (op) {
	case FUSE_FORGET: case FUSE_MKDIR: case FUSE_RENAME: case FUSE_LINK: case FUSE_OPEN:
	case FUSE_SETXATTR: case FUSE_GETXATTR: case FUSE_LISTXATTR: case FUSE_OPENDIR:
	case FUSE_ACCESS: case FUSE_INTERRUPT: case FUSE_BATCH_FORGET:
		return 8;
	case FUSE_GETATTR: case FUSE_MKNOD: case FUSE_FSYNC: case FUSE_FSYNCDIR:
	case FUSE_CREATE: case FUSE_RENAME2:
		return 16;
	case FUSE_RELEASE: case FUSE_RELEASEDIR: case FUSE_FLUSH: case FUSE_LSEEK:
		return 24;
	case FUSE_READ: case FUSE_WRITE: case FUSE_READDIR: case FUSE_READDIRPLUS:
		return 40;
	case FUSE_INIT:
		return sizeof(struct fuse_init_in);
	case FUSE_SETATTR:
		return sizeof(struct fuse_setattr_in);
	case FUSE_SETUPMAPPING:
		return sizeof(struct fuse_setupmapping_in);
	case FUSE_REMOVEMAPPING:
		return sizeof(struct fuse_removemapping_in);
	default:
		return 0;
	}
}

/* Random bytes for the op's fixed struct, with ids planted where they live. */
static void fz_args(struct fz *z, struct fr *r, uint32_t op)
{
	uint8_t fixed[128];
	size_t n = fz_next(&z->rng) % 4 ? fz_fixed(op) : fz_next(&z->rng) % 96;
	uint64_t id = fz_id(z);
	uint32_t dlen = 0;

	for (size_t k = 0; k < sizeof(fixed); k++)
		fixed[k] = (uint8_t)fz_next(&z->rng);
	/* Small sizes and offsets most of the time, so that I/O does real work. */
	if (fz_next(&z->rng) % 4) {
		uint32_t small = (uint32_t)(fz_next(&z->rng) % 8192);

		memset(fixed + 8, 0, 16);
		memcpy(fixed + 16, &small, 4); /* read_in/write_in.size */
		fixed[8] = (uint8_t)fz_next(&z->rng);
	}
	memcpy(fixed, &id, sizeof(id)); /* fh, newdir, oldnodeid, nlookup... */
	if (op == FUSE_WRITE) {
		dlen = (uint32_t)(fz_next(&z->rng) % 300);
		memcpy(fixed + 16, &dlen, 4);
	} else if (op == FUSE_SETXATTR) {
		dlen = (uint32_t)(fz_next(&z->rng) % 300);
		memcpy(fixed, &dlen, 4);
	}
	if (op == FUSE_INIT) {
		struct fuse_init_in in = { .major = 7, .minor = 38, .flags = (uint32_t)z->rng };

		memcpy(fixed, &in, sizeof(in));
	} else if (op == FUSE_SETUPMAPPING && fz_next(&z->rng) % 2) {
		/* Often inside the window and aligned, so that files get mapped. */
		uint64_t unit = fz_next(&z->rng) % 8 ? FZ_RANGE : 4096;
		struct fuse_setupmapping_in in = {
			.fh = id, .foffset = (fz_next(&z->rng) % 4) * unit,
			.len = (1 + fz_next(&z->rng) % 3) * unit, .flags = fz_next(&z->rng) % 5,
			.moffset = (fz_next(&z->rng) % (FZ_WINDOW / unit)) * unit,
		};

		memcpy(fixed, &in, sizeof(in));
	} else if (op == FUSE_REMOVEMAPPING) {
		uint32_t count = (uint32_t)(fz_next(&z->rng) % 4);

		memcpy(fixed, &count, 4);
		for (uint32_t k = 0; k < 3; k++) {
			uint64_t one[2] = { (fz_next(&z->rng) % (FZ_WINDOW / FZ_RANGE)) * FZ_RANGE,
					    (1 + fz_next(&z->rng) % 3) * FZ_RANGE };

			memcpy(fixed + 4 + 16 * k, one, sizeof(one));
		}
		n = 4 + 16 * (fz_next(&z->rng) % 4);
	} else if (op == FUSE_BATCH_FORGET) {
		uint32_t count = (uint32_t)(fz_next(&z->rng) % 6);

		memcpy(fixed, &count, 4);
		n = 8 + 16 * (fz_next(&z->rng) % 6);
	} else if (op == FUSE_MKDIR || op == FUSE_CREATE || op == FUSE_MKNOD) {
		uint32_t mode = (op == FUSE_MKNOD ? S_IFIFO : S_IFREG) | 0755;

		if (fz_next(&z->rng) % 2)
			memcpy(fixed + (op == FUSE_CREATE ? 4 : 0), &mode, 4);
	}
	fr_put(r, fixed, n);
	/* Names, a second name, data. */
	for (int k = op == FUSE_WRITE ? 0 : 1 + (int)(fz_next(&z->rng) % 2); k > 0; k--) {
		const char *nm = fz_names[fz_next(&z->rng) % (sizeof(fz_names) / sizeof(fz_names[0]))];

		if (op == FUSE_SETXATTR || op == FUSE_GETXATTR || op == FUSE_REMOVEXATTR)
			fr_put(r, "user.", 5);
		fr_str(r, nm);
	}
	for (; dlen > 0; dlen--)
		fr_put(r, "d", 1);
}

static void fz_mutate(struct fz *z, struct fr *r)
{
	uint64_t m = fz_next(&z->rng);

	switch (m % 6) {
	case 0: /* flip a few bytes anywhere, header included */
		for (int k = 0; k < 3; k++)
			r->buf[fz_next(&z->rng) % r->len] ^= (uint8_t)(1u << (fz_next(&z->rng) % 8));
		break;
	case 1: /* truncate */
		r->len = fz_next(&z->rng) % r->len;
		break;
	case 2: /* trailing garbage */
		for (int k = (int)(fz_next(&z->rng) % 20); k > 0; k--)
			fr_put(r, "\0", 1);
		break;
	default:
		break;
	}
}

TEST(fs_fuzz_random_requests_never_crash_or_overrun)
{
	struct fz z = { .rng = 0x9e3779b97f4a7c15ull };
	struct fx x;
	int replies = 0, errors = 0, mapped = 0;

	uint8_t *win = mmap(NULL, FZ_WINDOW, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	CHECK(win != MAP_FAILED);
	fx_setup_cfg(&x, (struct fuse_server_config){ .nthreads_hint = 1, .dax_window = win,
						      .dax_window_len = FZ_WINDOW });
	fx_host_file(&x, "f", "seed content");
	CHECK_EQ(fx_mkdir(&x, FUSE_ROOT_ID, "dir", 0755, &(struct fuse_entry_out){ 0 }), 0);
	for (int it = 0; it < FZ_ITERS; it++) {
		uint32_t op = fz_ops[fz_next(&z.rng) % (sizeof(fz_ops) / sizeof(fz_ops[0]))];
		bool keep_len = false;
		struct fr *r;

		/* Rare DESTROYs, or most requests would meet an uninitialised server. */
		if (op == FUSE_DESTROY && fz_next(&z.rng) % 50)
			op = FUSE_GETATTR;
		r = fr_begin(&x, op, fz_id(&z));
		fz_args(&z, r, op);
		fr_hdr(r)->len = (uint32_t)r->len;
		fr_hdr(r)->uid = fz_next(&z.rng) % 4 ? 0 : (uint32_t)(fz_next(&z.rng) % 2000);
		if (fz_next(&z.rng) % 3 == 0) {
			fz_mutate(&z, r);
			keep_len = true;
		}
		x.split = fz_next(&z.rng) % 4 ? 0 : 1 + fz_next(&z.rng) % 64;
		x.out_room = fz_next(&z.rng) % 4 ? 65536 : fz_next(&z.rng) % 300;
		if (r->len == 0)
			r->len = 1;
		fx_send_raw(&x, r, keep_len);
		if (x.rlen) {
			CHECK(x.rlen <= x.out_room);
			CHECK(x.err <= 0 && x.err > -4096);
			replies++;
			errors += x.err != 0;
			mapped += op == FUSE_SETUPMAPPING && !x.err;
			/* Harvest ids: entry replies start with the node id, open
			 * replies with the fh. */
			if (!x.err && x.plen >= 8)
				memcpy(&z.ids[fz_next(&z.rng) % 16], x.payload, 8);
		}
	}
	CHECK(replies > FZ_ITERS / 2);
	CHECK(errors < replies);
	CHECK(mapped > 0); /* the window's path was reached, not only refused */
	fx_teardown(&x);
	munmap(win, FZ_WINDOW);
}
