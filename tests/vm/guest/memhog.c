/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Runs inside the guest (static), for the free page reporting test and bench:
 *   memhog MIB [HOLD_S [AFTER_S]]
 * prints READY, maps MIB MiB, writes every page, prints TOUCHED, holds it HOLD_S
 * seconds (default 2), unmaps it, prints FREED, sleeps AFTER_S seconds (default
 * 10) so that the host can watch its RSS fall, prints DONE and exits 0. Each
 * marker is a line of its own, flushed at once. Exits 1 if the mapping fails.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static void mark(const char *what)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	printf("%s %lld.%03ld\n", what, (long long)ts.tv_sec, ts.tv_nsec / 1000000);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	size_t mib = argc > 1 ? strtoul(argv[1], NULL, 10) : 512;
	unsigned int hold = argc > 2 ? (unsigned int)atoi(argv[2]) : 2;
	unsigned int after = argc > 3 ? (unsigned int)atoi(argv[3]) : 10;
	long page = sysconf(_SC_PAGESIZE);
	size_t len = mib << 20;
	unsigned char *p;

	mark("READY");
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		perror("memhog: mmap");
		return 1;
	}
	for (size_t off = 0; off < len; off += (size_t)page)
		p[off] = (unsigned char)(off / (size_t)page | 1); /* never zero */
	mark("TOUCHED");
	sleep(hold);
	munmap(p, len);
	mark("FREED");
	sleep(after);
	mark("DONE");
	return 0;
}
