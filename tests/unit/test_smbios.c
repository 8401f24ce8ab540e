/* SPDX-License-Identifier: Apache-2.0 */
/* The SMBIOS table builder (vmm/smbios.h): entry point, structures, strings. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "harness.h"
#include "logcap.h"
#include "smbios_parse.h"
#include "vmm/smbios.h"

#define GPA 0xf0000ULL
#define CAP 0x10000

static uint8_t *build(const char *const *oem, size_t n, size_t *len, struct smb_tables *t)
{
	uint8_t *buf = malloc(CAP);

	CHECK(buf != NULL);
	memset(buf, 0xee, CAP); /* every byte up to len must be written */
	CHECK_EQ(smbios_build(buf, CAP, GPA, oem, n, len), 0);
	CHECK_EQ(*len, smbios_size(oem, n));
	smb_parse(buf, buf + SMBIOS_TABLE_OFFSET, *len - SMBIOS_TABLE_OFFSET, t);
	return buf;
}

TEST(smbios_entry_point_is_sm3_version_3_0_with_the_table_address_and_size)
{
	struct smb_tables t;
	size_t len;
	uint8_t *buf = build(NULL, 0, &len, &t);

	CHECK_EQ(t.major, 3);
	CHECK_EQ(t.minor, 0);
	CHECK_EQ(t.docrev, 0);
	CHECK_EQ(t.table_addr, GPA + SMBIOS_TABLE_OFFSET);
	CHECK_EQ(t.table_max, len - SMBIOS_TABLE_OFFSET);
	for (unsigned int i = SMBIOS_ENTRY_LEN; i < SMBIOS_TABLE_OFFSET; i++)
		CHECK_EQ(buf[i], 0); /* padding written, not left stale */
	free(buf);
}

TEST(smbios_without_oem_strings_has_bios_system_and_end_only)
{
	struct smb_tables t;
	size_t len;
	uint8_t *buf = build((const char *const[]){ NULL }, 0, &len, &t);
	const struct smb_struct *bios = &t.s[0], *sys = &t.s[1], *end = &t.s[2];

	CHECK_EQ(t.n, 3);
	CHECK_EQ(bios->type, 0);
	CHECK_EQ(bios->length, 0x18);
	CHECK_STR_EQ(smb_str(bios, 4), "libkrun");    /* vendor */
	CHECK_STR_EQ(smb_str(bios, 5), "0");          /* version */
	CHECK_STR_EQ(smb_str(bios, 8), "01/05/2024"); /* release date */
	CHECK(bios->fmt[0x0a] & (1 << 3));             /* characteristics not supported */
	CHECK(bios->fmt[0x13] & (1 << 4));             /* a virtual machine */
	CHECK_EQ(sys->type, 1);
	CHECK_EQ(sys->length, 0x1b);
	CHECK_STR_EQ(smb_str(sys, 4), "Libkrun");
	CHECK_STR_EQ(smb_str(sys, 5), "libkrun Virtual Machine");
	CHECK_STR_EQ(smb_str(sys, 6), "");             /* no version */
	CHECK_EQ(sys->fmt[0x18], 6);                   /* woken by the power switch */
	CHECK_EQ(end->type, 127);
	CHECK_EQ(end->length, 4);
	CHECK_EQ(end->nstr, 0);
	CHECK(smb_find(&t, 11) == NULL);
	free(buf);
}

TEST(smbios_type_11_holds_every_oem_string_in_order)
{
	const char *const oem[] = { "io.systemd.credential:a=b", "h\xc3\xa9llo w\xc3\xb6rld",
				    "\xf0\x9f\x98\x80", "x", NULL };
	struct smb_tables t;
	size_t len;
	uint8_t *buf = build(oem, 4, &len, &t);
	const struct smb_struct *s = smb_find(&t, 11);

	CHECK_EQ(t.n, 4);
	CHECK(s != NULL);
	CHECK(s == &t.s[2]); /* before End-of-Table */
	CHECK_EQ(s->length, 5);
	CHECK_EQ(s->fmt[4], 4); /* Count */
	CHECK_EQ(s->nstr, 4);
	for (unsigned int i = 0; i < 4; i++)
		CHECK_STR_EQ(s->str[i + 1], oem[i]);
	free(buf);
}

TEST(smbios_takes_255_oem_strings_and_refuses_256)
{
	static const char *oem[257];
	struct smb_tables t;
	size_t len;

	for (unsigned int i = 0; i < 256; i++)
		oem[i] = i % 2 ? "odd" : "even";
	uint8_t *buf = build(oem, 255, &len, &t);
	const struct smb_struct *s = smb_find(&t, 11);
	CHECK(s != NULL);
	CHECK_EQ(s->fmt[4], 255);
	CHECK_EQ(s->nstr, 255);
	CHECK_STR_EQ(s->str[255], "even");
	CHECK_EQ(smbios_build(buf, CAP, GPA, oem, 256, &len), -EINVAL);
	CHECK_EQ(smbios_size(oem, 256), SIZE_MAX);
	free(buf);
}

TEST(smbios_refuses_empty_and_malformed_utf8_strings)
{
	static const char *const bad[] = {
		"",                  /* would end the string-set */
		"\xff",              /* no UTF-8 lead byte */
		"\xf9\x80\x80\x80",  /* the lead of a 5-byte form, not UTF-8 */
		"ok\x80",            /* lone continuation byte */
		"\xc0\x80",          /* overlong NUL */
		"\xe0\x80\xaf",      /* overlong '/' */
		"\xed\xa0\x80",      /* a surrogate */
		"\xf4\x90\x80\x80",  /* past U+10FFFF */
		"\xe2\x82",          /* cut short by the NUL */
		"\xc3(",             /* a lead byte without its continuation */
	};
	uint8_t buf[512];
	size_t len;

	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *const oem[] = { "fine", bad[i] };
		if (smbios_build(buf, sizeof(buf), GPA, oem, 2, &len) != -EINVAL)
			harness_fail(__FILE__, __LINE__, "string %u accepted", i);
		CHECK_EQ(smbios_size(oem, 2), SIZE_MAX);
	}
	const char *const good[] = { "\xe2\x82\xac", "\xf4\x8f\xbf\xbf", "\xdf\xbf" };
	CHECK_EQ(smbios_build(buf, sizeof(buf), GPA, good, 3, &len), 0);
}

TEST(smbios_build_into_a_short_buffer_is_enospc)
{
	const char *const oem[] = { "abc", "def" };
	size_t need = smbios_size(oem, 2), len = 0;
	uint8_t *buf = malloc(need);

	CHECK(buf != NULL);
	CHECK_EQ(smbios_build(buf, need - 1, GPA, oem, 2, &len), -ENOSPC);
	CHECK_EQ(smbios_build(buf, SMBIOS_ENTRY_LEN, GPA, oem, 2, &len), -ENOSPC);
	CHECK_EQ(smbios_build(buf, need, GPA, oem, 2, &len), 0);
	CHECK_EQ(len, need);
	CHECK_EQ(smbios_build(buf, need, UINT64_MAX - 8, oem, 2, &len), -EINVAL);
	free(buf);
}

TEST(smbios_oem_check_names_the_bad_string_and_bounds_the_total)
{
	struct logcap c;
	size_t base = smbios_size(NULL, 0);
	/* One string makes the tables larger by type 11's 5 bytes, its own and
	 * two NULs (its own, the set's). */
	size_t fill = 0x10000 - base - 5 - 2;
	char *big = malloc(fill + 2);

	CHECK(big != NULL);
	memset(big, 'a', fill + 1);
	big[fill] = '\0';
	const char *const one[] = { big };
	CHECK_EQ(smbios_size(one, 1), 0x10000);
	CHECK_EQ(smbios_oem_check("f", one, 1, 0x10000), 0);
	big[fill] = 'a';
	big[fill + 1] = '\0';
	cap_start(&c);
	CHECK_EQ(smbios_oem_check("f", one, 1, 0x10000), -EINVAL);
	CHECK(strstr(cap_end(&c), "f: 1 OEM strings make 65537 bytes") != NULL);

	const char *const empty[] = { "a", "b", "" };
	cap_start(&c);
	CHECK_EQ(smbios_oem_check("f", empty, 3, 0x10000), -EINVAL);
	CHECK(strstr(cap_end(&c), "f: OEM string 2: empty") != NULL);
	const char *const latin1[] = { "caf\xe9" };
	cap_start(&c);
	CHECK_EQ(smbios_oem_check("f", latin1, 1, 0x10000), -EINVAL);
	CHECK(strstr(cap_end(&c), "f: OEM string 0: not UTF-8") != NULL);
	free(big);
}

/* Debian's dmidecode reads a dump in the layout of its --dump-bin: the entry
 * point at offset 0 with its table address 32, the table at 32: our build for
 * address 0. It must decode our strings as a BIOS-made table's. */
TEST(smbios_dump_decodes_with_dmidecode)
{
	const char *const oem[] = { "first string", "second=2", "dritte \xc3\xa4", NULL };
	char path[] = "/tmp/smbios-test-XXXXXX", cmd[256], out[8192];
	uint8_t buf[1024];
	size_t len, got;
	FILE *f;
	int fd;

	if (system("command -v dmidecode >/dev/null 2>&1") != 0)
		SKIP("dmidecode is not installed (apt-get install dmidecode; scripts/deps.sh check)");
	CHECK_EQ(smbios_build(buf, sizeof(buf), 0, oem, 3, &len), 0);
	fd = mkstemp(path);
	CHECK(fd >= 0);
	CHECK_EQ(write(fd, buf, len), (ssize_t)len);
	close(fd);
	snprintf(cmd, sizeof(cmd), "dmidecode --from-dump %s 2>&1", path);
	f = popen(cmd, "r");
	CHECK(f != NULL);
	got = fread(out, 1, sizeof(out) - 1, f);
	out[got] = '\0';
	CHECK_EQ(pclose(f), 0);
	unlink(path);
	printf("%s", out);
	CHECK(strstr(out, "SMBIOS 3.0.0 present.") != NULL);
	/* read at the entry point's table address, 32 (dmidecode prints no
	 * "Table at" line for a dump) */
	CHECK(strstr(out, "\nHandle 0x0000, DMI type 0, 24 bytes\nBIOS Information\n") != NULL);
	CHECK(strstr(out, "\tVendor: libkrun\n") != NULL);
	CHECK(strstr(out, "\tRelease Date: 01/05/2024\n") != NULL);
	CHECK(strstr(out, "\tSystem is a virtual machine\n") != NULL);
	CHECK(strstr(out, "\tManufacturer: Libkrun\n") != NULL);
	CHECK(strstr(out, "\tProduct Name: libkrun Virtual Machine\n") != NULL);
	/* dmidecode prints each byte outside ASCII as a dot */
	CHECK(strstr(out, "OEM Strings\n\tString 1: first string\n\tString 2: second=2\n"
			  "\tString 3: dritte ..\n") != NULL);
	CHECK(strstr(out, "\nEnd Of Table\n") != NULL);
	CHECK(strstr(out, "Invalid") == NULL && strstr(out, "Wrong") == NULL &&
	      strstr(out, "Bad") == NULL);
}
