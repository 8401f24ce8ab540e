#!/usr/bin/env bash
# `make bench`: runs each bench/bench_*.sh (or those whose name contains $1).
# Benchmarks are not tests: each prints its figures side by side with a peer
# measured in the same run. Where no guest runs on this host's /dev/kvm
# (tests/runner/mode.sh, as for the tests) they run inside the emulated KVM
# machine (tests/runner/emu.sh), and the figures are then only meaningful as
# ratios; the mode and its reason are printed first.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
benches=()
for b in bench/bench_*.sh; do
	[ -x "$b" ] || continue
	[ -n "${1:-}" ] && [[ $(basename "$b") != *"$1"* ]] && continue
	benches+=("$b")
done
[ ${#benches[@]} -gt 0 ] || { echo "bench: no benchmark matched"; exit 0; }

# Runs every bench; returns 1 if any failed (its figures are then not to be used).
run_all() {
	local b s rc=0
	for b in "${benches[@]}"; do
		echo "== $(basename "$b" .sh)  ($(date -u +%F), mode: $1)"
		"$b"
		s=$?
		# s first: the $(basename) below resets $?.
		[ "$s" = 0 ] || { echo "bench: $(basename "$b") failed (exit $s)"; rc=1; }
	done
	return "$rc"
}

# Where guests run: decided as for the tests (tests/runner/mode.sh), and said.
. tests/runner/mode.sh
kvm_mode_decide build || exit 1
echo "bench: $(kvm_mode_describe)"
if [ "$LIBKRUN_TEST_MODE" = direct ]; then
	run_all "real KVM"
	exit
fi
out=$(mktemp -d /tmp/libkrun-c-bench.XXXXXX)
{
	printf 'cd %q\n' "$PWD"
	# The benches' knobs (MIB, CONNS, LIMIT, ...) travel into the machine.
	for v in MIB CONNS CONC LIMIT MTU NFILES RUNS SECS FORMATS; do [ -n "${!v:-}" ] && printf 'export %s=%q\n' "$v" "${!v}"; done
	declare -p benches
	declare -f run_all
	echo 'run_all "emulated KVM (nested in QEMU TCG): compare ratios only" >'"$out"'/bench.log 2>&1'
} >"$out/inner.sh"
EMU_TIMEOUT=3000 tests/runner/emu.sh run "$out" "$out/inner.sh"
rc=$?
cat "$out/bench.log" 2>/dev/null
rm -rf "$out"
exit "$rc"
