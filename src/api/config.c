/* SPDX-License-Identifier: Apache-2.0 */
/* krun_set_*: validate, copy, then store, so that a failed call changes nothing. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/ctx.h"
#include "api/export.h"
#include "api/state.h"
#include "libkrun.h"
#include "util/log.h"
#include "vmm/vmm.h"

static int bad_arg(const char *fn, const char *what)
{
	log_error("%s: %s", fn, what);
	return -EINVAL;
}

KRUN_API int32_t krun_set_log_level(uint32_t level)
{
	if (level > KRUN_LOG_LEVEL_TRACE)
		return bad_arg(__func__, "level above KRUN_LOG_LEVEL_TRACE");
	log_configure((enum log_level)level, atomic_load(&krun_state()->log_fd));
	return 0;
}

KRUN_API int32_t krun_init_log(int target_fd, uint32_t level, uint32_t style, uint32_t options)
{
	if (level > KRUN_LOG_LEVEL_TRACE)
		return bad_arg(__func__, "level above KRUN_LOG_LEVEL_TRACE");
	if (style > KRUN_LOG_STYLE_NEVER)
		return bad_arg(__func__, "unknown style");
	if (options & ~(uint32_t)KRUN_LOG_OPTION_NO_ENV)
		return bad_arg(__func__, "unknown option bits");
	if (target_fd < 0 && target_fd != KRUN_LOG_TARGET_DEFAULT)
		return bad_arg(__func__, "negative target_fd");
	if (!(options & KRUN_LOG_OPTION_NO_ENV)) {
		const char *env = getenv("KRUN_LOG_LEVEL");
		char *end;
		if (env && *env) {
			unsigned long v = strtoul(env, &end, 10);
			if (!*end && v <= KRUN_LOG_LEVEL_TRACE)
				level = (uint32_t)v;
		}
	}
	log_configure((enum log_level)level, target_fd);
	return 0;
}

KRUN_API int32_t krun_set_vm_config(uint32_t ctx_id, uint8_t num_vcpus, uint32_t ram_mib)
{
	CTX_HOLD(ctx, ctx_id);
	int max = vmm_max_vcpus();

	if (num_vcpus == 0)
		return bad_arg(__func__, "num_vcpus is 0");
	if (max > 0 && num_vcpus > max) {
		log_error("%s: num_vcpus %u is above this host's maximum %d", __func__,
			  num_vcpus, max);
		return -EINVAL;
	}
	/* Upstream refuses only 0; a VM too small to boot fails at start, where the
	 * kernel's actual size is known (arch_ram_layout, the loaders). The upper
	 * bound is the guest address space's. */
	if (ram_mib == 0 || ram_mib > VMM_MAX_RAM_MIB) {
		log_error("%s: ram_mib %u is outside 1..%u", __func__, ram_mib, VMM_MAX_RAM_MIB);
		return -EINVAL;
	}
	ctx->nvcpus = num_vcpus;
	ctx->ram_mib = ram_mib;
	return 0;
}

KRUN_API int32_t krun_get_max_vcpus(void)
{
	return vmm_max_vcpus();
}

KRUN_API int32_t krun_set_kernel(uint32_t ctx_id, const char *kernel_path,
				 uint32_t kernel_format, const char *initramfs,
				 const char *cmdline)
{
	CTX_HOLD(ctx, ctx_id);
	char *k = NULL, *i = NULL, *c = NULL;

	if (!kernel_path || !*kernel_path)
		return bad_arg(__func__, "kernel_path is NULL or empty");
	switch (kernel_format) {
	case KRUN_KERNEL_FORMAT_RAW:
	case KRUN_KERNEL_FORMAT_ELF:
	case KRUN_KERNEL_FORMAT_IMAGE_BZ2:
	case KRUN_KERNEL_FORMAT_IMAGE_GZ:
	case KRUN_KERNEL_FORMAT_IMAGE_ZSTD:
	case KRUN_KERNEL_FORMAT_BZIMAGE:
		break;
	case KRUN_KERNEL_FORMAT_PE_GZ:
		/* Upstream loads PE_GZ on aarch64 and riscv64 only; on x86_64 its
		 * krun_start_enter fails (KernelFormatUnsupported). Said here, at once. */
		log_error("%s: KRUN_KERNEL_FORMAT_PE_GZ is an aarch64/riscv64 format, not "
			  "supported on x86_64", __func__);
		return -EINVAL;
	default:
		log_error("%s: unknown kernel format %u", __func__, kernel_format);
		return -EINVAL;
	}
	if (access(kernel_path, R_OK) < 0 || (initramfs && access(initramfs, R_OK) < 0)) {
		int r = -errno;
		log_error("%s: cannot read %s: %s", __func__,
			  access(kernel_path, R_OK) < 0 ? kernel_path : initramfs, strerror(-r));
		return r;
	}
	if (ctx_set_string(&k, kernel_path) || ctx_set_string(&i, initramfs) ||
	    ctx_set_string(&c, cmdline)) {
		free(k);
		free(i);
		free(c);
		return -ENOMEM;
	}
	free(ctx->kernel_path);
	free(ctx->initramfs_path);
	free(ctx->cmdline);
	ctx->kernel_path = k;
	ctx->initramfs_path = i;
	ctx->cmdline = c;
	ctx->kernel_format = kernel_format;
	return 0;
}

/* envp NULL: this process's environment now; {NULL}: empty. */
static int copy_env(const char *const envp[], struct strv *out)
{
	extern char **environ;
	return strv_dup(envp ? envp : (const char *const *)environ, out);
}

KRUN_API int32_t krun_set_exec(uint32_t ctx_id, const char *exec_path,
			       const char *const argv[], const char *const envp[])
{
	CTX_HOLD(ctx, ctx_id);
	struct strv a = { 0 }, e = { 0 };
	char *path = NULL;

	if (!exec_path || !*exec_path)
		return bad_arg(__func__, "exec_path is NULL or empty");
	if (ctx_set_string(&path, exec_path) || strv_dup(argv, &a) || copy_env(envp, &e)) {
		free(path);
		strv_free(&a);
		strv_free(&e);
		return -ENOMEM;
	}
	free(ctx->exec_path);
	ctx->exec_path = path;
	strv_move(&ctx->argv, &a);
	strv_move(&ctx->env, &e);
	return 0;
}

KRUN_API int32_t krun_set_env(uint32_t ctx_id, const char *const envp[])
{
	CTX_HOLD(ctx, ctx_id);
	struct strv e = { 0 };

	if (copy_env(envp, &e))
		return -ENOMEM;
	strv_move(&ctx->env, &e);
	return 0;
}

KRUN_API int32_t krun_set_workdir(uint32_t ctx_id, const char *workdir_path)
{
	CTX_HOLD(ctx, ctx_id);

	if (!workdir_path || !*workdir_path)
		return bad_arg(__func__, "workdir_path is NULL or empty");
	return ctx_set_string(&ctx->workdir, workdir_path);
}

KRUN_API int32_t krun_set_rlimits(uint32_t ctx_id, const char *const rlimits[])
{
	CTX_HOLD(ctx, ctx_id);
	struct strv r = { 0 };

	if (!rlimits)
		return bad_arg(__func__, "rlimits is NULL");
	size_t n = 0;
	int ret = -ENOMEM;

	while (rlimits[n])
		n++;
	r.v = calloc(n + 1, sizeof(*r.v));
	if (!r.v)
		return -ENOMEM;
	/* Stored normalised (all decimal, infinity as RLIM_INFINITY), the form the
	 * guest init accepts (vmm/guest_abi.h). */
	for (; r.n < n; r.n++) {
		int id;
		uint64_t cur, max;
		if (rlimit_parse(rlimits[r.n], &id, &cur, &max) < 0) {
			log_error("%s: \"%s\" is not RESOURCE=CUR:MAX with a known numeric "
				  "RLIMIT id and CUR <= MAX", __func__, rlimits[r.n]);
			ret = -EINVAL;
			goto fail;
		}
		if (asprintf(&r.v[r.n], "%d=%llu:%llu", id, (unsigned long long)cur,
			     (unsigned long long)max) < 0) {
			r.v[r.n] = NULL;
			goto fail;
		}
	}
	strv_move(&ctx->rlimits, &r);
	return 0;
fail:
	strv_free(&r);
	return ret;
}

KRUN_API int32_t krun_set_console_output(uint32_t ctx_id, const char *c_filepath)
{
	CTX_HOLD(ctx, ctx_id);

	if (!c_filepath || !*c_filepath)
		return bad_arg(__func__, "c_filepath is NULL or empty");
	/* Upstream's rule: one output file per context, the first call's. */
	if (ctx->console_output) {
		log_error("%s: the console output is already %s", __func__, ctx->console_output);
		return -EINVAL;
	}
	return ctx_set_string(&ctx->console_output, c_filepath);
}
