/* SPDX-License-Identifier: Apache-2.0 */
#include "util/strv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int strv_dup(const char *const *src, struct strv *out)
{
	size_t n = 0;

	while (src && src[n])
		n++;
	char **v = calloc(n + 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		v[i] = strdup(src[i]);
		if (!v[i]) {
			struct strv partial = { v, i };
			strv_free(&partial);
			return -ENOMEM;
		}
	}
	out->v = v;
	out->n = n;
	return 0;
}

void strv_free(struct strv *s)
{
	if (!s->v)
		return;
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

void strv_move(struct strv *dst, struct strv *src)
{
	strv_free(dst);
	*dst = *src;
	src->v = NULL;
	src->n = 0;
}
