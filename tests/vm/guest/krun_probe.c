/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Runs inside the guest (static). Reports what the VM tests check:
 *   krun_probe args     each argv[2..] followed by NUL, on stdout
 *   krun_probe env      each environ entry followed by NUL
 *   krun_probe rlimit N "cur max" of resource N (-1 for infinity)
 *   krun_probe cpus     online CPUs
 *   krun_probe memkb    MemTotal in KiB
 *   krun_probe cwd      the working directory
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

extern char **environ;

static void put0(const char *s)
{
	fwrite(s, 1, strlen(s) + 1, stdout);
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	if (!strcmp(argv[1], "args")) {
		for (int i = 2; i < argc; i++)
			put0(argv[i]);
	} else if (!strcmp(argv[1], "env")) {
		for (char **e = environ; *e; e++)
			put0(*e);
	} else if (!strcmp(argv[1], "rlimit") && argc == 3) {
		struct rlimit rl;
		if (getrlimit(atoi(argv[2]), &rl) < 0)
			return 3;
		printf("%lld %lld\n", rl.rlim_cur == RLIM_INFINITY ? -1LL : (long long)rl.rlim_cur,
		       rl.rlim_max == RLIM_INFINITY ? -1LL : (long long)rl.rlim_max);
	} else if (!strcmp(argv[1], "cpus")) {
		printf("%ld\n", sysconf(_SC_NPROCESSORS_ONLN));
	} else if (!strcmp(argv[1], "memkb")) {
		char line[256];
		FILE *f = fopen("/proc/meminfo", "r");
		while (f && fgets(line, sizeof(line), f))
			if (!strncmp(line, "MemTotal:", 9))
				printf("%ld\n", strtol(line + 9, NULL, 10));
	} else if (!strcmp(argv[1], "cwd")) {
		char buf[4096];
		if (!getcwd(buf, sizeof(buf)))
			return 3;
		printf("%s\n", buf);
	} else {
		return 2;
	}
	return 0;
}
