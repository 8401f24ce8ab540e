#!/usr/bin/env bash
# Without krun_set_exec, the workload is what the root's /.krun_config.json
# (or the file named by KRUN_CONFIG in the environment) says, with upstream's
# keys: Cmd/args, Entrypoint before them, Env (added unless already set, HOME
# overridden), WorkingDir/Cwd (unless krun_set_workdir gave one), in an image
# config ("config": {...}) or a runtime spec ("process": {...}); no file means
# /bin/sh; a malformed file is an init failure (125).
# timeout: 180
. "$SRC/tests/vm/lib.bash"

root=$TEST_TMP/root
make_root "$root"
mkdir -p "$root/work" "$root/alt" || fail "mkdir"
# The workload's environment is the caller's (envp never set): keep it known.
run() { env -i PATH=/bin FOO=host "$@" "$KRUN_RUN" --root "$root" --no-exec; }

cat >"$root/.krun_config.json" <<'EOF'
{"Cmd": ["/bin/sh", "-c", "echo \"cwd=$(pwd) FOO=$FOO BAR=$BAR HOME=$HOME\"; exit 3"],
 "Env": ["FOO=file", "BAR=file", "HOME=/fromfile"], "WorkingDir": "/work"}
EOF
out=$(run 2>&1 </dev/null)
rc=$?
echo "$out"
[ "$rc" = 3 ] || fail "Cmd's exit status: got $rc, expected 3"
grep -qx "cwd=/work FOO=host BAR=file HOME=/fromfile" <<<"$out" ||
	fail "Cmd/Env/WorkingDir not applied as expected"
echo "ok: Cmd, Env (FOO kept, BAR added, HOME overridden), WorkingDir, exit status"

out=$(env -i PATH=/bin "$KRUN_RUN" --root "$root" --no-exec --workdir /tmp 2>&1 </dev/null)
grep -q "^cwd=/tmp " <<<"$out" || fail "krun_set_workdir did not win over WorkingDir: $out"
echo "ok: krun_set_workdir overrides WorkingDir"

cat >"$root/alt/config.json" <<'EOF'
{"ociVersion": "1.0.2", "process": {"args": ["/bin/sh", "-c", "echo spec X=$X; pwd"],
 "env": ["X=1"], "cwd": "/alt"}}
EOF
out=$(run KRUN_CONFIG=/alt/config.json 2>&1 </dev/null) || fail "runtime spec run failed: $out"
[ "$out" = "spec X=1
/alt" ] || fail "KRUN_CONFIG=/alt/config.json (runtime spec keys): got '$out'"
echo "ok: KRUN_CONFIG names the file; args/env/cwd of a runtime spec"

cat >"$root/.krun_config.json" <<'EOF'
{"architecture": "amd64", "config": {"Entrypoint": ["/bin/krun_probe", "args"],
 "Cmd": ["a b", "c"], "WorkingDir": "/"}}
EOF
out=$(run 2>&1 </dev/null | tr '\0' '|') || fail "image config run failed: $out"
[ "$out" = "a b|c|" ] || fail "Entrypoint + Cmd: got '$out'"
echo "ok: Entrypoint then Cmd, from an image config"

rm "$root/.krun_config.json"
out=$(echo 'echo "sh read stdin"' | run 2>&1)
[ "$out" = "sh read stdin" ] || fail "no config file: expected /bin/sh on stdin, got '$out'"
echo "ok: no /.krun_config.json runs /bin/sh"

printf '{"Cmd": ["/bin/true", ' >"$root/.krun_config.json"
out=$(run 2>&1 </dev/null)
rc=$?
echo "$out"
[ "$rc" = 125 ] || fail "malformed JSON: exit $rc, expected 125 (init failure)"
echo "ok: malformed /.krun_config.json is an init failure"
