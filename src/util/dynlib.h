/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A shared library loaded only when it is needed, and its functions resolved
 * from a table. The decompressors use it: linking zlib, libbz2 and libzstd
 * into libkrun cost every VMM ~430 KiB of RSS for code that runs only when a
 * caller passes a compressed kernel.
 */
#ifndef LIBKRUN_UTIL_DYNLIB_H
#define LIBKRUN_UTIL_DYNLIB_H

#include <stddef.h>

struct dynlib_sym {
	const char *name;
	/* Where the resolved address goes: the address of a function pointer. */
	void **slot;
};

/* dlopen()s soname (RTLD_LOCAL) and fills every slot of syms[0..n). 0 with
 * *handle set; -ENOENT when the library or a symbol is missing (logged once,
 * with what naming the caller's purpose and dlerror()'s text). */
int dynlib_open(const char *soname, const struct dynlib_sym *syms, size_t n, const char *what,
		void **handle);
void dynlib_close(void *handle);

#endif
