#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Writes the seed corpus fuzz/corpus/qcow2/ for fuzz/fuzz_qcow2.c with
# qemu-img and qemu-io (Debian's qemu-utils): small images of each kind the
# format has (versions 2 and 3, 512-byte to 4 KiB clusters, 1- and 16-bit
# refcounts, data, zero clusters, compressed clusters, a backing file name),
# each behind a request prefix that reads, writes and zeroes across it.
set -euo pipefail
out=$(cd "$(dirname "$0")" && pwd)/corpus/qcow2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$out"
rm -f "$out"/*
cd "$tmp"

# selector, count, then (op u8, offset u32 LE, length u16 LE) per request.
prefix() {
	printf "\\x$(printf %02x "$1")\\x06"
	printf '\x00\x00\x00\x00\x00\x00\x10' # read 4 KiB at 0
	printf '\x01\x00\x02\x00\x00\x00\x20' # write 8 KiB at 512
	printf '\x00\x00\xfe\x00\x00\x00\x04' # read 1 KiB at 63.5 KiB
	printf '\x02\x00\x10\x00\x00\x00\x08' # zeroes, 2 KiB at 4 KiB
	printf '\x03\x00\x00\x00\x00\x00\x02' # discard 512 bytes at 0
	printf '\x04\x00\x00\x00\x00\x00\x00' # flush
}

seed() { # NAME SELECTOR IMAGE
	{ prefix "$2"; cat "$3"; } >"$out/$1"
}

head -c 65536 /dev/urandom >rand
qemu-img create -q -f qcow2 -o compat=0.10,cluster_size=512 v2.qcow2 1M
qemu-io -f qcow2 -c 'write -P 0x5a 0 8k' v2.qcow2 >/dev/null
seed v2-512 0 v2.qcow2
qemu-img create -q -f qcow2 -o compat=1.1,cluster_size=4096 v3.qcow2 1M
qemu-io -f qcow2 -c 'write -P 0x11 4k 8k' -c 'write -z 8k 4k' v3.qcow2 >/dev/null
seed v3-4k-zero 0 v3.qcow2
qemu-img create -q -f qcow2 -o compat=1.1,cluster_size=512,refcount_bits=1 r1.qcow2 1M
qemu-io -f qcow2 -c 'write -P 0x22 0 2k' r1.qcow2 >/dev/null
seed v3-refcount1 0 r1.qcow2
{ head -c 8192 rand; head -c 8192 /dev/zero; } >c.raw
qemu-img convert -c -f raw -O qcow2 -o cluster_size=4096 c.raw c.qcow2
seed compressed-ro 1 c.qcow2
qemu-img create -q -f qcow2 -o cluster_size=512 -b base.raw -F raw -u b.qcow2 1M
seed backing 1 b.qcow2
echo "wrote $(ls "$out" | wc -l) seeds into $out"
