/* SPDX-License-Identifier: Apache-2.0 */
/* "ID=CUR:MAX" rlimit strings, checked when they are set (upstream checks them
 * only in the guest, where a typo fails silently). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "api/ctx.h"

static int parse_u64(const char *s, const char *end, uint64_t *out)
{
	char *stop;

	if (s == end)
		return -EINVAL;
	if ((end - s == 2 && !strncmp(s, "-1", 2)) || (end - s == 8 && !strncmp(s, "infinity", 8))) {
		*out = RLIM_INFINITY;
		return 0;
	}
	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	unsigned long long v = strtoull(s, &stop, 10);
	if (errno || stop != end)
		return -EINVAL;
	*out = v;
	return 0;
}

int rlimit_parse(const char *s, int *id, uint64_t *cur, uint64_t *max)
{
	const char *eq = strchr(s, '='), *colon;
	uint64_t rid;

	if (!eq || parse_u64(s, eq, &rid) < 0 || rid >= RLIM_NLIMITS)
		return -EINVAL;
	colon = strchr(eq + 1, ':');
	if (!colon || parse_u64(eq + 1, colon, cur) < 0 ||
	    parse_u64(colon + 1, colon + 1 + strlen(colon + 1), max) < 0)
		return -EINVAL;
	if (*cur > *max)
		return -EINVAL;
	*id = (int)rid;
	return 0;
}
