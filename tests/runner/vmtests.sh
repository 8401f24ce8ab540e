#!/usr/bin/env bash
# Runs VM tests: where a guest runs on this host's /dev/kvm, directly; otherwise
# inside the emulated KVM machine (tests/runner/emu.sh), booted once for the run.
#
#   tests/runner/vmtests.sh [--suite DIR] [FILTER...]
#
# A VM test is an executable DIR/NAME.sh, run from the repo root with BUILD (the
# build dir), SRC (the repo root) and TEST_TMP (a fresh scratch dir under /var/tmp,
# a disk file system) set. Exit 0 =
# pass, 77 = skip, anything else = fail. A line "# timeout: N" in its first lines sets
# its limit in seconds (default 300), anywhere in its leading comment block.
# FILTERs select tests whose name contains one. Where tests run is decided once by
# tests/runner/mode.sh; LIBKRUN_TEST_MODE=direct|emulated overrides it.
#
# Output: one "PASS|FAIL|SKIP name (Ns)" line per test, a failing test's own output
# (which holds its guest's console), and "vm: N passed, N failed, N skipped". A
# pass that came only on the retry after a hang of the emulated machine says so,
# on its line and above the summary, and the results folder (with the first
# attempt's console and QEMU's state) is kept. Exit 1 if any test failed or did
# not run.
set -uo pipefail

src=$(cd "$(dirname "$0")/../.." && pwd)
build=$src/build
suite=$src/tests/vm
inner=
while [ $# -gt 0 ]; do
	case $1 in
	--suite) suite=$(cd "$2" && pwd); shift 2 ;;
	--inner) inner=$2; shift 2 ;;
	*) break ;;
	esac
done

# The limit a test declares with "# timeout: N" anywhere in its leading comment
# block (the lines before its first command), else 300.
test_timeout() {
	local t
	t=$(awk 'NR == 1 && /^#!/ { next }
		/^# timeout: *[0-9]+/ { sub(/^# timeout: */, ""); print $1 + 0; exit }
		/^#/ || /^[[:space:]]*$/ { next }
		{ exit }' "$1")
	echo "${t:-300}"
}

# Runs the named tests, writing OUT/NAME.{log,rc,secs}. Used in both modes.
run_tests() {
	local out=$1 name t start rc tmp
	shift
	for name in "$@"; do
		t=$(test_timeout "$suite/$name.sh")
		# /var/tmp: a disk file system (in the emulated machine, its scratch
		# disk), with user.* xattrs, which virtio-fs keeps the guest's view in.
		tmp=$(mktemp -d /var/tmp/vmtest-$name.XXXXXX)
		start=$(date +%s)
		# For emu.sh's watch on the host: which test runs, and its limit.
		echo "$name $t" >"$out/emu.current"
		(cd "$src" && BUILD=$build SRC=$src TEST_TMP=$tmp \
			timeout -k 5 "$t" bash "$suite/$name.sh") >"$out/$name.log" 2>&1 </dev/null
		rc=$?
		[ "$rc" = 124 ] || [ "$rc" = 137 ] &&
			echo "vmtests: $name did not finish within its ${t}s limit" >>"$out/$name.log"
		echo $(($(date +%s) - start)) >"$out/$name.secs"
		echo "$rc" >"$out/$name.rc"
		rm -rf "$tmp"
	done
}

if [ -n "$inner" ]; then
	run_tests "$inner" "$@"
	exit 0
fi

filters=("$@")
names=()
for f in "$suite"/*.sh; do
	[ -e "$f" ] || continue
	n=$(basename "$f" .sh)
	if [ ${#filters[@]} -eq 0 ]; then
		names+=("$n")
		continue
	fi
	for pat in "${filters[@]}"; do
		[[ $n == *"$pat"* ]] && { names+=("$n"); break; }
	done
done
if [ ${#names[@]} -eq 0 ]; then
	echo "vm: 0 passed, 0 failed, 0 skipped"
	exit 0
fi

# One decision for the whole run (tests/runner/mode.sh); a parent's is reused.
. "$src/tests/runner/mode.sh"
kvm_mode_decide "$build" || exit 1
echo "vm: $(kvm_mode_describe)"
mode=$LIBKRUN_TEST_MODE
out=$(mktemp -d /tmp/libkrun-c-vmtests.XXXXXX)
notes=()
declare -A retried=()

if [ "$mode" = direct ]; then
	echo "vm: ${#names[@]} tests on this host's /dev/kvm"
	run_tests "$out" "${names[@]}"
else
	echo "vm: ${#names[@]} tests in the emulated KVM machine"
	total=300
	for n in "${names[@]}"; do total=$((total + $(test_timeout "$suite/$n.sh"))); done
	# An emulated machine that stops making progress cannot time its own tests out:
	# that is an infrastructure hang, retried once for the tests that got no result.
	# A test of ours that hangs is timed out inside and fails; it is never retried.
	for attempt in 1 2; do
		todo=()
		for n in "${names[@]}"; do [ -f "$out/$n.rc" ] || todo+=("$n"); done
		[ ${#todo[@]} -eq 0 ] && break
		if [ "$attempt" = 2 ]; then
			for n in "${todo[@]}"; do retried[$n]=1; done
			notes+=("RETRIED after an infrastructure hang of the emulated machine" \
				"(attempt 1's console and state: $out/emu-console.1.log," \
				"$out/emu-hang.1.txt): ${todo[*]}")
			echo "vm: the emulated machine hung; retrying once for: ${todo[*]}"
		fi
		printf 'cd %q && exec bash tests/runner/vmtests.sh --suite %q --inner %q %s\n' \
			"$src" "$suite" "$out" "${todo[*]}" >"$out/inner.sh"
		EMU_TIMEOUT=$total EMU_CONSOLE=$out/emu-console.$attempt.log \
			EMU_HANG_REPORT=$out/emu-hang.$attempt.txt \
			"$src/tests/runner/emu.sh" run "$out" "$out/inner.sh"
		rc=$?
		if [ "$rc" = 124 ]; then
			# What the machine was doing: the test it was in (its log, which
			# holds its guest's console) and QEMU's own state.
			for n in "${todo[@]}"; do
				[ -f "$out/$n.log" ] && [ ! -f "$out/$n.rc" ] || continue
				echo "vm: attempt $attempt hung during $n; its last output:"
				tail -n 20 "$out/$n.log" | sed 's/^/    | /'
				cp "$out/$n.log" "$out/$n.attempt$attempt.log"
			done
			[ -f "$out/emu-hang.$attempt.txt" ] &&
				sed 's/^/    | /' "$out/emu-hang.$attempt.txt" | head -n 120
		fi
		[ -f "$out/emu.boot_s" ] &&
			echo "vm: emulated machine booted in $(cat "$out/emu.boot_s")s (attempt $attempt)"
		rm -f "$out/emu.boot_s"
		[ "$rc" = 124 ] || break
	done
fi

passed=0 failed=0 skipped=0 retried_passes=0
for n in "${names[@]}"; do
	if [ ! -f "$out/$n.rc" ]; then
		echo "FAIL $n (no result: the emulated machine did not run it)"
		failed=$((failed + 1))
		for c in "$out"/emu-console.*.log; do
			[ -f "$c" ] && { echo "--- emulated machine console ($c)"; tail -n 40 "$c"; }
		done
		continue
	fi
	rc=$(cat "$out/$n.rc") secs=$(cat "$out/$n.secs")
	case $rc in
	0)
		if [ -n "${retried[$n]:-}" ]; then
			echo "PASS $n (${secs}s; only on the retry after an infrastructure hang)"
			retried_passes=$((retried_passes + 1))
		else
			echo "PASS $n (${secs}s)"
		fi
		passed=$((passed + 1))
		;;
	77) echo "SKIP $n: $(tail -n 1 "$out/$n.log")"; skipped=$((skipped + 1)) ;;
	*)
		echo "FAIL $n (exit $rc, ${secs}s); its output and guest console:"
		lines=$(wc -l <"$out/$n.log")
		[ "$lines" -gt 300 ] && echo "    ... $((lines - 300)) earlier lines in $out/$n.log"
		tail -n 300 "$out/$n.log" | sed 's/^/    | /'
		failed=$((failed + 1))
		;;
	esac
done
for note in "${notes[@]}"; do echo "vm: $note"; done
[ "$retried_passes" -gt 0 ] &&
	echo "vm: $retried_passes of the passes came only on the retry after an infrastructure hang"
echo "vm: $passed passed, $failed failed, $skipped skipped"
if [ "$failed" = 0 ] && [ ${#retried[@]} = 0 ] && [ -z "${VM_KEEP:-}" ]; then
	rm -rf "$out"
else
	echo "vm: results kept in $out"
fi
[ "$failed" = 0 ]
