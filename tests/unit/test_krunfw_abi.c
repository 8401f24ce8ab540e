// SPDX-License-Identifier: Apache-2.0
/*
 * libkrunfw.so.5 keeps upstream's ABI (kernel/krunfw.h) and carries exactly the
 * vmlinux that the kernel build produced. Paths, relative to the repo root:
 *   KRUNFW_PATH     the library   (default build/libkrunfw.so.5)
 *   KRUNFW_KERNEL   build outputs (default build/kernel: vmlinux, kernel.bin, kernel.env)
 */
#include "harness.h"

#include <dlfcn.h>
#include <elf.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#define BUNDLE_ALIGN (64u * 1024u)

typedef char *(*get_kernel_fn)(size_t *, size_t *, size_t *);
typedef int (*get_version_fn)(void);
typedef const char *(*get_info_fn)(void);

static const char *env_or(const char *name, const char *def)
{
	const char *v = getenv(name);
	return v && *v ? v : def;
}

static void *krunfw_open(void)
{
	const char *path = env_or("KRUNFW_PATH", "build/libkrunfw.so.5");
	void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);

	if (!h)
		harness_fail(__FILE__, __LINE__, "dlopen %s: %s (run make libkrunfw)", path,
			     dlerror());
	return h;
}

static void kernel_path(char *buf, size_t len, const char *file)
{
	snprintf(buf, len, "%s/%s", env_or("KRUNFW_KERNEL", "build/kernel"), file);
}

/* Reads a whole build output; the caller frees it. */
static uint8_t *read_file(const char *file, size_t *len)
{
	char path[4096];
	struct stat st;
	uint8_t *buf;
	FILE *f;

	kernel_path(path, sizeof(path), file);
	f = fopen(path, "rb");
	if (!f || fstat(fileno(f), &st) != 0)
		harness_fail(__FILE__, __LINE__, "cannot open %s", path);
	buf = malloc((size_t)st.st_size + 1);
	CHECK(buf != NULL);
	CHECK(fread(buf, 1, (size_t)st.st_size, f) == (size_t)st.st_size);
	fclose(f);
	buf[st.st_size] = 0;
	*len = (size_t)st.st_size;
	return buf;
}

/* The value of NAME=... in kernel.env, copied into out. */
static void env_value(const char *env, const char *name, char *out, size_t len)
{
	size_t n = strlen(name);
	const char *p = env;

	while (p && *p) {
		if (strncmp(p, name, n) == 0 && p[n] == '=') {
			size_t vl = strcspn(p + n + 1, "\n");

			CHECK(vl < len);
			memcpy(out, p + n + 1, vl);
			out[vl] = 0;
			return;
		}
		p = strchr(p, '\n');
		p = p ? p + 1 : NULL;
	}
	harness_fail(__FILE__, __LINE__, "kernel.env has no %s", name);
}

TEST(krunfw_exports_the_abi_and_nothing_else)
{
	void *h = krunfw_open();

	CHECK(dlsym(h, "krunfw_get_kernel") != NULL);
	CHECK(dlsym(h, "krunfw_get_version") != NULL);
	CHECK(dlsym(h, "krunfw_get_build_info") != NULL);
	CHECK(dlsym(h, "krunfw_get_kernel_cow_range") != NULL); /* ours (krunfw.h) */
	/* The image symbols are hidden: only the functions hand the bundle out. */
	CHECK(dlsym(h, "krunfw_image") == NULL);
	CHECK(dlsym(h, "krunfw_image_end") == NULL);
	dlclose(h);
}

TEST(krunfw_version_is_abi_5)
{
	void *h = krunfw_open();
	get_version_fn version = (get_version_fn)dlsym(h, "krunfw_get_version");

	CHECK(version != NULL);
	CHECK_EQ(version(), 5);
	dlclose(h);
}

TEST(krunfw_image_is_aligned_whole_pages_and_covers_kernel_bin)
{
	void *h = krunfw_open();
	get_kernel_fn get = (get_kernel_fn)dlsym(h, "krunfw_get_kernel");
	size_t load = 0, entry = 0, size = 0, binlen;
	char path[4096];
	struct stat st;
	char *img;

	CHECK(get != NULL);
	img = get(&load, &entry, &size);
	CHECK(img != NULL);
	CHECK_EQ((uintptr_t)img % BUNDLE_ALIGN, 0);
	CHECK_EQ(size % (size_t)sysconf(_SC_PAGESIZE), 0);
	CHECK_EQ(size % BUNDLE_ALIGN, 0);
	kernel_path(path, sizeof(path), "kernel.bin");
	CHECK(stat(path, &st) == 0);
	binlen = (size_t)st.st_size;
	CHECK(size >= binlen);
	/* NULL outputs are allowed, and every call hands out the same buffer. */
	CHECK(get(NULL, NULL, NULL) == img);
	dlclose(h);
}

TEST(krunfw_load_entry_and_segments_match_vmlinux)
{
	void *h = krunfw_open();
	get_kernel_fn get = (get_kernel_fn)dlsym(h, "krunfw_get_kernel");
	size_t load = 0, entry = 0, size = 0, flen, i, nload = 0;
	uint64_t base = UINT64_MAX, end = 0;
	uint8_t *f = read_file("vmlinux", &flen);
	Elf64_Ehdr eh;
	char *img;

	CHECK(get != NULL);
	img = get(&load, &entry, &size);
	CHECK(flen >= sizeof(eh));
	memcpy(&eh, f, sizeof(eh));
	CHECK(memcmp(eh.e_ident, ELFMAG, SELFMAG) == 0);
	CHECK_EQ(eh.e_ident[EI_CLASS], ELFCLASS64);
	CHECK_EQ(eh.e_machine, EM_X86_64);
	CHECK_EQ(eh.e_phentsize, sizeof(Elf64_Phdr));
	CHECK(eh.e_phoff + (uint64_t)eh.e_phnum * sizeof(Elf64_Phdr) <= flen);

	for (i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;

		memcpy(&ph, f + eh.e_phoff + i * sizeof(ph), sizeof(ph));
		if (ph.p_type == PT_LOAD && ph.p_paddr < base)
			base = ph.p_paddr;
	}
	CHECK_EQ(load, base);
	CHECK_EQ(entry, eh.e_entry);

	for (i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;

		memcpy(&ph, f + eh.e_phoff + i * sizeof(ph), sizeof(ph));
		if (ph.p_type != PT_LOAD)
			continue;
		nload++;
		CHECK(ph.p_offset + ph.p_filesz <= flen);
		CHECK(ph.p_paddr - base + ph.p_filesz <= size);
		if (memcmp(img + (ph.p_paddr - base), f + ph.p_offset, ph.p_filesz) != 0)
			harness_fail(__FILE__, __LINE__,
				     "PT_LOAD %zu (paddr 0x%" PRIx64 ") differs from vmlinux", i,
				     (uint64_t)ph.p_paddr);
		if (ph.p_paddr - base + ph.p_filesz > end)
			end = ph.p_paddr - base + ph.p_filesz;
	}
	CHECK(nload > 0);
	/* Past the last segment's file bytes there is only padding. */
	for (i = end; i < size; i++)
		if (img[i] != 0)
			harness_fail(__FILE__, __LINE__, "padding byte %zu is not zero", i);
	free(f);
	dlclose(h);
}

TEST(krunfw_image_is_writable)
{
	void *h = krunfw_open();
	get_kernel_fn get = (get_kernel_fn)dlsym(h, "krunfw_get_kernel");
	volatile char *img;
	size_t size = 0;
	char saved;

	CHECK(get != NULL);
	img = get(NULL, NULL, &size);
	CHECK(size > 0);
	saved = img[size - 1];
	img[size - 1] = (char)(saved ^ 0x5a);
	CHECK(img[size - 1] == (char)(saved ^ 0x5a));
	img[size - 1] = saved;
	saved = img[0];
	img[0] = (char)(saved ^ 0x5a);
	CHECK(img[0] == (char)(saved ^ 0x5a));
	img[0] = saved;
	dlclose(h);
}

TEST(krunfw_build_info_names_release_and_config_hash)
{
	void *h = krunfw_open();
	get_info_fn info = (get_info_fn)dlsym(h, "krunfw_get_build_info");
	char release[128], sha[80];
	size_t len;
	char *env = (char *)read_file("kernel.env", &len);
	const char *s;

	CHECK(info != NULL);
	s = info();
	CHECK(s != NULL);
	env_value(env, "KERNEL_RELEASE", release, sizeof(release));
	env_value(env, "KERNEL_CONFIG_SHA256", sha, sizeof(sha));
	CHECK_EQ(strlen(sha), 64);
	if (!strstr(s, release) || !strstr(s, sha))
		harness_fail(__FILE__, __LINE__, "build info \"%s\" lacks %s or %s", s, release,
			     sha);
	free(env);
	dlclose(h);
}
