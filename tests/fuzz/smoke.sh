#!/usr/bin/env bash
# Fuzz smoke run (a host test of `make check`): builds the libFuzzer targets
# (make fuzz-build) and runs each for FUZZ_SMOKE_SECONDS (default 30) from a
# copy of its committed corpus (fuzz/corpus/<name>), two at a time; "fs" runs
# a second time with FUZZ_FS_USER=1 (privileges dropped, when root). Fails on
# any crash, leak, timeout or OOM report; nothing is written into the checkout
# but build/fuzz/. Exit 0 pass, 1 fail, 77 skip (no clang with libFuzzer).
# docs/fuzzing.md describes the targets.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
secs=${FUZZ_SMOKE_SECONDS:-30}
cc=${FUZZ_CC:-clang}

if ! command -v "$cc" >/dev/null 2>&1; then
	echo "no $cc: install clang and libclang-rt-dev (scripts/deps.sh)"
	exit 77
fi
probe=$(mktemp -d)
trap 'rm -rf "$probe"' EXIT
echo 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { (void)d; (void)n; return 0; }' \
	>"$probe/p.c"
if ! "$cc" -fsanitize=fuzzer,address,undefined -o "$probe/p" "$probe/p.c" >/dev/null 2>&1; then
	echo "$cc cannot build a libFuzzer target: install libclang-rt-dev (scripts/deps.sh)"
	exit 77
fi

if ! make --no-print-directory -j"$(nproc)" fuzz-build; then
	echo "FAIL: make fuzz-build"
	exit 1
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/krun-fuzz-smoke.XXXXXX")
trap 'rm -rf "$probe" "$work"' EXIT
chmod 0755 "$work"

# run NAME TARGET [ENV...]: one target for $secs seconds in its own folder.
run() {
	local name=$1 target=$2 dir=$work/$1
	shift 2
	mkdir -p "$dir/corpus" "$dir/artifacts" "$dir/tmp"
	cp fuzz/corpus/"$target"/* "$dir/corpus/"
	# The dictionary too: a target that drops privileges cannot read the
	# checkout when it sits in a 0700 folder (mktemp -d).
	dict=()
	[ -f "fuzz/$target.dict" ] && cp "fuzz/$target.dict" "$dir/dict" && dict=(-dict="$dir/dict")
	# A target that drops privileges must still write its corpus and reports.
	[ "$(id -u)" = 0 ] && chown -R 65534:65534 "$dir"
	env "$@" TMPDIR="$dir/tmp" FUZZ_LOG=off "build/fuzz/fuzz_$target" \
		-max_total_time="$secs" -timeout=20 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$dir/artifacts/" "${dict[@]}" "$dir/corpus" >"$dir/log" 2>&1
	echo $? >"$dir/rc"
}

runs=(
	"virtq virtq" "oci oci" "initramfs initramfs" "vsock vsock" "tsi tsi"
	"balloon_console balloon_console" "fs fs FUZZ_FS_USER=0" "fs-user fs FUZZ_FS_USER=1"
	"blk blk" "qcow2 qcow2"
)
start=$(date +%s)
for ((i = 0; i < ${#runs[@]}; i += 2)); do
	# shellcheck disable=SC2086 # word splitting of "name target env" is meant
	run ${runs[i]} &
	a=$!
	if ((i + 1 < ${#runs[@]})); then
		# shellcheck disable=SC2086
		run ${runs[i + 1]} &
		b=$!
		wait "$b"
	fi
	wait "$a"
done

failed=0
for r in "${runs[@]}"; do
	name=${r%% *}
	dir=$work/$name
	rc=$(cat "$dir/rc" 2>/dev/null || echo '?')
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/log" | tail -n 1)
	cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+' "$dir/log" | tail -n 1)
	if [ "$rc" != 0 ] ||
		grep -qE '^==[0-9]+==ERROR: |^SUMMARY: |runtime error: |fuzz check failed|ERROR: libFuzzer' "$dir/log" ||
		[ -n "$(ls -A "$dir/artifacts")" ]; then
		echo "FAIL fuzz_$name (exit $rc); the end of its output:"
		tail -n 60 "$dir/log" | sed 's/^/    | /'
		for f in "$dir"/artifacts/*; do
			[ -f "$f" ] && echo "    input (base64): $(base64 -w0 "$f" | head -c 2000)"
		done
		failed=1
	else
		echo "ok   fuzz_$name: ${execs:-?} runs, ${cov:-?}"
	fi
done
echo "fuzz smoke: $((${#runs[@]})) runs of ${secs} s, two at a time, in $(($(date +%s) - start)) s"
exit "$failed"
