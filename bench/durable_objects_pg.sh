#!/usr/bin/env bash
# Durable Objects on PostgreSQL (cluster mode's [cluster] postgres) against the SQLite file
# alone, side by side in one run: one counter object (storage.get + storage.put per request),
# atoll with one worker process, wrk -c8 on loopback. Besides requests/s and latency it prints
# the CPU time per request of the atoll worker and of PostgreSQL (utime + stime from /proc), which
# the shared machine disturbs less than throughput, and the load average.
#
#   bash bench/durable_objects_pg.sh
#
# Env: BENCH_DO_DURATION (8s)  BENCH_DO_CONNECTIONS (8)  BENCH_ATOLL (build/atoll)
#      BENCH_DO_PORT (18150: this port and the next two)
# PostgreSQL 15 (Debian postgresql-15) is started here in a temporary folder, as the `postgres`
# user when run as root. Traffic goes to 127.0.0.1 only; everything started is stopped on exit.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
duration="${BENCH_DO_DURATION:-8s}"
conns="${BENCH_DO_CONNECTIONS:-8}"
atoll_bin="${BENCH_ATOLL:-$root/build/atoll}"
port="${BENCH_DO_PORT:-18150}"
pg_port=$((port + 2))
pgbin=/usr/lib/postgresql/15/bin

tmp="$(mktemp -d "${TMPDIR:-/tmp}/atoll-do-pg-bench.XXXXXX")"
chmod 755 "$tmp"
spid=""
pgpid=""
as_pg() { if [[ "$(id -u)" == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }
cleanup() {
  if [[ -n "$spid" ]]; then kill -TERM -- "-$spid" 2>/dev/null || true; sleep 0.5; kill -KILL -- "-$spid" 2>/dev/null || true; fi
  local master
  master="$(head -1 "$tmp/pg/data/postmaster.pid" 2>/dev/null || true)"
  if [[ -n "$master" ]]; then kill -INT "$master" 2>/dev/null || true; sleep 1; kill -KILL "$master" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

mkdir -p "$tmp/pg"
[[ "$(id -u)" == 0 ]] && chown postgres "$tmp/pg"
as_pg "$pgbin/initdb" -D "$tmp/pg/data" -A trust -U atoll >/dev/null
as_pg "$pgbin/postgres" -D "$tmp/pg/data" -p "$pg_port" -k "$tmp/pg" -c listen_addresses=127.0.0.1 >"$tmp/pg/log" 2>&1 &
pgpid=$!
for _ in $(seq 100); do as_pg "$pgbin/pg_isready" -q -h 127.0.0.1 -p "$pg_port" && break; sleep 0.1; done

cat >"$tmp/counter.js" <<'JS'
export class Counter {
  constructor(ctx) { this.ctx = ctx; }
  async fetch(request) {
    const n = ((await this.ctx.storage.get("n")) ?? 0) + 1;
    await this.ctx.storage.put("n", n);
    return new Response(String(n));
  }
}
export default {
  fetch(request, env) { return env.COUNTER.get(env.COUNTER.idFromName("bench")).fetch(request); },
};
JS

cpu_ticks() {  # cpu_ticks PID...: utime + stime of those processes, in clock ticks
  local total=0 pid
  for pid in "$@"; do
    [[ -r "/proc/$pid/stat" ]] || continue
    total=$(( total + $(awk '{sub(/^.*\) /, ""); print $12 + $13}' "/proc/$pid/stat") ))
  done
  echo "$total"
}
pg_pids() {  # the postmaster and its backends (pgpid may be runuser's)
  local master
  master="$(head -1 "$tmp/pg/data/postmaster.pid" 2>/dev/null || true)"
  [[ -n "$master" ]] || return 0
  echo "$master"; pgrep -P "$master" 2>/dev/null || true
}

rows=()
run_one() {  # run_one LABEL POSTGRES_LINE
  local label="$1" cluster="$2" dir="$tmp/$1" out rps p50 p99 requests worker before after pg_before pg_after hz
  mkdir -p "$dir"
  cat >"$dir/atoll.toml" <<TOML
[server]
listen = "127.0.0.1:$port"
workers = 1
data_dir = "$dir/data"
$cluster
[[tenants]]
name = "bench"
script = "$tmp/counter.js"
routes = ["*/*"]
[tenants.durable_objects]
COUNTER = "Counter"
TOML
  setsid "$atoll_bin" serve --config "$dir/atoll.toml" >"$dir/log" 2>&1 &
  spid=$!
  for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.1; done
  wrk -t1 -c"$conns" -d2s "http://127.0.0.1:$port/" >/dev/null   # warm-up
  worker="$(pgrep -P "$spid" | head -1)"
  before=$(cpu_ticks "$worker"); pg_before=$(cpu_ticks $(pg_pids))
  out="$(wrk -t1 -c"$conns" -d"$duration" --latency "http://127.0.0.1:$port/")"
  after=$(cpu_ticks "$worker"); pg_after=$(cpu_ticks $(pg_pids))
  hz=$(getconf CLK_TCK)
  requests="$(awk '/requests in/ {print $1}' <<<"$out")"
  rps="$(awk '/Requests\/sec/ {printf "%.0f", $2}' <<<"$out")"
  p50="$(awk '$1 == "50%" {print $2}' <<<"$out")"
  p99="$(awk '$1 == "99%" {print $2}' <<<"$out")"
  local atoll_us=$(( (after - before) * 1000000 / hz / requests )) pg_us=$(( (pg_after - pg_before) * 1000000 / hz / requests ))
  if [[ -z "$cluster" ]]; then pg_us="-"; fi
  rows+=("| $label | $rps | $p50 | $p99 | $atoll_us | $pg_us | $(cut -d' ' -f1-3 /proc/loadavg) |")
  echo "durable_objects_pg: $label: $rps req/s, p50 $p50, atoll ${atoll_us} us/request, postgres ${pg_us} us/request" >&2
  kill -TERM -- "-$spid"; wait "$spid" 2>/dev/null || true; spid=""
  port=$((port + 1))
}

run_one "SQLite file alone" ""
run_one "PostgreSQL" "[cluster]
postgres = \"host=127.0.0.1 port=$pg_port dbname=postgres user=atoll\""

echo "| storage | requests/s | p50 | p99 | atoll CPU µs/request | PostgreSQL CPU µs/request | load average |"
echo "|---|---|---|---|---|---|---|"
for row in "${rows[@]}"; do echo "$row"; done
echo
echo "$(nproc) cores, one worker process, wrk -t1 -c$conns -d$duration after a 2 s warm-up, $(date -u +%Y-%m-%d)."
