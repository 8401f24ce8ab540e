#!/usr/bin/env bash
# Runs VM tests: where /dev/kvm is usable, directly; otherwise inside the emulated
# KVM machine (tests/runner/emu.sh), booted once for the whole run.
#
#   tests/runner/vmtests.sh [--suite DIR] [FILTER...]
#
# A VM test is an executable DIR/NAME.sh, run from the repo root with BUILD (the
# build dir), SRC (the repo root) and TEST_TMP (a fresh scratch dir) set. Exit 0 =
# pass, 77 = skip, anything else = fail. A line "# timeout: N" in its first lines sets
# its limit in seconds (default 300). FILTERs select tests whose name contains one.
# LIBKRUN_TEST_MODE=direct|emulated overrides the probe.
#
# Output: one "PASS|FAIL|SKIP name (Ns)" line per test, a failing test's own output
# (which holds its guest's console), and "vm: N passed, N failed, N skipped".
# Exit 1 if any test failed or did not run.
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

test_timeout() {
	local t
	t=$(head -n 5 "$1" | sed -n 's/^# timeout: *\([0-9]\+\).*/\1/p')
	echo "${t:-300}"
}

# Runs the named tests, writing OUT/NAME.{log,rc,secs}. Used in both modes.
run_tests() {
	local out=$1 name t start rc tmp
	shift
	for name in "$@"; do
		t=$(test_timeout "$suite/$name.sh")
		tmp=$(mktemp -d /tmp/vmtest-$name.XXXXXX)
		start=$(date +%s)
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

mode=${LIBKRUN_TEST_MODE:-}
if [ -z "$mode" ]; then
	if probe=$("$build/tests/runner/kvm_probe"); then mode=direct; else mode=emulated; fi
	echo "vm: $probe"
fi
out=$(mktemp -d /tmp/libkrun-c-vmtests.XXXXXX)
notes=()

if [ "$mode" = direct ]; then
	echo "vm: mode direct (/dev/kvm on this host), ${#names[@]} tests"
	run_tests "$out" "${names[@]}"
else
	echo "vm: mode emulated (KVM inside QEMU TCG with AMD SVM), ${#names[@]} tests"
	total=300
	for n in "${names[@]}"; do total=$((total + $(test_timeout "$suite/$n.sh"))); done
	# An emulated machine that stops making progress cannot time its own tests out:
	# that is an infrastructure hang, retried once for the tests that got no result.
	# A test of ours that hangs is timed out inside and fails; it is never retried.
	for attempt in 1 2; do
		todo=()
		for n in "${names[@]}"; do [ -f "$out/$n.rc" ] || todo+=("$n"); done
		[ ${#todo[@]} -eq 0 ] && break
		[ "$attempt" = 2 ] && {
			notes+=("RETRIED after an infrastructure hang of the emulated machine: ${todo[*]}")
			echo "vm: the emulated machine hung; retrying once for: ${todo[*]}"
		}
		printf 'cd %q && exec bash tests/runner/vmtests.sh --suite %q --inner %q %s\n' \
			"$src" "$suite" "$out" "${todo[*]}" >"$out/inner.sh"
		EMU_TIMEOUT=$total EMU_CONSOLE=$out/emu-console.$attempt.log \
			"$src/tests/runner/emu.sh" run "$out" "$out/inner.sh"
		rc=$?
		[ -f "$out/emu.boot_s" ] &&
			echo "vm: emulated machine booted in $(cat "$out/emu.boot_s")s (attempt $attempt)"
		rm -f "$out/emu.boot_s"
		[ "$rc" = 124 ] || break
	done
fi

passed=0 failed=0 skipped=0
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
	0) echo "PASS $n (${secs}s)"; passed=$((passed + 1)) ;;
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
echo "vm: $passed passed, $failed failed, $skipped skipped"
if [ "$failed" = 0 ] && [ -z "${VM_KEEP:-}" ]; then rm -rf "$out"; else echo "vm: results kept in $out"; fi
[ "$failed" = 0 ]
