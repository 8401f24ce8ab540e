/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Reads SMBIOS tables back the way Linux's dmi_scan.c does (dmi_smbios3_present,
 * dmi_decode_table), checking each rule of DSP0134 3.x on the way, for the
 * SMBIOS unit tests (test_smbios.c, test_x86_smbios.c).
 */
#ifndef LIBKRUN_TEST_SMBIOS_PARSE_H
#define LIBKRUN_TEST_SMBIOS_PARSE_H

#include <stdint.h>
#include <string.h>

#include "harness.h"

#define SMB_MAX_STRUCTS 8

struct smb_struct {
	uint8_t type, length;
	uint16_t handle;
	const uint8_t *fmt;         /* formatted part, length bytes */
	const char *str[256];       /* str[1..nstr]: numbered as the spec numbers them */
	unsigned int nstr;
};

struct smb_tables {
	uint8_t major, minor, docrev;
	uint32_t table_max;
	uint64_t table_addr;
	struct smb_struct s[SMB_MAX_STRUCTS];
	unsigned int n;
};

static inline uint8_t smb_sum(const uint8_t *p, size_t n)
{
	uint8_t s = 0;

	while (n--)
		s = (uint8_t)(s + *p++);
	return s;
}

/* The entry point at ep; the table at tab (where the guest would find
 * table_addr), tab_len bytes readable there. Checks the entry point (§5.2.2),
 * then walks the structures (§6.1.2, §6.1.3) up to End-of-Table, which must
 * end the table exactly. */
static inline void smb_parse(const uint8_t *ep, const uint8_t *tab, size_t tab_len,
			     struct smb_tables *t)
{
	size_t off = 0;

	memset(t, 0, sizeof(*t));
	CHECK(memcmp(ep, "_SM3_", 5) == 0);
	CHECK_EQ(ep[6], 0x18);              /* Entry Point Length */
	CHECK_EQ(smb_sum(ep, ep[6]), 0);    /* checksum over that length */
	CHECK_EQ(ep[10], 1);                /* entry point revision: 3.0 */
	CHECK_EQ(ep[11], 0);
	t->major = ep[7];
	t->minor = ep[8];
	t->docrev = ep[9];
	memcpy(&t->table_max, ep + 12, 4);
	memcpy(&t->table_addr, ep + 16, 8);
	CHECK(t->table_max <= tab_len);
	while (1) {
		struct smb_struct *s = &t->s[t->n];
		size_t q;

		CHECK(t->n < SMB_MAX_STRUCTS);
		CHECK(off + 4 <= t->table_max);
		s->type = tab[off];
		s->length = tab[off + 1];
		memcpy(&s->handle, tab + off + 2, 2);
		s->fmt = tab + off;
		CHECK(s->length >= 4);
		q = off + s->length;
		CHECK(q + 2 <= t->table_max);
		if (tab[q] == 0) {
			/* no strings: two NULs */
			CHECK_EQ(tab[q + 1], 0);
			q += 2;
		} else {
			while (tab[q]) {
				size_t l = strnlen((const char *)tab + q, t->table_max - q);
				CHECK(q + l < t->table_max);
				CHECK(s->nstr < 255);
				s->str[++s->nstr] = (const char *)tab + q;
				q += l + 1;
				CHECK(q < t->table_max);
			}
			q++; /* the NUL that ends the set */
		}
		for (unsigned int i = 0; i < t->n; i++)
			CHECK(t->s[i].handle != s->handle); /* §6.1.2: unique handles */
		t->n++;
		off = q;
		if (s->type == 127)
			break;
	}
	CHECK_EQ(off, t->table_max); /* End-of-Table is last, and the length says so */
}

/* The structure of this type, or NULL. */
static inline const struct smb_struct *smb_find(const struct smb_tables *t, uint8_t type)
{
	for (unsigned int i = 0; i < t->n; i++)
		if (t->s[i].type == type)
			return &t->s[i];
	return NULL;
}

/* The string a formatted-part byte at offset off refers to ("" for 0). */
static inline const char *smb_str(const struct smb_struct *s, unsigned int off)
{
	uint8_t i;

	CHECK(off < s->length);
	i = s->fmt[off];
	CHECK(i <= s->nstr);
	return i ? s->str[i] : "";
}

#endif
