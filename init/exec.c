/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The forked child, from fork to execve: it leaves init's state behind (signal
 * mask and dispositions, session) and takes on the workload's (rlimits, cwd,
 * stdio, environment). Failures here exit with the status the VMM reports.
 */
#include "init.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "oci_config.h"
#include "vmm/guest_abi.h"

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

static const char *env_get(const char *const *envp, const char *name)
{
	size_t n = strlen(name);

	for (; *envp; envp++)
		if (strncmp(*envp, name, n) == 0 && (*envp)[n] == '=')
			return *envp + n + 1;
	return NULL;
}

/*
 * execve, searching PATH like execvp(3) when file has no '/': the PATH is the
 * workload's, not init's. Returns the errno that decides the status: EACCES if
 * some candidate existed but could not be run, else the last error.
 */
static int exec_search(const char *file, char *const argv[], const char *const *envp)
{
	char *const *env = (char *const *)envp;
	const char *p, *end, *path;
	size_t flen = strlen(file), dlen;
	char cand[PATH_MAX];
	bool eacces = false;

	if (strchr(file, '/')) {
		execve(file, argv, env);
		return errno;
	}
	path = env_get(envp, "PATH");
	if (!path)
		path = DEFAULT_PATH;
	for (p = path;; p = end + 1) {
		end = strchrnul(p, ':');
		dlen = (size_t)(end - p);
		/* An empty element means the current directory, as in execvp. */
		if (dlen + 1 + flen < sizeof(cand)) {
			memcpy(cand, p, dlen);
			cand[dlen] = '/';
			memcpy(cand + dlen + 1, file, flen + 1);
			execve(dlen ? cand : file, argv, env);
			switch (errno) {
			case EACCES:
				eacces = true;
				break;
			case ENOENT:
			case ENOTDIR:
			case ESTALE:
			case ENODEV:
			case ETIMEDOUT:
				break; /* try the next directory, as glibc does */
			default:
				return errno;
			}
		}
		if (!*end)
			break;
	}
	return eacces ? EACCES : ENOENT;
}

/* Becomes stream `target`: dup2, and drop O_CLOEXEC if fd is already there. */
static int take_fd(int fd, int target)
{
	if (fd == target)
		return fcntl(fd, F_SETFD, 0);
	return dup2(fd, target) < 0 ? -1 : 0;
}

void exec_workload(const struct config *cfg, const struct stdio_fds *s)
{
	/* The VMM always sends the whole environment: no record means empty
	 * (krun_set_exec with envp = {NULL}). PATH lookups then use DEFAULT_PATH. */
	const char *const *envp = cfg->envp;
	const char *name;
	sigset_t none;
	size_t i;
	int sig, err;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	for (sig = 1; sig < NSIG; sig++)
		signal(sig, SIG_DFL); /* EINVAL for KILL, STOP and libc's own: fine */

	/* A session of its own with the console as its controlling terminal, so
	 * that ^C and job control reach the workload (setsid(2), tty_ioctl(4)). */
	if (setsid() < 0)
		init_log("setsid: %m");
	if (s->console >= 0 && ioctl(s->console, TIOCSCTTY, 1) < 0)
		init_log("cannot make the console the controlling terminal: %m");

	/* Here, not in PID 1's setup: the environment that names it is final only
	 * once the root's OCI config has been read. The UTS namespace is the
	 * guest's one, shared with PID 1. */
	name = oci_hostname(cfg);
	if (sethostname(name, strlen(name)) < 0)
		init_log("cannot set the hostname to %s: %m", name);

	for (i = 0; i < cfg->nrlimits; i++) {
		const struct config_rlimit *rl = &cfg->rlimits[i];
		const struct rlimit lim = { .rlim_cur = rl->cur, .rlim_max = rl->max };

		if (setrlimit(rl->id, &lim) < 0) {
			init_log("cannot set rlimit %d to %llu:%llu: %m", rl->id,
				 (unsigned long long)rl->cur, (unsigned long long)rl->max);
			_exit(KRUN_EXIT_INIT_FAILURE);
		}
	}
	if (chdir(cfg->workdir) < 0) {
		init_log("cannot change to the working directory %s: %m", cfg->workdir);
		_exit(KRUN_EXIT_INIT_FAILURE);
	}
	for (i = 0; i < 3; i++) {
		if (take_fd(s->fd[i], (int)i) < 0) {
			init_log("cannot set up fd %zu: %m", i);
			_exit(KRUN_EXIT_INIT_FAILURE);
		}
	}

	err = exec_search(cfg->exec, (char *const *)cfg->argv, envp);
	/* Now on the workload's stderr, where a shell would say it too. */
	init_log("cannot execute %s: %s", cfg->exec, strerror(err));
	_exit(err == ENOENT || err == ENOTDIR ? KRUN_EXIT_NOT_FOUND : KRUN_EXIT_NOT_EXECUTABLE);
}
