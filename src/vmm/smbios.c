/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SMBIOS 3.0 entry point and structure table (DMTF DSP0134 3.x). The strings
 * of types 0 and 1 are upstream libkrun's (src/smbios), so that a guest sees
 * the same machine under either library.
 */
#include <endian.h>
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "util/checksum.h"
#include "util/log.h"
#include "vmm/smbios.h"

/* §6.1.2: every structure starts with this header. */
struct smbios_hdr {
	uint8_t type;
	uint8_t length; /* of the formatted part, header included */
	uint16_t handle;
} __attribute__((packed));

/* §5.2.2 Table 2: the 64-bit entry point. */
struct smbios3_entry {
	char anchor[5]; /* "_SM3_" */
	uint8_t checksum; /* all Entry Point Length bytes sum to 0 */
	uint8_t length;
	uint8_t major, minor, docrev;
	uint8_t revision; /* 01h: the SMBIOS 3.0 entry point */
	uint8_t reserved;
	uint32_t table_max; /* Structure Table Maximum Size */
	uint64_t table_addr;
} __attribute__((packed));

/* §7.1 Table 6, the SMBIOS 2.4 to 3.0 length (3.1 adds a word). */
struct smbios_bios {
	struct smbios_hdr h;
	uint8_t vendor, version; /* string numbers */
	uint16_t start_segment; /* 0: no BIOS in the legacy area */
	uint8_t release_date;
	uint8_t rom_size; /* 64 KiB * (n + 1) */
	uint64_t characteristics;
	uint8_t ext1, ext2;
	uint8_t bios_major, bios_minor, ec_major, ec_minor;
} __attribute__((packed));

/* §7.2 Table 10 (2.4+). */
struct smbios_system {
	struct smbios_hdr h;
	uint8_t manufacturer, product, version, serial; /* string numbers */
	uint8_t uuid[16]; /* all 0: "the ID is not present in the system" */
	uint8_t wakeup;
	uint8_t sku, family;
} __attribute__((packed));

/* §7.12 Table 70. */
struct smbios_oem {
	struct smbios_hdr h;
	uint8_t count;
} __attribute__((packed));

_Static_assert(sizeof(struct smbios3_entry) == SMBIOS_ENTRY_LEN, "§5.2.2: 18h bytes");
_Static_assert(sizeof(struct smbios_bios) == 0x18, "§7.1: 18h bytes (2.4 to 3.0)");
_Static_assert(sizeof(struct smbios_system) == 0x1b, "§7.2: 1Bh bytes (2.4+)");
_Static_assert(SMBIOS_TABLE_OFFSET >= SMBIOS_ENTRY_LEN, "the table follows the entry point");

enum { TYPE_BIOS = 0, TYPE_SYSTEM = 1, TYPE_OEM = 11, TYPE_END = 127 };
#define BIOS_CHAR_NOT_SUPPORTED (1ULL << 3) /* §7.1.1 Table 7, bit 3 */
#define BIOS_EXT2_VIRTUAL_MACHINE (1U << 4) /* §7.1.2.2 Table 9, bit 4 */
#define WAKEUP_POWER_SWITCH 0x06            /* §7.2.2 Table 12 */

static const char *const bios_strings[] = { "libkrun", "0", "01/05/2024" };
static const char *const system_strings[] = { "Libkrun", "libkrun Virtual Machine" };

/* Output cursor; with buf NULL it only counts. full: a put did not fit. */
struct out {
	uint8_t *buf;
	size_t cap, len;
	bool full;
};

static void put(struct out *o, const void *p, size_t n)
{
	if (o->full || n > SIZE_MAX - o->len || (o->buf && n > o->cap - o->len)) {
		o->full = true;
		return;
	}
	if (o->buf && n)
		memcpy(o->buf + o->len, p, n);
	o->len += n;
}

/* §6.1.3: the formatted part, then each string with its NUL, then the NUL that
 * ends the set; a structure without strings is followed by two NULs. */
static void put_struct(struct out *o, const void *fmt, size_t len, const char *const *s,
		       size_t n)
{
	static const uint8_t nul[2];

	put(o, fmt, len);
	for (size_t i = 0; i < n; i++)
		put(o, s[i], strlen(s[i]) + 1);
	put(o, nul, n ? 1 : 2);
}

/* RFC 3629 §4: no overlong forms, no surrogates, nothing past U+10FFFF. */
static bool utf8_valid(const char *str)
{
	static const uint32_t min_cp[] = { 0, 0x80, 0x800, 0x10000 }; /* by length - 1 */
	const unsigned char *s = (const unsigned char *)str;

	while (*s) {
		unsigned char c = *s++;
		unsigned int more;
		uint32_t cp, min;

		if (c < 0x80)
			continue;
		more = (c & 0xe0) == 0xc0 ? 1 : (c & 0xf0) == 0xe0 ? 2 : (c & 0xf8) == 0xf0 ? 3 : 0;
		if (!more)
			return false; /* a continuation byte, or 0xF8..0xFF */
		cp = c & (0x3fU >> more);
		min = min_cp[more];
		while (more--) {
			if ((*s & 0xc0) != 0x80) /* the NUL ends a short sequence here too */
				return false;
			cp = cp << 6 | (*s++ & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
	}
	return true;
}

/* Why the strings cannot be encoded, or NULL; *bad: which one. */
static const char *oem_problem(const char *const *oem, size_t n, size_t *bad)
{
	if (n > SMBIOS_OEM_MAX) {
		*bad = SMBIOS_OEM_MAX;
		return "more than 255 strings (SMBIOS numbers them with a byte)";
	}
	for (size_t i = 0; i < n; i++) {
		*bad = i;
		if (!oem[i] || !*oem[i])
			return "empty (SMBIOS ends a string-set at an empty string)";
		if (!utf8_valid(oem[i]))
			return "not UTF-8 (SMBIOS 3 strings are UTF-8)";
	}
	return NULL;
}

static void emit(struct out *o, const char *const *oem, size_t n)
{
	static const uint8_t pad[SMBIOS_TABLE_OFFSET];
	uint16_t handle = 0;

	put(o, pad, sizeof(pad)); /* the entry point goes here once the length is known */

	struct smbios_bios bios = {
		.h = { TYPE_BIOS, sizeof(bios), htole16(handle++) },
		.vendor = 1,
		.version = 2,
		.release_date = 3,
		.characteristics = htole64(BIOS_CHAR_NOT_SUPPORTED),
		.ext2 = BIOS_EXT2_VIRTUAL_MACHINE,
		/* §7.1: 0FFh: no field-upgradeable embedded controller firmware */
		.ec_major = 0xff,
		.ec_minor = 0xff,
	};
	put_struct(o, &bios, sizeof(bios), bios_strings, 3);

	struct smbios_system sys = {
		.h = { TYPE_SYSTEM, sizeof(sys), htole16(handle++) },
		.manufacturer = 1,
		.product = 2,
		.wakeup = WAKEUP_POWER_SWITCH,
	};
	put_struct(o, &sys, sizeof(sys), system_strings, 2);

	if (n) {
		struct smbios_oem t11 = {
			.h = { TYPE_OEM, sizeof(t11), htole16(handle++) },
			.count = (uint8_t)n,
		};
		put_struct(o, &t11, sizeof(t11), oem, n);
	}

	/* §7.45: End-of-Table, the last structure. */
	struct smbios_hdr end = { TYPE_END, sizeof(end), htole16(handle) };
	put_struct(o, &end, sizeof(end), NULL, 0);
}

size_t smbios_size(const char *const *oem, size_t n)
{
	struct out o = { 0 };
	size_t bad;

	if (oem_problem(oem, n, &bad))
		return SIZE_MAX;
	emit(&o, oem, n);
	return o.full ? SIZE_MAX : o.len;
}

int smbios_oem_check(const char *fn, const char *const *oem, size_t n, uint64_t room)
{
	size_t bad, size;
	const char *why = oem_problem(oem, n, &bad);

	if (why) {
		log_error("%s: OEM string %zu: %s", fn, bad, why);
		return -EINVAL;
	}
	size = smbios_size(oem, n);
	if (size > room) {
		log_error("%s: %zu OEM strings make %zu bytes of SMBIOS tables; the guest has "
			  "room for %llu", fn, n, size, (unsigned long long)room);
		return -EINVAL;
	}
	return 0;
}

int smbios_build(uint8_t *buf, size_t cap, uint64_t gpa, const char *const *oem, size_t n,
		 size_t *len)
{
	struct out o = { .buf = buf, .cap = cap };
	struct smbios3_entry ep = {
		.anchor = "_SM3_",
		.length = SMBIOS_ENTRY_LEN,
		.major = 3,
		.minor = 0,
		.revision = 1,
	};
	size_t bad;

	if (oem_problem(oem, n, &bad) || gpa > UINT64_MAX - SMBIOS_TABLE_OFFSET)
		return -EINVAL;
	emit(&o, oem, n);
	if (o.full || o.len - SMBIOS_TABLE_OFFSET > UINT32_MAX)
		return -ENOSPC;
	ep.table_max = htole32((uint32_t)(o.len - SMBIOS_TABLE_OFFSET));
	ep.table_addr = htole64(gpa + SMBIOS_TABLE_OFFSET);
	ep.checksum = (uint8_t)-byte_sum(&ep, sizeof(ep));
	memcpy(buf, &ep, sizeof(ep));
	*len = o.len;
	return 0;
}
