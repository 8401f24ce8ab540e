/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The workload's stdio. "console" is hvc0, the first virtio-console port, a
 * terminal on the host side. "port" is a named virtio-console port: the host
 * names it with VIRTIO_CONSOLE_PORT_NAME (virtio 1.2 §5.3.6.2) and the guest's
 * driver shows the name in /sys/class/virtio-ports/vportNpM/name, while
 * devtmpfs gives /dev/vportNpM without udev. The name arrives in a control
 * message after the port is added, so both are polled for a while.
 *
 * A port can be opened once (the driver returns EBUSY for a second open), so
 * PID 1 opens each one and the workload inherits it; when the last holder
 * closes it the driver tells the host the guest side closed: the host's EOF.
 */
#include "init.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "vmm/guest_abi.h"

#define PORTS_DIR "/sys/class/virtio-ports"
#define PORT_WAIT_MS 5000
#define PORT_POLL_MS 10

static const char *const port_names[3] = { KRUN_PORT_STDIN, KRUN_PORT_STDOUT,
					    KRUN_PORT_STDERR };

static int open_console(void)
{
	int fd = open("/dev/hvc0", O_RDWR | O_NOCTTY | O_CLOEXEC);

	if (fd < 0 && errno == ENOENT) {
		/* No virtio-console (krun_disable_implicit_console with a serial
		 * port; QEMU q35 with console=ttyS0): the kernel's console. */
		fd = open("/dev/console", O_RDWR | O_NOCTTY | O_CLOEXEC);
		/* A VM with no console at all (krun_disable_implicit_console and
		 * none added): the workload's stdio goes nowhere, as upstream's. */
		if (fd < 0) {
			init_log("no console: the workload's stdio is /dev/null");
			fd = open("/dev/null", O_RDWR | O_NOCTTY | O_CLOEXEC);
		}
	}
	if (fd < 0)
		init_log("cannot open the console: %m");
	return fd;
}

/* Reads a sysfs attribute into buf without its trailing newline. */
static int read_attr(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	if (n > 0 && buf[n - 1] == '\n')
		buf[n - 1] = '\0';
	return 0;
}

/* Finds the port named `name`; writes "/dev/vportNpM" to dev. */
static int find_port(const char *name, char *dev, size_t dev_len)
{
	char path[300], value[256];
	struct dirent *e;
	DIR *d = opendir(PORTS_DIR);
	int r = -1;

	if (!d)
		return -1;
	while (r < 0 && (e = readdir(d))) {
		if (e->d_name[0] == '.' || strlen(e->d_name) > 64)
			continue;
		snprintf(path, sizeof(path), PORTS_DIR "/%s/name", e->d_name);
		if (read_attr(path, value, sizeof(value)) == 0 && strcmp(value, name) == 0) {
			snprintf(dev, dev_len, "/dev/%s", e->d_name);
			r = 0;
		}
	}
	closedir(d);
	return r;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int open_port(const char *name, int flags, long long deadline)
{
	const struct timespec pause_ts = { 0, PORT_POLL_MS * 1000000L };
	char dev[80];
	int fd;

	for (;;) {
		if (find_port(name, dev, sizeof(dev)) == 0) {
			fd = open(dev, flags | O_NOCTTY | O_CLOEXEC);
			if (fd >= 0)
				return fd;
			if (errno != ENOENT) {
				init_log("cannot open %s (port \"%s\"): %m", dev, name);
				return -1;
			}
		}
		if (now_ms() >= deadline)
			break;
		nanosleep(&pause_ts, NULL);
	}
	init_log("no virtio-console port named \"%s\" after %d ms", name, PORT_WAIT_MS);
	return -1;
}

int stdio_open(const struct config *cfg, struct stdio_fds *s)
{
	long long deadline = now_ms() + PORT_WAIT_MS;
	int i;

	s->console = -1;
	for (i = 0; i < 3; i++)
		s->fd[i] = -1;
	for (i = 0; i < 3; i++) {
		if (cfg->stdio[i] == STDIO_PORT) {
			s->fd[i] = open_port(port_names[i], i == 0 ? O_RDONLY : O_WRONLY,
					     deadline);
			if (s->fd[i] < 0)
				goto fail;
			continue;
		}
		if (s->console < 0 && (s->console = open_console()) < 0)
			goto fail;
		s->fd[i] = s->console;
	}
	return 0;
fail:
	stdio_close(s);
	return -1;
}

void stdio_close(struct stdio_fds *s)
{
	int i;

	/* Wait until the console has sent all output on to the host: the VMM
	 * stops the VM as soon as the exit status is reported. */
	if (s->console >= 0)
		tcdrain(s->console);
	for (i = 0; i < 3; i++) {
		if (s->fd[i] >= 0 && s->fd[i] != s->console) {
			fsync(s->fd[i]); /* EINVAL on ports today; harmless */
			close(s->fd[i]);
		}
		s->fd[i] = -1;
	}
	if (s->console >= 0)
		close(s->console);
	s->console = -1;
}
