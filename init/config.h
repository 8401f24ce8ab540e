/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Parser of /.krun/config (format: src/vmm/guest_abi.h). Plain C with no guest
 * dependency, so the unit tests compile it on the host.
 *
 * Decisions the ABI leaves open:
 *   - a once-key (exec, workdir, hostname, stdin, stdout, stderr, root) given
 *     twice is an error: it can only come from a VMM bug, and guessing which one
 *     was meant would hide it;
 *   - unknown keys are skipped, but each must still be a complete record;
 *   - "exec" is required unless the root is virtio-fs or a disk (then the root's
 *     /.krun_config.json names the workload); every other key has a default (workdir "/", stdio
 *     "console", root "initramfs", no hostname, no rlimits, env empty, which
 *     init replaces with a minimal PATH/HOME/TERM).
 */
#ifndef KRUN_INIT_CONFIG_H
#define KRUN_INIT_CONFIG_H

#include <stddef.h>
#include <stdint.h>

/* The file is read whole; past this it is rejected. */
#define CONFIG_MAX_LEN ((size_t)64 << 20)

enum stdio_kind { STDIO_CONSOLE = 0, STDIO_PORT = 1 };

struct config_rlimit {
	int id;
	uint64_t cur, max;
};

struct config {
	const char *exec;  /* NULL only with a virtio-fs root (oci_config.c fills it) */
	const char **argv; /* exec, then every "arg", then NULL */
	size_t argc;
	const char **envp; /* every "env", then NULL */
	size_t envc;
	struct config_rlimit *rlimits;
	size_t nrlimits;
	const char *workdir;
	int workdir_set; /* a workdir record came (else workdir is the default "/") */
	const char *hostname; /* NULL: leave the kernel's */
	enum stdio_kind stdio[3];
	const char *virtiofs_tag; /* NULL: run in the initramfs, or on root_disk */
	const char *root_disk;    /* a guest block device (/dev/...) as the root, or NULL */
	const char *root_fstype;  /* its file system: "auto" (the default) tries each */
	const char *root_options; /* its mount options, comma-separated ("" default) */
	const char **net_dhcp; /* interfaces to configure by DHCP (eth0...), then NULL */
	size_t nnet_dhcp;
	char *owned; /* strings oci_config.c decoded, freed by config_free */
};

/*
 * Parses data[0..len) in place: the strings in cfg point into data, which must
 * outlive cfg. Returns 0, or -1 with a one-line reason in err (err_len > 0).
 * On success release with config_free; on failure nothing is left to free.
 */
int config_parse(struct config *cfg, const char *data, size_t len, char *err, size_t err_len);
void config_free(struct config *cfg);

/* Writes a one-line reason into err and returns -1 (for the parsers' errors). */
__attribute__((format(printf, 3, 4)))
int config_fail(char *err, size_t err_len, const char *fmt, ...);

#endif
