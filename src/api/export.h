/* SPDX-License-Identifier: Apache-2.0 */
/* The library is built with -fvisibility=hidden; only the public API is exported. */
#ifndef LIBKRUN_API_EXPORT_H
#define LIBKRUN_API_EXPORT_H

#define KRUN_API __attribute__((visibility("default")))

#endif
