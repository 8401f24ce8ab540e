#!/usr/bin/env bash
# argv and env reach the workload byte for byte: spaces, quotes, newlines, UTF-8,
# '=' in values, 300 entries each (more than the kernel command line could carry).
# timeout: 300
. "$SRC/tests/vm/lib.bash"
hostile=("a b" "'single'" '"double"' $'new\nline' $'tab\there' "ütf-8 ✓ 日本"
	'$HOME' '`id`' 'back\slash' "" "x=y=z" "-" "--" " lead")
{
	for a in "${hostile[@]}"; do printf '%s\0' "$a"; done
	for i in $(seq 0 299); do printf 'arg%03d-%s\0' "$i" "$(head -c $((i % 40)) /dev/zero | tr '\0' x)"; done
} >"$TEST_TMP/args"
{
	i=0
	for a in "${hostile[@]}"; do printf 'K%d=%s\0' "$i" "$a"; i=$((i + 1)); done
	for i in $(seq 0 299); do printf 'VAR%03d=value %d with spaces\0' "$i" "$i"; done
} >"$TEST_TMP/env"
vm_run --args-file "$TEST_TMP/args" -- /bin/krun_probe args >"$TEST_TMP/args.out" ||
	fail "krun_probe args failed"
cmp "$TEST_TMP/args" "$TEST_TMP/args.out" || fail "argv differs"
echo "ok: 314 argv entries round-trip"
vm_run --env-file "$TEST_TMP/env" -- /bin/krun_probe env >"$TEST_TMP/env.out" ||
	fail "krun_probe env failed"
cmp "$TEST_TMP/env" "$TEST_TMP/env.out" || fail "environment differs"
echo "ok: 314 env entries round-trip"
out=$(vm_run --empty-env -- /bin/krun_probe env | tr '\0' '\n')
[ -z "$out" ] || fail "empty envp gave: $out"
echo "ok: {NULL} envp gives an empty environment"
