#!/usr/bin/env bash
# The process exits with the workload's status: its code, 128+N for signal N,
# 127 not found, 126 not executable.
# timeout: 600
. "$SRC/tests/vm/lib.bash"
expect_status 0 -- /bin/true
expect_status 7 -- /bin/sh -c 'exit 7'
expect_status 127 -- /bin/no_such_program
expect_status 126 -- /bin/not_executable
expect_status 137 -- /bin/sh -c 'kill -9 $$'
