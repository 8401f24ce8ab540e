/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Our guest init (PID 1), split by stage:
 *   main.c   read the config, run the stages, reap, report the status, power off
 *   setup.c  mounts, hostname, loopback, switch to a virtio-fs or disk root
 *   root_disk.c  mounting a block device's file system (the disk root)
 *   stdio.c  the console and the virtio-console ports of the workload's stdio
 *   exec.c   the workload's child side: signals, rlimits, cwd, stdio, execve
 *   net.c    network interfaces configured by DHCP (dhcp.c: the messages)
 */
#ifndef KRUN_INIT_INIT_H
#define KRUN_INIT_INIT_H

#include <stdbool.h>
#include <sys/types.h>

#include "config.h"

/* "init: message" on init's stderr (the kernel's /dev/console). */
void init_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Reports status through KRUN_EXIT_PORT and powers off. Never returns. */
__attribute__((noreturn)) void init_finish(int status);

/* setup.c. Each returns 0 or -1 after logging why. */
int setup_mounts(void);
void setup_hostname(const struct config *cfg);
void setup_loopback(void);
void setup_page_reporting(void);
/* init/shutdown.c: forks the watcher that stops workload on the VMM's request. */
void shutdown_watch_start(pid_t workload);
int setup_virtiofs_root(const char *tag, const char *options);
int setup_disk_root(const char *device, const char *fstype, const char *options);

/* net.c: each interface of cfg->net_dhcp up and configured by DHCP; failures
 * are logged and leave that interface unconfigured (the workload still runs). */
void setup_network(const struct config *cfg);

/* root_disk.c: mounts device on target: options as mount(8)'s -o (flag names
 * become flags, the rest the file system's data), fstype "auto" tries each
 * block file system in /proc/filesystems. Waits a little for the device node
 * to appear. 0 or -1 after logging why. */
int root_disk_mount(const char *device, const char *fstype, const char *options,
		    const char *target);

/* stdio.c: the fds the workload's stdin/stdout/stderr get, opened by PID 1 so
 * that it can drain and close them after the workload has exited. */
struct stdio_fds {
	int fd[3];
	int console; /* the console tty, or -1 if no stream uses it */
};

int stdio_open(const struct config *cfg, struct stdio_fds *s);
/* Drains the console and closes the ports so that the host sees EOF. */
void stdio_close(struct stdio_fds *s);

/* exec.c: in the forked child; never returns (exits 125, 126 or 127). */
__attribute__((noreturn)) void exec_workload(const struct config *cfg,
					     const struct stdio_fds *s);

#endif
