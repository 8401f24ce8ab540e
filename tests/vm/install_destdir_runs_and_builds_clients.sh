#!/usr/bin/env bash
# `make install` gives files that work where they land: into a DESTDIR with the
# default PREFIX, the libraries go to the distribution's LIBDIR (Debian: the
# multiarch directory, which the loader and pkg-config search), the installed
# chroot_vm carries no build-tree RUNPATH and runs a guest from the installed
# libkrun.so.1 and libkrunfw.so.5, and a client built with `pkg-config libkrun`
# against the installed files runs a guest. With a PREFIX off the loader's path,
# the installed program's RUNPATH names that LIBDIR.
# timeout: 300
. "$SRC/tests/vm/lib.bash"

dest=$TEST_TMP/dest
ma=$(cc -print-multiarch)
if [ -f /etc/debian_version ]; then libdir=/usr/local/lib/$ma; else libdir=/usr/local/lib64; fi
# From a finished tree (make check built it), install builds nothing in the
# checkout: inside the emulated machine the checkout is read-only.
make -C "$SRC" --no-print-directory install DESTDIR="$dest" >"$TEST_TMP/install.log" 2>&1 ||
	fail "make install: $(tail -n 20 "$TEST_TMP/install.log")"
for f in "$libdir/libkrun.so.1" "$libdir/libkrunfw.so.5" "$libdir/libkrun.so" \
	"$libdir/pkgconfig/libkrun.pc" /usr/local/include/libkrun.h /usr/local/bin/chroot_vm; do
	[ -e "$dest$f" ] || fail "make install did not make $f; it made: $(cd "$dest" && find . | sort)"
done
echo "ok: installed into the distribution's LIBDIR $libdir"
# grep on the files: `cat ... | grep -q` fails now and then under pipefail,
# when grep's early exit gives cat a SIGPIPE.
grep -qxF "$libdir" /etc/ld.so.conf /etc/ld.so.conf.d/*.conf 2>/dev/null ||
	fail "$libdir is not on this system's loader path (ld.so.conf)"

rpath=$(readelf -d "$dest/usr/local/bin/chroot_vm" | grep -E 'RUNPATH|RPATH')
[ -z "$rpath" ] || fail "the installed chroot_vm has a RUNPATH: $rpath"
echo "ok: the installed chroot_vm has no RUNPATH (the loader's path has $libdir)"

# Run the installed program with the installed libraries (LD_LIBRARY_PATH
# stands for the install location), and check which files the loader took.
export LD_LIBRARY_PATH=$dest$libdir
# (ldd's loader writes a line at a time: a grep -q that stops reading at the
# match gives it SIGPIPE, which pipefail turns into a failure.)
loaded=$(ldd "$dest/usr/local/bin/chroot_vm")
grep -qF "libkrun.so.1 => $dest$libdir/libkrun.so.1" <<<"$loaded" ||
	fail "chroot_vm does not load the installed libkrun: $loaded"
root=$TEST_TMP/root
make_root "$root"
out=$("$dest/usr/local/bin/chroot_vm" "$root" /bin/sh -c 'echo "guest says $TEST"; exit 7' 2>"$TEST_TMP/err")
rc=$?
[ "$rc" = 7 ] && [ "$out" = "guest says works" ] ||
	fail "installed chroot_vm: exit $rc, output '$out', stderr: $(cat "$TEST_TMP/err")"
echo "ok: the installed chroot_vm ran a guest (exit 7, '$out')"

# A client of the installed files, built the way the README says.
cat >"$TEST_TMP/client.c" <<'C'
#include <libkrun.h>
#include <stdio.h>

int main(int argc, char **argv)
{
	const char *const args[] = { "-c", "echo client guest; exit 5", NULL };
	const char *const env[] = { NULL };
	int ctx = krun_create_ctx();

	if (argc != 2 || ctx < 0 || krun_set_vm_config(ctx, 1, 256) < 0 ||
	    krun_set_root(ctx, argv[1]) < 0 || krun_set_exec(ctx, "/bin/sh", args, env) < 0)
		return 100;
	fprintf(stderr, "krun_start_enter: %d\n", krun_start_enter(ctx));
	return 101;
}
C
export PKG_CONFIG_LIBDIR=$dest$libdir/pkgconfig PKG_CONFIG_SYSROOT_DIR=$dest
flags=$(pkg-config --cflags --libs libkrun) || fail "pkg-config libkrun failed"
grep -q -- "-I$dest/usr/local/include" <<<"$flags" && grep -q -- "-L$dest$libdir" <<<"$flags" &&
	grep -q -- -lkrun <<<"$flags" || fail "pkg-config gave '$flags'"
# shellcheck disable=SC2086 # pkg-config's words
cc -o "$TEST_TMP/client" "$TEST_TMP/client.c" $flags || fail "the client did not build with '$flags'"
out=$("$TEST_TMP/client" "$root" 2>"$TEST_TMP/err")
rc=$?
[ "$rc" = 5 ] && [ "$out" = "client guest" ] ||
	fail "pkg-config client: exit $rc, output '$out', stderr: $(cat "$TEST_TMP/err")"
echo "ok: a client built with 'pkg-config --cflags --libs libkrun' ($flags) ran a guest"
unset LD_LIBRARY_PATH PKG_CONFIG_LIBDIR PKG_CONFIG_SYSROOT_DIR

# A PREFIX the loader does not search: the installed program names its LIBDIR.
make -C "$SRC" --no-print-directory install DESTDIR="$TEST_TMP/opt" PREFIX=/opt/krun \
	>"$TEST_TMP/install-opt.log" 2>&1 || fail "make install PREFIX=/opt/krun: $(tail "$TEST_TMP/install-opt.log")"
optlib=${libdir/\/usr\/local//opt/krun}
rpath=$(readelf -d "$TEST_TMP/opt/opt/krun/bin/chroot_vm" | sed -n 's/.*R\(UN\)\?PATH.*\[\(.*\)\]/\2/p')
[ "$rpath" = "$optlib" ] || fail "PREFIX=/opt/krun: RUNPATH '$rpath', expected $optlib"
grep -qx "libdir=$optlib" "$TEST_TMP/opt$optlib/pkgconfig/libkrun.pc" || fail "libkrun.pc's libdir"
echo "ok: with PREFIX=/opt/krun the installed chroot_vm's RUNPATH is $optlib"
