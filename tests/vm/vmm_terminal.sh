#!/usr/bin/env bash
# Under a terminal the guest's console is that terminal, and the terminal's mode is
# restored afterwards (the VM puts it in raw mode while it runs).
# timeout: 300
. "$SRC/tests/vm/lib.bash"
command -v script >/dev/null || { echo "no script(1)"; exit 77; }
[ -f "$TEST_TMP/initramfs.cpio" ] || make_initramfs "$TEST_TMP/initramfs.cpio"
cat >"$TEST_TMP/inner.sh" <<INNER
stty -g >"$TEST_TMP/before"
"$KRUN_RUN" --kernel "$KERNEL" --format 1 --initramfs "$TEST_TMP/initramfs.cpio" -- \
	/bin/sh -c 'test -t 0 && test -t 1 && echo GUEST-HAS-TTY; exit 3'
echo "status=\$?" >"$TEST_TMP/status"
stty -g >"$TEST_TMP/after"
INNER
script -qec "bash $TEST_TMP/inner.sh" "$TEST_TMP/typescript" </dev/null >/dev/null 2>&1
cat "$TEST_TMP/typescript"
grep -q GUEST-HAS-TTY "$TEST_TMP/typescript" || fail "the guest had no terminal"
grep -qx status=3 "$TEST_TMP/status" || fail "exit status: $(cat "$TEST_TMP/status")"
cmp "$TEST_TMP/before" "$TEST_TMP/after" || fail "terminal mode not restored"
echo "ok: guest on the terminal, mode restored, status 3"
