#!/usr/bin/env bash
# krun_set_nested_virt / krun_check_nested_virt: without the call the guest
# sees no virtualization extension (no vmx or svm flag in /proc/cpuinfo); with
# it, the guest sees the one KVM offers, exactly when krun_check_nested_virt
# says KVM offers one (its `nested` parameter on a CPU that has it). /dev/kvm
# itself cannot appear in our guest: the bundled kernel has no KVM (only
# CONFIG_KVM_GUEST), so this checks what the guest's CPU shows. Also: the
# guest's model name is the host's brand string (KVM leaves those CPUID leaves
# blank; without the VMM's fill the guest shows "17/01").
# timeout: 180
. "$SRC/tests/vm/lib.bash"

root=$TEST_TMP/root
make_root "$root"
flags='grep -owE "vmx|svm" /proc/cpuinfo | sort -u | tr "\n" " "; echo "<- virt flags"'

off=$(root_run "$root" -- /bin/sh -c "$flags" 2>&1) || fail "guest without nested virt: $off"
echo "without: $off"
grep -qE "(vmx|svm) *<- virt flags" <<<"$off" && fail "the guest sees a virtualization extension without asking"

on=$(root_run "$root" --nested-virt -- /bin/sh -c "$flags" 2>&1) || fail "guest with nested virt: $on"
echo "with: $on"
avail=$(sed -n 's/^krun_check_nested_virt: //p' <<<"$on")
host_virt=$(grep -owE "vmx|svm" /proc/cpuinfo | sort -u | head -1)
case $avail in
1) grep -qE "(vmx|svm) *<- virt flags" <<<"$on" ||
	fail "krun_check_nested_virt says 1, yet the guest sees no vmx/svm" ;;
0) grep -qE "(vmx|svm) *<- virt flags" <<<"$on" &&
	fail "krun_check_nested_virt says 0, yet the guest sees vmx/svm" ;;
*) fail "krun_check_nested_virt gave '$avail'" ;;
esac
model='sed -n "s/^model name[[:space:]]*: //p" /proc/cpuinfo | head -n 1'
host_model=$(sh -c "$model")
guest_model=$(root_run "$root" -- /bin/sh -c "$model" 2>"$TEST_TMP/model.err") ||
	fail "guest model name: $(cat "$TEST_TMP/model.err")"
echo "model name: host '$host_model', guest '$guest_model'"
[ -n "$host_model" ] && [ "$guest_model" = "$host_model" ] ||
	fail "the guest's model name is not the host's brand string"
echo "ok: the guest sees a virtualization extension only when asked for and offered" \
	"(krun_check_nested_virt $avail; this machine's CPU flag: ${host_virt:-none})"
