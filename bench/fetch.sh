#!/usr/bin/env bash
# Outbound fetch() overhead: wrk against a node hello upstream directly, and through an atoll
# tenant whose handler fetch()es it (`outbound` allows it) and returns its text. Prints req/s,
# latency and atoll's CPU per proxied request. Traffic goes to 127.0.0.1 only; both servers are
# killed on exit.
#
#   bash bench/fetch.sh        Env: BENCH_DURATION (5s)  BENCH_CONNECTIONS (20)  BENCH_ATOLL (build/atoll)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
duration="${BENCH_DURATION:-5s}"
conns="${BENCH_CONNECTIONS:-20}"
atoll_bin="${BENCH_ATOLL:-$root/build/atoll}"
source "$here/lib/server_env.sh"
bench_workdir

upstream_port="$(python3 "$here/report.py" freeport)"
atoll_port="$(python3 "$here/report.py" freeport)"
cat >"$work/proxy.js" <<'JS'
export default {
  async fetch(request, env) {
    const upstream = await fetch(env.UPSTREAM);
    return new Response(await upstream.text(), { headers: { "content-type": "text/plain" } });
  },
};
JS
cat >"$work/atoll.toml" <<TOML
[server]
data_dir = "data"
[[tenants]]
name = "proxy"
script = "proxy.js"
routes = ["*/*"]
outbound = ["127.0.0.1:$upstream_port"]
[tenants.vars]
UPSTREAM = "http://127.0.0.1:$upstream_port/"
TOML
taskset -c 1 node "$here/peers/node_hello.mjs" "$upstream_port" >/dev/null 2>&1 &
pids+=($!)
taskset -c 0 "$atoll_bin" serve --config "$work/atoll.toml" --listen "127.0.0.1:$atoll_port" --workers 1 >"$work/atoll.log" 2>&1 &
atoll_pid=$!
pids+=("$atoll_pid")
for _ in $(seq 100); do curl -s --max-time 1 "http://127.0.0.1:$atoll_port/" >/dev/null && break; sleep 0.1; done

run() {  # run NAME URL [PID]: one wrk run after a warm-up; CPU per request of PID if given
  wrk -t1 -c"$conns" -d2s "$2" >/dev/null
  local before after out reqs
  [[ -z "${3:-}" ]] || before="$(python3 "$here/report.py" cputicks "$3")"
  out="$(taskset -c 1 wrk -t1 -c"$conns" -d"$duration" --latency "$2")"
  [[ -z "${3:-}" ]] || after="$(python3 "$here/report.py" cputicks "$3")"
  reqs="$(awk '/requests in/ {print $1}' <<<"$out")"
  printf '| %s | %s | %s | %s |' "$1" "$(awk '/Requests\/sec/ {print $2}' <<<"$out")" \
    "$(awk '$1 == "50%" {print $2}' <<<"$out")" "$(awk '$1 == "99%" {print $2}' <<<"$out")"
  if [[ -n "${3:-}" ]]; then
    printf ' %s |\n' "$(python3 -c "print(round(($after - $before) * 1e6 / $(getconf CLK_TCK) / $reqs, 1))")"
  else
    printf ' - |\n'
  fi
}
echo "wrk -t1 -c$conns -d$duration; upstream: node:http hello on CPU 1, atoll on CPU 0"
echo "| path | req/s | p50 | p99 | atoll CPU µs / request |"
echo "|---|---:|---:|---:|---:|"
run "client -> upstream" "http://127.0.0.1:$upstream_port/"
run "client -> atoll fetch() -> upstream" "http://127.0.0.1:$atoll_port/" "$atoll_pid"
