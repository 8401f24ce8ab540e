/* SPDX-License-Identifier: Apache-2.0 */
/*
 * elapsed LABEL CMD [ARGS...]: runs CMD (static, for bench guests, whose busybox
 * `date` has no sub-second format) and then prints "RESULT LABEL MS" with its
 * wall-clock time on CLOCK_MONOTONIC. Exits with CMD's status.
 */
#include <stdio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

int main(int argc, char **argv)
{
	int st;
	if (argc < 3) {
		fprintf(stderr, "usage: elapsed LABEL CMD [ARGS...]\n");
		return 2;
	}
	double start = now_ms();
	pid_t pid = fork();
	if (pid == 0) {
		execvp(argv[2], &argv[2]);
		perror(argv[2]);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return 125;
	printf("RESULT %s %.1f\n", argv[1], now_ms() - start);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}
