/* SPDX-License-Identifier: Apache-2.0 */
/* Owned, NULL-terminated string vectors (argv, envp, rlimits). */
#ifndef LIBKRUN_UTIL_STRV_H
#define LIBKRUN_UTIL_STRV_H

#include <stddef.h>

struct strv {
	char **v; /* NULL-terminated, or NULL when unset */
	size_t n;
};

/* Deep-copies src (NULL-terminated; NULL gives an empty vector). 0 or -ENOMEM,
 * in which case *out is untouched. */
int strv_dup(const char *const *src, struct strv *out);
void strv_free(struct strv *s);
/* Replaces *dst with *src (freeing the old one) and empties *src. */
void strv_move(struct strv *dst, struct strv *src);

#endif
