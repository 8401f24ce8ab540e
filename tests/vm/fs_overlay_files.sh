#!/usr/bin/env bash
# krun_fs_add_overlay_file / krun_fs_add_overlay_dir on the root share: the
# guest reads files the VMM serves from memory (one inside a virtual
# directory, one shadowing a host file), cannot change them or create in a
# virtual directory, can mount over one, reads a one-shot file once; and the
# host folder never changes.
# timeout: 120
. "$SRC/tests/vm/lib.bash"

root=$TEST_TMP/root
make_root "$root"
echo "host version" >"$root/shadowed"
echo "hello from memory" >"$TEST_TMP/greeting"
echo "virtual version" >"$TEST_TMP/shadow"
echo "token-1234" >"$TEST_TMP/secret"
before=$(cd "$root" && find . -printf '%p %m %s\n' | sort | md5sum)

out=$(root_run "$root" --overlay-dir virt --overlay-file "virt/greeting=$TEST_TMP/greeting" \
	--overlay-file "shadowed=$TEST_TMP/shadow" --overlay-once "secret=$TEST_TMP/secret" \
	--overlay-dir mnt-virt -- /bin/sh -c '
	die() { echo "FAIL (guest): $*"; exit 1; }
	# First: any lookup spends a one-shot file, a listing that stats included.
	[ "$(cat /secret)" = token-1234 ] || die "one-shot file: $(cat /secret)"
	[ ! -e /secret ] || die "the one-shot file is still there"
	[ "$(cat /virt/greeting)" = "hello from memory" ] || die "virt/greeting: $(cat /virt/greeting)"
	[ "$(ls /virt)" = greeting ] || die "ls /virt: $(ls /virt)"
	ls / | grep -qx virt || die "/ does not list virt"
	[ "$(cat /shadowed)" = "virtual version" ] || die "the host file was not shadowed"
	[ "$(ls / | grep -c "^shadowed$")" = 1 ] || die "shadowed is listed twice"
	echo x >/shadowed 2>/dev/null && die "wrote to a virtual file"
	chmod 777 /shadowed 2>/dev/null && die "chmod of a virtual file"
	echo x >/virt/new 2>/dev/null && die "created in a virtual directory"
	mkdir /virt/d 2>/dev/null && die "mkdir in a virtual directory"
	rm /virt/greeting 2>/dev/null && die "removed a virtual file"
	mount -t tmpfs tmpfs /mnt-virt || die "cannot mount over a virtual directory"
	echo y >/mnt-virt/y && [ "$(cat /mnt-virt/y)" = y ] || die "the tmpfs on it"
	echo "guest: done"' 2>&1)
rc=$?
echo "$out"
[ "$rc" = 0 ] && grep -q "guest: done" <<<"$out" || fail "guest checks failed (exit $rc)"
after=$(cd "$root" && find . -printf '%p %m %s\n' | sort | md5sum)
[ "$before" = "$after" ] || fail "the host folder changed"
[ "$(cat "$root/shadowed")" = "host version" ] || fail "the shadowed host file changed"
echo "ok: virtual files and directories from the VMM's memory, read-only, host folder untouched"
