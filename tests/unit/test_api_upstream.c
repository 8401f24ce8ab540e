/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The calls of upstream's header for what libkrun-c does not have: each checks
 * its context first (-ENOENT), then logs which feature is missing and returns
 * -ENOSYS, or -ENOTSUP where upstream's header documents that for a build
 * without the feature; the few that upstream accepts regardless (GPU options,
 * nested virtualization off) succeed. krun_has_feature answers for each.
 */
#include "harness.h"
#include "logcap.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

#include "libkrun.h"

/* Every call that needs a context, with a context id; its expected errno for a
 * known context, and a word its log line must hold. */
struct call {
	const char *name;
	int (*fn)(uint32_t ctx);
	int err;
	const char *says;
};

static uint8_t mac[6];

static int c_display(uint32_t c) { return krun_add_display(c, 1024, 768); }
static int c_edid(uint32_t c) { return krun_display_set_edid(c, 0, mac, sizeof(mac)); }
static int c_dpi(uint32_t c) { return krun_display_set_dpi(c, 0, 96); }
static int c_size(uint32_t c) { return krun_display_set_physical_size(c, 0, 300, 200); }
static int c_refresh(uint32_t c) { return krun_display_set_refresh_rate(c, 0, 60); }
static int c_backend(uint32_t c) { return krun_set_display_backend(c, mac, sizeof(mac)); }
static int c_input(uint32_t c) { return krun_add_input_device(c, mac, 6, mac, 6); }
static int c_input_fd(uint32_t c) { return krun_add_input_device_fd(c, 0); }
static int c_firmware(uint32_t c) { return krun_set_firmware(c, "/fw.bin"); }
static int c_tee(uint32_t c) { return krun_set_tee_config_file(c, "/tee.json"); }

#define CALL(fn, err, says) { #fn, fn, err, says }
static const struct call calls[] = {
	CALL(c_display, -ENOTSUP, "display"),        CALL(c_edid, -ENOTSUP, "display"),
	CALL(c_dpi, -ENOTSUP, "display"),            CALL(c_size, -ENOTSUP, "display"),
	CALL(c_refresh, -ENOTSUP, "display"),        CALL(c_backend, -ENOTSUP, "display"),
	CALL(c_input, -ENOTSUP, "virtio-input"),     CALL(c_input_fd, -ENOTSUP, "virtio-input"),
	CALL(c_firmware, -ENOSYS, "firmware"),       CALL(c_tee, -ENOSYS, "TEE"),
};

TEST(api_missing_features_check_the_context_first)
{
	struct logcap c;

	cap_start(&c);
	for (size_t i = 0; i < sizeof(calls) / sizeof(calls[0]); i++)
		if (calls[i].fn(4242) != -ENOENT)
			harness_fail(__FILE__, __LINE__, "%s: not -ENOENT for an unknown context",
				     calls[i].name);
	CHECK_EQ(krun_set_gpu_options(4242, 0), -ENOENT);
	CHECK_EQ(krun_set_gpu_options2(4242, 0, 1 << 20), -ENOENT);
	CHECK_EQ(krun_set_nested_virt(4242, false), -ENOENT);
	CHECK_EQ(krun_split_irqchip(4242, false), -ENOENT);
	CHECK_EQ(krun_set_kernel_console(4242, "hvc0"), -ENOENT);
	CHECK_EQ(krun_setuid(4242, 0), -ENOENT);
	CHECK_EQ(krun_setgid(4242, 0), -ENOENT);
	CHECK_EQ(krun_add_virtiofs3(4242, "t", "/tmp", 0, false), -ENOENT);
	CHECK_EQ(krun_set_mapped_volumes(4242, NULL), -ENOENT);
	CHECK_EQ(krun_get_shutdown_eventfd(4242), -ENOENT);
	CHECK_EQ(krun_add_vhost_user_device(4242, KRUN_VIRTIO_DEVICE_RNG, "/run/rng.sock", NULL, 1,
					    NULL), -ENOENT);
	CHECK(strstr(cap_end(&c), "unknown context id 4242"));
}

/* krun_get_shutdown_eventfd: one eventfd per context, the same on every call,
 * writable by the caller, closed with the context (that writing it stops the
 * guest's workload: the VM test vmm_orderly_shutdown). */
TEST(api_shutdown_eventfd_is_one_eventfd_per_context_closed_with_it)
{
	uint32_t a = new_ctx(), b = new_ctx();
	int fa = krun_get_shutdown_eventfd(a), fb = krun_get_shutdown_eventfd(b);
	uint64_t one = 1;
	char link[64], target[64] = "";

	CHECK(fa >= 0 && fb >= 0 && fa != fb);
	CHECK_EQ(krun_get_shutdown_eventfd(a), fa);
	CHECK_EQ(write(fa, &one, sizeof(one)), (ssize_t)sizeof(one));
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fa);
	CHECK(readlink(link, target, sizeof(target) - 1) > 0);
	CHECK(strstr(target, "eventfd") != NULL);
	CHECK(fcntl(fa, F_GETFD) & FD_CLOEXEC);
	CHECK_EQ(krun_free_ctx(a), 0);
	CHECK(fcntl(fa, F_GETFD) < 0 && errno == EBADF);
	CHECK_EQ(krun_free_ctx(b), 0);
	CHECK(fcntl(fb, F_GETFD) < 0 && errno == EBADF);
}

TEST(api_missing_features_say_which_and_fail_with_upstreams_errno)
{
	uint32_t ctx = new_ctx();
	struct logcap c;

	for (size_t i = 0; i < sizeof(calls) / sizeof(calls[0]); i++) {
		cap_start(&c);
		int r = calls[i].fn(ctx);
		const char *log = cap_end(&c);
		if (r != calls[i].err)
			harness_fail(__FILE__, __LINE__, "%s returned %d, expected %d", calls[i].name,
				     r, calls[i].err);
		if (!strstr(log, calls[i].says) || !strstr(log, "in libkrun-c"))
			harness_fail(__FILE__, __LINE__, "%s logged \"%s\", no \"%s\"", calls[i].name,
				     log, calls[i].says);
	}
	/* The context is still usable: nothing was recorded. */
	CHECK_EQ(krun_set_vm_config(ctx, 1, 128), 0);
	CHECK_EQ(krun_free_ctx(ctx), 0);
}

TEST(api_get_default_init_is_enotsup_as_upstream_without_its_blob)
{
	const uint8_t *data = NULL;
	size_t len = 0;
	struct logcap c;

	cap_start(&c);
	CHECK_EQ(krun_get_default_init(&data, &len), -ENOTSUP);
	CHECK(strstr(cap_end(&c), "init blob"));
	CHECK(data == NULL && len == 0);
}

/* crun asks for a GPU whenever the host has /dev/dri and fails on an error;
 * upstream accepts the flags in every build. */
TEST(api_gpu_options_are_accepted_with_a_warning)
{
	uint32_t ctx = new_ctx();
	int fd[2];
	char text[512];
	ssize_t n;

	CHECK(pipe2(fd, O_NONBLOCK) == 0);
	CHECK_EQ(krun_init_log(fd[1], KRUN_LOG_LEVEL_WARN, KRUN_LOG_STYLE_NEVER,
			       KRUN_LOG_OPTION_NO_ENV), 0);
	CHECK_EQ(krun_set_gpu_options(ctx, VIRGLRENDERER_NO_VIRGL | VIRGLRENDERER_RENDER_SERVER |
						   VIRGLRENDERER_VENUS | VIRGLRENDERER_THREAD_SYNC |
						   VIRGLRENDERER_USE_ASYNC_FENCE_CB), 0);
	CHECK_EQ(krun_set_gpu_options2(ctx, VIRGLRENDERER_USE_EGL, 1ULL << 33), 0);
	n = read(fd[0], text, sizeof(text) - 1);
	text[n < 0 ? 0 : n] = '\0';
	krun_init_log(KRUN_LOG_TARGET_DEFAULT, KRUN_LOG_LEVEL_WARN, 0, KRUN_LOG_OPTION_NO_ENV);
	close(fd[0]);
	close(fd[1]);
	CHECK(strstr(text, "warn: krun_set_gpu_options: no virtio-gpu in libkrun-c"));
	CHECK(strstr(text, "0x3c2 ignored"));
	CHECK_EQ(krun_free_ctx(ctx), 0);
}

TEST(api_has_feature_answers_for_every_upstream_feature)
{
	static const uint64_t known[] = {
		KRUN_FEATURE_NET,       KRUN_FEATURE_BLK,     KRUN_FEATURE_GPU,
		KRUN_FEATURE_INPUT,     KRUN_FEATURE_TEE,     KRUN_FEATURE_AMD_SEV,
		KRUN_FEATURE_INTEL_TDX, KRUN_FEATURE_AWS_NITRO, KRUN_FEATURE_VIRGL_RESOURCE_MAP2,
		KRUN_FEATURE_INIT_BLOB,
	};
	struct logcap c;

	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		CHECK_EQ(krun_has_feature(known[i]),
			 known[i] == KRUN_FEATURE_BLK || known[i] == KRUN_FEATURE_NET);
	cap_start(&c);
	CHECK_EQ(krun_has_feature(3), -EINVAL);
	CHECK_EQ(krun_has_feature(5), -EINVAL);
	CHECK_EQ(krun_has_feature(12), -EINVAL);
	CHECK_EQ(krun_has_feature(UINT64_MAX), -EINVAL);
	CHECK(strstr(cap_end(&c), "unknown feature 12"));
}

/* The kvm_intel/kvm_amd `nested` parameter, where that module is loaded: 1
 * on, 0 off, -1 neither module (kvm_pvm: no extension to give). */
static int host_nested_param(void)
{
	static const char *const paths[] = { "/sys/module/kvm_intel/parameters/nested",
					     "/sys/module/kvm_amd/parameters/nested" };
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		char v = 0;
		int fd = open(paths[i], O_RDONLY);
		if (fd < 0)
			continue;
		if (read(fd, &v, 1) != 1)
			v = 0;
		close(fd);
		return v == 'Y' || v == '1';
	}
	return -1;
}

/* krun_check_nested_virt agrees with the host's KVM module parameter (the
 * guest's view of it: the VM test vmm_nested_virt_cpuid). */
TEST(api_check_nested_virt_follows_the_kvm_module)
{
	int want = host_nested_param(), got = krun_check_nested_virt();

	if (access("/dev/kvm", R_OK | W_OK) < 0)
		CHECK(got < 0);
	else if (want >= 0)
		CHECK_EQ(got, want);
	else
		CHECK_EQ(got, 0);
}

/* Consoles: open fds only, at most 4 with the implicit one; the guest's view:
 * the VM test vmm_console_default. */
TEST(api_virtio_consoles_take_open_fds_up_to_four)
{
	uint32_t ctx = new_ctx(), off = new_ctx();
	struct logcap c;

	cap_start(&c);
	CHECK_EQ(krun_disable_implicit_console(4242), -ENOENT);
	CHECK_EQ(krun_add_virtio_console_default(4242, 0, 1, 2), -ENOENT);
	CHECK_EQ(krun_add_virtio_console_default(ctx, 0, 1, 9999), -EBADF);
	CHECK_EQ(krun_add_virtio_console_default(ctx, -1, 1, 2), -EBADF);
	for (int i = 0; i < 3; i++)
		CHECK_EQ(krun_add_virtio_console_default(ctx, 0, 1, 2), 0);
	CHECK_EQ(krun_add_virtio_console_default(ctx, 0, 1, 2), -ENOSPC);
	CHECK_EQ(krun_disable_implicit_console(off), 0);
	for (int i = 0; i < 4; i++)
		CHECK_EQ(krun_add_virtio_console_default(off, 0, 1, 2), 0);
	CHECK_EQ(krun_add_virtio_console_default(off, 0, 1, 2), -ENOSPC);
	CHECK(strstr(cap_end(&c), "at most 4 virtio consoles"));
	CHECK_EQ(krun_free_ctx(ctx), 0);
	CHECK_EQ(krun_free_ctx(off), 0);
}

/* Multiport consoles: ids in the order added, ports only on such a console,
 * open fds, one TTY port each, at most 4 ports, names copied. */
TEST(api_multiport_console_ports_are_checked)
{
	uint32_t ctx = new_ctx();
	char name[300];
	struct logcap c;

	cap_start(&c);
	CHECK_EQ(krun_add_virtio_console_multiport(4242), -ENOENT);
	CHECK_EQ(krun_add_console_port_tty(4242, 0, "t", 0), -ENOENT);
	CHECK_EQ(krun_add_virtio_console_default(ctx, 0, 1, 2), 0);
	CHECK_EQ(krun_add_virtio_console_multiport(ctx), 1);
	CHECK_EQ(krun_add_console_port_inout(ctx, 0, "x", 0, 1), -EINVAL); /* not multiport */
	CHECK_EQ(krun_add_console_port_inout(ctx, 7, "x", 0, 1), -EINVAL);
	CHECK_EQ(krun_add_console_port_inout(ctx, 1, NULL, 0, 1), -EINVAL);
	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	CHECK_EQ(krun_add_console_port_inout(ctx, 1, name, 0, 1), -EINVAL);
	CHECK_EQ(krun_add_console_port_inout(ctx, 1, "x", 9999, 1), -EBADF);
	CHECK_EQ(krun_add_console_port_tty(ctx, 1, "", -1), -EBADF);
	strcpy(name, "io");
	CHECK_EQ(krun_add_console_port_inout(ctx, 1, name, 0, 1), 0);
	name[0] = 'X'; /* the context has its own copy */
	CHECK_EQ(krun_add_console_port_tty(ctx, 1, "tty", 0), 0);
	CHECK_EQ(krun_add_console_port_tty(ctx, 1, "tty2", 0), -EEXIST);
	CHECK_EQ(krun_add_console_port_inout(ctx, 1, "", 0, 1), 0);
	CHECK_EQ(krun_add_console_port_inout(ctx, 1, "d", 0, 1), 0);
	CHECK_EQ(krun_add_console_port_inout(ctx, 1, "e", 0, 1), -ENOSPC);
	const char *log = cap_end(&c);
	CHECK(strstr(log, "is not a console of krun_add_virtio_console_multiport"));
	CHECK(strstr(log, "at most 4 ports per console"));
	CHECK_EQ(krun_free_ctx(ctx), 0); /* LeakSanitizer: the names are freed */
}

/* Overlays: on an existing share, parents first, copied data; the init blob
 * calls answer as upstream's build without one. The guest's view: the VM
 * test fs_overlay_files; the server's: test_fs_overlay. */
TEST(api_overlays_check_their_share_and_path)
{
	uint32_t ctx = new_ctx();
	uint8_t data[4] = "abc";
	const uint8_t *blob = NULL;
	size_t len = 0;
	struct logcap c;

	cap_start(&c);
	CHECK_EQ(krun_fs_add_overlay_dir(4242, KRUN_FS_ROOT_TAG, "d", 040755), -ENOENT);
	CHECK_EQ(krun_fs_add_overlay_dir(ctx, KRUN_FS_ROOT_TAG, "d", 040755), -ENOENT); /* no root */
	CHECK_EQ(krun_set_root(ctx, "/tmp"), 0);
	CHECK_EQ(krun_fs_add_overlay_file(ctx, KRUN_FS_ROOT_TAG, "d/f", data, 3, 0100644, false),
		 -ENOENT);
	CHECK_EQ(krun_fs_add_overlay_dir(ctx, KRUN_FS_ROOT_TAG, "d", 040755), 0);
	CHECK_EQ(krun_fs_add_overlay_dir(ctx, KRUN_FS_ROOT_TAG, "d", 040755), -EEXIST);
	CHECK_EQ(krun_fs_add_overlay_file(ctx, KRUN_FS_ROOT_TAG, "d/f", data, 3, 0100644, true),
		 0);
	data[0] = 'X'; /* copied at the call */
	CHECK_EQ(krun_fs_add_overlay_file(ctx, KRUN_FS_ROOT_TAG, "d/f/g", data, 3, 0644, false),
		 -ENOTDIR);
	CHECK_EQ(krun_fs_add_overlay_file(ctx, KRUN_FS_ROOT_TAG, "../f", data, 3, 0644, false),
		 -EINVAL);
	CHECK_EQ(krun_fs_add_overlay_file(ctx, KRUN_FS_ROOT_TAG, "g", NULL, 3, 0644, false),
		 -EINVAL);
	CHECK_EQ(krun_fs_add_overlay_file(ctx, KRUN_FS_ROOT_TAG, "g", data, 3, 040755, false),
		 -EINVAL);
	CHECK_EQ(krun_fs_add_overlay_file(ctx, "no-such-tag", "g", data, 3, 0644, false), -ENOENT);
	CHECK_EQ(krun_fs_add_overlay_file(ctx, KRUN_FS_ROOT_TAG, "empty", NULL, 0, 0644, false), 0);
	CHECK_EQ(krun_disable_implicit_init(ctx), 0);
	CHECK_EQ(krun_disable_implicit_init(4242), -ENOENT);
	CHECK_EQ(krun_get_default_init(NULL, &len), -EINVAL);
	CHECK_EQ(krun_get_default_init(&blob, &len), -ENOTSUP);
	CHECK(strstr(cap_end(&c), "no virtio-fs share tagged"));
	CHECK_EQ(krun_free_ctx(ctx), 0); /* LeakSanitizer: paths and data freed */
}

/* One serial port per context, on fds that are open (or -1); the device
 * itself: test_uart, and the VM test vmm_serial_console. */
TEST(api_serial_console_takes_open_fds_once)
{
	uint32_t ctx = new_ctx();
	struct logcap c;

	cap_start(&c);
	CHECK_EQ(krun_add_serial_console_default(4242, 0, 1), -ENOENT);
	CHECK_EQ(krun_add_serial_console_default(ctx, 9999, 1), -EBADF);
	CHECK_EQ(krun_add_serial_console_default(ctx, 0, -7), -EBADF);
	CHECK_EQ(krun_add_serial_console_default(ctx, -1, 1), 0);
	CHECK_EQ(krun_add_serial_console_default(ctx, 0, 1), -ENOSPC);
	CHECK(strstr(cap_end(&c), "one serial port"));
	CHECK_EQ(krun_free_ctx(ctx), 0);
}

TEST(api_platform_options_off_are_fine_and_ids_are_recorded)
{
	uint32_t ctx = new_ctx();
	struct logcap c;

	CHECK_EQ(krun_set_nested_virt(ctx, false), 0);
	CHECK_EQ(krun_set_nested_virt(ctx, true), 0);
	CHECK_EQ(krun_split_irqchip(ctx, false), 0);
	CHECK_EQ(krun_split_irqchip(ctx, true), 0);
	CHECK_EQ(krun_setuid(ctx, 1000), 0);
	CHECK_EQ(krun_setgid(ctx, 1000), 0);
	CHECK_EQ(krun_set_kernel_console(ctx, "ttyS0"), 0);
	cap_start(&c);
	CHECK_EQ(krun_set_kernel_console(ctx, NULL), -EINVAL);
	CHECK_EQ(krun_set_kernel_console(ctx, ""), -EINVAL);
	CHECK_EQ(krun_set_kernel_console(ctx, "hvc0 quiet"), -EINVAL);
	CHECK(strstr(cap_end(&c), "without blanks"));
	CHECK_EQ(krun_free_ctx(ctx), 0);
}
