/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The process and the virtual machine's platform: the ids the VMM runs as,
 * what the build offers (krun_has_feature), nested virtualization, the split
 * irqchip, the SMBIOS OEM strings, the platform options libkrun-c does not have
 * (firmware, TEEs), which check their context, say what is missing and return
 * -ENOSYS; and the orderly-shutdown eventfd.
 */
#include <errno.h>
#include <string.h>
#include <sys/eventfd.h>

#include "api/ctx.h"
#include "api/export.h"
#include "libkrun.h"
#include "util/log.h"
#include "vmm/arch.h"
#include "vmm/smbios.h"

/* krun_setuid, krun_setgid: recorded, taken at start (start.c, take_ids). */
static int32_t record_id(uint32_t ctx_id, bool group, unsigned int id)
{
	CTX_HOLD(ctx, ctx_id);

	if (group) {
		ctx->set_gid = true;
		ctx->gid = (gid_t)id;
	} else {
		ctx->set_uid = true;
		ctx->uid = (uid_t)id;
	}
	return 0;
}

KRUN_API int32_t krun_setuid(uint32_t ctx_id, uid_t uid)
{
	return record_id(ctx_id, false, uid);
}

KRUN_API int32_t krun_setgid(uint32_t ctx_id, gid_t gid)
{
	return record_id(ctx_id, true, gid);
}

/* As upstream: success says it will be asked for, not that the host has it
 * (krun_check_nested_virt says that); without it the guest sees no VMX/SVM. */
KRUN_API int32_t krun_set_nested_virt(uint32_t ctx_id, bool enabled)
{
	CTX_HOLD(ctx, ctx_id);

	ctx->nested_virt = enabled;
	return 0;
}

/* What KVM_GET_SUPPORTED_CPUID offers: KVM sets VMX/SVM there only when its
 * `nested` module parameter is on and the CPU has the extension. */
KRUN_API int32_t krun_check_nested_virt(void)
{
	int r = vmm_nested_virt_supported();

	if (r < 0)
		log_error("%s: cannot ask KVM: %s", __func__, strerror(-r));
	return r;
}

/* As upstream: recorded here; a KVM without KVM_CAP_SPLIT_IRQCHIP fails
 * krun_start_enter (-ENOTSUP, logged). Off, KVM has the whole irqchip. */
KRUN_API int32_t krun_split_irqchip(uint32_t ctx_id, bool enable)
{
	CTX_HOLD(ctx, ctx_id);

	ctx->split_irqchip = enable;
	return 0;
}

/* As upstream: NULL is -EINVAL, an empty list clears, a later call replaces,
 * non-UTF-8 is -EINVAL. What the tables cannot hold is refused here too:
 * more than 255 strings (upstream fails at krun_start_enter), an empty one
 * (upstream writes a table that ends there) and more bytes than the arch's
 * SMBIOS area. */
KRUN_API int32_t krun_set_smbios_oem_strings(uint32_t ctx_id, const char *const oem_strings[])
{
	CTX_HOLD(ctx, ctx_id);
	struct strv copy;
	size_t n = 0;
	int r;

	if (!oem_strings) {
		log_error("%s: oem_strings is NULL (an empty list, { NULL }, clears them)", __func__);
		return -EINVAL;
	}
	/* Counting stops one past the most the tables hold: the check refuses that. */
	while (n <= SMBIOS_OEM_MAX && oem_strings[n])
		n++;
	r = smbios_oem_check(__func__, oem_strings, n, arch_smbios_room());
	if (r < 0)
		return r;
	r = strv_dup(oem_strings, &copy);
	if (r < 0)
		return r;
	strv_move(&ctx->oem_strings, &copy);
	return 0;
}

KRUN_API int32_t krun_set_firmware(uint32_t ctx_id, const char *firmware_path)
{
	(void)firmware_path;
	return ctx_unsupported(ctx_id, __func__, "firmware boot (the kernel is booted directly)",
			       -ENOSYS);
}

KRUN_API int32_t krun_set_tee_config_file(uint32_t ctx_id, const char *filepath)
{
	(void)filepath;
	return ctx_unsupported(ctx_id, __func__, "TEE (SEV, TDX) support", -ENOSYS);
}

/* One eventfd per context, made on the first call; later calls return the
 * same. The VMM reads it (vmm/shutdown.h), so it is not close-on-exec's
 * business of ours: EFD_CLOEXEC keeps it out of programs the caller runs. */
KRUN_API int32_t krun_get_shutdown_eventfd(uint32_t ctx_id)
{
	CTX_HOLD(ctx, ctx_id);

	if (ctx->shutdown_fd < 0) {
		ctx->shutdown_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (ctx->shutdown_fd < 0) {
			int r = -errno;
			log_error("%s: eventfd: %s", __func__, strerror(-r));
			return r;
		}
	}
	return ctx->shutdown_fd;
}

/* Each upstream feature, as this build has it: block devices (raw, qcow2,
 * flat VMDK) and network interfaces (virtio-net) only. Numbers upstream does not define (3, 5, past the last) are -EINVAL,
 * as there. */
KRUN_API int32_t krun_has_feature(uint64_t feature)
{
	switch (feature) {
	case KRUN_FEATURE_BLK:
	case KRUN_FEATURE_NET:
		return 1;
	case KRUN_FEATURE_GPU:
	case KRUN_FEATURE_INPUT:
	case KRUN_FEATURE_TEE:
	case KRUN_FEATURE_AMD_SEV:
	case KRUN_FEATURE_INTEL_TDX:
	case KRUN_FEATURE_AWS_NITRO:
	case KRUN_FEATURE_VIRGL_RESOURCE_MAP2:
	/* Our init comes in our initramfs, not as upstream's blob for the root
	 * share: krun_get_default_init is -ENOTSUP, krun_disable_implicit_init
	 * has nothing to disable (src/api/overlay.c). */
	case KRUN_FEATURE_INIT_BLOB:
		return 0;
	default:
		log_error("%s: unknown feature %llu", __func__, (unsigned long long)feature);
		return -EINVAL;
	}
}
