# Helpers for the vsock and TSI benchmarks (sourced). Needs T (vsock_tool) and
# tmp (a scratch directory) from the caller.

# serve ADDR MODE COUNT [BYTES]: a vsock_tool host peer in the background;
# returns once it listens.
serve() {
	local out=$tmp/serve.$RANDOM
	"$T" serve "$@" >"$out" 2>&1 &
	for _ in $(seq 100); do grep -q LISTENING "$out" && return 0; sleep 0.1; done
	echo "$(basename "$0" .sh): host peer $1 did not start: $(cat "$out")"
	return 1
}
