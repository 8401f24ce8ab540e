/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The FUSE server (src/fs/), every op, on a real share, as a hostile guest's
 * virtio-fs driver would send requests (headers, arguments, segmentation,
 * reply room), plus the host changing the tree under it.
 *
 * The share (fs_share.h; built again from its template after any input that
 * may have changed it; a fresh server for every input) holds files, a sparse file, directories, symlinks (to a file, dangling,
 * absolute, out of the share, a loop), a FIFO, a UNIX socket, a file with a
 * guest mapping (user.containers.override_stat), and, running as root:
 *   - a character device node (1:3, /dev/null's);
 *   - tmp/, a tmpfs mount, and proc/, a bind mount of /proc, made in a
 *     private mount namespace (unshare(CLONE_NEWNS) at init), so nothing is
 *     seen outside this process;
 *   - many/, 2100 files on a read-only bind mount: more inodes than the
 *     inode table's first hash size, for one READDIRPLUS session;
 *   - the whole base directory on a 256 MiB tmpfs of its own, so FALLOCATE
 *     and COPY_FILE_RANGE cannot fill a disk.
 * RLIMIT_FSIZE (16 MiB) bounds any one file, and FALLOCATE's range is folded
 * below it, as root or not.
 *
 * Modes (environment, read at init):
 *   (default)        as the caller: root gets the mounts and the device node
 *   FUZZ_FS_USER=1   as root, the tree is made, then the process drops to
 *                    uid/gid 65534 (nobody): a server that is not root, on a
 *                    share with root's mounts and a root-owned, read-only
 *                    fixed/ directory (device node, FIFO, socket, file)
 * Without root both are the same: no mounts, no device node.
 * FUZZ_TRACE=1 prints each request's op, node and the reply's error.
 *
 * Input: one flags byte (read-only share, passthrough_privileges, INIT sent
 * by the harness or not), then steps: a byte 0xfe and what the host changes
 * (host_change), or any other byte and a request: an op byte (the opcode), a
 * control byte (node id from the ids earlier replies gave or a literal, a file
 * handle planted in the arguments, a lying length, segmentation, small reply
 * room), a uid byte and the arguments (16-bit length). See run_request.
 *
 * Checked, besides memory safety and leaks (memory and fds, every input):
 * the reply fits the room and is well formed (len, unique, an error with no
 * payload, errno range), no reply to FORGET/BATCH_FORGET/INTERRUPT, and no
 * reply ever carries the content or the name of a file outside the share
 * (unless the input itself holds them).
 */
#include "fuzz.h"

#include <linux/fuse.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/uio.h>

#include "fs/fuse_server.h"
#include "fs/overlay.h"
#include "fs_share.h"

#define REQ_MAX (256u << 10)
#define OUT_MAX ((1u << 20) + 4096)
#define NIDS 8

static bool trace;
static uint8_t *req, *out;
static struct iovec in_v[FUSE_SERVER_MAX_SEGS], out_v[FUSE_SERVER_MAX_SEGS];

struct ids {
	uint64_t node[NIDS], fh[NIDS];
	unsigned int nnode, nfh;
};

/* The fds this process has open, by /proc/self/fd. */
static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	FZ_CHECK(d);
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n - 1; /* the DIR's own */
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fz_log_setup();
	trace = getenv("FUZZ_TRACE") != NULL;
	req = malloc(REQ_MAX);
	out = malloc(OUT_MAX);
	FZ_CHECK(req && out);
	share_init();
	return 0;
}

/* The op byte: opcode byte % 56 (every FUSE opcode up to STATX, and the
 * holes between), from 224 on an opcode far beyond them. */
static uint32_t opcode_of(uint8_t b)
{
	return b < 224 ? b % 56u : 4096u + b;
}

/* Whether a request may have changed the tree (then it is built again). */
static bool modifies(uint32_t op, const uint8_t *args, size_t n)
{
	uint32_t flags = 0;

	if (op >= 4096)
		return false;
	switch (op) {
	case FUSE_LOOKUP: case FUSE_FORGET: case FUSE_GETATTR: case FUSE_READLINK:
	case FUSE_READ: case FUSE_STATFS: case FUSE_RELEASE: case FUSE_FLUSH: case FUSE_FSYNC:
	case FUSE_GETXATTR: case FUSE_LISTXATTR: case FUSE_INIT: case FUSE_OPENDIR:
	case FUSE_READDIR: case FUSE_RELEASEDIR: case FUSE_FSYNCDIR: case FUSE_ACCESS:
	case FUSE_INTERRUPT: case FUSE_DESTROY: case FUSE_BATCH_FORGET: case FUSE_READDIRPLUS:
	case FUSE_LSEEK: case FUSE_GETLK: case FUSE_BMAP: case FUSE_POLL: case 0:
		return false;
	case FUSE_OPEN:
		if (n >= 4)
			memcpy(&flags, args, 4);
		return flags & (O_TRUNC | O_CREAT);
	default:
		return true;
	}
}

/* Where an op's arguments hold a file handle (offset), or -1. */
static int fh_offset(uint32_t op)
{
	switch (op) {
	case FUSE_READ: case FUSE_WRITE: case FUSE_RELEASE: case FUSE_FLUSH: case FUSE_FSYNC:
	case FUSE_FALLOCATE: case FUSE_LSEEK: case FUSE_COPY_FILE_RANGE: case FUSE_READDIR:
	case FUSE_READDIRPLUS: case FUSE_RELEASEDIR: case FUSE_FSYNCDIR: case FUSE_GETATTR:
		return op == FUSE_GETATTR ? 8 : 0;
	case FUSE_SETATTR:
		return 8;
	default:
		return -1;
	}
}

static void put64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

/* Segments of at most split bytes over [p, p + n). */
static int cut(uint8_t *p, size_t n, size_t split, struct iovec *v)
{
	int k = 0;

	if (!split)
		split = n ? n : 1;
	if (n / split >= FUSE_SERVER_MAX_SEGS)
		split = n / (FUSE_SERVER_MAX_SEGS - 1) + 1;
	for (size_t off = 0; off < n; off += split)
		v[k++] = (struct iovec){ p + off, n - off < split ? n - off : split };
	return k;
}

static bool has(const uint8_t *p, size_t n, const char *s)
{
	return memmem(p, n, s, strlen(s)) != NULL;
}

/* One request from the input; harvests ids from its reply. */
static void run_request(struct fuse_server *s, struct fz *z, struct ids *ids, uint64_t unique,
			bool input_has_secret, bool *dirty)
{
	uint32_t op = opcode_of(fz_u8(z));
	uint8_t ctl = fz_u8(z), who = fz_u8(z), sel;
	struct fuse_in_header h = { .opcode = op, .unique = unique, .pid = 1 };
	struct fuse_out_header oh;
	size_t n, len, room = 64 << 10, split = 0, rlen;
	const uint8_t *args;
	int fhoff = fh_offset(op), nin, nout;
	bool lie = false;
	uint32_t lie_len = 0;

	sel = ctl & 15;
	if (sel == 0)
		h.nodeid = FUSE_ROOT_ID;
	else if (sel <= NIDS)
		h.nodeid = ids->node[sel - 1];
	else if (sel < 14)
		h.nodeid = sel - NIDS;
	else
		h.nodeid = fz_u64(z);
	if (who) {
		h.uid = 1000 + (who & 3);
		h.gid = 1000 + (who >> 2 & 3);
	}
	if (ctl & 0x20) {
		lie = true;
		lie_len = fz_u32(z);
	}
	if (ctl & 0x40)
		split = 1 + fz_u8(z) % 64;
	if (ctl & 0x80)
		room = fz_u8(z) & 1 ? fz_u16(z) : (1u << 20) + sizeof(oh);
	sel = ctl & 0x10 ? fz_u8(z) : 0;
	args = fz_block(z, REQ_MAX - sizeof(h), &n);
	memcpy(req + sizeof(h), args, n);
	/* Handles and node ids the server gave, where the op keeps them. */
	/* sel: bits 0-2 the handle, 3-4 COPY_FILE_RANGE's output node, 5-7 its
	 * output handle; 4-6 LINK's and RENAME's other node. */
	if ((ctl & 0x10) && fhoff >= 0 && n >= (size_t)fhoff + 8)
		put64(req + sizeof(h) + fhoff, ids->fh[sel & 7]);
	if ((ctl & 0x10) && op == FUSE_COPY_FILE_RANGE && n >= 32) {
		put64(req + sizeof(h) + offsetof(struct fuse_copy_file_range_in, nodeid_out),
		      ids->node[sel >> 3 & 3]);
		put64(req + sizeof(h) + offsetof(struct fuse_copy_file_range_in, fh_out),
		      ids->fh[sel >> 5 & 7]);
	}
	if ((ctl & 0x10) && (op == FUSE_LINK || op == FUSE_RENAME || op == FUSE_RENAME2) && n >= 8)
		put64(req + sizeof(h), ids->node[sel >> 4 & 7]);
	/* Never fill the file system: FALLOCATE's range below the file size limit. */
	if (op == FUSE_FALLOCATE && n >= 24) {
		put64(req + sizeof(h) + 8, get64(req + sizeof(h) + 8) % FSIZE_LIMIT);
		put64(req + sizeof(h) + 16, get64(req + sizeof(h) + 16) % (FSIZE_LIMIT / 4));
	}
	if (op == FUSE_WRITE && n >= sizeof(struct fuse_write_in) && !lie) {
		uint32_t dl = (uint32_t)(n - sizeof(struct fuse_write_in));

		memcpy(req + sizeof(h) + 16, &dl, 4);
	}
	len = sizeof(h) + n;
	h.len = lie ? lie_len : (uint32_t)len;
	if (ctl & 0x40 && split == 64)
		len = fz_u16(z) % (len + 1); /* cut short, the header too */
	memcpy(req, &h, sizeof(h));
	*dirty |= modifies(op, req + sizeof(h), n);

	nin = cut(req, len, split, in_v);
	nout = cut(out, room, split, out_v);
	rlen = fuse_server_handle(s, in_v, nin, out_v, nout);

	if (trace)
		fprintf(stderr, "fuzz_fs: op %u node %llu arg0 %llx len %zu -> %zu bytes, error %d\n",
			op, (unsigned long long)h.nodeid,
			n >= 8 ? (unsigned long long)get64(req + sizeof(h)) : 0ULL, len, rlen,
			rlen >= sizeof(oh) ? ((struct fuse_out_header *)(void *)out)->error : 0);
	FZ_CHECK(rlen <= room);
	if (op == FUSE_FORGET || op == FUSE_BATCH_FORGET || op == FUSE_INTERRUPT)
		FZ_CHECK(rlen == 0);
	if (!rlen)
		return;
	FZ_CHECK(rlen >= sizeof(oh));
	memcpy(&oh, out, sizeof(oh));
	FZ_CHECK(oh.len == rlen && oh.unique == h.unique);
	FZ_CHECK(oh.error <= 0 && oh.error > -4096);
	FZ_CHECK(!oh.error || rlen == sizeof(oh));
	if (!input_has_secret) {
		FZ_CHECK(!has(out, rlen, SECRET_DATA));
		FZ_CHECK(!has(out, rlen, SECRET_NAME));
	}
	if (oh.error || rlen < sizeof(oh) + 8)
		return;
	/* Entry replies start with the node id, open replies with the handle. */
	switch (op) {
	case FUSE_LOOKUP: case FUSE_MKNOD: case FUSE_MKDIR: case FUSE_SYMLINK: case FUSE_LINK:
	case FUSE_READDIRPLUS:
		ids->node[ids->nnode++ % NIDS] = get64(out + sizeof(oh));
		break;
	case FUSE_CREATE:
		ids->node[ids->nnode++ % NIDS] = get64(out + sizeof(oh));
		if (rlen >= sizeof(oh) + sizeof(struct fuse_entry_out) + 8)
			ids->fh[ids->nfh++ % NIDS] =
				get64(out + sizeof(oh) + sizeof(struct fuse_entry_out));
		break;
	case FUSE_OPEN: case FUSE_OPENDIR:
		ids->fh[ids->nfh++ % NIDS] = get64(out + sizeof(oh));
		break;
	default:
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz z = { data, size };
	uint8_t flags = fz_u8(&z);
	/* Virtual entries (fs/overlay.h) in half the runs: a directory, a file in
	 * it, a one-shot file and one shadowing a host name. */
	static const struct fs_overlay_spec overlays[] = {
		{ .path = "vdir", .mode = 0755, .dir = true },
		{ .path = "vdir/vfile", .data = (const uint8_t *)"virtual", .len = 7, .mode = 0444 },
		{ .path = "once", .data = (const uint8_t *)"1", .len = 1, .mode = 0400,
		  .one_shot = true },
		{ .path = "a", .data = (const uint8_t *)"shadow", .len = 6, .mode = 0644 },
	};
	/* A DAX window (src/fs/ops_dax.c) in half the runs; never read here: a
	 * mapped page past a file's end would be a SIGBUS of the harness's own. */
	static uint8_t *window;
	if (!window) {
		window = mmap(NULL, 8u << 20, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		FZ_CHECK(window != MAP_FAILED);
	}
	struct fuse_server_config cfg = {
		.root = share, .read_only = flags & 1, .passthrough_privileges = flags >> 1 & 1,
		.nthreads_hint = 1, .overlays = overlays, .noverlays = flags & 16 ? 4 : 0,
		.dax_window = flags & 32 ? window : NULL, .dax_window_len = 8u << 20,
	};
	struct fuse_server *s;
	struct ids ids = { 0 };
	bool secret = has(data, size, SECRET_DATA) || has(data, size, SECRET_NAME);
	uint64_t unique = 1;
	int fds = count_fds();
	static bool once;

	/* Writes past RLIMIT_FSIZE fail with EFBIG instead of killing us (here,
	 * as libFuzzer sets its own SIGXFSZ handler after LLVMFuzzerInitialize). */
	if (!once) {
		signal(SIGXFSZ, SIG_IGN);
		once = true;
	}
	bool dirty = false;

	FZ_CHECK(fuse_server_create(&cfg, &s) == 0);
	if (!(flags & 4)) {
		struct fuse_init_in in = { .major = 7, .minor = 38, .max_readahead = 65536,
					   .flags = flags & 8 ? 0 : 0xffffffffu & ~FUSE_INIT_EXT };
		struct fuse_in_header h = { .len = sizeof(h) + sizeof(in), .opcode = FUSE_INIT,
					    .unique = unique++ };

		memcpy(req, &h, sizeof(h));
		memcpy(req + sizeof(h), &in, sizeof(in));
		in_v[0] = (struct iovec){ req, h.len };
		out_v[0] = (struct iovec){ out, 4096 };
		FZ_CHECK(fuse_server_handle(s, in_v, 1, out_v, 1) > 0);
	}
	while (!fz_empty(&z)) {
		if (fz_u8(&z) == 0xfe) {
			host_change(fz_u8(&z));
			dirty = true;
		} else {
			run_request(s, &z, &ids, unique++, secret, &dirty);
		}
	}
	fuse_server_destroy(s);
	FZ_CHECK(count_fds() == fds); /* every fd the server opened is closed */
	if (dirty)
		tree_reset();
	return 0;
}
