/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The guest kernel bundle (libkrunfw.so.5), opened once, while libkrun.so.1
 * itself is being loaded, as upstream's link to it (DT_NEEDED) does. An OCI
 * runtime (crun) dlopens us on the host and may call krun_create_ctx and
 * krun_start_enter only after entering the container's root, where neither
 * library is; the bundle's pages stay mapped in this process whatever the
 * root is by then.
 *
 * A missing bundle is not an error here: a client that boots its own kernel
 * (krun_set_kernel) needs none, and the library must load without it. It is
 * reported by krun_start_enter, for a context without a kernel of its own.
 * It is never looked for later: once a runtime has entered the container's
 * root, a libkrunfw.so.5 found there would be the image's code running on the
 * host, outside the VM.
 */
#include "api/state.h"

#include "util/log.h"
#include "vmm/krunfw.h"

__attribute__((constructor)) static void bundle_load(void)
{
	struct krun_state *st = krun_state();

	if (krunfw_load(&st->krunfw, st->krunfw_why, sizeof(st->krunfw_why)) < 0)
		log_debug("%s (needed unless krun_set_kernel gives a kernel)", st->krunfw_why);
}

/* dlclose of libkrun.so.1 (a runtime drops the flavours it does not use). */
__attribute__((destructor)) static void bundle_unload(void)
{
	krunfw_close(&krun_state()->krunfw);
}

const struct krunfw *krun_bundle(const char **why)
{
	struct krun_state *st = krun_state();

	if (!st->krunfw.image) {
		*why = st->krunfw_why[0] ? st->krunfw_why : "the guest kernel bundle was not loaded";
		return NULL;
	}
	return &st->krunfw;
}
