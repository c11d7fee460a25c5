#!/usr/bin/env bash
# The idle GC's cost to a bursty tenant (issue 18): server CPU per burst of requests right after
# the previous burst vs after an idle pause, natively (bench/idle_gc.py has the details).
# Usage: bash bench/idle_gc.sh   Env: ATOLL (build/atoll), PORT (18850), WARM (5000), BURST (1000),
#        ROUNDS (5), IDLE (1.5 s), OUT (/tmp/idlegc), ATOLL_V8_FLAGS=--trace-deopt to count deopts,
#        EXTRA_TOML (lines appended to the [defaults]... no: to the [server] table, e.g. limits).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
atoll="${ATOLL:-$here/../build/atoll}"
port="${PORT:-18850}"
out="${OUT:-/tmp/idlegc}"
mkdir -p "$out"
cat > "$out/atoll.toml" <<TOML
[server]
listen = ["127.0.0.1:$port"]
workers = 1
${EXTRA_TOML:-}

[[tenants]]
name = "bench"
script = "$here/../examples/hello.js"
routes = ["*/*"]
TOML
SERVER="$(readlink -f "$atoll") serve --no-access-log --config $out/atoll.toml" PORT="$port" OUT="$out" python3 "$here/idle_gc.py"
