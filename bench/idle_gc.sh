#!/usr/bin/env bash
# The idle GC's cost to a bursty tenant (issue 18): server CPU per burst of hello requests right
# after the previous burst vs after an idle pause, natively, or instructions under callgrind
# (bench/idle_gc.py has the details; bench/README.md "The idle GC in two stages" the results).
# Usage: bash bench/idle_gc.sh
# Env: ATOLL (build/atoll), PORT (18850), WARM (5000), BURST (1000), ROUNDS (5), IDLE (1.5 s),
#      MODE (alternate | hot | idle), CALLGRIND (0; 1: under valgrind, sandbox off, cpu_ms 5000),
#      OUT (/tmp/idlegc), SERVER_TOML (lines added to [server], e.g. idle_before_deep_reduce_ms = 0),
#      ATOLL_V8_FLAGS (e.g. --trace-deopt: deoptimizations counted per burst).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
atoll="${ATOLL:-$here/../build/atoll}"
port="${PORT:-18850}"
out="${OUT:-/tmp/idlegc}"
mkdir -p "$out"
server_toml="${SERVER_TOML:-}"
defaults_toml=""
if [[ "${CALLGRIND:-0}" == 1 ]]; then
  server_toml+=$'\nsandbox = false'                 # valgrind cannot run under seccomp
  defaults_toml=$'[defaults]\ncpu_ms = 5000\nwall_ms = 60000'   # valgrind runs the code ~50x slower
  export ATOLL_V8_FLAGS="--no-concurrent-recompilation${ATOLL_V8_FLAGS:+ $ATOLL_V8_FLAGS}"
fi
cat > "$out/atoll.toml" <<TOML
[server]
listen = ["127.0.0.1:$port"]
workers = 1
$server_toml

$defaults_toml

[[tenants]]
name = "bench"
script = "$here/../examples/hello.js"
routes = ["*/*"]
TOML
SERVER="$(readlink -f "$atoll") serve --no-access-log --config $out/atoll.toml" PORT="$port" OUT="$out" python3 "$here/idle_gc.py"
