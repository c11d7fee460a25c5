#!/usr/bin/env bash
# Durable Objects benchmark: requests/s to ONE object (a counter incremented by every request:
# storage.get + storage.put), atoll (workers = 1, and workers = 2, where about half the requests
# land on the process that does not own the object and are forwarded over loopback) next to
# workerd (durableObjectNamespaces with localDisk storage, one process). After each run the
# counter is read back next to the increments wrk saw answered (warm-up and /read included): it
# may exceed them by the requests still in flight when wrk stopped, never fall short.
#
#   bash bench/durable_objects.sh [--update-readme]
#
# Env: BENCH_DO_DURATION (10s)  BENCH_DO_CONNECTIONS (50)  BENCH_ATOLL (build/atoll)
#      BENCH_PEERS_DIR (bench/.peers: where run.sh's npm ci put workerd)
# Traffic goes to 127.0.0.1 only; every server started here is stopped on exit.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
duration="${BENCH_DO_DURATION:-10s}"
conns="${BENCH_DO_CONNECTIONS:-50}"
atoll_bin="${BENCH_ATOLL:-$root/build/atoll}"
peers="${BENCH_PEERS_DIR:-$here/.peers}"
update_readme=0
[[ "${1:-}" == "--update-readme" ]] && update_readme=1

tmp="$(mktemp -d "${TMPDIR:-/tmp}/atoll-do-bench.XXXXXX")"
spid=""
cleanup() {
  if [[ -n "$spid" ]]; then kill -TERM -- "-$spid" 2>/dev/null || true; sleep 0.5; kill -KILL -- "-$spid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

cat >"$tmp/counter.js" <<'JS'
import { DurableObject } from "cloudflare:workers";
export class Counter extends DurableObject {
  async fetch(request) {
    const n = ((await this.ctx.storage.get("n")) ?? 0) + 1;
    await this.ctx.storage.put("n", n);
    return new Response(String(n));
  }
}
export default {
  fetch(request, env) {
    const stub = env.COUNTER.get(env.COUNTER.idFromName("bench"));
    if (new URL(request.url).pathname === "/read") return stub.fetch("http://do/read");
    return stub.fetch(request);
  },
};
JS
# /read increments too: the value read back is the count of increments plus one.

port=18950
wait_up() {  # wait_up PORT: the server answers
  for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$1/read" && return 0; sleep 0.1; done
  return 1
}
rows=()
run_one() {  # run_one LABEL VERSION: wrk against the server on $port; a table row
  local label="$1" version="$2" out warm rps p50 p99 count answered
  warm="$(wrk -t1 -c"$conns" -d2s "http://127.0.0.1:$port/inc" | awk '/requests in/ {print $1}')"   # warm-up
  out="$(wrk -t1 -c"$conns" -d"$duration" --latency "http://127.0.0.1:$port/inc")"
  answered=$(( warm + $(awk '/requests in/ {print $1}' <<<"$out") + 2 ))  # + the start-up and final /read
  rps="$(awk '/Requests\/sec/ {printf "%.0f", $2}' <<<"$out")"
  p50="$(awk '$1 == "50%" {print $2}' <<<"$out")"
  p99="$(awk '$1 == "99%" {print $2}' <<<"$out")"
  non2xx="$(awk '/Non-2xx/ {print $4}' <<<"$out")"
  count="$(curl -s "http://127.0.0.1:$port/read")"
  rows+=("| $label | $version | $rps | $p50 | $p99 | ${non2xx:-0} | $count / $answered |")
  echo "durable_objects: $label: $rps req/s, p50 $p50, p99 $p99, counter now $count" >&2
}

# --- atoll, workers = 1 and 2 ---------------------------------------------------------------
for workers in 1 2; do
  mkdir -p "$tmp/atoll-$workers"
  cat >"$tmp/atoll-$workers/atoll.toml" <<TOML
[server]
listen = "127.0.0.1:$port"
workers = $workers
data_dir = "$tmp/atoll-$workers/data"
[[tenants]]
name = "bench"
script = "$tmp/counter.js"
routes = ["*/*"]
[tenants.durable_objects]
COUNTER = "Counter"
TOML
  setsid "$atoll_bin" serve --config "$tmp/atoll-$workers/atoll.toml" >"$tmp/atoll-$workers/log" 2>&1 &
  spid=$!
  wait_up "$port" || { echo "durable_objects: atoll did not start" >&2; tail "$tmp/atoll-$workers/log" >&2; exit 1; }
  run_one "atoll (workers = $workers)" "$("$atoll_bin" version 2>/dev/null | head -1 || echo atoll)"
  kill -TERM -- "-$spid"; wait "$spid" 2>/dev/null || true; spid=""
  port=$((port + 1))
done

# --- workerd ----------------------------------------------------------------------------------
workerd_bin=""
for bin in "$peers"/node_modules/@cloudflare/workerd-linux-*/bin/workerd "$peers/node_modules/workerd/bin/workerd"; do
  [[ -x "$bin" ]] && "$bin" --version >/dev/null 2>&1 && { workerd_bin="$bin"; break; }
done
if [[ -n "$workerd_bin" ]]; then
  mkdir -p "$tmp/workerd/storage"
  cp "$tmp/counter.js" "$tmp/workerd/counter.js"
  cat >"$tmp/workerd/config.capnp" <<CAPNP
using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [(name = "main", worker = .counterWorker), (name = "storage", disk = (path = "$tmp/workerd/storage", writable = true))],
  sockets = [(name = "http", address = "127.0.0.1:$port", http = (), service = "main")],
);
const counterWorker :Workerd.Worker = (
  modules = [(name = "worker", esModule = embed "counter.js")],
  compatibilityDate = "2024-09-23",
  durableObjectNamespaces = [(className = "Counter", uniqueKey = "atoll-bench-counter", enableSql = true)],
  durableObjectStorage = (localDisk = "storage"),
  bindings = [(name = "COUNTER", durableObjectNamespace = "Counter")],
);
CAPNP
  setsid "$workerd_bin" serve "$tmp/workerd/config.capnp" --experimental >"$tmp/workerd/log" 2>&1 &
  spid=$!
  if wait_up "$port"; then
    run_one "workerd" "$("$workerd_bin" --version | awk '{print $2}')"
  else
    echo "durable_objects: workerd did not start" >&2; tail "$tmp/workerd/log" >&2
  fi
  kill -TERM -- "-$spid" 2>/dev/null; wait "$spid" 2>/dev/null || true; spid=""
else
  rows+=("| workerd | not run (no binary under $peers) | | | | | |")
fi

table="| server | version | requests/s | p50 | p99 | non-2xx | counter after / increments answered |
|---|---|---|---|---|---|---|"
for row in "${rows[@]}"; do table+=$'\n'"$row"; done
table+=$'\n\n'"$(nproc) cores, wrk -t1 -c$conns -d$duration after a 2 s warm-up, $(date -u +%Y-%m-%d)."
echo "$table"
if (( update_readme )); then
  python3 - "$here/README.md" "$table" <<'PY'
import sys, re
path, table = sys.argv[1], sys.argv[2]
text = open(path).read()
block = "<!-- durable-objects:start -->\n" + table + "\n<!-- durable-objects:end -->"
text = re.sub(r"<!-- durable-objects:start -->.*?<!-- durable-objects:end -->", lambda m: block, text, flags=re.S)
open(path, "w").write(text)
PY
fi
