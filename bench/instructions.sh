#!/usr/bin/env bash
# Instructions per request under callgrind (issue 18): deterministic, whatever the machine's load.
# Usage: bash bench/instructions.sh [hello|json|deno-hello|deno-json] (or any with -twice: the
#        handler's own JS twice per request, peers/*_twice.js; the difference is the handler's cost)
# Env: CACHE_SIM (1: also L1 misses per request, bench/instructions.py), ATOLL (build/atoll), N1 (200), N2 (3200), WARM (5000), TOP (0: the top-N functions by
#      inclusive cost per request of the busiest thread), PORT (18700), OUT (/tmp/atoll-cg-$workload).
# atoll runs with one worker process and its sandbox off (valgrind cannot run under seccomp:
# `[server] sandbox = false`) and CPU limits raised for valgrind's slowness, access log on, from a config equivalent to `serve SCRIPT.js`.
# The client is one keep-alive connection on 127.0.0.1 (bench/instructions.py): WARM requests,
# then N1 and N2 requests, counters zeroed before and dumped after each; the result is
# (I(N2) - I(N1)) / (N2 - N1), every thread of every process of the server included.
# V8 compiles on the main thread (--no-concurrent-recompilation), for atoll and deno alike: under
# valgrind a concurrent compile gets so little time that the optimized code arrives thousands of
# requests late, at a different request in each run; compiled synchronously, the same functions are
# optimized at the same request every time, all of them within the warm-up, and the counts repeat.
set -euo pipefail
export ATOLL_V8_FLAGS="--no-concurrent-recompilation${ATOLL_V8_FLAGS:+ $ATOLL_V8_FLAGS}"
here="$(cd "$(dirname "$0")" && pwd)"
workload="${1:-hello}"
atoll="${ATOLL:-$here/../build/atoll}"
port="${PORT:-18700}"
out="${OUT:-/tmp/atoll-cg-$workload}"
mkdir -p "$out"
case "$workload" in
  hello|deno-hello) script="$here/../examples/hello.js"; path="/" ;;
  json|deno-json) script="$here/peers/json_worker.js"; path="/?rows=20" ;;
  hello-twice|deno-hello-twice) script="$here/peers/hello_twice.js"; path="/" ;;
  json-twice|deno-json-twice) script="$here/peers/json_worker_twice.js"; path="/?rows=20" ;;
  *) echo "usage: $0 hello|json|deno-hello|deno-json[-twice]" >&2; exit 2 ;;
esac
case "$workload" in
  deno-*)
    deno="$here/.peers/node_modules/@deno/linux-x64-glibc/deno"
    export DENO_NO_UPDATE_CHECK=1 DENO_DIR="$here/.peers/deno-dir"
    peer="${workload#deno-}"; peer="${peer/-twice/_twice}"
    server="$deno run --v8-flags=--no-concurrent-recompilation --allow-net=127.0.0.1 $here/peers/deno_$peer.js $port" ;;
  *)
    cat > "$out/atoll.toml" <<TOML
[server]
listen = ["127.0.0.1:$port"]
workers = 1
sandbox = false

[defaults]
cpu_ms = 5000                         # valgrind runs the code ~50x slower than the CPU
wall_ms = 60000

[[tenants]]
name = "bench"
script = "$script"
routes = ["*/*"]
TOML
    server="$(readlink -f "$atoll") serve --config $out/atoll.toml" ;;
esac
cd "$here/peers"
SERVER="$server" PORT="$port" PATH_="$path" OUT="$out" python3 "$here/instructions.py"
