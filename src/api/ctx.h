/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A configuration context: everything krun_set_* recorded, validated, owned.
 * Contexts live in the table of src/api/state.h; ids are table indexes.
 */
#ifndef LIBKRUN_API_CTX_H
#define LIBKRUN_API_CTX_H

#include <stdbool.h>
#include <stdint.h>

#include "util/strv.h"
#include "vmm/krunfw.h"

#define KRUN_DEFAULT_VCPUS 1
#define KRUN_DEFAULT_RAM_MIB 128
#define KRUN_MIN_RAM_MIB 64 /* the bundled kernel alone needs ~34 MiB */

struct krun_ctx {
	unsigned int nvcpus;
	uint32_t ram_mib;

	char *kernel_path; /* NULL: the bundled kernel */
	uint32_t kernel_format;
	char *initramfs_path;
	char *cmdline;

	char *exec_path;
	struct strv argv; /* after argv[0] */
	struct strv env;  /* full environment; .v == NULL until set */
	char *workdir;
	struct strv rlimits; /* validated "ID=CUR:MAX" */
	char *console_output;

	struct krunfw krunfw; /* the bundled kernel, opened at create time */
};

/* Looks up a context and takes it out of the table (krun_start_enter consumes
 * it) or just finds it. Both log and return NULL for unknown ids. */
struct krun_ctx *ctx_get(uint32_t id);
struct krun_ctx *ctx_take(uint32_t id);

void ctx_destroy(struct krun_ctx *ctx);

/* Replaces *slot with a copy of s (NULL clears it). 0 or -ENOMEM. */
int ctx_set_string(char **slot, const char *s);

/* Checks one rlimit string "ID=CUR:MAX". 0 or -EINVAL; fills the numbers. */
int rlimit_parse(const char *s, int *id, uint64_t *cur, uint64_t *max);

#endif
