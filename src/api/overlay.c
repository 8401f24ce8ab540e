/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Virtual files and directories in a virtio-fs share (src/fs/overlay.h), and
 * upstream's init blob calls. Our init comes in an initramfs of ours, never as
 * a file in the root share, so libkrun-c is what upstream's header calls a
 * build without the "init-blob" feature: krun_disable_implicit_init has
 * nothing to disable (0, as there), krun_get_default_init is -ENOTSUP, and
 * krun_has_feature(KRUN_FEATURE_INIT_BLOB) is 0.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "api/ctx.h"
#include "api/export.h"
#include "libkrun.h"
#include "util/log.h"

/* A virtual file's bytes are copied at the call (upstream keeps the caller's
 * pointer; a copy cannot dangle). */
#define OVERLAY_FILE_MAX (64u << 20)

KRUN_API int32_t krun_disable_implicit_init(uint32_t ctx_id)
{
	return ctx_check(ctx_id);
}

KRUN_API int32_t krun_get_default_init(const uint8_t **data_out, size_t *len_out)
{
	if (!data_out || !len_out) {
		log_error("%s: data_out and len_out are needed", __func__);
		return -EINVAL;
	}
	log_error("%s: libkrun-c's init is not a file for the root share (no init blob)",
		  __func__);
	return -ENOTSUP;
}

static struct ctx_fs_share *find_share(struct krun_ctx *ctx, const char *tag)
{
	for (unsigned int i = 0; tag && i < ctx->nfs; i++)
		if (!strcmp(ctx->fs[i].tag, tag))
			return &ctx->fs[i];
	return NULL;
}

static int add_overlay(uint32_t ctx_id, const char *fn, const char *tag,
		       const struct fs_overlay_spec *spec)
{
	CTX_HOLD(ctx, ctx_id);
	struct ctx_fs_share *sh = find_share(ctx, tag);
	struct fs_overlay_spec *grown, *e;
	unsigned int bad;
	int r;

	if (!sh) {
		log_error("%s: no virtio-fs share tagged \"%s\"", fn, tag ? tag : "(null)");
		return -ENOENT;
	}
	if (spec->len > OVERLAY_FILE_MAX) {
		log_error("%s: %s: at most %u bytes", fn, spec->path, OVERLAY_FILE_MAX);
		return -EFBIG;
	}
	grown = realloc(sh->overlays, (sh->noverlays + 1) * sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	sh->overlays = grown;
	e = &grown[sh->noverlays];
	*e = *spec;
	r = fs_overlay_check(grown, sh->noverlays + 1, &bad);
	if (r < 0) {
		log_error("%s: \"%s\": %s", fn, spec->path ? spec->path : "(null)",
			  r == -EINVAL ? "not a path of names (no \"\", \".\", \"..\")"
				       : strerror(-r));
		return r;
	}
	e->path = strdup(spec->path);
	e->data = NULL;
	if (spec->len) {
		uint8_t *copy = malloc(spec->len);

		if (copy)
			memcpy(copy, spec->data, spec->len);
		e->data = copy;
	}
	if (!e->path || (spec->len && !e->data)) {
		free((char *)e->path);
		free((uint8_t *)e->data);
		return -ENOMEM;
	}
	sh->noverlays++;
	return 0;
}

KRUN_API int32_t krun_fs_add_overlay_file(uint32_t ctx_id, const char *fs_tag, const char *path,
					  const uint8_t *data, size_t data_len, uint32_t mode,
					  bool one_shot)
{
	struct fs_overlay_spec spec = { .path = path, .data = data, .len = data_len,
					.mode = mode, .one_shot = one_shot };

	if (!data && data_len) {
		log_error("%s: no data for %zu bytes", __func__, data_len);
		return ctx_check(ctx_id) < 0 ? -ENOENT : -EINVAL;
	}
	/* upstream: "e.g. 0100644 for a regular file": the type, if given, must be that. */
	if ((mode & S_IFMT) && (mode & S_IFMT) != S_IFREG) {
		log_error("%s: mode %#o is not a regular file's", __func__, mode);
		return ctx_check(ctx_id) < 0 ? -ENOENT : -EINVAL;
	}
	return add_overlay(ctx_id, __func__, fs_tag, &spec);
}

KRUN_API int32_t krun_fs_add_overlay_dir(uint32_t ctx_id, const char *fs_tag, const char *path,
					 uint32_t mode)
{
	struct fs_overlay_spec spec = { .path = path, .mode = mode, .dir = true };

	if ((mode & S_IFMT) && (mode & S_IFMT) != S_IFDIR) {
		log_error("%s: mode %#o is not a directory's", __func__, mode);
		return ctx_check(ctx_id) < 0 ? -ENOENT : -EINVAL;
	}
	return add_overlay(ctx_id, __func__, fs_tag, &spec);
}
