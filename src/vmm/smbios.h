/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SMBIOS tables (DMTF DSP0134 3.x) as the VMM gives them to a guest: the 64-bit
 * entry point ("_SM3_", §5.2.2) and a structure table holding BIOS Information
 * (type 0), System Information (type 1), OEM Strings (type 11, only with OEM
 * strings) and End-of-Table (type 127). Pure: bytes into a buffer; where they
 * go in guest memory is the arch layer's choice (x86: arch/x86_64/smbios.c).
 *
 * The table starts SMBIOS_TABLE_OFFSET bytes after the entry point, so a build
 * for address 0 is exactly what `dmidecode --dump-bin` writes and
 * `dmidecode --from-dump` reads (the entry point at 0, the table at 32).
 */
#ifndef LIBKRUN_VMM_SMBIOS_H
#define LIBKRUN_VMM_SMBIOS_H

#include <stddef.h>
#include <stdint.h>

/* §7.12: type 11's Count is a BYTE, and §6.1.3: a structure names its strings
 * by a byte-sized number from 1. */
#define SMBIOS_OEM_MAX 255
#define SMBIOS_ENTRY_LEN 0x18 /* §5.2.2 Table 2: Entry Point Length */
#define SMBIOS_TABLE_OFFSET 0x20

/* Bytes smbios_build writes (entry point, padding and table) for these n OEM
 * strings; SIZE_MAX if n or a string cannot be encoded (smbios_oem_check). */
size_t smbios_size(const char *const *oem, size_t n);

/*
 * Checks OEM strings as krun_set_smbios_oem_strings receives them: at most
 * SMBIOS_OEM_MAX, each non-empty (§6.1.3: an empty string would be the end of
 * the string-set) and UTF-8 (§6.1.3), and the whole set of tables no larger
 * than room bytes. 0, or -EINVAL with a log line naming `fn`, the string and
 * the reason.
 */
int smbios_oem_check(const char *fn, const char *const *oem, size_t n, uint64_t room);

/*
 * Writes the entry point at buf[0] and the structure table at
 * buf[SMBIOS_TABLE_OFFSET], every byte of [0, *len), for a guest that finds buf
 * at guest-physical address gpa. 0; -EINVAL for strings smbios_oem_check
 * refuses for their count, emptiness or encoding; -ENOSPC if cap is too small
 * (nothing of buf is promised then). Logs nothing.
 */
int smbios_build(uint8_t *buf, size_t cap, uint64_t gpa, const char *const *oem, size_t n,
		 size_t *len);

#endif
