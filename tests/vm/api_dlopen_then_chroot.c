/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What an OCI runtime's krun handler (crun's src/libcrun/handlers/krun.c) does
 * with the library, in its order:
 *
 *   api_dlopen_then_chroot ROOT exec|oci
 *
 * dlopen("libkrun.so.1") on the host (found through this program's run path),
 * chroot into ROOT, a root without our libraries, then krun_set_log_level,
 * krun_create_ctx, krun_set_root("/"), krun_set_vm_config and, with "exec",
 * krun_set_exec of a shell command (with "oci" none: the root's
 * /.krun_config.json says what to run, as crun leaves it), then
 * krun_start_enter. Every call goes through dlsym, as crun's do. The process
 * exits with the guest's status, or 100 + -errno of the first call that fails.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

typedef int32_t (*level_fn)(uint32_t);
typedef int32_t (*create_fn)(void);
typedef int32_t (*ctx_fn)(uint32_t);
typedef int32_t (*root_fn)(uint32_t, const char *);
typedef int32_t (*vm_fn)(uint32_t, uint8_t, uint32_t);
typedef int32_t (*exec_fn)(uint32_t, const char *, const char *const *, const char *const *);

static void *h;

static void *sym(const char *name)
{
	void *f = dlsym(h, name);

	if (!f) {
		fprintf(stderr, "dlopen_then_chroot: no %s in libkrun.so.1\n", name);
		_exit(99);
	}
	return f;
}

static int check(const char *what, int r)
{
	if (r < 0) {
		fprintf(stderr, "dlopen_then_chroot: %s: %s\n", what, strerror(-r));
		_exit(100 + (-r & 0x7f));
	}
	return r;
}

int main(int argc, char **argv)
{
	static const char *const args[] = {
		"-c", "echo \"exec: host=$(hostname) cwd=$(pwd) X=$X\"; exit 42", NULL
	};
	static const char *const envp[] = { "PATH=/bin", "X=from-exec", NULL };
	int ctx;

	if (argc != 3 || (strcmp(argv[2], "exec") && strcmp(argv[2], "oci"))) {
		fprintf(stderr, "usage: api_dlopen_then_chroot ROOT exec|oci\n");
		return 2;
	}
	h = dlopen("libkrun.so.1", RTLD_NOW);
	if (!h) {
		fprintf(stderr, "dlopen_then_chroot: %s\n", dlerror());
		return 98;
	}
	if (chroot(argv[1]) < 0 || chdir("/") < 0) {
		perror("dlopen_then_chroot: chroot");
		return 97;
	}
	/* Nothing of ours is reachable by path from here on. */
	if (access("/libkrun.so.1", F_OK) == 0 || access(argv[0], F_OK) == 0) {
		fprintf(stderr, "dlopen_then_chroot: the new root holds our files\n");
		return 96;
	}

	((level_fn)sym("krun_set_log_level"))(1); /* crun: "error" */
	ctx = check("krun_create_ctx", ((create_fn)sym("krun_create_ctx"))());
	check("krun_set_root", ((root_fn)sym("krun_set_root"))((uint32_t)ctx, "/"));
	check("krun_set_vm_config", ((vm_fn)sym("krun_set_vm_config"))((uint32_t)ctx, 1, 256));
	if (!strcmp(argv[2], "exec"))
		check("krun_set_exec",
		      ((exec_fn)sym("krun_set_exec"))((uint32_t)ctx, "/bin/sh", args, envp));
	return check("krun_start_enter", ((ctx_fn)sym("krun_start_enter"))((uint32_t)ctx));
}
