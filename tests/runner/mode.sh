# Sourced, not run: the one place that decides where guests run, for the test
# runner (tests/runner/vmtests.sh, tests/check.sh), the demo (scripts/demo.sh) and
# the benchmarks (bench/run.sh).
#
#   . tests/runner/mode.sh; kvm_mode_decide BUILD_DIR
#
# Sets and exports LIBKRUN_TEST_MODE (direct|emulated) and LIBKRUN_TEST_MODE_REASON
# (one line), so that everything a run starts reuses the verdict. An already set
# LIBKRUN_TEST_MODE is honoured as it is (the caller's choice, or a parent's
# verdict). Otherwise:
#   - /dev/kvm must open, speak API 12 and create a VM (BUILD/tests/runner/kvm_probe);
#   - and a real guest must run: BUILD/tests/runner/boot_probe boots the bundled
#     kernel through the library to our init and back (status 0) within
#     LIBKRUN_BOOT_PROBE_S seconds (default 30).
# Direct mode only if both hold; emulated mode (tests/runner/emu.sh) otherwise.
# A /dev/kvm that opens is not enough: kvm_pvm (a software hypervisor for nested
# cloud VMs) creates VMs, then stops a standard kernel with an internal error.

kvm_mode_decide() {
	local build=$1 probe log rc why
	case ${LIBKRUN_TEST_MODE:-} in
	direct | emulated)
		: "${LIBKRUN_TEST_MODE_REASON:=LIBKRUN_TEST_MODE=$LIBKRUN_TEST_MODE was set by the caller}"
		export LIBKRUN_TEST_MODE LIBKRUN_TEST_MODE_REASON
		return 0
		;;
	'') ;;
	*)
		echo "mode: LIBKRUN_TEST_MODE=$LIBKRUN_TEST_MODE: want direct or emulated" >&2
		return 1
		;;
	esac
	if [ ! -x "$build/tests/runner/kvm_probe" ] || [ ! -x "$build/tests/runner/boot_probe" ]; then
		echo "mode: $build/tests/runner/{kvm,boot}_probe are missing (make vm-test-progs)" >&2
		return 1
	fi
	if ! probe=$("$build/tests/runner/kvm_probe"); then
		LIBKRUN_TEST_MODE=emulated LIBKRUN_TEST_MODE_REASON="no usable KVM here ($probe)"
	else
		log=$(mktemp)
		"$build/tests/runner/boot_probe" "${LIBKRUN_BOOT_PROBE_S:-30}" >"$log" 2>&1
		rc=$?
		if [ "$rc" = 0 ]; then
			LIBKRUN_TEST_MODE=direct
			LIBKRUN_TEST_MODE_REASON="a guest runs on this host's /dev/kvm ($(tail -n 1 "$log" | sed 's/^boot_probe: //'))"
		else
			why=$(grep -m1 'error' "$log" || tail -n 1 "$log")
			why=${why#libkrun: }
			if [ -d /sys/module/kvm_pvm ]; then
				why="/dev/kvm is kvm_pvm: it cannot run a standard guest kernel (boot probe: $why)"
			else
				why="/dev/kvm opens, but no guest runs on it (boot probe: $why)"
			fi
			LIBKRUN_TEST_MODE=emulated LIBKRUN_TEST_MODE_REASON=$why
		fi
		rm -f "$log"
	fi
	export LIBKRUN_TEST_MODE LIBKRUN_TEST_MODE_REASON
}

# One line for logs: "mode: emulated (KVM inside QEMU TCG): REASON".
kvm_mode_describe() {
	case $LIBKRUN_TEST_MODE in
	direct) echo "mode: direct (guests on this host's /dev/kvm): $LIBKRUN_TEST_MODE_REASON" ;;
	emulated) echo "mode: emulated (KVM inside QEMU TCG with AMD SVM): $LIBKRUN_TEST_MODE_REASON" ;;
	esac
}
