/* SPDX-License-Identifier: Apache-2.0 */
/* The context table and krun_create_ctx / krun_free_ctx. */
#include "api/ctx.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/export.h"
#include "api/state.h"
#include "libkrun.h"
#include "util/log.h"

struct krun_ctx *ctx_hold(uint32_t id)
{
	struct krun_state *st = krun_state();
	struct krun_ctx *ctx = NULL;

	pthread_mutex_lock(&st->lock);
	if (id < KRUN_MAX_CTX && (ctx = st->ctx[id]))
		ctx->users++; /* ctx_take waits for it: the pointer stays good */
	pthread_mutex_unlock(&st->lock);
	if (!ctx) {
		log_error("unknown context id %u", id);
		return NULL;
	}
	pthread_mutex_lock(&ctx->lock);
	return ctx;
}

void ctx_put(struct krun_ctx *ctx)
{
	struct krun_state *st = krun_state();

	pthread_mutex_unlock(&ctx->lock);
	pthread_mutex_lock(&st->lock);
	if (--ctx->users == 0)
		pthread_cond_broadcast(&ctx->unused);
	pthread_mutex_unlock(&st->lock);
}

struct krun_ctx *ctx_take(uint32_t id)
{
	struct krun_state *st = krun_state();
	struct krun_ctx *ctx = NULL;

	pthread_mutex_lock(&st->lock);
	if (id < KRUN_MAX_CTX && (ctx = st->ctx[id])) {
		st->ctx[id] = NULL;
		/* Calls in progress finish first (each holds the context for a
		 * bounded time: no call waits for another event). */
		while (ctx->users)
			pthread_cond_wait(&ctx->unused, &st->lock);
	}
	pthread_mutex_unlock(&st->lock);
	if (!ctx)
		log_error("unknown context id %u", id);
	return ctx;
}

int ctx_check(uint32_t id)
{
	struct krun_ctx *ctx = ctx_hold(id);

	if (!ctx)
		return -ENOENT;
	ctx_put(ctx);
	return 0;
}

int ctx_set_string(char **slot, const char *s)
{
	char *copy = NULL;

	if (s) {
		copy = strdup(s);
		if (!copy)
			return -ENOMEM;
	}
	free(*slot);
	*slot = copy;
	return 0;
}

void ctx_destroy(struct krun_ctx *ctx)
{
	if (!ctx)
		return;
	free(ctx->kernel_path);
	free(ctx->initramfs_path);
	free(ctx->cmdline);
	free(ctx->kernel_console);
	free(ctx->exec_path);
	strv_free(&ctx->argv);
	strv_free(&ctx->env);
	free(ctx->workdir);
	strv_free(&ctx->rlimits);
	free(ctx->console_output);
	for (unsigned int i = 0; i < ctx->nfs; i++) {
		free(ctx->fs[i].tag);
		free(ctx->fs[i].path);
		for (unsigned int k = 0; k < ctx->fs[i].noverlays; k++) {
			free((char *)ctx->fs[i].overlays[k].path);
			free((uint8_t *)ctx->fs[i].overlays[k].data);
		}
		free(ctx->fs[i].overlays);
	}
	for (unsigned int i = 0; i < ctx->ndisks; i++)
		ctx_disk_release(&ctx->disks[i]);
	ctx_disk_release(&ctx->root_disk);
	ctx_disk_release(&ctx->data_disk);
	free(ctx->root_device);
	free(ctx->root_fstype);
	free(ctx->root_options);
	strv_free(&ctx->port_map);
	strv_free(&ctx->oem_strings);
	for (unsigned int i = 0; i < ctx->nnets; i++)
		ctx_net_release(&ctx->nets[i]);
	for (unsigned int i = 0; i < ctx->nvhost_user; i++)
		ctx_vhost_user_release(&ctx->vhost_user[i]);
	for (unsigned int i = 0; i < ctx->nvsock_ports; i++)
		free(ctx->vsock_ports[i].path);
	for (unsigned int i = 0; i < ctx->ntsi_unix_paths; i++)
		free(ctx->tsi_unix_paths[i]);
	if (ctx->shutdown_fd >= 0)
		close(ctx->shutdown_fd);
	for (unsigned int i = 0; i < ctx->nconsoles; i++)
		for (unsigned int j = 0; j < ctx->consoles[i].nports; j++)
			free((char *)ctx->consoles[i].port[j].name);
	pthread_cond_destroy(&ctx->unused);
	pthread_mutex_destroy(&ctx->lock);
	free(ctx);
}

KRUN_API int32_t krun_create_ctx(void)
{
	struct krun_state *st = krun_state();
	struct krun_ctx *ctx;
	int id = -ENOSPC;

	/* Nothing here may need a file: an OCI runtime calls this inside the
	 * container's root. The kernel bundle was opened with the library
	 * (bundle.c); without it only krun_start_enter fails, and only for a
	 * context that has no kernel of its own (upstream's behaviour). */
	ctx = calloc(1, sizeof(*ctx));
	if (!ctx)
		return -ENOMEM;
	pthread_mutex_init(&ctx->lock, NULL);
	pthread_cond_init(&ctx->unused, NULL);
	ctx->nvcpus = KRUN_DEFAULT_VCPUS;
	ctx->ram_mib = KRUN_DEFAULT_RAM_MIB;
	ctx->shutdown_fd = -1;
	pthread_mutex_lock(&st->lock);
	for (int i = 0; i < KRUN_MAX_CTX; i++) {
		if (!st->ctx[i]) {
			st->ctx[i] = ctx;
			id = i;
			break;
		}
	}
	pthread_mutex_unlock(&st->lock);
	if (id < 0) {
		log_error("krun_create_ctx: all %d contexts are in use", KRUN_MAX_CTX);
		ctx_destroy(ctx);
	}
	return id;
}

/* Waits for the calls in progress on the context (ctx_take), then frees it. */
KRUN_API int32_t krun_free_ctx(uint32_t ctx_id)
{
	struct krun_ctx *ctx = ctx_take(ctx_id);

	if (!ctx)
		return -ENOENT;
	ctx_destroy(ctx);
	return 0;
}

int ctx_unsupported(uint32_t id, const char *fn, const char *feature, int err)
{
	if (ctx_check(id) < 0)
		return -ENOENT;
	log_error("%s: no %s in libkrun-c", fn, feature);
	return err;
}
