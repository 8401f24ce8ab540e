#!/usr/bin/env bash
# `make bench`: runs each bench/*.sh (or those whose name contains $1). Benchmarks
# are not tests: each prints its figures side by side with a peer measured in the
# same run (e.g. QEMU microvm), and where this host has no /dev/kvm, says that the
# figures come from emulated KVM and are only meaningful as ratios.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
found=0
for b in bench/bench_*.sh; do
	[ -x "$b" ] || continue
	[ -n "${1:-}" ] && [[ $(basename "$b") != *"$1"* ]] && continue
	found=1
	echo "== $(basename "$b" .sh)"
	"$b" || echo "bench: $(basename "$b") failed (exit $?)"
done
[ "$found" = 1 ] || echo "bench: no benchmark matched (they arrive with the VMM issues)"
