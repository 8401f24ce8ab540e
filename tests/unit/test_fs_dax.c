/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The FUSE server's DAX window (src/fs/ops_dax.c): SETUPMAPPING puts a host
 * file's pages into the window, live (the host's later writes show, the
 * window's writes land in the file), REMOVEMAPPING and DESTROY take them out,
 * and every range, flag and node a hostile guest may send is refused before
 * anything is mapped.
 */
#include "fuse_req.h"

#include <sys/mman.h>

#define WIN (8u << 20)
#define PG 4096u
#define R (2u << 20) /* a mapping range: Linux's FUSE_DAX_SZ */

struct dax {
	struct fx x;
	uint8_t *win;
	uint64_t node; /* "f": three pages 'a', 'b', 'c' */
	char path[256];
};

static void dax_setup(struct dax *d, bool read_only, bool window)
{
	char buf[3 * PG];
	int fd;

	d->win = mmap(NULL, WIN, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	CHECK(d->win != MAP_FAILED);
	fx_setup_cfg(&d->x, (struct fuse_server_config){
				    .read_only = read_only, .nthreads_hint = 1,
				    .dax_window = window ? d->win : NULL,
				    .dax_window_len = window ? WIN : 0 });
	/* The INIT reply fx_setup_cfg got is still in the reply buffer. */
	struct fuse_init_out o;
	CHECK(d->x.plen >= sizeof(o));
	memcpy(&o, d->x.payload, sizeof(o));
	CHECK_EQ(!!(o.flags & FUSE_MAP_ALIGNMENT), window);
	if (window)
		CHECK_EQ(o.map_alignment, 21);
	memset(buf, 'a', PG);
	memset(buf + PG, 'b', PG);
	memset(buf + 2 * PG, 'c', PG);
	fx_path(&d->x, "f", d->path, sizeof(d->path));
	fd = open(d->path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
	CHECK(fd >= 0);
	CHECK_EQ(write(fd, buf, sizeof(buf)), (ssize_t)sizeof(buf));
	close(fd);
	char dir[300];
	fx_path(&d->x, "dir", dir, sizeof(dir));
	CHECK_EQ(mkdir(dir, 0755), 0);
	d->node = fx_node(&d->x, FUSE_ROOT_ID, "f");
}

static void dax_teardown(struct dax *d)
{
	fx_teardown(&d->x);
	munmap(d->win, WIN);
}

static int dax_map(struct dax *d, uint64_t node, uint64_t foff, uint64_t len, uint64_t flags,
		   uint64_t moff)
{
	struct fuse_setupmapping_in in = { .fh = ~0ULL, .foffset = foff, .len = len,
					   .flags = flags, .moffset = moff };
	struct fr *r = fr_begin(&d->x, FUSE_SETUPMAPPING, node);

	fr_put(r, &in, sizeof(in));
	return fx_send(&d->x, r);
}

/* REMOVEMAPPING of n ranges, the count field saying count. */
static int dax_unmap(struct dax *d, uint32_t count, const struct fuse_removemapping_one *one,
		     uint32_t n)
{
	struct fuse_removemapping_in in = { .count = count };
	struct fr *r = fr_begin(&d->x, FUSE_REMOVEMAPPING, d->node);

	fr_put(r, &in, sizeof(in));
	fr_put(r, one, n * sizeof(*one));
	return fx_send(&d->x, r);
}

static bool all(const uint8_t *p, uint8_t c, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != c)
			return false;
	return true;
}

#define RD FUSE_SETUPMAPPING_FLAG_READ
#define WR FUSE_SETUPMAPPING_FLAG_WRITE

TEST(fs_dax_setupmapping_maps_the_file_live_and_removemapping_takes_it_out)
{
	struct dax d;
	int fd;

	dax_setup(&d, false, true);
	/* Linux maps 2 MiB at a time, past the end of a small file too. */
	CHECK_EQ(dax_map(&d, d.node, 0, R, RD, R), 0);
	CHECK(all(d.win + R, 'a', PG));
	CHECK(all(d.win + R + 2 * PG, 'c', PG));
	/* The host's page cache itself: a host write shows at once. */
	fd = open(d.path, O_WRONLY);
	CHECK(fd >= 0);
	CHECK_EQ(pwrite(fd, "HOST", 4, PG), 4);
	close(fd);
	CHECK(!memcmp(d.win + R + PG, "HOSTbbbb", 8));
	/* The same range again elsewhere: one page cache behind both. */
	CHECK_EQ(dax_map(&d, d.node, 0, R, RD, 2 * R), 0);
	CHECK(!memcmp(d.win + 2 * R + PG, "HOSTbbbb", 8));

	/* Writable: the window's stores are the file's bytes. */
	CHECK_EQ(dax_map(&d, d.node, 0, R, RD | WR, 0), 0);
	memcpy(d.win + 2 * PG + 10, "GUEST", 5);
	char buf[16] = { 0 };
	fd = open(d.path, O_RDONLY);
	CHECK(fd >= 0);
	CHECK_EQ(pread(fd, buf, 7, 2 * PG + 9), 7);
	close(fd);
	CHECK(!memcmp(buf, "cGUESTc", 7));

	/* Removed: anonymous zeroes again, the file untouched. */
	struct fuse_removemapping_one one[2] = { { .moffset = 0, .len = R },
						 { .moffset = 2 * R, .len = R } };
	CHECK_EQ(dax_unmap(&d, 2, one, 2), 0);
	CHECK(all(d.win, 0, 3 * PG));
	CHECK(all(d.win + 2 * R, 0, PG));
	CHECK(all(d.win + R, 'a', PG)); /* not asked for: still mapped */
	/* DESTROY (an unmount) leaves no file in the window. */
	struct fr *r = fr_begin(&d.x, FUSE_DESTROY, 0);
	CHECK_EQ(fx_send(&d.x, r), 0);
	CHECK(all(d.win + R, 0, 3 * PG));
	dax_teardown(&d);
}

TEST(fs_dax_refuses_bad_ranges_flags_and_nodes_before_mapping_anything)
{
	struct dax d;
	uint64_t dir;

	dax_setup(&d, false, true);
	dir = fx_node(&d.x, FUSE_ROOT_ID, "dir");
	/* Whole ranges inside the window, file offsets too, no overflow. */
	CHECK_EQ(dax_map(&d, d.node, 0, R, RD, PG), -EINVAL);
	CHECK_EQ(dax_map(&d, d.node, 0, PG, RD, 0), -EINVAL);
	CHECK_EQ(dax_map(&d, d.node, 0, 0, RD, 0), -EINVAL);
	CHECK_EQ(dax_map(&d, d.node, PG, R, RD, 0), -EINVAL);
	CHECK_EQ(dax_map(&d, d.node, 0, R, RD, WIN), -EINVAL);
	CHECK_EQ(dax_map(&d, d.node, 0, 2 * R, RD, WIN - R), -EINVAL);
	CHECK_EQ(dax_map(&d, d.node, 0, WIN + R, RD, 0), -EINVAL);
	CHECK_EQ(dax_map(&d, d.node, 0, 2 * R, RD, ~0ULL - R + 1), -EINVAL);
	CHECK_EQ(dax_map(&d, d.node, ~0ULL - R + 1, R, RD, 0), -EINVAL);
	CHECK_EQ(dax_map(&d, d.node, (uint64_t)INT64_MAX - R + 1, 2 * R, RD, 0), -EINVAL);
	/* Flags no protocol version defines. */
	CHECK_EQ(dax_map(&d, d.node, 0, R, RD | 4, 0), -EINVAL);
	/* Only regular files, only nodes the guest was given. */
	CHECK_EQ(dax_map(&d, dir, 0, R, RD, 0), -EISDIR);
	CHECK_EQ(dax_map(&d, FUSE_ROOT_ID, 0, R, RD, 0), -EISDIR);
	CHECK_EQ(dax_map(&d, 0x12345678, 0, R, RD, 0), -ESTALE);
	for (uint32_t off = 0; off < WIN; off += R)
		CHECK(all(d.win + off, 0, PG)); /* nothing was mapped */

	/* REMOVEMAPPING: a count past the entries sent, a range outside. */
	struct fuse_removemapping_one one = { .moffset = 0, .len = R };
	CHECK_EQ(dax_unmap(&d, 2, &one, 1), -EINVAL);
	CHECK_EQ(dax_unmap(&d, 0xffffffffu, &one, 1), -EINVAL);
	one = (struct fuse_removemapping_one){ .moffset = WIN - R, .len = 2 * R };
	CHECK_EQ(dax_unmap(&d, 1, &one, 1), -EINVAL);
	one = (struct fuse_removemapping_one){ .moffset = PG, .len = R };
	CHECK_EQ(dax_unmap(&d, 1, &one, 1), -EINVAL);
	/* A truncated request: fewer bytes than the fixed argument. */
	struct fr *r = fr_begin(&d.x, FUSE_SETUPMAPPING, d.node);
	fr_put(r, &(uint64_t){ 0 }, sizeof(uint64_t));
	CHECK_EQ(fx_send(&d.x, r), -EINVAL);
	dax_teardown(&d);
}

TEST(fs_dax_read_only_share_maps_for_reading_only_and_no_window_says_enosys)
{
	struct dax d;

	dax_setup(&d, true, true);
	CHECK_EQ(dax_map(&d, d.node, 0, R, RD | WR, 0), -EROFS);
	CHECK(all(d.win, 0, PG));
	CHECK_EQ(dax_map(&d, d.node, 0, R, RD, 0), 0);
	CHECK(all(d.win, 'a', PG));
	dax_teardown(&d);

	dax_setup(&d, false, false);
	CHECK_EQ(dax_map(&d, d.node, 0, R, RD, 0), -ENOSYS);
	struct fuse_removemapping_one one = { .moffset = 0, .len = R };
	CHECK_EQ(dax_unmap(&d, 1, &one, 1), -ENOSYS);
	dax_teardown(&d);
}
