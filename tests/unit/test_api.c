/* SPDX-License-Identifier: Apache-2.0 */
/* The public API with bad input: clear negative errnos, a log line saying what
 * was wrong, no change to the context, and (LeakSanitizer) nothing leaked. */
#include "harness.h"
#include "logcap.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "api/ctx.h"
#include "libkrun.h"

TEST(api_unknown_context_is_enoent_everywhere)
{
	const char *argv[] = { NULL };
	const uint32_t bad = 4242;
	struct logcap c;

	cap_start(&c);
	CHECK_EQ(krun_free_ctx(bad), -ENOENT);
	CHECK_EQ(krun_set_vm_config(bad, 1, 128), -ENOENT);
	CHECK_EQ(krun_set_kernel(bad, "/dev/null", KRUN_KERNEL_FORMAT_ELF, NULL, NULL), -ENOENT);
	CHECK_EQ(krun_set_exec(bad, "/bin/sh", argv, argv), -ENOENT);
	CHECK_EQ(krun_set_env(bad, argv), -ENOENT);
	CHECK_EQ(krun_set_workdir(bad, "/"), -ENOENT);
	CHECK_EQ(krun_set_rlimits(bad, argv), -ENOENT);
	CHECK_EQ(krun_set_console_output(bad, "/tmp/x"), -ENOENT);
	CHECK_EQ(krun_set_root(bad, "/"), -ENOENT);
	CHECK_EQ(krun_start_enter(bad), -ENOENT);
	CHECK(strstr(cap_end(&c), "unknown context id 4242"));
}

TEST(api_vm_config_rejects_zero_and_out_of_range_values)
{
	uint32_t ctx = new_ctx();
	struct logcap c;

	cap_start(&c);
	CHECK_EQ(krun_set_vm_config(ctx, 0, 128), -EINVAL);
	CHECK_EQ(krun_set_vm_config(ctx, 1, 0), -EINVAL);
	CHECK_EQ(krun_set_vm_config(ctx, 1, 256 * 1024 + 1), -EINVAL); /* past 256 GiB */
	const char *log = cap_end(&c);
	CHECK(strstr(log, "num_vcpus is 0"));
	CHECK(strstr(log, "ram_mib 0 is outside 1..262144"));
	CHECK_EQ(krun_free_ctx(ctx), 0);
}

/* Upstream refuses only 0 MiB; a VM too small to boot fails at start. */
TEST(api_vm_config_accepts_any_nonzero_ram_as_upstream)
{
	uint32_t ctx = new_ctx();

	CHECK_EQ(krun_set_vm_config(ctx, 1, 1), 0);
	CHECK_EQ(krun_set_vm_config(ctx, 1, 16), 0);
	CHECK_EQ(krun_set_vm_config(ctx, 1, 63), 0);
	CHECK_EQ(krun_set_vm_config(ctx, 1, 256 * 1024), 0);
	CHECK_EQ(krun_free_ctx(ctx), 0);
}

/* Upstream: one output file per context; a second call is -EINVAL. */
TEST(api_console_output_is_set_once_per_context)
{
	uint32_t ctx = new_ctx();
	struct logcap c;

	CHECK_EQ(krun_set_console_output(ctx, "/tmp/first"), 0);
	cap_start(&c);
	CHECK_EQ(krun_set_console_output(ctx, "/tmp/second"), -EINVAL);
	CHECK(strstr(cap_end(&c), "console output is already /tmp/first"));
	CHECK_EQ(krun_free_ctx(ctx), 0);
}

TEST(api_set_kernel_checks_path_and_format)
{
	uint32_t ctx = new_ctx();
	struct logcap c;

	cap_start(&c);
	CHECK_EQ(krun_set_kernel(ctx, NULL, KRUN_KERNEL_FORMAT_ELF, NULL, NULL), -EINVAL);
	CHECK_EQ(krun_set_kernel(ctx, "", KRUN_KERNEL_FORMAT_ELF, NULL, NULL), -EINVAL);
	CHECK_EQ(krun_set_kernel(ctx, "/dev/null", KRUN_KERNEL_FORMAT_PE_GZ, NULL, NULL), -EINVAL);
	CHECK_EQ(krun_set_kernel(ctx, "/dev/null", 77, NULL, NULL), -EINVAL);
	CHECK_EQ(krun_set_kernel(ctx, "/no/such/kernel", KRUN_KERNEL_FORMAT_ELF, NULL, NULL),
		 -ENOENT);
	CHECK_EQ(krun_set_kernel(ctx, "/dev/null", KRUN_KERNEL_FORMAT_ELF, "/no/such/initrd",
				 NULL), -ENOENT);
	CHECK(strstr(cap_end(&c), "not supported"));
	CHECK_EQ(krun_set_kernel(ctx, "/dev/null", KRUN_KERNEL_FORMAT_ELF, NULL, "quiet"), 0);
	CHECK_EQ(krun_free_ctx(ctx), 0);
}

TEST(api_string_setters_reject_null_and_empty)
{
	uint32_t ctx = new_ctx();
	struct logcap c;

	cap_start(&c);
	CHECK_EQ(krun_set_exec(ctx, NULL, NULL, NULL), -EINVAL);
	CHECK_EQ(krun_set_exec(ctx, "", NULL, NULL), -EINVAL);
	CHECK_EQ(krun_set_workdir(ctx, NULL), -EINVAL);
	CHECK_EQ(krun_set_workdir(ctx, ""), -EINVAL);
	CHECK_EQ(krun_set_console_output(ctx, NULL), -EINVAL);
	CHECK(strstr(cap_end(&c), "exec_path is NULL or empty"));
	CHECK_EQ(krun_free_ctx(ctx), 0);
}

TEST(api_rlimits_are_checked_when_set)
{
	const char *bad[][2] = {
		{ "abc", NULL }, { "7=1", NULL }, { "7=5:4", NULL }, { "99=1:2", NULL },
		{ "7=1:2x", NULL }, { "=1:2", NULL }, { "7=:2", NULL }, { "-7=1:2", NULL },
		{ "7=1:2", "8=a:b" },
	};
	const char *good[] = { "7=1024:2048", "4=-1:-1", "3=8388608:infinity", NULL };
	uint32_t ctx = new_ctx();
	struct logcap c;

	cap_start(&c);
	CHECK_EQ(krun_set_rlimits(ctx, NULL), -EINVAL);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *list[] = { bad[i][0], bad[i][1], NULL };
		if (krun_set_rlimits(ctx, list) != -EINVAL)
			harness_fail(__FILE__, __LINE__, "rlimit \"%s\" accepted", bad[i][1] ? bad[i][1] : bad[i][0]);
	}
	CHECK(strstr(cap_end(&c), "\"99=1:2\""));
	CHECK_EQ(krun_set_rlimits(ctx, good), 0);
	CHECK_EQ(krun_free_ctx(ctx), 0);
}

TEST(api_log_settings_are_validated)
{
	CHECK_EQ(krun_set_log_level(KRUN_LOG_LEVEL_TRACE + 1), -EINVAL);
	CHECK_EQ(krun_init_log(-5, KRUN_LOG_LEVEL_WARN, 0, 0), -EINVAL);
	CHECK_EQ(krun_init_log(-1, KRUN_LOG_LEVEL_WARN, 3, 0), -EINVAL);
	CHECK_EQ(krun_init_log(-1, KRUN_LOG_LEVEL_WARN, 0, 2), -EINVAL);
	CHECK_EQ(krun_set_log_level(KRUN_LOG_LEVEL_WARN), 0);
}

TEST(api_free_twice_is_enoent)
{
	uint32_t ctx = new_ctx();
	CHECK_EQ(krun_free_ctx(ctx), 0);
	CHECK_EQ(krun_free_ctx(ctx), -ENOENT);
}

TEST(api_context_table_fills_up_with_enospc_and_recovers)
{
	int ids[80], n = 0, r;
	struct logcap c;

	cap_start(&c);
	while (n < 80 && (r = krun_create_ctx()) >= 0)
		ids[n++] = r;
	cap_end(&c);
	CHECK(n > 0 && n < 80);
	CHECK_EQ(krun_create_ctx(), -ENOSPC);
	for (int i = 0; i < n; i++)
		CHECK_EQ(krun_free_ctx((uint32_t)ids[i]), 0);
	r = krun_create_ctx();
	CHECK(r >= 0);
	CHECK_EQ(krun_free_ctx((uint32_t)r), 0);
}

TEST(api_start_without_exec_fails_before_running_and_consumes_the_context)
{
	uint32_t ctx = new_ctx();
	struct logcap c;

	cap_start(&c);
	CHECK_EQ(krun_start_enter(ctx), -EINVAL);
	CHECK(strstr(cap_end(&c), "krun_set_exec"));
	CHECK_EQ(krun_free_ctx(ctx), -ENOENT);
}

TEST(api_setters_replace_earlier_values_without_leaking)
{
	const char *argv[] = { "a", "b", NULL }, *envp[] = { "X=1", NULL }, *none[] = { NULL };
	uint32_t ctx = new_ctx();

	CHECK_EQ(krun_set_console_output(ctx, "/tmp/out"), 0); /* once: see above */
	for (int i = 0; i < 3; i++) {
		CHECK_EQ(krun_set_exec(ctx, "/bin/sh", argv, envp), 0);
		CHECK_EQ(krun_set_exec(ctx, "/bin/true", NULL, none), 0);
		CHECK_EQ(krun_set_env(ctx, NULL), 0);
		CHECK_EQ(krun_set_workdir(ctx, "/tmp"), 0);
		CHECK_EQ(krun_set_kernel_console(ctx, "ttyS0"), 0);
		CHECK_EQ(krun_set_vm_config(ctx, 1, 64), 0);
	}
	CHECK_EQ(krun_free_ctx(ctx), 0);
}

/* The kernel command line as start.c composes it for ctx, with dev_args. */
static void check_cmdline(uint32_t id, const char *dev_args, const char *want)
{
	struct krun_ctx *ctx = ctx_hold(id);
	char *line = NULL;
	int r;

	CHECK(ctx != NULL);
	r = ctx_kernel_cmdline(ctx, dev_args, &line);
	ctx_put(ctx);
	CHECK_EQ(r, 0);
	if (strcmp(line, want))
		harness_fail(__FILE__, __LINE__, "command line \"%s\", expected \"%s\"", line, want);
	free(line);
}

/* Upstream: the caller's command line takes the place of the default one; what
 * the VMM needs (reset and panic handling, timers, the devices' parameters)
 * stays around it. Ours used to be appended after the default. */
TEST(api_kernel_cmdline_of_the_caller_replaces_the_default)
{
	uint32_t ctx = new_ctx();

	check_cmdline(ctx, " vsock.tsi=1",
		      "reboot=k panic=-1 no_timer_check tsc=reliable console=hvc0 quiet vsock.tsi=1");
	CHECK_EQ(krun_set_kernel(ctx, "/dev/null", KRUN_KERNEL_FORMAT_ELF, NULL,
				 "console=ttyS0 root=/dev/vda"), 0);
	check_cmdline(ctx, " vsock.tsi=1",
		      "reboot=k panic=-1 no_timer_check tsc=reliable console=ttyS0 root=/dev/vda "
		      "vsock.tsi=1");
	CHECK_EQ(krun_set_kernel_console(ctx, "hvc1"), 0);
	check_cmdline(ctx, "",
		      "reboot=k panic=-1 no_timer_check tsc=reliable console=ttyS0 root=/dev/vda "
		      "console=hvc1");
	CHECK_EQ(krun_set_kernel(ctx, "/dev/null", KRUN_KERNEL_FORMAT_ELF, NULL, NULL), 0);
	check_cmdline(ctx, "", "reboot=k panic=-1 no_timer_check tsc=reliable console=hvc1 quiet");
	CHECK_EQ(krun_free_ctx(ctx), 0);
}
