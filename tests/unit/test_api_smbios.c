/* SPDX-License-Identifier: Apache-2.0 */
/*
 * krun_set_smbios_oem_strings: upstream's contract (NULL -EINVAL, an empty list
 * clears, a later call replaces, an unknown context -ENOENT), the strings copied
 * at the call, and what the tables cannot hold refused at once with a log line.
 * Leaks would be LeakSanitizer's report at exit.
 */
#include "harness.h"
#include "logcap.h"

#include <errno.h>
#include <stdlib.h>

#include "api/ctx.h"
#include "libkrun.h"
#include "vmm/arch.h"
#include "vmm/smbios.h"

/* The context's strings as the start path will see them. */
static size_t held(uint32_t id, const char **first, const char **last)
{
	struct krun_ctx *ctx = ctx_hold(id);
	size_t n;

	CHECK(ctx != NULL);
	n = ctx->oem_strings.n;
	*first = n ? ctx->oem_strings.v[0] : NULL;
	*last = n ? ctx->oem_strings.v[n - 1] : NULL;
	if (n)
		CHECK(ctx->oem_strings.v[n] == NULL);
	ctx_put(ctx);
	return n;
}

TEST(api_smbios_oem_strings_unknown_context_is_enoent)
{
	const char *const oem[] = { "a", NULL };

	CHECK_EQ(krun_set_smbios_oem_strings(4242, oem), -ENOENT);
	CHECK_EQ(krun_set_smbios_oem_strings(4242, NULL), -ENOENT);
}

TEST(api_smbios_oem_strings_null_is_einval_and_logged)
{
	uint32_t ctx = new_ctx();
	struct logcap c;

	cap_start(&c);
	CHECK_EQ(krun_set_smbios_oem_strings(ctx, NULL), -EINVAL);
	CHECK(strstr(cap_end(&c), "krun_set_smbios_oem_strings: oem_strings is NULL"));
	CHECK_EQ(krun_free_ctx(ctx), 0);
}

TEST(api_smbios_oem_strings_are_copied_at_the_call)
{
	uint32_t ctx = new_ctx();
	char *a = strdup("io.systemd.credential:x=1"), *b = strdup("second");
	const char *first, *last;

	CHECK(a && b);
	const char *const oem[] = { a, b, NULL };
	CHECK_EQ(krun_set_smbios_oem_strings(ctx, oem), 0);
	memset(a, '#', strlen(a));
	free(a);
	free(b);
	CHECK_EQ(held(ctx, &first, &last), 2);
	CHECK_STR_EQ(first, "io.systemd.credential:x=1");
	CHECK_STR_EQ(last, "second");
	CHECK_EQ(krun_free_ctx(ctx), 0); /* frees the copies (LeakSanitizer) */
}

TEST(api_smbios_oem_strings_a_later_call_replaces_an_empty_list_clears)
{
	uint32_t ctx = new_ctx();
	const char *first, *last;

	CHECK_EQ(krun_set_smbios_oem_strings(ctx, (const char *const[]){ "a", "b", "c", NULL }), 0);
	CHECK_EQ(krun_set_smbios_oem_strings(ctx, (const char *const[]){ "z", NULL }), 0);
	CHECK_EQ(held(ctx, &first, &last), 1);
	CHECK_STR_EQ(first, "z");
	CHECK_EQ(krun_set_smbios_oem_strings(ctx, (const char *const[]){ NULL }), 0);
	CHECK_EQ(held(ctx, &first, &last), 0);
	CHECK_EQ(krun_free_ctx(ctx), 0);
}

TEST(api_smbios_oem_strings_bad_lists_are_refused_and_change_nothing)
{
	static const char *many[SMBIOS_OEM_MAX + 2];
	uint32_t ctx = new_ctx();
	size_t room = (size_t)arch_smbios_room();
	char *big = malloc(room + 1);
	const char *first, *last;
	struct logcap c;

	CHECK(big != NULL);
	memset(big, 'b', room);
	big[room] = '\0';
	for (unsigned int i = 0; i <= SMBIOS_OEM_MAX; i++)
		many[i] = "s";
	CHECK_EQ(krun_set_smbios_oem_strings(ctx, (const char *const[]){ "kept", NULL }), 0);

	cap_start(&c);
	CHECK_EQ(krun_set_smbios_oem_strings(ctx, many), -EINVAL); /* 256 */
	CHECK(strstr(cap_end(&c), "more than 255"));
	cap_start(&c);
	CHECK_EQ(krun_set_smbios_oem_strings(ctx, (const char *const[]){ big, NULL }), -EINVAL);
	CHECK(strstr(cap_end(&c), "bytes of SMBIOS tables; the guest has room for"));
	cap_start(&c);
	CHECK_EQ(krun_set_smbios_oem_strings(ctx, (const char *const[]){ "a", "", NULL }), -EINVAL);
	CHECK(strstr(cap_end(&c), "OEM string 1: empty"));
	cap_start(&c);
	CHECK_EQ(krun_set_smbios_oem_strings(ctx, (const char *const[]){ "\xfe", NULL }), -EINVAL);
	CHECK(strstr(cap_end(&c), "OEM string 0: not UTF-8"));
	CHECK_EQ(held(ctx, &first, &last), 1);
	CHECK_STR_EQ(first, "kept");

	many[SMBIOS_OEM_MAX] = NULL; /* 255: the most there can be */
	CHECK_EQ(krun_set_smbios_oem_strings(ctx, many), 0);
	CHECK_EQ(held(ctx, &first, &last), SMBIOS_OEM_MAX);
	free(big);
	CHECK_EQ(krun_free_ctx(ctx), 0);
}
