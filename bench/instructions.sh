#!/usr/bin/env bash
# Instructions per request under callgrind (issue 18): deterministic, whatever the machine's load.
# Usage: bash bench/instructions.sh [hello|json|deno-hello|deno-json]
# Env: ATOLL (build/atoll), N1 (200), N2 (1200), WARM (300), TOP (0: the top-N functions by
#      inclusive cost per request of the busiest thread), PORT (18700), OUT (/tmp/atoll-cg-$workload).
# atoll runs with one worker process and its sandbox off (valgrind cannot run under seccomp:
# `[server] sandbox = false`), access log on, from a config equivalent to `serve SCRIPT.js`.
# The client is one keep-alive connection on 127.0.0.1 (bench/instructions.py): WARM requests,
# then N1 and N2 requests, counters zeroed before and dumped after each; the result is
# (I(N2) - I(N1)) / (N2 - N1), every thread of every process of the server included.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
workload="${1:-hello}"
atoll="${ATOLL:-$here/../build/atoll}"
port="${PORT:-18700}"
out="${OUT:-/tmp/atoll-cg-$workload}"
mkdir -p "$out"
case "$workload" in
  hello|deno-hello) script="$here/../examples/hello.js"; path="/" ;;
  json|deno-json) script="$here/peers/json_worker.js"; path="/?rows=20" ;;
  *) echo "usage: $0 hello|json|deno-hello|deno-json" >&2; exit 2 ;;
esac
case "$workload" in
  deno-*)
    deno="$here/.peers/node_modules/@deno/linux-x64-glibc/deno"
    export DENO_NO_UPDATE_CHECK=1 DENO_DIR="$here/.peers/deno-dir"
    server="$deno run --allow-net=127.0.0.1 $here/peers/deno_${workload#deno-}.js $port" ;;
  *)
    cat > "$out/atoll.toml" <<TOML
[server]
listen = ["127.0.0.1:$port"]
workers = 1
sandbox = false

[[tenants]]
name = "bench"
script = "$script"
routes = ["*/*"]
TOML
    server="$(readlink -f "$atoll") serve --config $out/atoll.toml" ;;
esac
cd "$here/peers"
SERVER="$server" PORT="$port" PATH_="$path" OUT="$out" python3 "$here/instructions.py"
