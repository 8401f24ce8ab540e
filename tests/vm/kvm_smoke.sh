#!/usr/bin/env bash
# A bare KVM VM runs port I/O and HLT; the exits arrive in order (tests/vm/kvm_smoke.c).
# timeout: 60
exec "$BUILD/tests/vm/kvm_smoke"
