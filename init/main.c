/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Guest init, PID 1: sets up the guest, runs the workload described by
 * /.krun/config (src/vmm/guest_abi.h), reaps every process until the workload
 * has exited, and reports its status to the VMM through KRUN_EXIT_PORT. Every
 * path ends in init_finish: PID 1 must never exit (the kernel panics), and the
 * VMM must always get a status, 125 when init itself failed.
 */
#include "init.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/io.h>
#include <sys/reboot.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/vm_sockets.h>

#include "oci_config.h"
#include "vmm/guest_abi.h"

#define REAP_LEFTOVERS_MS 1000

void init_log(const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n;

	n = snprintf(line, sizeof(line), "init: ");
	va_start(ap, fmt);
	n += vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	if (write(STDERR_FILENO, line, (size_t)n) < 0) {
		/* nowhere else to say it */
	}
}

/* Waits until the VMM took every vsock packet sent so far (guest_abi.h): the
 * workload's last bytes are then on their way before the VM ends. Without a
 * vsock device the socket fails at once; a stuck VMM costs the kernel's
 * connect timeout (2 s). */
static void vsock_barrier(void)
{
	struct sockaddr_vm host = {
		.svm_family = AF_VSOCK, .svm_cid = VMADDR_CID_HOST,
		.svm_port = KRUN_VSOCK_BARRIER_PORT,
	};
	int fd = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return;
	if (connect(fd, (struct sockaddr *)&host, sizeof(host)) == 0)
		init_log("vsock barrier: port %#x is taken", KRUN_VSOCK_BARRIER_PORT);
	close(fd);
}

void init_finish(int status)
{
	vsock_barrier();
	sync();
	/* The VMM stops the VM on this write; the status is the whole value. */
	if (ioperm(KRUN_EXIT_PORT, 4, 1) == 0)
		outl((unsigned int)status, KRUN_EXIT_PORT);
	else
		init_log("cannot report the exit status (ioperm: %m)");
	reboot(RB_POWER_OFF);
	for (;;)
		pause();
}

/* Tells the VMM this boot reached phase (guest_abi.h, KRUN_PHASE_*): one
 * port write, for the breakdown the VMM logs at info level. */
static void mark_phase(unsigned int phase)
{
	if (ioperm(KRUN_PHASE_PORT, 4, 1) == 0)
		outl(phase, KRUN_PHASE_PORT);
}

__attribute__((noreturn)) static void fail(void)
{
	init_finish(KRUN_EXIT_INIT_FAILURE);
}

/* The kernel gives init fds 0-2 on /dev/console if it can open it; if it could
 * not, fill them so that the fds opened later never land on 0-2. */
static void ensure_std_fds(void)
{
	int fd;

	while ((fd = open("/dev/null", O_RDWR)) >= 0 && fd <= STDERR_FILENO) {
	}
	if (fd > STDERR_FILENO)
		close(fd);
}

/* Reads a whole file of at most max bytes. NULL on failure, logged unless the
 * file does not exist and missing is given (then *missing is set). */
static char *read_file(const char *path, size_t max, size_t *len, bool *missing)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	char *data = NULL;
	size_t got = 0;
	ssize_t n;

	if (fd < 0 || fstat(fd, &st) < 0) {
		if (missing && errno == ENOENT)
			*missing = true;
		else
			init_log("cannot open %s: %m", path);
		goto out;
	}
	if (st.st_size < 0 || (unsigned long long)st.st_size > max) {
		init_log("%s is over %zu bytes", path, max);
		goto out;
	}
	data = malloc((size_t)st.st_size + 1);
	if (!data) {
		init_log("out of memory for %s", path);
		goto out;
	}
	while (got < (size_t)st.st_size &&
	       (n = read(fd, data + got, (size_t)st.st_size - got)) > 0)
		got += (size_t)n;
	if (got != (size_t)st.st_size) {
		init_log("short read of %s", path);
		free(data);
		data = NULL;
	}
	*len = got;
out:
	if (fd >= 0)
		close(fd);
	return data;
}

/* No exec from the VMM: the root's OCI config says what to run (oci_config.h). */
static int load_oci_config(struct config *cfg)
{
	const char *path = oci_config_path(cfg);
	char err[256];
	size_t len = 0;
	bool missing = false;
	char *json;
	int r;

	json = read_file(path, OCI_CONFIG_MAX_LEN, &len, &missing);
	if (!json && !missing)
		return -1;
	r = oci_config_apply(cfg, json, len, err, sizeof(err));
	if (r < 0)
		init_log("bad %s: %s", path, err);
	free(json); /* what cfg took from it was copied */
	return r;
}

static int wait_status(int st)
{
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return WEXITSTATUS(st);
}

/*
 * Reaps everything (orphans are re-parented to PID 1) until the workload
 * exits, then kills what is left: the VM is about to stop anyway, and a
 * process that still holds a port open would keep the host from seeing EOF.
 */
static int reap(pid_t workload)
{
	const struct timespec tick = { 0, 10 * 1000000L };
	int st, status = KRUN_EXIT_INIT_FAILURE, i;
	pid_t pid;

	for (;;) {
		pid = waitpid(-1, &st, 0);
		if (pid == workload) {
			status = wait_status(st);
			break;
		}
		if (pid < 0 && errno != EINTR) {
			init_log("lost the workload: %m");
			break;
		}
	}
	kill(-1, SIGKILL);
	for (i = 0; i < REAP_LEFTOVERS_MS / 10; i++) {
		pid = waitpid(-1, NULL, WNOHANG);
		if (pid < 0 && errno == ECHILD)
			break;
		if (pid <= 0)
			nanosleep(&tick, NULL);
	}
	return status;
}

int main(void)
{
	struct stdio_fds fds;
	struct config cfg;
	char err[256];
	size_t len = 0;
	char *data;
	pid_t pid;
	int status;

	if (getpid() != 1) {
		/* The exit report pokes an I/O port: never do that on a host. */
		fprintf(stderr, "init: this is the libkrun guest init; it only runs as PID 1\n");
		return KRUN_EXIT_INIT_FAILURE;
	}
	mark_phase(KRUN_PHASE_INIT);
	if (setup_mounts() < 0)
		fail();
	ensure_std_fds();
	data = read_file(KRUN_CONFIG_PATH, CONFIG_MAX_LEN, &len, NULL);
	if (!data)
		fail();
	if (config_parse(&cfg, data, len, err, sizeof(err)) < 0) {
		init_log("bad %s: %s", KRUN_CONFIG_PATH, err);
		fail();
	}
	setup_hostname(&cfg);
	setup_loopback();
	setup_page_reporting();
	if (cfg.virtiofs_tag && setup_virtiofs_root(cfg.virtiofs_tag, cfg.root_options) < 0)
		fail();
	if (cfg.root_disk && setup_disk_root(cfg.root_disk, cfg.root_fstype, cfg.root_options) < 0)
		fail();
	/* Read for every workload, as upstream's init does: a runtime that gives
	 * the exec (crun's krun handler: krun_set_exec with no environment)
	 * still gets the spec's env and cwd. With an exec, a file that cannot be
	 * read or parsed is ignored, as upstream; without one it is an error. */
	if (load_oci_config(&cfg) < 0 && !cfg.exec)
		fail();
	/* On the final root, so that /etc/resolv.conf is the workload's. */
	setup_network(&cfg);
	if (stdio_open(&cfg, &fds) < 0)
		fail();

	mark_phase(KRUN_PHASE_WORKLOAD);
	pid = fork();
	if (pid < 0) {
		init_log("fork: %m");
		fail();
	}
	if (pid == 0)
		exec_workload(&cfg, &fds);
	shutdown_watch_start(pid);
	status = reap(pid);
	stdio_close(&fds);
	init_finish(status);
}
