/* SPDX-License-Identifier: Apache-2.0 */
#include "util/dynlib.h"

#include <dlfcn.h>
#include <errno.h>

#include "util/log.h"

int dynlib_open(const char *soname, const struct dynlib_sym *syms, size_t n, const char *what,
		void **handle)
{
	void *h = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
	size_t i;

	if (!h) {
		log_error("%s needs %s, which cannot be loaded: %s", what, soname, dlerror());
		return -ENOENT;
	}
	for (i = 0; i < n; i++) {
		/* dlerror() is cleared first, so that a symbol whose value is
		 * NULL is told from one that is missing (dlsym(3)). */
		dlerror();
		*syms[i].slot = dlsym(h, syms[i].name);
		if (!*syms[i].slot) {
			const char *e = dlerror();

			log_error("%s: %s lacks %s: %s", what, soname, syms[i].name,
				  e ? e : "null symbol");
			dlclose(h);
			return -ENOENT;
		}
	}
	*handle = h;
	return 0;
}

void dynlib_close(void *handle)
{
	if (handle)
		dlclose(handle);
}
