#!/usr/bin/env bash
# Durable Objects and WebSockets, atoll next to workerd in the same run, one process each pinned
# to CPU 0, load on CPU 1: requests/s to ONE counter object (each increments a stored count:
# storage get + put, bench/services/do_counter.js, the same file for both servers), and WebSocket
# echo messages/s (bench/services/ws_load.mjs, node's WebSocket). Traffic goes to 127.0.0.1
# only; both servers are killed on exit.
#
#   bash bench/services.sh     Env: BENCH_DURATION (5 s)  BENCH_CONNECTIONS (16)  BENCH_ATOLL (build/atoll)
#                              BENCH_WS_CONNECTIONS (8)  BENCH_WS_WINDOW (8 messages in flight each)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
seconds="${BENCH_DURATION:-5}"
conns="${BENCH_CONNECTIONS:-16}"
ws_conns="${BENCH_WS_CONNECTIONS:-8}"
ws_window="${BENCH_WS_WINDOW:-8}"
atoll_bin="${BENCH_ATOLL:-$root/build/atoll}"
work="$(mktemp -d)"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

workerd_bin=""
for bin in "$here"/.peers/node_modules/@cloudflare/workerd-linux-*/bin/workerd "$here/.peers/node_modules/workerd/bin/workerd"; do
  [[ -x "$bin" ]] && "$bin" --version >/dev/null 2>&1 && { workerd_bin="$bin"; break; }
done

cp "$here/services/do_counter.js" "$work/"
atoll_port="$(python3 "$here/report.py" freeport)"
workerd_port="$(python3 "$here/report.py" freeport)"
cat >"$work/atoll.toml" <<TOML
[server]
data_dir = "atoll-data"
[[tenants]]
name = "bench"
script = "do_counter.js"
routes = ["*/*"]
[tenants.durable_objects]
COUNTER = "Counter"
TOML
mkdir -p "$work/workerd-data"
sed -e "s|PORT|$workerd_port|; s|DIR|$work/workerd-data|" "$here/services/workerd.capnp.in" >"$work/workerd.capnp"

wait_up() {  # wait_up PORT
  for _ in $(seq 100); do curl -s --max-time 1 "http://127.0.0.1:$1/counter" >/dev/null && return 0; sleep 0.1; done
  return 1
}
do_run() {  # do_run PORT -> req/s to the one counter object
  wrk -t1 -c"$conns" -d1s "http://127.0.0.1:$1/counter" >/dev/null
  taskset -c 1 wrk -t1 -c"$conns" -d"${seconds}s" "http://127.0.0.1:$1/counter" | awk '/Requests\/sec/ {print $2}'
}
ws_run() {  # ws_run PORT -> echoed messages/s
  taskset -c 1 node --experimental-websocket "$here/services/ws_load.mjs" "ws://127.0.0.1:$1/ws" "$ws_conns" "$seconds" "$ws_window" 2>/dev/null |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["messages_per_s"])' 2>/dev/null || echo "n/a"
}

declare -A do_rate ws_rate
(cd "$work" && exec taskset -c 0 "$atoll_bin" serve --config atoll.toml --listen "127.0.0.1:$atoll_port" --workers 1 >atoll.log 2>&1) &
pids+=($!)
if wait_up "$atoll_port"; then
  do_rate[atoll]="$(do_run "$atoll_port")"
  ws_rate[atoll]="$(ws_run "$atoll_port")"
else
  do_rate[atoll]="n/a"; ws_rate[atoll]="n/a"; echo "services: atoll did not start (see below)" >&2; tail -5 "$work/atoll.log" >&2
fi
if [[ -n "$workerd_bin" ]]; then
  (cd "$work" && exec taskset -c 0 "$workerd_bin" serve workerd.capnp >workerd.log 2>&1) &
  pids+=($!)
  if wait_up "$workerd_port"; then
    do_rate[workerd]="$(do_run "$workerd_port")"
    ws_rate[workerd]="$(ws_run "$workerd_port")"
  else
    do_rate[workerd]="n/a"; ws_rate[workerd]="n/a"; tail -5 "$work/workerd.log" >&2
  fi
else
  do_rate[workerd]="n/a (no workerd in bench/.peers: run bench/churn.sh once to install the peers)"; ws_rate[workerd]="n/a"
fi
ratio() { python3 -c "import sys; a,b=sys.argv[1:]; print(f'{float(a)/float(b):.2f}x' if a.replace('.','',1).isdigit() and b.replace('.','',1).isdigit() else 'n/a')" "$1" "$2"; }
echo "| measure | atoll | workerd | atoll/workerd |"
echo "|---|---|---|---|"
echo "| Durable Object requests/s, one counter object (storage get + put each), wrk -c$conns | ${do_rate[atoll]} | ${do_rate[workerd]} | $(ratio "${do_rate[atoll]}" "${do_rate[workerd]}") |"
echo "| WebSocket echo messages/s, $ws_conns connections x $ws_window in flight | ${ws_rate[atoll]} | ${ws_rate[workerd]} | $(ratio "${ws_rate[atoll]}" "${ws_rate[workerd]}") |"
