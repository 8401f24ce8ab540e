/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The guest kernel bundle is opened with the library, as an OCI runtime needs:
 * crun dlopens libkrun.so.1 on the host, enters the container's root (which
 * has none of our libraries) and only then creates and starts a context. And
 * a missing bundle fails only krun_start_enter, only without krun_set_kernel.
 */
#include "harness.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "api/state.h"
#include "libkrun.h"

/* Runs fn in a child; what it writes to the pipe (at most one line) is the
 * verdict, "ok" when all held. */
static void in_child(void (*fn)(int out), char *verdict, size_t len)
{
	int fd[2], st;
	ssize_t n;
	pid_t pid;

	CHECK(pipe(fd) == 0);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		close(fd[0]);
		fn(fd[1]);
		_exit(0);
	}
	close(fd[1]);
	n = read(fd[0], verdict, len - 1);
	verdict[n < 0 ? 0 : n] = '\0';
	close(fd[0]);
	CHECK(waitpid(pid, &st, 0) == pid);
	CHECK(WIFEXITED(st));
}

/* The child's verdict: what went wrong and a detail, or "ok". */
static void say(int out, const char *what, const char *detail)
{
	dprintf(out, "%s%s%s", what, detail ? ": " : "", detail ? detail : "");
	_exit(0);
}

/* logcap.h's capture without CHECK, whose failure would unwind the child into
 * the harness: the log of krun_init_log fn (this program's copy, or the
 * dlopened library's) goes into a pipe. */
typedef int32_t (*log_fn)(int, uint32_t, uint32_t, uint32_t);

static int child_log_start(log_fn init_log, int fd[2])
{
	if (pipe2(fd, O_NONBLOCK) < 0)
		return -1;
	return init_log(fd[1], KRUN_LOG_LEVEL_ERROR, KRUN_LOG_STYLE_NEVER, KRUN_LOG_OPTION_NO_ENV);
}

static const char *child_log_end(int fd[2], char *text, size_t len)
{
	ssize_t n = read(fd[0], text, len - 1);

	text[n < 0 ? 0 : n] = '\0';
	close(fd[0]);
	close(fd[1]);
	return text;
}

/*
 * What crun does: dlopen libkrun.so.1 (the real shared library, found
 * through this program's run path), chroot into a directory without it,
 * then create a context and start it. Starting gets past the kernel (the
 * bundle opened before the chroot) and stops at /dev/kvm, which the empty
 * root lacks: that is the proof the bundle was there, since without it the
 * error would come first.
 */
static void runtime_order(int out)
{
	typedef int32_t (*create_fn)(void);
	typedef int32_t (*set_exec_fn)(uint32_t, const char *, const char *const *,
				       const char *const *);
	typedef int32_t (*ctx_fn)(uint32_t);
	const char *const none[] = { NULL };
	char dir[] = "/tmp/krun-empty-root.XXXXXX", text[4096];
	int null = open("/dev/null", O_RDWR), logfd[2], ctx, r;
	const struct krunfw *fw;
	const char *why, *log;
	void *h;

	h = dlopen("libkrun.so.1", RTLD_NOW | RTLD_LOCAL);
	if (!h)
		say(out, "dlopen", dlerror());
	if (null < 0 || !mkdtemp(dir))
		say(out, "no /dev/null or temporary directory", NULL);
	/* The terminal stays the test's: no raw mode, nothing written to it. */
	dup2(null, 0);
	dup2(null, 1);
	if (chroot(dir) < 0 || chdir("/") < 0)
		say(out, "chroot", dir);

	/* This program's own (static) copy of the library opened the bundle at
	 * start too: it is still there, its pages readable, its file open. */
	fw = krun_bundle(&why);
	if (!fw)
		say(out, "no bundle after chroot", why);
	(void)((const volatile char *)fw->image)[0];
	(void)((const volatile char *)fw->image)[fw->size - 1];
	if (!krunfw_file_usable(fw))
		say(out, "the bundle's file descriptor was lost", NULL);

	if (child_log_start((log_fn)dlsym(h, "krun_init_log"), logfd) < 0)
		say(out, "no log pipe", NULL);
	ctx = ((create_fn)dlsym(h, "krun_create_ctx"))();
	if (ctx < 0)
		say(out, "krun_create_ctx after chroot", strerror(-ctx));
	if (((set_exec_fn)dlsym(h, "krun_set_exec"))((uint32_t)ctx, "/bin/true", none, none) < 0)
		say(out, "krun_set_exec", NULL);
	r = ((ctx_fn)dlsym(h, "krun_start_enter"))((uint32_t)ctx);
	log = child_log_end(logfd, text, sizeof(text));
	if (r != -ENOENT || strstr(log, "kernel bundle") || !strstr(log, "cannot open /dev/kvm"))
		say(out, "krun_start_enter did not get as far as /dev/kvm", log);
	say(out, "ok", NULL);
}

TEST(api_bundle_opened_with_the_library_serves_contexts_made_after_chroot)
{
	char verdict[4096];

	if (geteuid() != 0)
		SKIP("chroot needs root");
	in_child(runtime_order, verdict, sizeof(verdict));
	CHECK_STR_EQ(verdict, "ok");
}

/* A runtime may close every fd it does not know of before it runs the
 * container: the number the bundle's file had may then name another file,
 * which must not be mapped as the kernel. */
static void fd_reused(int out)
{
	const char *why;
	const struct krunfw *fw = krun_bundle(&why);
	int fd;

	if (!fw || !krunfw_file_usable(fw))
		say(out, "no usable bundle to begin with", NULL);
	close(fw->fd);
	fd = open("/dev/null", O_RDONLY);
	if (fd != fw->fd)
		say(out, "the number was not reused", NULL);
	say(out, krunfw_file_usable(fw) ? "another file taken for the bundle" : "ok", NULL);
}

TEST(api_bundle_fd_that_now_names_another_file_is_not_used)
{
	char verdict[256];

	in_child(fd_reused, verdict, sizeof(verdict));
	CHECK_STR_EQ(verdict, "ok");
}

/* Without a bundle: contexts are created and configured as usual; only
 * krun_start_enter of a context without a kernel of its own fails, -ENOENT
 * with the reason, as upstream. Run in a child: it takes the bundle away. */
static void no_bundle(int out)
{
	struct krun_state *st = krun_state();
	const char *const none[] = { NULL };
	char text[4096];
	const char *log;
	int ctx, ctx2, r, fd[2], null = open("/dev/null", O_RDWR);

	/* No terminal for a VM that gets further than it should. */
	if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0)
		say(out, "no /dev/null", NULL);
	st->krunfw.image = NULL;
	snprintf(st->krunfw_why, sizeof(st->krunfw_why),
		 "cannot load the guest kernel bundle libkrunfw.so.5: (test) not found");
	ctx = krun_create_ctx();
	ctx2 = krun_create_ctx();
	if (ctx < 0 || ctx2 < 0)
		say(out, "krun_create_ctx failed without a bundle", NULL);
	if (krun_set_exec((uint32_t)ctx, "/bin/true", none, none) < 0 ||
	    krun_set_exec((uint32_t)ctx2, "/bin/true", none, none) < 0 ||
	    krun_set_kernel((uint32_t)ctx2, "/dev/null", KRUN_KERNEL_FORMAT_ELF, NULL, NULL) < 0)
		say(out, "configuration failed without a bundle", NULL);
	if (child_log_start(krun_init_log, fd) < 0)
		say(out, "no log pipe", NULL);
	r = krun_start_enter((uint32_t)ctx);
	log = child_log_end(fd, text, sizeof(text));
	if (r != -ENOENT || !strstr(log, "krun_start_enter: cannot load the guest kernel bundle "
					 "libkrunfw.so.5: (test) not found") ||
	    !strstr(log, "krun_set_kernel"))
		say(out, "start without a kernel or bundle", log);
	/* With a kernel of its own the bundle is not asked for: the empty file
	 * fails instead. */
	if (child_log_start(krun_init_log, fd) < 0)
		say(out, "no log pipe", NULL);
	r = krun_start_enter((uint32_t)ctx2);
	log = child_log_end(fd, text, sizeof(text));
	if (r >= 0 || strstr(log, "bundle"))
		say(out, "a kernel was given, yet the bundle was asked for", log);
	say(out, "ok", NULL);
}

TEST(api_missing_bundle_fails_only_start_without_a_kernel)
{
	char verdict[4096];

	in_child(no_bundle, verdict, sizeof(verdict));
	CHECK_STR_EQ(verdict, "ok");
}
