/* SPDX-License-Identifier: Apache-2.0 */
/*
 * chroot_vm NEWROOT CMD [ARGS...]
 *
 * Like chroot(8), but CMD runs inside a fresh KVM micro-VM whose root
 * filesystem is the host directory NEWROOT (shared over virtio-fs). The
 * command gets this process's stdio, and this process exits with its status.
 * The calls are those of upstream libkrun's example of the same name, so that
 * the two behave alike: guest port 8000 is reachable on host port 18000,
 * RLIMIT_NPROC is 4096:8192, the working directory is "/" and the environment
 * holds only TEST=works.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include <libkrun.h>

/*
 * 2 vCPUs and 1 GiB (upstream uses 4 and 4096 MiB). A chroot-style command is
 * usually one shell or program: two vCPUs let it overlap with the guest's
 * kernel threads, and 1 GiB holds any busybox or small distribution userland.
 * Guest RAM is only reserved address space until the guest touches it (and
 * freed pages go back through free-page reporting), but the guest kernel
 * still spends 1/64 of it on its page array and boots slower with more, and
 * smaller values also fit hosts (and nested test machines) with little RAM.
 */
#define CHROOT_VM_VCPUS 2
#define CHROOT_VM_RAM_MIB 1024

static int fail(const char *what, int err)
{
	fprintf(stderr, "chroot_vm: %s: %s\n", what, strerror(-err));
	return 1;
}

int main(int argc, char **argv)
{
	static const char *const port_map[] = { "18000:8000", NULL };
	static const char *const rlimits[] = { "6=4096:8192", NULL }; /* RLIMIT_NPROC */
	static const char *const envp[] = { "TEST=works", NULL };
	struct rlimit nofile;
	int ctx, err;

	if (argc < 3) {
		fprintf(stderr, "usage: %s NEWROOT CMD [ARGS...]\n", argv[0]);
		return 2;
	}

	err = krun_set_log_level(KRUN_LOG_LEVEL_WARN);
	if (err)
		return fail("krun_set_log_level", err);
	/* KRUN_LOG_LEVEL in the environment may still raise the level. */
	err = krun_init_log(KRUN_LOG_TARGET_DEFAULT, KRUN_LOG_LEVEL_WARN, KRUN_LOG_STYLE_AUTO, 0);
	if (err)
		return fail("krun_init_log", err);

	ctx = krun_create_ctx();
	if (ctx < 0)
		return fail("krun_create_ctx", ctx);
	err = krun_set_vm_config((uint32_t)ctx, CHROOT_VM_VCPUS, CHROOT_VM_RAM_MIB);
	if (err)
		return fail("krun_set_vm_config", err);

	/*
	 * The virtio-fs server keeps one host fd per guest inode in use, so a
	 * guest walking a large tree needs many: take all the hard limit allows.
	 */
	if (getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur < nofile.rlim_max) {
		nofile.rlim_cur = nofile.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &nofile))
			fprintf(stderr, "chroot_vm: cannot raise RLIMIT_NOFILE: %s\n",
				strerror(errno));
	}

	err = krun_set_root((uint32_t)ctx, argv[1]);
	if (err)
		return fail("krun_set_root", err);
	err = krun_set_port_map((uint32_t)ctx, port_map);
	if (err)
		return fail("krun_set_port_map", err);
	err = krun_set_rlimits((uint32_t)ctx, rlimits);
	if (err)
		return fail("krun_set_rlimits", err);
	err = krun_set_workdir((uint32_t)ctx, "/");
	if (err)
		return fail("krun_set_workdir", err);
	/* argv[3..] are CMD's arguments after its argv[0], NULL-terminated as argv is. */
	err = krun_set_exec((uint32_t)ctx, argv[2], (const char *const *)&argv[3], envp);
	if (err)
		return fail("krun_set_exec", err);

	/* Returns only if the VM could not be started; otherwise CMD's status ends us. */
	err = krun_start_enter((uint32_t)ctx);
	return fail("krun_start_enter", err);
}
