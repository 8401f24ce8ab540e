/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A command-line client of the public API, for VM tests:
 *   krun_run [options] [--] EXEC [ARGS...]
 *     --kernel PATH --format N   krun_set_kernel (default: the bundled kernel)
 *     --initramfs PATH           initramfs for krun_set_kernel (bundled kernel too)
 *     --cmdline STR
 *     --cpus N --mem MIB         krun_set_vm_config
 *     --workdir DIR              krun_set_workdir
 *     --rlimit ID=CUR:MAX        krun_set_rlimits (repeatable)
 *     --env NAME=VALUE           builds envp (repeatable; --empty-env for {NULL};
 *                                neither: envp NULL, i.e. inherit)
 *     --args-file PATH           argv entries, NUL-separated, appended after ARGS
 *     --env-file PATH            envp entries, NUL-separated
 *     --console-output PATH      krun_set_console_output
 *     --root DIR                 krun_set_root
 *     --virtiofs TAG:DIR         krun_add_virtiofs (repeatable)
 *     --virtiofs-ro TAG:DIR      krun_add_virtiofs3(..., 0, true): read-only
 *                                (TAG /dev/root: the root; repeatable)
 *     --virtiofs-dax MIB:TAG:DIR krun_add_virtiofs2 with a DAX window of MIB MiB
 *     --disk ID:PATH             krun_add_disk3, raw, read-write, KRUN_SYNC_FULL
 *     --disk-ro ID:PATH          (repeatable, all four in the order given): -ro
 *     --disk-direct ID:PATH      read-only, -direct with direct_io, -nosync with
 *     --disk-nosync ID:PATH      KRUN_SYNC_NONE
 *     --disk-qcow2 ID:PATH       read-write, KRUN_SYNC_FULL, KRUN_DISK_FORMAT_QCOW2
 *     --disk-vmdk ID:PATH        the same, KRUN_DISK_FORMAT_VMDK
 *     --root-disk DEV            krun_set_root_disk_remount(DEV, --root-fstype
 *     --root-fstype T            or NULL, --root-options or NULL)
 *     --root-options O
 *     --set-root-disk PATH       krun_set_root_disk (the old calls)
 *     --set-data-disk PATH       krun_set_data_disk
 *     --net stream:PATH          krun_add_net_unixstream, unixgram or tap
 *     --net gram:PATH            (repeatable, up to 4, in order: eth0...), MAC
 *     --net tap:NAME             52:54:00:12:34:56 (+1 each)
 *     --net-flags N              their flags (default NET_FLAG_DHCP_CLIENT)
 *     --net-features N           their NET_FEATURE_* (default 0)
 *     --vhost-user TYPE:NQ:PATH  krun_add_vhost_user_device(TYPE, PATH, NULL, NQ,
 *                                NULL) (repeatable, up to 8)
 *     --port-map HOST:GUEST      krun_set_port_map (repeatable; --empty-port-map
 *                                for an empty list)
 *     --no-exec                  do not call krun_set_exec (the root's
 *                                /.krun_config.json says what to run); no EXEC
 *     --vsock-port PORT:PATH     krun_add_vsock_port (repeatable)
 *     --vsock-listen PORT:PATH   krun_add_vsock_port2 with listen (repeatable)
 *     --no-implicit-vsock        krun_disable_implicit_vsock
 *     --add-vsock FEATURES       krun_add_vsock (KRUN_TSI_HIJACK_* bits)
 *     --tsi-unix PATH            krun_allow_tsi_unix_path (repeatable)
 *     --tsi-policy FLAGS         krun_set_tsi_policy: a number, or names joined by
 *                                commas: deny-host, deny-link-local, deny-private,
 *                                allow-list-only, listen-loopback
 *     --tsi-allow ENTRY          an allow[] entry of it (repeatable)
 *     --tsi-limit NAME=MAX       krun_set_tsi_limit (repeatable); NAME: connections,
 *                                listeners, udp-sockets, inbound, inbound-per-listener
 *     --oem-string STR           krun_set_smbios_oem_strings, each in order
 *                                (repeatable)
 *     --split-irqchip            krun_split_irqchip(true)
 *     --setuid N --setgid N      krun_setuid, krun_setgid
 *     --nested-virt              krun_set_nested_virt(true); prints
 *                                "krun_check_nested_virt: N" to stderr
 *     --serial IN,OUT            krun_add_serial_console_default with these fd
 *                                numbers (-1: none)
 *     --kernel-console NAME      krun_set_kernel_console
 *     --no-implicit-console      krun_disable_implicit_console
 *     --console-default I,O,E    krun_add_virtio_console_default with these fd
 *                                numbers (repeatable)
 *     --console-multiport        krun_add_virtio_console_multiport (repeatable;
 *                                the console options run in the order given)
 *     --console-port-tty ID,NAME,FD        krun_add_console_port_tty
 *     --console-port-inout ID,NAME,IN,OUT  krun_add_console_port_inout
 *     --overlay-dir PATH         krun_fs_add_overlay_dir on the root share, 0755
 *     --overlay-file PATH=SRC    krun_fs_add_overlay_file on the root share: SRC's
 *     --overlay-once PATH=SRC    bytes, mode 0444; -once: one_shot
 *                                (the overlay options run in the order given)
 *     --shutdown-when PATH       krun_get_shutdown_eventfd; a child process
 *                                writes it once PATH exists (checked every 0.1 s)
 *     --log-level N
 * Exits with krun_start_enter's process status, or 100 + -errno of the first
 * failing call (printed).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <sys/mman.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "libkrun.h"

#define MAX_ITEMS 100000

static const char *const policy_names[] = {
	"deny-host", "deny-link-local", "deny-private", "allow-list-only", "listen-loopback",
};
static const char *const disk_modes[] = { "", "-ro", "-direct", "-nosync", "-qcow2", "-vmdk" };
static const char *const limit_names[] = {
	"connections", "listeners", "udp-sockets", "inbound", "inbound-per-listener",
};

/* An index of names (n of them) for text of len bytes, or -1. */
static int name_index(const char *const *names, int n, const char *text, size_t len)
{
	for (int i = 0; i < n; i++)
		if (strlen(names[i]) == len && !strncmp(names[i], text, len))
			return i;
	return -1;
}

/* --tsi-policy: "5" or "deny-host,deny-private"; exits 99 on a bad name. */
static uint32_t policy_flags(const char *v)
{
	uint32_t flags = 0;
	char *end;

	if (*v >= '0' && *v <= '9')
		return (uint32_t)strtoul(v, &end, 0);
	while (*v) {
		size_t len = strcspn(v, ",");
		int i = name_index(policy_names, 5, v, len);

		if (i < 0) {
			fprintf(stderr, "krun_run: unknown --tsi-policy flag %.*s\n", (int)len, v);
			exit(99);
		}
		flags |= 1u << i; /* KRUN_TSI_POLICY_* in this order */
		v += len + (v[len] == ',');
	}
	return flags;
}

static int check(const char *what, int r)
{
	if (r < 0) {
		fprintf(stderr, "krun_run: %s: %s\n", what, strerror(-r));
		exit(100 + (-r > 27 ? 27 : -r));
	}
	return r;
}

/* Appends NUL-separated entries of a file to list. */
static void read_list(const char *path, const char **list, int *n)
{
	static char buf[16 << 20];
	int fd = open(path, O_RDONLY);
	ssize_t len = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
	if (len < 0) {
		perror(path);
		exit(99);
	}
	close(fd);
	buf[len] = '\0';
	for (ssize_t i = 0; i < len && *n < MAX_ITEMS; i += (ssize_t)strlen(buf + i) + 1)
		list[(*n)++] = buf + i;
}

/* "ID,NAME,FD[,FD]" of the --console-port-* options; NAME may be empty. */
static void port_spec(const char *spec, unsigned int *id, char *name, size_t len, int fd[2])
{
	char *end;
	const char *comma;
	size_t n;

	*id = (unsigned int)strtoul(spec, &end, 10);
	if (*end != ',')
		return;
	comma = strchr(end + 1, ',');
	if (!comma)
		return;
	n = (size_t)(comma - end - 1) < len - 1 ? (size_t)(comma - end - 1) : len - 1;
	memcpy(name, end + 1, n);
	name[n] = '\0';
	fd[0] = (int)strtol(comma + 1, &end, 10);
	if (*end == ',')
		fd[1] = (int)strtol(end + 1, NULL, 10);
}

/* --shutdown-when: a child (it shares the eventfd, not the VMM's threads or
 * seccomp filters) writes the eventfd once path exists, then exits. */
static void shutdown_child(uint32_t ctx, const char *path)
{
	const struct timespec tick = { 0, 100 * 1000000L };
	int fd = check("krun_get_shutdown_eventfd", krun_get_shutdown_eventfd(ctx));
	uint64_t one = 1;

	if (fork() != 0)
		return;
	while (access(path, F_OK) < 0)
		nanosleep(&tick, NULL);
	if (write(fd, &one, sizeof(one)) != sizeof(one))
		perror("krun_run: shutdown eventfd");
	_exit(0);
}

/* The static arrays' section, bounded by the linker's symbols. */
extern char __bss_start[], _end[];

/* MADV_NOHUGEPAGE on the pages that hold [p, p + n). */
static void no_huge_pages(void *p, size_t n)
{
	const uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
	uintptr_t a = (uintptr_t)p & ~(page - 1), e = ((uintptr_t)p + n + page - 1) & ~(page - 1);

	if (madvise((void *)a, e - a, MADV_NOHUGEPAGE) < 0)
		perror("krun_run: MADV_NOHUGEPAGE");
}

int main(int argc, char **argv)
{
	static const char *rlimits[64], *env[MAX_ITEMS + 1], *args[MAX_ITEMS + 1];
	const char *kernel = NULL, *initramfs = NULL, *cmdline = NULL, *workdir = NULL;
	const char *console_output = NULL, *args_file = NULL, *root = NULL;
	const char *shutdown_when = NULL, *serial = NULL, *kernel_console = NULL;
	int nested = 0, split_irqchip = 0, no_implicit_console = 0, nconsoles = 0;
	long set_uid = -1, set_gid = -1;
	static const char *consoles[32], *console_opt[32], *overlays[32], *overlay_opt[32];
	int noverlays = 0;
	static const char *virtiofs[64], *port_map[64], *vsock[64];
	/* disk_mode: 0 rw, 1 ro, 2 direct, 3 nosync, 4 qcow2, 5 vmdk */
	static int vsock_listen[64], virtiofs_ro[64], disk_mode[16];
	static unsigned long long virtiofs_dax_mib[64];
	static const char *disks[16];
	const char *root_disk = NULL, *root_fstype = NULL, *root_options = NULL;
	const char *old_root_disk = NULL, *old_data_disk = NULL;
	int ndisks = 0;
	int nvsock = 0;
	int nfs = 0, nports = 0, port_map_set = 0, no_exec = 0;
	int nrl = 0, nenv = 0, nargs = 0, format = KRUN_KERNEL_FORMAT_ELF;
	int cpus = 0, mem = 0, log_level = KRUN_LOG_LEVEL_WARN;
	int env_mode = 0; /* 0 inherit, 1 list */
	int no_implicit_vsock = 0, add_vsock = -1; /* TSI features, -1: no call */
	const char *tsi_unix[16];
	int ntsi_unix = 0;
	static const char *tsi_allow[80], *tsi_limit[16];
	int ntsi_allow = 0, ntsi_limit = 0, tsi_policy = -1; /* -1: no call */
	static const char *nets[4]; /* "stream:PATH", "gram:PATH", "tap:NAME" */
	static const char *vhost_user[8]; /* "TYPE:NQ:PATH" */
	int nvhost_user = 0;
	static const char *oem[257];
	int noem = 0;
	int nnets = 0, net_flags = NET_FLAG_DHCP_CLIENT, net_features = 0;
	int i;

	/* Its 19 MiB of static arrays must not take huge pages where THP is
	 * "always" (the emulated machine's kernel): bench_boot counts this
	 * process's memory as the VMM's. Not PR_SET_THP_DISABLE: that would
	 * keep them off guest RAM too, which asks for them. */
	no_huge_pages(__bss_start, (size_t)(_end - __bss_start));

	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--")) {
			i++;
			break;
		}
		if (strncmp(a, "--", 2))
			break;
		if (!strcmp(a, "--empty-env")) {
			env_mode = 1;
			continue;
		}
		if (!strcmp(a, "--empty-port-map")) {
			port_map_set = 1;
			continue;
		}
		if (!strcmp(a, "--no-exec")) {
			no_exec = 1;
			continue;
		}
		if (!strcmp(a, "--console-multiport") && nconsoles < 32) {
			console_opt[nconsoles] = a;
			consoles[nconsoles++] = "";
			continue;
		}
		if (!strcmp(a, "--no-implicit-console")) {
			no_implicit_console = 1;
			continue;
		}
		if (!strcmp(a, "--split-irqchip")) {
			split_irqchip = 1;
			continue;
		}
		if (!strcmp(a, "--nested-virt")) {
			nested = 1;
			continue;
		}
		if (!strcmp(a, "--no-implicit-vsock")) {
			no_implicit_vsock = 1;
			continue;
		}
		if (!v) {
			fprintf(stderr, "krun_run: %s needs a value\n", a);
			return 99;
		}
		i++;
		if (!strcmp(a, "--kernel")) kernel = v;
		else if (!strcmp(a, "--format")) format = atoi(v);
		else if (!strcmp(a, "--initramfs")) initramfs = v;
		else if (!strcmp(a, "--cmdline")) cmdline = v;
		else if (!strcmp(a, "--cpus")) cpus = atoi(v);
		else if (!strcmp(a, "--mem")) mem = atoi(v);
		else if (!strcmp(a, "--workdir")) workdir = v;
		else if (!strcmp(a, "--rlimit") && nrl < 63) rlimits[nrl++] = v;
		else if (!strcmp(a, "--env")) { env_mode = 1; env[nenv++] = v; }
		else if (!strcmp(a, "--env-file")) { env_mode = 1; read_list(v, env, &nenv); }
		else if (!strcmp(a, "--args-file")) args_file = v;
		else if (!strcmp(a, "--console-output")) console_output = v;
		else if (!strcmp(a, "--log-level")) log_level = atoi(v);
		else if (!strcmp(a, "--root")) root = v;
		else if (!strcmp(a, "--shutdown-when")) shutdown_when = v;
		else if (!strcmp(a, "--serial")) serial = v;
		else if ((!strcmp(a, "--overlay-dir") || !strcmp(a, "--overlay-file") ||
			  !strcmp(a, "--overlay-once")) && noverlays < 32) {
			overlay_opt[noverlays] = a;
			overlays[noverlays++] = v;
		}
		else if ((!strcmp(a, "--console-default") || !strcmp(a, "--console-port-tty") ||
			  !strcmp(a, "--console-port-inout")) && nconsoles < 32) {
			console_opt[nconsoles] = a;
			consoles[nconsoles++] = v;
		}
		else if (!strcmp(a, "--kernel-console")) kernel_console = v;
		else if ((!strcmp(a, "--vsock-port") || !strcmp(a, "--vsock-listen")) &&
			 nvsock < 63) {
			vsock_listen[nvsock] = !strcmp(a, "--vsock-listen");
			vsock[nvsock++] = v;
		}
		else if (!strcmp(a, "--virtiofs") && nfs < 63) virtiofs[nfs++] = v;
		else if (!strcmp(a, "--virtiofs-ro") && nfs < 63) {
			virtiofs_ro[nfs] = 1;
			virtiofs[nfs++] = v;
		}
		else if (!strcmp(a, "--virtiofs-dax") && nfs < 63) {
			char *end;
			virtiofs_dax_mib[nfs] = strtoull(v, &end, 10);
			if (*end != ':') {
				fprintf(stderr, "krun_run: --virtiofs-dax wants MIB:TAG:DIR\n");
				return 99;
			}
			virtiofs[nfs++] = end + 1;
		}
		else if (!strncmp(a, "--disk", 6) && ndisks < 16 &&
			 (disk_mode[ndisks] = name_index(disk_modes, 6, a + 6, strlen(a + 6))) >= 0)
			disks[ndisks++] = v;
		else if (!strcmp(a, "--net") && nnets < 4) nets[nnets++] = v;
		else if (!strcmp(a, "--vhost-user") && nvhost_user < 8) vhost_user[nvhost_user++] = v;
		else if (!strcmp(a, "--setuid")) set_uid = atol(v);
		else if (!strcmp(a, "--setgid")) set_gid = atol(v);
		else if (!strcmp(a, "--net-flags")) net_flags = atoi(v);
		else if (!strcmp(a, "--net-features")) net_features = atoi(v);
		else if (!strcmp(a, "--root-disk")) root_disk = v;
		else if (!strcmp(a, "--root-fstype")) root_fstype = v;
		else if (!strcmp(a, "--root-options")) root_options = v;
		else if (!strcmp(a, "--set-root-disk")) old_root_disk = v;
		else if (!strcmp(a, "--set-data-disk")) old_data_disk = v;
		else if (!strcmp(a, "--add-vsock")) add_vsock = atoi(v);
		else if (!strcmp(a, "--tsi-unix") && ntsi_unix < 16) tsi_unix[ntsi_unix++] = v;
		else if (!strcmp(a, "--oem-string") && noem < 256) oem[noem++] = v;
		else if (!strcmp(a, "--tsi-policy")) tsi_policy = (int)policy_flags(v);
		else if (!strcmp(a, "--tsi-allow") && ntsi_allow < 79) tsi_allow[ntsi_allow++] = v;
		else if (!strcmp(a, "--tsi-limit") && ntsi_limit < 16) tsi_limit[ntsi_limit++] = v;
		else if (!strcmp(a, "--port-map") && nports < 63) {
			port_map_set = 1;
			port_map[nports++] = v;
		}
		else {
			fprintf(stderr, "krun_run: unknown option %s\n", a);
			return 99;
		}
	}
	if (i >= argc && !no_exec) {
		fprintf(stderr, "usage: krun_run [options] [--] EXEC [ARGS...]\n");
		return 99;
	}
	const char *exec = no_exec ? NULL : argv[i++];
	for (; i < argc && nargs < MAX_ITEMS; i++)
		args[nargs++] = argv[i];
	if (args_file)
		read_list(args_file, args, &nargs);

	check("krun_set_log_level", krun_set_log_level((uint32_t)log_level));
	int ctx = check("krun_create_ctx", krun_create_ctx());
	if (cpus || mem)
		check("krun_set_vm_config",
		      krun_set_vm_config((uint32_t)ctx, (uint8_t)(cpus ? cpus : 1),
					 (uint32_t)(mem ? mem : 128)));
	if (kernel)
		check("krun_set_kernel", krun_set_kernel((uint32_t)ctx, kernel, (uint32_t)format,
							 initramfs, cmdline));
	else if (initramfs)
		fprintf(stderr, "krun_run: --initramfs needs --kernel\n");
	if (workdir)
		check("krun_set_workdir", krun_set_workdir((uint32_t)ctx, workdir));
	if (nrl)
		check("krun_set_rlimits", krun_set_rlimits((uint32_t)ctx, rlimits));
	if (console_output)
		check("krun_set_console_output",
		      krun_set_console_output((uint32_t)ctx, console_output));
	if (root)
		check("krun_set_root", krun_set_root((uint32_t)ctx, root));
	for (int k = 0; k < nfs; k++) {
		char tag[256];
		const char *colon = strchr(virtiofs[k], ':');
		size_t tlen = colon ? (size_t)(colon - virtiofs[k]) : 0;
		if (!colon || tlen >= sizeof(tag)) {
			fprintf(stderr, "krun_run: --virtiofs wants TAG:DIR\n");
			return 99;
		}
		memcpy(tag, virtiofs[k], tlen);
		tag[tlen] = '\0';
		if (virtiofs_ro[k])
			check("krun_add_virtiofs3",
			      krun_add_virtiofs3((uint32_t)ctx, tag, colon + 1, 0, true));
		else if (virtiofs_dax_mib[k])
			check("krun_add_virtiofs2",
			      krun_add_virtiofs2((uint32_t)ctx, tag, colon + 1,
						 (uint64_t)virtiofs_dax_mib[k] << 20));
		else
			check("krun_add_virtiofs", krun_add_virtiofs((uint32_t)ctx, tag, colon + 1));
	}
	for (int k = 0; k < ndisks; k++) {
		char id[256];
		const char *colon = strchr(disks[k], ':');
		size_t ilen = colon ? (size_t)(colon - disks[k]) : 0;
		if (!colon || ilen >= sizeof(id)) {
			fprintf(stderr, "krun_run: --disk wants ID:PATH\n");
			return 99;
		}
		memcpy(id, disks[k], ilen);
		id[ilen] = '\0';
		check("krun_add_disk3", krun_add_disk3((uint32_t)ctx, id, colon + 1,
						       disk_mode[k] == 4   ? KRUN_DISK_FORMAT_QCOW2
						       : disk_mode[k] == 5 ? KRUN_DISK_FORMAT_VMDK
									   : KRUN_DISK_FORMAT_RAW,
						       disk_mode[k] == 1,
						       disk_mode[k] == 2,
						       disk_mode[k] == 3 ? KRUN_SYNC_NONE
									 : KRUN_SYNC_FULL));
	}
	if (old_root_disk)
		check("krun_set_root_disk", krun_set_root_disk((uint32_t)ctx, old_root_disk));
	if (old_data_disk)
		check("krun_set_data_disk", krun_set_data_disk((uint32_t)ctx, old_data_disk));
	if (root_disk)
		check("krun_set_root_disk_remount",
		      krun_set_root_disk_remount((uint32_t)ctx, root_disk, root_fstype,
						 root_options));
	for (int k = 0; k < nvsock; k++) {
		char *end;
		unsigned long port = strtoul(vsock[k], &end, 10);
		if (*end != ':' || !end[1]) {
			fprintf(stderr, "krun_run: --vsock-port/--vsock-listen want PORT:PATH\n");
			return 99;
		}
		if (vsock_listen[k])
			check("krun_add_vsock_port2",
			      krun_add_vsock_port2((uint32_t)ctx, (uint32_t)port, end + 1, true));
		else
			check("krun_add_vsock_port",
			      krun_add_vsock_port((uint32_t)ctx, (uint32_t)port, end + 1));
	}
	for (int k = 0; k < nnets; k++) {
		/* Interfaces before the port map, as upstream's header asks. */
		static uint8_t mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
		const char *p = strchr(nets[k], ':') + 1;

		mac[5] = (uint8_t)(0x56 + k);
		if (!strncmp(nets[k], "stream:", 7))
			check("krun_add_net_unixstream",
			      krun_add_net_unixstream((uint32_t)ctx, p, -1, mac, (uint32_t)net_features,
						      (uint32_t)net_flags));
		else if (!strncmp(nets[k], "gram:", 5))
			check("krun_add_net_unixgram",
			      krun_add_net_unixgram((uint32_t)ctx, p, -1, mac, (uint32_t)net_features,
						    (uint32_t)net_flags));
		else
			check("krun_add_net_tap",
			      krun_add_net_tap((uint32_t)ctx, (char *)p, mac, (uint32_t)net_features,
					       (uint32_t)net_flags));
	}
	for (int k = 0; k < nvhost_user; k++) {
		char *end;
		unsigned long type = strtoul(vhost_user[k], &end, 10), nq;

		if (*end != ':' || (nq = strtoul(end + 1, &end, 10), *end != ':')) {
			fprintf(stderr, "krun_run: --vhost-user TYPE:NQ:PATH, not %s\n",
				vhost_user[k]);
			return 99;
		}
		check("krun_add_vhost_user_device",
		      krun_add_vhost_user_device((uint32_t)ctx, (uint32_t)type, end + 1, NULL,
						 (uint16_t)nq, NULL));
	}
	if (port_map_set)
		check("krun_set_port_map", krun_set_port_map((uint32_t)ctx, port_map));
	for (int k = 0; k < ntsi_unix; k++)
		check("krun_allow_tsi_unix_path",
		      krun_allow_tsi_unix_path((uint32_t)ctx, tsi_unix[k]));
	if (tsi_policy >= 0 || ntsi_allow)
		check("krun_set_tsi_policy",
		      krun_set_tsi_policy((uint32_t)ctx, tsi_policy < 0 ? 0 : (uint32_t)tsi_policy,
					  tsi_allow));
	for (int k = 0; k < ntsi_limit; k++) {
		const char *eq = strchr(tsi_limit[k], '=');
		int which = eq ? name_index(limit_names, 5, tsi_limit[k],
					    (size_t)(eq - tsi_limit[k])) : -1;
		if (which < 0) {
			fprintf(stderr, "krun_run: --tsi-limit wants NAME=MAX: %s\n", tsi_limit[k]);
			return 99;
		}
		check("krun_set_tsi_limit", krun_set_tsi_limit((uint32_t)ctx, (uint32_t)which,
							      (uint32_t)strtoul(eq + 1, NULL, 10)));
	}
	if (no_implicit_vsock)
		check("krun_disable_implicit_vsock", krun_disable_implicit_vsock((uint32_t)ctx));
	if (add_vsock >= 0)
		check("krun_add_vsock", krun_add_vsock((uint32_t)ctx, (uint32_t)add_vsock));
	if (!no_exec)
		check("krun_set_exec", krun_set_exec((uint32_t)ctx, exec, args,
						     env_mode ? env : NULL));
	for (int k = 0; k < noverlays; k++) {
		static char buf[1 << 20];
		char path[256];
		const char *eq = strchr(overlays[k], '=');
		ssize_t n = 0;

		if (!strcmp(overlay_opt[k], "--overlay-dir")) {
			check("krun_fs_add_overlay_dir",
			      krun_fs_add_overlay_dir((uint32_t)ctx, KRUN_FS_ROOT_TAG, overlays[k],
						      040755));
			continue;
		}
		if (!eq || (size_t)(eq - overlays[k]) >= sizeof(path)) {
			fprintf(stderr, "krun_run: %s wants PATH=SRC\n", overlay_opt[k]);
			return 99;
		}
		memcpy(path, overlays[k], (size_t)(eq - overlays[k]));
		path[eq - overlays[k]] = '\0';
		int fd = open(eq + 1, O_RDONLY);
		if (fd < 0 || (n = read(fd, buf, sizeof(buf))) < 0) {
			perror(eq + 1);
			return 99;
		}
		close(fd);
		check("krun_fs_add_overlay_file",
		      krun_fs_add_overlay_file((uint32_t)ctx, KRUN_FS_ROOT_TAG, path,
					       (const uint8_t *)buf, (size_t)n, 0100444,
					       !strcmp(overlay_opt[k], "--overlay-once")));
	}
	if (no_implicit_console)
		check("krun_disable_implicit_console", krun_disable_implicit_console((uint32_t)ctx));
	for (int k = 0; k < nconsoles; k++) {
		int fd[3] = { -1, -1, -1 };
		unsigned int id = 0;
		char name[64] = "";

		if (!strcmp(console_opt[k], "--console-multiport")) {
			fprintf(stderr, "krun_run: console id %d\n",
				check("krun_add_virtio_console_multiport",
				      krun_add_virtio_console_multiport((uint32_t)ctx)));
		} else if (!strcmp(console_opt[k], "--console-port-tty")) {
			port_spec(consoles[k], &id, name, sizeof(name), fd);
			check("krun_add_console_port_tty",
			      krun_add_console_port_tty((uint32_t)ctx, id, name, fd[0]));
		} else if (!strcmp(console_opt[k], "--console-port-inout")) {
			port_spec(consoles[k], &id, name, sizeof(name), fd);
			check("krun_add_console_port_inout",
			      krun_add_console_port_inout((uint32_t)ctx, id, name, fd[0], fd[1]));
		} else {
			sscanf(consoles[k], "%d,%d,%d", &fd[0], &fd[1], &fd[2]);
			check("krun_add_virtio_console_default",
			      krun_add_virtio_console_default((uint32_t)ctx, fd[0], fd[1], fd[2]));
		}
	}
	if (serial) {
		int in = atoi(serial);
		const char *comma = strchr(serial, ',');
		check("krun_add_serial_console_default",
		      krun_add_serial_console_default((uint32_t)ctx, in, comma ? atoi(comma + 1) : -1));
	}
	if (kernel_console)
		check("krun_set_kernel_console", krun_set_kernel_console((uint32_t)ctx, kernel_console));
	if (noem)
		check("krun_set_smbios_oem_strings", krun_set_smbios_oem_strings((uint32_t)ctx, oem));
	if (split_irqchip)
		check("krun_split_irqchip", krun_split_irqchip((uint32_t)ctx, true));
	if (set_gid >= 0)
		check("krun_setgid", krun_setgid((uint32_t)ctx, (gid_t)set_gid));
	if (set_uid >= 0)
		check("krun_setuid", krun_setuid((uint32_t)ctx, (uid_t)set_uid));
	if (nested) {
		check("krun_set_nested_virt", krun_set_nested_virt((uint32_t)ctx, true));
		fprintf(stderr, "krun_check_nested_virt: %d\n", krun_check_nested_virt());
	}
	if (shutdown_when)
		shutdown_child((uint32_t)ctx, shutdown_when);
	return check("krun_start_enter", krun_start_enter((uint32_t)ctx));
}
