#!/usr/bin/env bash
# krun_get_max_vcpus is KVM's limit (KVM_CAP_MAX_VCPUS) as clamped by the
# library's vCPU and MP tables; krun_set_vm_config takes that many vCPUs and
# refuses one more (tests/vm/vmm_max_vcpus_is_kvm_limit.c); and a guest given
# that many vCPUs has them all online.
# timeout: 600
. "$SRC/tests/vm/lib.bash"
out=$("$BUILD/tests/vm/vmm_max_vcpus_is_kvm_limit" 2>&1)
rc=$?
echo "$out"
[ "$rc" = 0 ] || fail "the API check exited $rc"
max=$(sed -n 's/^max_vcpus \([0-9]*\)$/\1/p' <<<"$out")
[ -n "$max" ] || fail "no max_vcpus line"
cpus=$(vm_run --cpus "$max" --mem 512 -- /bin/krun_probe cpus) ||
	fail "a guest with $max vCPUs exited $?: $cpus"
[ "$cpus" = "$max" ] || fail "a guest given $max vCPUs has $cpus online"
echo "ok: krun_get_max_vcpus $max, accepted, one more refused, $max vCPUs online in the guest"
