#!/usr/bin/env bash
# The guest cannot reach host files outside its root. A marker file sits next to
# the root on the host; the guest tries to read it through symlinks it makes
# ("/" and "../../.."), symlinks the host left in the root (absolute host paths
# and relative ones leading out), "..", and /proc/self/root, and tries to write
# through the same links. Each route is first shown to work on a marker inside
# the root, so a broken route cannot pass for a contained one. Afterwards the
# host checks the outside marker is unchanged and nothing was created beside it.
# timeout: 180
. "$SRC/tests/vm/lib.bash"

root=$TEST_TMP/root
make_root "$root"
secret="outside-$RANDOM$RANDOM"
printf '%s\n' "$secret" >"$TEST_TMP/marker"
printf 'inside\n' >"$root/marker"
# Links the host left in the root, aimed at the outside marker.
ln -s "$TEST_TMP/marker" "$root/host-abs"
ln -s ../marker "$root/host-rel"
ln -s "$TEST_TMP" "$root/host-dir"

cat >"$root/escape.sh" <<'EOF'
tt=$1
die() { echo "FAIL (guest): $*"; exit 1; }
# reads $1; prints what it got (or nothing); fails if the outside marker shows
try() {
	got=$(cat "$1" 2>/dev/null)
	echo "guest: $1 -> '${got}'"
}
ln -s / /escape && ln -s ../../.. /tmp/up && mkdir -p /a/b && ln -s ../../.. /a/b/up ||
	die "cannot make the links"
# Controls: each route reaches the marker inside the root.
for p in /escape/marker /tmp/up/marker /a/b/up/marker /proc/self/root/marker \
	/../marker /a/../../marker; do
	[ "$(cat "$p")" = inside ] || die "control route $p does not work"
done
[ "$(stat -c %i /..)" = "$(stat -c %i /)" ] || die "/.. is not /"
(cd / && cd .. && cd .. && [ "$(cat marker)" = inside ]) || die "cd .. control"
# The same routes, one level further up, and the host's links.
for p in /escape/../marker /tmp/up/../marker /a/b/up/../../marker \
	/proc/self/root/../marker /proc/1/root/../../marker "/..$tt/marker" \
	"/proc/1/root$tt/marker" /host-abs /host-rel /host-dir/marker "$tt/marker" \
	/host-dir/../marker; do
	try "$p"
done
(cd / && cd ../../.. && try marker)
# Writes through the links land inside the root, if anywhere.
mkdir -p "$tt"
for p in /host-abs /host-rel /escape/../pwned /tmp/up/../pwned2; do
	echo pwned >"$p" 2>/dev/null
done
ls -la / "$tt"
echo "guest: done"
EOF

out=$(root_run "$root" -- /bin/sh /escape.sh "$TEST_TMP" 2>&1)
rc=$?
echo "$out"
[ "$rc" = 0 ] || fail "the guest script failed (exit $rc)"
grep -q "guest: done" <<<"$out" || fail "the guest script did not finish"
grep -q "$secret" <<<"$out" && fail "the guest read the marker outside its root"
[ "$(cat "$TEST_TMP/marker")" = "$secret" ] || fail "the outside marker was changed"
ls "$TEST_TMP" >"$TEST_TMP/after"
grep -qvx -e after -e root -e marker "$TEST_TMP/after" &&
	fail "files appeared beside the root: $(cat "$TEST_TMP/after")"
# The guest's writes are in the root, where the links led in the guest.
[ "$(cat "$root/pwned")" = pwned ] && [ "$(cat "$root$TEST_TMP/marker")" = pwned ] ||
	fail "the guest's writes through the links are not inside the root"
echo "ok: no route from the guest reached the host outside its root"
