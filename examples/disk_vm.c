/* SPDX-License-Identifier: Apache-2.0 */
/*
 * disk_vm IMAGE FORMAT CMD [ARGS...]
 *
 * chroot_vm's sibling: CMD runs inside a fresh KVM micro-VM whose root is the
 * file system (ext4) on the disk image IMAGE, which the guest sees as
 * /dev/vda, read-write. FORMAT names the image's format, as upstream wants it
 * named and never guessed: "raw" (qcow2 and vmdk are refused: not built in
 * libkrun-c yet). The command gets this process's stdio, the environment
 * TEST=works, workdir "/", and this process exits with its status.
 *
 * Build an image without mounting anything: mkfs.ext4 -d ROOTDIR IMAGE 256M
 */
#include <stdio.h>
#include <string.h>

#include <libkrun.h>

#define DISK_VM_VCPUS 2
#define DISK_VM_RAM_MIB 1024

static int fail(const char *what, int err)
{
	fprintf(stderr, "disk_vm: %s: %s\n", what, strerror(-err));
	return 1;
}

static int parse_format(const char *s, uint32_t *format)
{
	static const struct { const char *name; uint32_t format; } formats[] = {
		{ "raw", KRUN_DISK_FORMAT_RAW },
		{ "qcow2", KRUN_DISK_FORMAT_QCOW2 },
		{ "vmdk", KRUN_DISK_FORMAT_VMDK },
	};

	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
		if (!strcmp(s, formats[i].name)) {
			*format = formats[i].format;
			return 0;
		}
	return -1;
}

int main(int argc, char **argv)
{
	static const char *const envp[] = { "TEST=works", NULL };
	uint32_t format;
	int ctx, err;

	if (argc < 4 || parse_format(argv[2], &format) < 0) {
		fprintf(stderr, "usage: %s IMAGE raw|qcow2|vmdk CMD [ARGS...]\n", argv[0]);
		return 2;
	}
	err = krun_init_log(KRUN_LOG_TARGET_DEFAULT, KRUN_LOG_LEVEL_WARN, KRUN_LOG_STYLE_AUTO, 0);
	if (err)
		return fail("krun_init_log", err);
	ctx = krun_create_ctx();
	if (ctx < 0)
		return fail("krun_create_ctx", ctx);
	err = krun_set_vm_config((uint32_t)ctx, DISK_VM_VCPUS, DISK_VM_RAM_MIB);
	if (err)
		return fail("krun_set_vm_config", err);
	err = krun_add_disk2((uint32_t)ctx, "root", argv[1], format, false);
	if (err)
		return fail("krun_add_disk2", err);
	err = krun_set_root_disk_remount((uint32_t)ctx, "/dev/vda", "ext4", NULL);
	if (err)
		return fail("krun_set_root_disk_remount", err);
	err = krun_set_workdir((uint32_t)ctx, "/");
	if (err)
		return fail("krun_set_workdir", err);
	err = krun_set_exec((uint32_t)ctx, argv[3], (const char *const *)&argv[4], envp);
	if (err)
		return fail("krun_set_exec", err);

	/* Returns only if the VM could not be started; otherwise CMD's status ends us. */
	err = krun_start_enter((uint32_t)ctx);
	return fail("krun_start_enter", err);
}
