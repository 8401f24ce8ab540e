/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The VMM's config and initramfs writer (src/vmm/initramfs.c) against the
 * guest's config parser (init/config.c), and that parser on raw bytes.
 *
 * Input: a program of ops (one byte each, then its arguments):
 *   0 config record: key (a known one, or raw bytes), value
 *   1 cpio_add_file: path, perm, data
 *   2 cpio_add_dir: path, perm
 *   3 cpio_add_chardev: path, perm, major, minor
 *   4 the rest of the input is a raw config for config_parse
 * then initramfs_build appends the fixed entries and the trailer.
 *
 * Checked: the archive reads back with an independent newc reader (magic,
 * hex fields, names, 4-byte padding of zeroes, distinct inode numbers, every
 * accepted entry in order with its data, the config entry holding exactly the
 * records, the trailer last); a writer error leaves the archive unchanged; the
 * records parse back to the same exec, args and env whenever config_parse
 * accepts them; config_parse on raw bytes never reads past them.
 */
#include "fuzz.h"

#include <errno.h>
#include <sys/stat.h>

#include "init/config.h"
#include "vmm/initramfs.h"

#define MAX_ENTRIES 64
#define MAX_RECORDS 256

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fz_log_setup();
	return 0;
}

struct want {
	const char *name; /* as written: leading '/' dropped */
	uint32_t mode, rmaj, rmin;
	const uint8_t *data;
	size_t len;
};

struct rec {
	int key; /* index in keys[], -1: raw */
	char *value;
};

static const char *const keys[] = {
	"exec", "arg", "env", "workdir", "rlimit", "hostname", "stdin", "stdout", "stderr", "root",
};
#define NKEYS (sizeof(keys) / sizeof(keys[0]))

/* A NUL-terminated copy of a block of the input (cut at its first NUL). */
static char *fz_str(struct fz *z, size_t max)
{
	size_t n;
	const uint8_t *p = fz_block(z, max, &n);
	char *s = malloc(n + 1);

	FZ_CHECK(s);
	memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

FZ_NOCOV static uint32_t hex8(const uint8_t *p)
{
	uint32_t v = 0;

	for (int i = 0; i < 8; i++) {
		int c = p[i], d;

		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			FZ_CHECK(!"hex digit");
		v = v << 4 | (uint32_t)d;
	}
	return v;
}

/* Reads the archive back and compares it with what was accepted. */
FZ_NOCOV static void check_archive(const struct buf *b, const struct want *w, size_t nw)
{
	size_t pos = 0, i = 0;
	uint32_t last_ino = 0;

	FZ_CHECK(b->len % 4 == 0);
	for (;;) {
		const uint8_t *h = b->data + pos;
		uint32_t f[13];
		size_t namesize, off;

		FZ_CHECK(pos + 110 <= b->len);
		FZ_CHECK(!memcmp(h, "070701", 6));
		for (int k = 0; k < 13; k++)
			f[k] = hex8(h + 6 + 8 * k);
		namesize = f[11];
		FZ_CHECK(namesize >= 2 && pos + 110 + namesize <= b->len);
		FZ_CHECK(h[110 + namesize - 1] == '\0' && strlen((const char *)h + 110) == namesize - 1);
		FZ_CHECK(pos == 0 || f[0] > last_ino); /* distinct, increasing */
		last_ino = f[0];
		off = pos + 110 + namesize;
		for (; off % 4; off++)
			FZ_CHECK(b->data[off] == 0);
		if (!strcmp((const char *)h + 110, "TRAILER!!!")) {
			FZ_CHECK(f[6] == 0 && i == nw);
			FZ_CHECK(off == b->len);
			return;
		}
		FZ_CHECK(i < nw);
		FZ_CHECK(!strcmp((const char *)h + 110, w[i].name));
		FZ_CHECK(f[1] == w[i].mode && f[6] == w[i].len);
		FZ_CHECK(f[9] == w[i].rmaj && f[10] == w[i].rmin);
		FZ_CHECK(f[2] == 0 && f[3] == 0 && f[5] == 0);
		FZ_CHECK(off + w[i].len <= b->len);
		FZ_CHECK(w[i].len == 0 || !memcmp(b->data + off, w[i].data, w[i].len));
		off += w[i].len;
		for (; off % 4; off++)
			FZ_CHECK(b->data[off] == 0);
		pos = off;
		i++;
	}
}

/* The records parse back as written, when the parser takes them. */
FZ_NOCOV static void check_round_trip(const struct buf *cfgbuf, const struct rec *r, size_t nr)
{
	struct config cfg;
	char err[256] = "", *copy = malloc(cfgbuf->len ? cfgbuf->len : 1);
	size_t nargs = 0, nenv = 0;
	int res;

	FZ_CHECK(copy);
	if (cfgbuf->len)
		memcpy(copy, cfgbuf->data, cfgbuf->len);
	res = config_parse(&cfg, copy, cfgbuf->len, err, sizeof(err));
	FZ_CHECK(res == 0 || (res == -1 && err[0]));
	if (res == 0) {
		for (size_t i = 0; i < nr; i++) {
			const char *k = r[i].key >= 0 ? keys[r[i].key] : NULL;

			if (!k)
				continue;
			if (!strcmp(k, "exec"))
				FZ_CHECK(!strcmp(cfg.exec, r[i].value) && cfg.argv[0] == cfg.exec);
			else if (!strcmp(k, "arg"))
				FZ_CHECK(++nargs < cfg.argc && !strcmp(cfg.argv[nargs], r[i].value));
			else if (!strcmp(k, "env"))
				FZ_CHECK(nenv < cfg.envc && !strcmp(cfg.envp[nenv++], r[i].value));
			else if (!strcmp(k, "workdir"))
				FZ_CHECK(cfg.workdir_set && !strcmp(cfg.workdir, r[i].value));
		}
		FZ_CHECK(cfg.argc == nargs + 1 && cfg.argv[cfg.argc] == NULL);
		FZ_CHECK(cfg.envc == nenv && cfg.envp[cfg.envc] == NULL);
		config_free(&cfg);
	}
	free(copy);
}

/* config_parse on raw bytes in a buffer of their exact size. */
static void parse_raw(const uint8_t *p, size_t n)
{
	struct config cfg;
	char err[256] = "", *copy = malloc(n ? n : 1);

	FZ_CHECK(copy);
	memcpy(copy, p, n);
	if (config_parse(&cfg, copy, n, err, sizeof(err)) == 0) {
		FZ_CHECK(cfg.argv && cfg.argv[cfg.argc] == NULL && cfg.envp[cfg.envc] == NULL);
		for (size_t i = 0; i < cfg.argc; i++)
			FZ_CHECK(cfg.argv[i] == NULL || (cfg.argv[i] >= copy && cfg.argv[i] < copy + n));
		config_free(&cfg);
	} else {
		FZ_CHECK(err[0]);
	}
	free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t init_blob[] = "\x7f" "ELF fake init";
	struct fz z = { data, size };
	struct cpio c = { 0 };
	struct buf cfg = { 0 };
	struct want w[MAX_ENTRIES + 5];
	struct rec recs[MAX_RECORDS];
	size_t nw = 0, nr = 0;
	char *paths[MAX_ENTRIES];
	size_t npaths = 0;

	while (!fz_empty(&z)) {
		uint8_t op = fz_u8(&z);
		size_t old = c.buf.len, n;
		uint32_t perm, maj = 0, min = 0, type = 0;
		const uint8_t *d = NULL;
		char *path;
		int r = 0;

		if (op % 5 == 4) {
			parse_raw(z.p, z.n);
			break;
		}
		if (op % 5 == 0) {
			uint8_t k = fz_u8(&z);
			char *key = k < NKEYS * 8 ? NULL : fz_str(&z, 64);
			char *value = fz_str(&z, 8192);
			size_t before = cfg.len;

			const char *name = key ? key : keys[k % NKEYS];
			int idx = -1;

			r = guest_config_add(&cfg, name, value);
			FZ_CHECK(r == 0 || (r == -EINVAL && cfg.len == before));
			FZ_CHECK(r != 0 || cfg.len == before + strlen(name) + strlen(value) + 2);
			for (size_t i = 0; i < NKEYS; i++)
				if (!strcmp(name, keys[i]))
					idx = (int)i;
			if (r == 0 && nr < MAX_RECORDS)
				recs[nr++] = (struct rec){ idx, value };
			else
				free(value);
			free(key);
			if (r == 0 && nr == MAX_RECORDS)
				break; /* the round trip check needs every record */
			continue;
		}
		if (npaths == MAX_ENTRIES)
			break;
		path = paths[npaths++] = fz_str(&z, 5000);
		/* The end marker's name would end the archive for any reader; the
		 * library only ever writes its own fixed names. */
		if (strstr(path, "TRAILER!!!"))
			path[0] = '\0';
		perm = fz_u16(&z);
		perm |= fz_u8(&z) & 1 ? 0x10000u : 0;
		switch (op % 5) {
		case 1:
			d = fz_block(&z, 65536, &n);
			r = cpio_add_file(&c, path, perm, d, n);
			type = S_IFREG;
			break;
		case 2:
			n = 0;
			r = cpio_add_dir(&c, path, perm);
			type = S_IFDIR;
			break;
		default:
			n = 0;
			maj = fz_u32(&z);
			min = fz_u32(&z);
			r = cpio_add_chardev(&c, path, perm, maj, min);
			type = S_IFCHR;
			break;
		}
		if (r < 0) {
			FZ_CHECK(c.buf.len == old);
			FZ_CHECK(r == -EINVAL || r == -ENAMETOOLONG);
			continue;
		}
		while (*path == '/')
			path++;
		FZ_CHECK(*path && !(perm & ~07777u) && strlen(path) <= 4095);
		w[nw++] = (struct want){ path, type | perm, maj, min, d, n };
	}

	if (initramfs_build(&c, init_blob, sizeof(init_blob), cfg.data, cfg.len) == 0) {
		w[nw++] = (struct want){ ".krun", S_IFDIR | 0700, 0, 0, NULL, 0 };
		w[nw++] = (struct want){ "dev", S_IFDIR | 0755, 0, 0, NULL, 0 };
		w[nw++] = (struct want){ "dev/console", S_IFCHR | 0600, 5, 1, NULL, 0 };
		w[nw++] = (struct want){ "init", S_IFREG | 0755, 0, 0, init_blob, sizeof(init_blob) };
		w[nw++] = (struct want){ ".krun/config", S_IFREG | 0400, 0, 0, cfg.data, cfg.len };
		check_archive(&c.buf, w, nw);
		cpio_release(&c);
	}
	check_round_trip(&cfg, recs, nr);

	buf_release(&cfg);
	for (size_t i = 0; i < nr; i++)
		free(recs[i].value);
	for (size_t i = 0; i < npaths; i++)
		free(paths[i]);
	return 0;
}
