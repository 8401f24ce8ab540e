#!/usr/bin/env bash
# While the VM runs, each side sees the other's changes to the shared root: the
# host reads a file the guest wrote, and the guest sees a file the host creates,
# new content the host writes into a file the guest has already read, a file the
# host deletes and one it renames. The guest polls for each for up to 60 s
# (attribute and entry caches may delay it; they must not hide it).
# timeout: 150
. "$SRC/tests/vm/lib.bash"

root=$TEST_TMP/root
make_root "$root"
mkdir "$root/w" || fail "mkdir"
printf 'v1\n' >"$root/w/shared"
printf 'doomed\n' >"$root/w/gone"
printf 'moving\n' >"$root/w/old-name"

cat >"$root/live.sh" <<'EOF'
die() { echo "FAIL (guest): $*"; exit 1; }
# waits (up to 60 s) until the shell condition $1 holds
await() {
	i=0
	while ! eval "$1"; do
		i=$((i + 1))
		[ $i -le 600 ] || die "not seen within 60 s: $1"
		sleep 0.1
	done
	echo "guest: seen after $i polls: $1"
}
cd /w || die "cd"
[ "$(cat shared)" = v1 ] && [ "$(cat gone)" = doomed ] && [ -e old-name ] ||
	die "initial state"
echo guest-data >from-guest.tmp && mv from-guest.tmp from-guest
await '[ -e from-host ]'
[ "$(cat from-host)" = host-data ] || die "from-host holds '$(cat from-host)'"
await '[ "$(cat shared)" = "v2, longer" ]'
await '[ ! -e gone ]'
await '[ ! -e old-name ] && [ "$(cat new-name 2>/dev/null)" = moving ]'
echo "guest: saw all of the host's changes"
EOF

root_run "$root" -- /bin/sh /live.sh >"$TEST_TMP/out" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null' EXIT
end=$((SECONDS + 180))
until [ "$(cat "$root/w/from-guest" 2>/dev/null)" = guest-data ]; do
	kill -0 "$pid" 2>/dev/null || fail "the VM exited first: $(cat "$TEST_TMP/out")"
	[ "$SECONDS" -lt "$end" ] || fail "the guest's file never appeared: $(cat "$TEST_TMP/out")"
	sleep 0.2
done
echo "ok: the host sees the guest's new file while the VM runs"
printf 'v2, longer\n' >"$root/w/shared"
rm "$root/w/gone"
mv "$root/w/old-name" "$root/w/new-name"
printf 'host-data\n' >"$root/w/from-host.tmp" && mv "$root/w/from-host.tmp" "$root/w/from-host"
wait "$pid"
rc=$?
trap - EXIT
cat "$TEST_TMP/out"
[ "$rc" = 0 ] || fail "the guest did not see the host's changes (exit $rc)"
echo "ok: the guest sees the host's new file, rewrite, delete and rename"
