/* SPDX-License-Identifier: Apache-2.0 */
/* krun_start_enter: turn a context into a vmm_config, run it, end the process. */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/ctx.h"
#include "api/export.h"
#include "api/state.h"
#include "api/term.h"
#include "libkrun.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/file.h"
#include "util/log.h"
#include "vmm/guest_abi.h"
#include "vmm/initramfs.h"
#include "vmm/kernel_image.h"
#include "vmm/seccomp.h"
#include "vmm/vmm.h"

#define MAX_KERNEL_FILE (512u << 20)
#define MAX_INITRAMFS_FILE (1024u << 20)

/*
 * The kernel command line has three parts, as upstream's: what the VMM always
 * gives (the virtual machine's facts), then either the caller's command line
 * (krun_set_kernel) or ours in its place, then the devices' parameters (TSI
 * here, the virtio-mmio list from vm.c), which must match the VMM.
 *
 * VMM_CMDLINE: reboot=k, the guest resets through the keyboard controller,
 * which the VMM sees; panic=-1, a guest panic resets at once instead of hanging
 * the VM; no_timer_check, tsc=reliable: the guest's IO-APIC timer check and TSC
 * watchdog, which a loaded host's vCPU scheduling can trip. A caller's line
 * comes after it, so its own value of any of these wins (the kernel keeps the
 * last). Our default part, what a caller's line replaces: the console (hvc0,
 * or krun_set_kernel_console's) and quiet (unless our log level is debug). Our
 * init needs nothing on the line: its configuration is in the initramfs.
 */
#define VMM_CMDLINE "reboot=k panic=-1 no_timer_check tsc=reliable"
#define DEFAULT_CONSOLE "hvc0"

struct start {
	void *kernel_file;
	int kernel_fd; /* an ELF kernel the loader reads from (boot_spec.kernel_from_fd) */
	struct buf initrd;
	struct buf config;
	struct cpio cpio;
	char *cmdline;
	char *tsi_args; /* " vsock.tsi=1 vsock.tsi_unix=..." or "" */
	int console_file, null_fd;
	const struct krunfw *krunfw; /* the bundle (bundle.c), when it is the one booted */
};

/* vmm_config.boot_copied: the kernel and initrd are in guest RAM; keeping
 * them here too would cost their size in RSS for the VM's whole life. */
static void release_boot_sources(void *arg)
{
	struct start *s = arg;

	free(s->kernel_file);
	s->kernel_file = NULL;
	if (s->kernel_fd >= 0)
		close(s->kernel_fd);
	s->kernel_fd = -1;
	buf_release(&s->initrd);
	buf_release(&s->config);
	cpio_release(&s->cpio);
	if (s->krunfw)
		krunfw_drop_pages(s->krunfw);
	/* The init binary embedded in our rodata was copied into the initrd:
	 * its ~900 KiB would otherwise stay resident for the VM's life. */
	file_pages_drop(krun_init_start, (size_t)(krun_init_end - krun_init_start));
}

static void start_release(struct start *s)
{
	free(s->kernel_file);
	if (s->kernel_fd >= 0)
		close(s->kernel_fd);
	buf_release(&s->initrd);
	buf_release(&s->config);
	cpio_release(&s->cpio);
	free(s->cmdline);
	free(s->tsi_args);
	if (s->console_file >= 0)
		close(s->console_file);
	if (s->null_fd >= 0)
		close(s->null_fd);
}

/* The bundled kernel's TSI switches (kernel/patches): vsock.tsi=1 carries TCP
 * and UDP, vsock.tsi_unix lists the host paths a guest AF_UNIX connect may
 * reach (checked by krun_allow_tsi_unix_path: no commas, no blanks). */
static int tsi_cmdline(const struct krun_ctx *ctx, bool inet, bool unix_on, char **out)
{
	size_t len = 32;
	char *p;

	for (unsigned int i = 0; unix_on && i < ctx->ntsi_unix_paths; i++)
		len += strlen(ctx->tsi_unix_paths[i]) + 1;
	p = malloc(len);
	if (!p)
		return -ENOMEM;
	*out = p;
	p += sprintf(p, "%s", inet ? " vsock.tsi=1" : "");
	for (unsigned int i = 0; unix_on && i < ctx->ntsi_unix_paths; i++)
		p += sprintf(p, "%s%s", i ? "," : " vsock.tsi_unix=", ctx->tsi_unix_paths[i]);
	return 0;
}

static int load_kernel(struct krun_ctx *ctx, struct start *s, struct boot_spec *b)
{
	const struct krunfw *fw;
	const char *why;
	size_t len;
	int r;

	if (!ctx->kernel_path) {
		/* Upstream's rule: no bundle is an error only now, without a kernel. */
		fw = krun_bundle(&why);
		if (!fw) {
			log_error("krun_start_enter: %s; install it next to libkrun.so.1 or give "
				  "a kernel with krun_set_kernel", why);
			return -ENOENT;
		}
		b->kernel = fw->image;
		b->kernel_size = fw->size;
		b->format = KERNEL_FORMAT_RAW;
		b->load_addr = fw->load_addr;
		b->entry = fw->entry;
		b->kernel_mappable = krunfw_file_usable(fw);
		b->kernel_fd = b->kernel_mappable ? fw->fd : -1;
		b->kernel_file_offset = fw->file_offset;
		b->kernel_cow_start = fw->cow_start;
		b->kernel_cow_end = fw->cow_end;
		s->krunfw = fw;
		return 0;
	}
	if (ctx->kernel_format == KRUN_KERNEL_FORMAT_ELF) {
		/* Not read here: the loader reads the headers and the loaded
		 * segments straight into guest RAM. A vmlinux is mostly symbols
		 * and debug sections (ours: 22 MiB, 16 of them loaded), which
		 * then cost neither a read nor a buffer. */
		r = file_open_regular(ctx->kernel_path, MAX_KERNEL_FILE, &s->kernel_fd, &len);
		if (r < 0)
			return r;
		b->kernel = NULL;
		b->kernel_size = len;
		b->kernel_fd = s->kernel_fd;
		b->kernel_from_fd = true;
		b->format = KERNEL_FORMAT_ELF;
		return 0;
	}
	r = file_read_all(ctx->kernel_path, MAX_KERNEL_FILE, &s->kernel_file, &len);
	if (r < 0)
		return r;
	if (kimage_is_compressed((enum kernel_format)ctx->kernel_format)) {
		void *elf;

		r = kimage_unpack((enum kernel_format)ctx->kernel_format, s->kernel_file, len,
				  KIMAGE_MAX_UNPACKED, ctx->kernel_path, &elf, &len);
		if (r < 0)
			return r;
		free(s->kernel_file);
		s->kernel_file = elf;
	}
	b->kernel = s->kernel_file;
	b->kernel_size = len;
	if (ctx->kernel_format == KRUN_KERNEL_FORMAT_ELF ||
	    kimage_is_compressed((enum kernel_format)ctx->kernel_format)) {
		b->format = KERNEL_FORMAT_ELF;
	} else if (len > 0x206 && !memcmp((char *)s->kernel_file + 0x202, "HdrS", 4)) {
		b->format = KERNEL_FORMAT_BZIMAGE;
	} else if (ctx->kernel_format == KRUN_KERNEL_FORMAT_RAW) {
		/* Upstream's x86_64 RAW: the file's bytes, as they are, at a fixed
		 * address that is also the entry (lib.rs, map_kernel). */
		b->format = KERNEL_FORMAT_RAW;
		b->load_addr = b->entry = arch_raw_kernel_addr();
	} else {
		log_error("%s is not a bzImage (no \"HdrS\" boot header)", ctx->kernel_path);
		return -EINVAL;
	}
	return 0;
}

/* The root share (krun_set_root, or a krun_add_virtiofs* of KRUN_FS_ROOT_TAG), or NULL. */
static const struct ctx_fs_share *root_share(const struct krun_ctx *ctx)
{
	for (unsigned int i = 0; i < ctx->nfs; i++)
		if (!strcmp(ctx->fs[i].tag, KRUN_ROOT_TAG))
			return &ctx->fs[i];
	return NULL;
}

static bool has_root(const struct krun_ctx *ctx)
{
	return root_share(ctx) != NULL;
}

/* The guest device of a disk root (krun_set_root_disk_remount, or the old
 * krun_set_root_disk: /dev/vda), or NULL. */
static const char *root_disk_device(const struct krun_ctx *ctx)
{
	if (ctx->root_device)
		return ctx->root_device;
	return ctx->root_disk.path ? "/dev/vda" : NULL;
}

/* "virtiofs:TAG", "disk:DEVICE" or "initramfs", with the disk's fstype and
 * options (src/vmm/guest_abi.h). */
static int add_root(struct buf *b, const struct krun_ctx *ctx)
{
	const char *dev = root_disk_device(ctx);
	char *v;
	int r;

	if (!dev && has_root(ctx) && root_share(ctx)->shm_size) {
		/* krun_add_virtiofs2(KRUN_FS_ROOT_TAG, ..., shm_size): the caller
		 * gave the root a DAX window, so init mounts it with DAX. */
		r = guest_config_add(b, "root", "virtiofs:" KRUN_ROOT_TAG);
		return r ? r : guest_config_add(b, "root_options", "dax=always");
	}
	if (!dev)
		return guest_config_add(b, "root", has_root(ctx) ? "virtiofs:" KRUN_ROOT_TAG
								: "initramfs");
	if (asprintf(&v, "disk:%s", dev) < 0)
		return -ENOMEM;
	r = guest_config_add(b, "root", v);
	free(v);
	if (r == 0)
		r = guest_config_add(b, "root_fstype", ctx->root_fstype ? ctx->root_fstype : "auto");
	if (r == 0)
		r = guest_config_add(b, "root_options", ctx->root_options ? ctx->root_options : "");
	return r;
}

/* Disks in guest order: the old calls' root then data disk, or krun_add_disk*'s. */
static void add_disks(const struct krun_ctx *ctx, struct vmm_config *cfg)
{
	const struct ctx_disk *old[2] = { &ctx->root_disk, &ctx->data_disk };

	cfg->ndisks = 0;
	for (unsigned int i = 0; i < 2; i++)
		if (old[i]->path)
			cfg->disks[cfg->ndisks++] = (struct vmm_disk){
				.id = old[i]->id, .path = old[i]->path, .flush = true };
	for (unsigned int i = 0; i < ctx->ndisks; i++)
		cfg->disks[cfg->ndisks++] = (struct vmm_disk){
			.id = ctx->disks[i].id, .path = ctx->disks[i].path,
			.format = ctx->disks[i].format,
			.read_only = ctx->disks[i].read_only, .direct_io = ctx->disks[i].direct_io,
			.flush = ctx->disks[i].sync_mode != KRUN_SYNC_NONE,
		};
}

static int add_strv(struct buf *b, const char *key, const struct strv *v)
{
	for (size_t i = 0; i < v->n; i++) {
		int r = guest_config_add(b, key, v->v[i]);
		if (r < 0)
			return r;
	}
	return 0;
}

static int build_config(struct krun_ctx *ctx, struct start *s, const char *stdio[3])
{
	extern char **environ;
	struct buf *b = &s->config;
	struct strv env_now = { 0 };
	int r;

	/* No exec (only allowed with a root share): init runs what the root's
	 * /.krun_config.json says; no workdir: the one it says, else "/". */
	if ((ctx->exec_path && (r = guest_config_add(b, "exec", ctx->exec_path)) < 0) ||
	    (r = add_strv(b, "arg", &ctx->argv)) < 0 ||
	    (r = add_strv(b, "rlimit", &ctx->rlimits)) < 0 ||
	    (ctx->workdir && (r = guest_config_add(b, "workdir", ctx->workdir)) < 0) ||
	    (r = guest_config_add(b, "stdin", stdio[0])) < 0 ||
	    (r = guest_config_add(b, "stdout", stdio[1])) < 0 ||
	    (r = guest_config_add(b, "stderr", stdio[2])) < 0 || (r = add_root(b, ctx)) < 0)
		return r;
	if (ctx->env.v)
		return add_strv(b, "env", &ctx->env);
	/* Never set: the environment as it is now, as upstream does. */
	r = strv_dup((const char *const *)environ, &env_now);
	if (r == 0)
		r = add_strv(b, "env", &env_now);
	strv_free(&env_now);
	return r;
}

/* The caller's initramfs (padded to 4 bytes, as the kernel's unpacker needs
 * between archives), then ours. */
static int build_initrd(struct krun_ctx *ctx, struct start *s, struct boot_spec *b)
{
	void *user = NULL;
	size_t user_len = 0;
	int r;

	r = initramfs_build(&s->cpio, krun_init_start, (size_t)(krun_init_end - krun_init_start),
			    s->config.data, s->config.len);
	if (r < 0)
		return r;
	if (ctx->initramfs_path) {
		r = file_read_all(ctx->initramfs_path, MAX_INITRAMFS_FILE, &user, &user_len);
		if (r < 0)
			return r;
		r = buf_append(&s->initrd, user, user_len);
		free(user);
		if (r < 0 || (r = buf_pad(&s->initrd, 4)) < 0)
			return r;
	}
	r = buf_append(&s->initrd, s->cpio.buf.data, s->cpio.buf.len);
	if (r < 0)
		return r;
	b->initrd = s->initrd.data;
	b->initrd_size = s->initrd.len;
	return 0;
}

/* Terminals share the guest console (hvc0); pipes and files get a port each.
 * fds: this process's stdio for the implicit console, or the fds of the first
 * krun_add_virtio_console_default when the implicit one is off. */
static int setup_stdio(struct krun_ctx *ctx, struct start *s, struct console_config *c,
		       const char *stdio[3], const int fds[3])
{
	bool tty[3];

	c->console_in = c->console_out = c->port_in = c->port_out = c->port_err = -1;
	c->winsize_fd = -1;
	if (ctx->console_output && !ctx->console_implicit_off) {
		s->console_file = open(ctx->console_output,
				       O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (s->console_file < 0) {
			int r = -errno;
			log_error("cannot open console output %s: %s", ctx->console_output,
				  strerror(-r));
			return r;
		}
		/* stdin: an empty stream (EOF at once); stdout and stderr: the file. */
		s->null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (s->null_fd < 0)
			return -errno;
		c->port_in = s->null_fd;
		c->console_out = c->port_out = c->port_err = s->console_file;
		stdio[0] = stdio[1] = stdio[2] = "port";
		return 0;
	}
	for (int i = 0; i < 3; i++) {
		tty[i] = isatty(fds[i]);
		stdio[i] = tty[i] ? "console" : "port";
	}
	c->port_in = tty[0] ? -1 : fds[0];
	c->port_out = tty[1] ? -1 : fds[1];
	c->port_err = tty[2] ? -1 : fds[2];
	c->console_in = tty[0] ? fds[0] : -1;
	/* Kernel messages on hvc0 go to the terminal if there is one, else stderr. */
	c->console_out = tty[1] ? fds[1] : fds[2];
	c->winsize_fd = tty[0] ? fds[0] : tty[1] ? fds[1] : -1;
	return 0;
}

/* Every virtio-console device, in guest order: the one with the workload's
 * stdio first (the implicit one, or the first of the caller's when that is
 * off), then the caller's others, which have their console port only (hvc1,
 * ...: input_fd into it, output_fd out of it; err_fd unused), or have the
 * ports listed for them (krun_add_virtio_console_multiport; a first such
 * console carries no stdio: the workload's is its TTY port, hvc0, if it has
 * one). With the implicit console off and none added there is no device, and
 * init's stdio falls back to /dev/console, then /dev/null. */
static int setup_consoles(struct krun_ctx *ctx, struct start *s, struct vmm_config *cfg,
			  const char *stdio[3])
{
	static const int own[3] = { STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO };
	unsigned int first = 0;
	int r;

	stdio[0] = stdio[1] = stdio[2] = "console";
	if (!ctx->console_implicit_off ||
	    (ctx->nconsoles && !ctx->consoles[0].multiport)) {
		const int *fds = ctx->console_implicit_off ? ctx->consoles[0].fd : own;

		r = setup_stdio(ctx, s, &cfg->consoles[cfg->nconsoles++], stdio, fds);
		if (r < 0)
			return r;
		first = ctx->console_implicit_off ? 1 : 0;
	}
	for (unsigned int i = first; i < ctx->nconsoles; i++) {
		const int *fd = ctx->consoles[i].fd;
		struct console_config *c = &cfg->consoles[cfg->nconsoles++];

		if (ctx->consoles[i].multiport) {
			const struct ctx_console *m = &ctx->consoles[i];
			int tty = -1;

			*c = (struct console_config){ .nports = m->nports };
			for (unsigned int j = 0; j < m->nports; j++) {
				c->ports[j] = m->port[j];
				if (m->port[j].console && isatty(m->port[j].in_fd))
					tty = m->port[j].in_fd;
			}
			c->console_in = c->console_out = c->port_in = c->port_out = -1;
			c->port_err = -1;
			c->winsize_fd = tty;
			continue;
		}
		*c = (struct console_config){
			.console_in = fd[0], .console_out = fd[1],
			.port_in = -1, .port_out = -1, .port_err = -1,
			.winsize_fd = isatty(fd[0]) ? fd[0] : isatty(fd[1]) ? fd[1] : -1,
		};
	}
	return 0;
}

int ctx_kernel_cmdline(const struct krun_ctx *ctx, const char *dev_args, char **out)
{
	const char *console = ctx->kernel_console ? ctx->kernel_console : DEFAULT_CONSOLE;
	size_t len = sizeof(VMM_CMDLINE) + strlen(console) + strlen(dev_args) + 32 +
		     (ctx->cmdline ? strlen(ctx->cmdline) : 0);
	char *s = malloc(len);
	int n;

	if (!s)
		return -ENOMEM;
	if (ctx->cmdline)
		n = snprintf(s, len, "%s %s%s%s%s", VMM_CMDLINE, ctx->cmdline,
			     ctx->kernel_console ? " console=" : "",
			     ctx->kernel_console ? ctx->kernel_console : "", dev_args);
	else
		n = snprintf(s, len, "%s console=%s%s%s", VMM_CMDLINE, console,
			     log_get_level() >= LOG_DEBUG ? "" : " quiet", dev_args);
	if (n < 0 || (size_t)n >= len) {
		free(s);
		return -EINVAL;
	}
	*out = s;
	return 0;
}

/* krun_setgid, then krun_setuid (after it, setgid would be refused), once the
 * files the VMM needs as the caller are open; upstream does it at the same
 * point, before it opens /dev/kvm. */
static int take_ids(const struct krun_ctx *ctx)
{
	int r;

	if (ctx->set_gid && setgid(ctx->gid) < 0) {
		r = -errno;
		log_error("krun_start_enter: setgid(%u): %s", (unsigned int)ctx->gid, strerror(-r));
		return r;
	}
	if (ctx->set_uid && setuid(ctx->uid) < 0) {
		r = -errno;
		log_error("krun_start_enter: setuid(%u): %s", (unsigned int)ctx->uid, strerror(-r));
		return r;
	}
	return 0;
}

static int prepare(struct krun_ctx *ctx, struct start *s, struct vmm_config *cfg)
{
	const char *stdio[3];
	int r;

	if (!ctx->exec_path && !has_root(ctx) && !root_disk_device(ctx)) {
		log_error("krun_start_enter: no workload: call krun_set_exec (or krun_set_root "
			  "with a root that has /.krun_config.json) first");
		return -EINVAL;
	}
	add_disks(ctx, cfg);
	if (ctx->root_device && cfg->ndisks == 0) {
		log_error("krun_start_enter: krun_set_root_disk_remount(%s) with no disk: add "
			  "one with krun_add_disk first", ctx->root_device);
		return -EINVAL;
	}
	cfg->nvcpus = ctx->nvcpus;
	for (unsigned int i = 0; i < ctx->nfs; i++)
		cfg->fs[i] = (struct vmm_fs_share){ ctx->fs[i].tag, ctx->fs[i].path,
						    ctx->fs[i].read_only, ctx->fs[i].overlays,
						    ctx->fs[i].noverlays, ctx->fs[i].shm_size };
	cfg->nfs = ctx->nfs;
	cfg->ram_bytes = (uint64_t)ctx->ram_mib << 20;
	cfg->vsock.ports = ctx->vsock_ports;
	cfg->vsock.nports = ctx->nvsock_ports;
	/* The implicit device has both TSI features, unless a network interface
	 * was added (libkrun.h); krun_add_vsock's, those asked. */
	bool implicit_tsi = !ctx->vsock_implicit_off && !ctx->nnets;
	bool inet = ctx->vsock_added ? (ctx->tsi_features & KRUN_TSI_HIJACK_INET) != 0
				     : implicit_tsi;
	bool unix_on = ctx->ntsi_unix_paths &&
		       (ctx->vsock_added ? (ctx->tsi_features & KRUN_TSI_HIJACK_UNIX) != 0
					 : implicit_tsi);
	cfg->vsock.tsi = inet || unix_on;
	/* The shutdown request reaches init over vsock (vmm/shutdown.h): a caller
	 * who took the eventfd gets the device even with TSI and ports off. */
	cfg->vsock.present = cfg->vsock.tsi || ctx->vsock_added || ctx->nvsock_ports ||
			     ctx->shutdown_fd >= 0;
	cfg->shutdown_fd = ctx->shutdown_fd;
	cfg->nested_virt = ctx->nested_virt;
	cfg->split_irqchip = ctx->split_irqchip;
	for (unsigned int i = 0; i < ctx->nvhost_user; i++) {
		const struct ctx_vhost_user *v = &ctx->vhost_user[i];
		cfg->vhost_user[i] = (struct vhost_user_config){
			.device_type = v->device_type, .socket_path = v->path, .name = v->name,
			.num_queues = v->num_queues, .queue_sizes = v->sizes, .nsizes = v->nsizes,
		};
	}
	cfg->nvhost_user = ctx->nvhost_user;
	cfg->boot.oem_strings = (const char *const *)ctx->oem_strings.v;
	cfg->boot.noem_strings = ctx->oem_strings.n;
	cfg->serial.present = ctx->serial;
	cfg->serial.in_fd = ctx->serial_in;
	cfg->serial.out_fd = ctx->serial_out;
	cfg->vsock.tsi_cfg = (struct tsi_config){
		.inet = inet,
		.port_map = (const char *const *)ctx->port_map.v,
		.port_map_set = ctx->port_map.v != NULL,
		.policy = ctx->tsi_policy,
		.limits = ctx->tsi_limits,
		.unix_paths = (const char *const *)ctx->tsi_unix_paths,
		.nunix_paths = unix_on ? ctx->ntsi_unix_paths : 0,
	};
	if ((r = load_kernel(ctx, s, &cfg->boot)) < 0 ||
	    (r = setup_consoles(ctx, s, cfg, stdio)) < 0 ||
	    (r = build_config(ctx, s, stdio)) < 0 ||
	    (r = ctx_net_prepare(ctx, cfg, &s->config)) < 0 ||
	    (r = build_initrd(ctx, s, &cfg->boot)) < 0)
		return r;
	r = tsi_cmdline(ctx, inet, unix_on, &s->tsi_args);
	if (r < 0)
		return r;
	r = ctx_kernel_cmdline(ctx, s->tsi_args, &s->cmdline);
	if (r < 0)
		return r;
	cfg->boot.cmdline = s->cmdline;
	cfg->boot_copied = release_boot_sources;
	cfg->boot_copied_arg = s;
	return 0;
}

/* The stack size of the threads the VM starts; krun_start_enter says why. */
#define VM_THREAD_STACK (1u << 20)

/* Makes VM_THREAD_STACK the process's default for new threads, keeping the
 * old default in *old (for a failed start to put back). */
static int set_thread_defaults(pthread_attr_t *old)
{
	pthread_attr_t a;
	int r;

	r = -pthread_getattr_default_np(old);
	if (r < 0)
		goto fail;
	r = -pthread_attr_init(&a);
	if (r == 0) {
		r = -pthread_attr_setstacksize(&a, VM_THREAD_STACK);
		if (r == 0)
			r = -pthread_setattr_default_np(&a);
		pthread_attr_destroy(&a);
	}
	if (r < 0)
		pthread_attr_destroy(old);
fail:
	if (r < 0)
		log_error("cannot set the VM threads' stack size: %s", strerror(-r));
	return r;
}

KRUN_API int32_t krun_start_enter(uint32_t ctx_id)
{
	struct krun_ctx *ctx = ctx_take(ctx_id);
	struct start s = { .kernel_fd = -1, .console_file = -1, .null_fd = -1 };
	struct vmm_config cfg = { 0 };
	sigset_t blocked, caller_mask;
	pthread_attr_t caller_attr;
	bool masked = false, attr_set = false;
	int r, status;

	if (!ctx)
		return -ENOENT;
	cfg.start_ns = monotonic_ns();
	/* glibc raises its mmap threshold to the largest block freed (up to 32
	 * MiB), so after the boot sources (MiBs, built by realloc) every later
	 * block of that size would come from the heap and stay there. A fixed
	 * threshold keeps big blocks in their own mappings, gone when freed. */
	mallopt(M_MMAP_THRESHOLD, 128 << 10);
	r = prepare(ctx, &s, &cfg);
	if (r < 0 || (r = take_ids(ctx)) < 0)
		goto out;
	/* From here the process belongs to the VM: a closed output pipe must give
	 * EPIPE to the console device, not kill us; SIGWINCH and SIGTERM are read
	 * through signalfds (the console's; vmm/shutdown.h: SIGTERM asks the
	 * guest to stop its workload), so they are blocked before any VM thread
	 * exists. */
	signal(SIGPIPE, SIG_IGN);
	/* Guest RAM asks for huge pages (gmem.c says why), the VMM's own threads
	 * must not get them: where THP is "always", the top 2 MiB of each 8 MiB
	 * default stack would be one huge page, 2 MiB for a few KiB used. A
	 * 1 MiB stack holds no 2 MiB-aligned range, so it never takes one; our
	 * deepest frames are ~18 KiB (gcc -fstack-usage). The default attribute
	 * covers every thread the VM starts (vCPUs, device workers, event loop). */
	if ((r = set_thread_defaults(&caller_attr)) < 0)
		goto out;
	attr_set = true;
	sigemptyset(&blocked);
	sigaddset(&blocked, SIGWINCH);
	sigaddset(&blocked, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &blocked, &caller_mask);
	masked = true;
	if (cfg.nconsoles && cfg.consoles[0].console_in >= 0 &&
	    (r = term_enter_raw(cfg.consoles[0].console_in)) < 0)
		goto out;

	seccomp_on_fatal(term_restore); /* a refused syscall ends the process */
	r = vmm_run(&cfg, &status);
	term_restore();
	if (r < 0)
		goto out;
	fflush(NULL);
	_exit(status & 0xff);
out:
	/* A failed start gives the caller its signals and its threads' default
	 * attributes back as they were. */
	if (masked)
		pthread_sigmask(SIG_SETMASK, &caller_mask, NULL);
	if (attr_set) {
		pthread_setattr_default_np(&caller_attr);
		pthread_attr_destroy(&caller_attr);
	}
	start_release(&s);
	ctx_destroy(ctx);
	return r;
}
