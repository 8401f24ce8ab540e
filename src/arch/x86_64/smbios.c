/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Where the SMBIOS tables go on x86: the entry point at LAYOUT_SMBIOS, the
 * first 16-byte boundary of the 0xF0000-0xFFFFF window that a kernel booted
 * without EFI scans (DSP0134 3.x §5.2.2; Linux dmi_scan_machine), the tables
 * right after it in the same window.
 */
#include <errno.h>

#include "arch/x86_64/layout.h"
#include "arch/x86_64/x86.h"
#include "util/log.h"
#include "vmm/smbios.h"

uint64_t arch_smbios_room(void)
{
	return LAYOUT_SMBIOS_SIZE;
}

int x86_smbios_write(const struct gmem *m, const char *const *oem, size_t n)
{
	uint8_t *area = gmem_ptr(m, LAYOUT_SMBIOS, LAYOUT_SMBIOS_SIZE);
	size_t len;
	int r;

	if (!area) {
		log_error("x86: no guest RAM for the SMBIOS tables at 0x%llx", LAYOUT_SMBIOS);
		return -ENOMEM;
	}
	/* The builder writes every byte up to len; the rest of the window is
	 * left as it is (fresh guest RAM: zero). A scan finds our anchor first,
	 * at the window's start. */
	r = smbios_build(area, LAYOUT_SMBIOS_SIZE, LAYOUT_SMBIOS, oem, n, &len);
	if (r == -ENOSPC)
		log_error("x86: SMBIOS tables with %zu OEM strings do not fit in %llu bytes "
			  "at 0x%llx", n, LAYOUT_SMBIOS_SIZE, LAYOUT_SMBIOS);
	else if (r < 0)
		log_error("x86: SMBIOS OEM strings that cannot be encoded (not checked by "
			  "smbios_oem_check?)");
	return r;
}
