#!/usr/bin/env bash
# cow-range.sh VMLINUX: prints "START,END" (hex), the part of libkrunfw's image
# that a VMM should map copy-on-write rather than copy (kernel/krunfw.h): from
# the first 2 MiB boundary at or after __start_rodata to the last one at or
# before __init_begin, as offsets from _text, the image's first byte. A boot
# writes nearly every page outside it (text patched by alternatives and return
# thunks, .init and the gaps between sections freed to the page allocator) and
# few inside (rodata, most of .data). "0,0" if the symbols are missing.
set -euo pipefail
read -r t r i < <(nm -P "$1" | awk '$1 == "_text" { t = $3 } $1 == "__start_rodata" { r = $3 }
	$1 == "__init_begin" { i = $3 } END { print (t ? t : "-"), (r ? r : "-"), (i ? i : "-") }')
if [ "$t" = - ] || [ "$r" = - ] || [ "$i" = - ]; then
	echo "0,0"
	exit 0
fi
h=$((2 << 20))
s=$(((0x$r - 0x$t + h - 1) / h * h))
e=$(((0x$i - 0x$t) / h * h))
[ "$e" -gt "$s" ] || s=0 e=0
printf '%#x,%#x\n' "$s" "$e"
