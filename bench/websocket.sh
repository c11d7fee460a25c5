#!/usr/bin/env bash
# WebSocket echo throughput: messages/s of one server process (one core) for an echo handler,
# atoll (--workers 1) and, side by side, workerd (found as bench/churn.sh finds it: the pinned
# @cloudflare/workerd in bench/.peers), driven by bench/websocket_client.mjs (node, loopback).
# Also reports each server's CPU seconds per 1,000 messages (from /proc, so "per core" holds even
# when the client shares the machine). Both servers are killed on exit.
#
#   bash bench/websocket.sh [--update-readme]
# Env: BENCH_WS_CONNS (10)  BENCH_WS_INFLIGHT (10)  BENCH_WS_SIZE (32)  BENCH_WS_SECONDS (5)
#      BENCH_ATOLL (build/atoll)  BENCH_WORKERD (a workerd binary; default: bench/.peers)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
conns="${BENCH_WS_CONNS:-10}"
inflight="${BENCH_WS_INFLIGHT:-10}"
size="${BENCH_WS_SIZE:-32}"
seconds="${BENCH_WS_SECONDS:-5}"
atoll_bin="${BENCH_ATOLL:-$root/build/atoll}"
source "$here/lib/server_env.sh"
bench_workdir

workerd_bin="${BENCH_WORKERD:-}"
if [[ -z "$workerd_bin" ]]; then
  # bench/.peers of this checkout, or of the main checkout when this is a git worktree.
  common="$(git -C "$root" rev-parse --path-format=absolute --git-common-dir 2>/dev/null || echo "$root/.git")"
  for peers in "$here/.peers" "$(dirname "$common")/bench/.peers"; do
    for bin in "$peers"/node_modules/@cloudflare/workerd-linux-*/bin/workerd; do
      [[ -x "$bin" ]] && "$bin" --version >/dev/null 2>&1 && { workerd_bin="$bin"; break 2; }
    done
  done
fi

cat >"$work/echo.js" <<'JS'
export default {
  fetch(request) {
    if (request.headers.get("upgrade") !== "websocket") return new Response("echo");
    const [client, server] = Object.values(new WebSocketPair());
    server.accept();
    server.addEventListener("message", (event) => server.send(event.data));
    return new Response(null, { status: 101, webSocket: client });
  },
};
JS

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# all_ticks PID: the process and its children (atoll's worker processes).
all_ticks() {
  local total=0 p
  for p in "$1" $(pgrep -P "$1" || true); do total=$((total + $(cpu_ticks "$p"))); done
  echo "$total"
}

declare -A rate cpu ver
measure() {  # measure NAME PORT PID
  local name="$1" port="$2" pid="$3" before after out hz
  hz="$(getconf CLK_TCK)"
  for _ in $(seq 100); do
    curl -s -o /dev/null "http://127.0.0.1:$port/" -H "Host: ws.test" && break
    sleep 0.1
  done
  before="$(all_ticks "$pid")"
  out="$(timeout $((seconds + 30)) node "$here/websocket_client.mjs" "$port" "$conns" "$inflight" "$size" "$seconds")"
  after="$(all_ticks "$pid")"
  local messages per_second
  messages="$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["messages"])' "$out")"
  per_second="$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["per_second"])' "$out")"
  rate[$name]="$per_second"
  # CPU includes the 1 s warm-up: per 1,000 messages counted with it.
  cpu[$name]="$(python3 -c "print(f'{($after - $before) / $hz * 1000 / max(1, $messages * ($seconds + 1) / $seconds) * 1000:.1f}')")"
  echo "$name: $out; server CPU $(( (after - before) )) ticks" >&2
}

# measure_atoll NAME CONFIG PORT: one atoll process (one worker) on CONFIG, measured as NAME.
measure_atoll() {
  (cd "$work" && exec "$atoll_bin" serve --config "$2" --listen "127.0.0.1:$3" --workers 1 2>"$work/$1.log") &
  pids+=($!)
  measure "$1" "$3" "${pids[-1]}"
}

port="$(python3 "$here/report.py" freeport)"
cat >"$work/atoll.toml" <<TOML
[server]
data_dir = "data"
[[tenants]]
name = "echo"
script = "echo.js"
routes = ["*/*"]
TOML
ver[atoll]="$("$atoll_bin" version 2>/dev/null | head -1 | awk '{print $2}')"
measure_atoll atoll atoll.toml "$port"

# The relay: a tenant that fetch()es a WebSocket from a second tenant of the same process and
# returns it un-accepted (what stub.fetch() of a Durable Object owned by another worker process
# does): every message crosses one more socket, is framed twice and is one more isolate event.
rport="$(python3 "$here/report.py" freeport)"
cat >"$work/relay.js" <<JS
export default {
  fetch(request) {
    return fetch("http://127.0.0.1:$rport/echo", { headers: request.headers });
  },
};
JS
cat >"$work/relay.toml" <<TOML
[server]
data_dir = "data-relay"
[[tenants]]
name = "relay"
script = "relay.js"
routes = ["ws.test/*"]
outbound = ["127.0.0.1"]
[[tenants]]
name = "echo"
script = "echo.js"
routes = ["*/echo"]
TOML
ver[atoll_relayed]="${ver[atoll]} (relayed)"
measure_atoll atoll_relayed relay.toml "$rport"

if [[ -n "$workerd_bin" ]]; then
  wport="$(python3 "$here/report.py" freeport)"
  cat >"$work/workerd.capnp" <<CAPNP
using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [ (name = "main", worker = .echo) ],
  sockets = [ (name = "http", address = "127.0.0.1:$wport", http = (), service = "main") ],
);
const echo :Workerd.Worker = (
  modules = [ (name = "echo.js", esModule = embed "echo.js") ],
  compatibilityDate = "2024-09-23",
);
CAPNP
  (cd "$work" && exec "$workerd_bin" serve workerd.capnp 2>"$work/workerd.log") &
  pids+=($!)
  ver[workerd]="$("$workerd_bin" --version | awk '{print $2}')"
  measure workerd "$wport" "${pids[-1]}"
else
  echo "workerd: not run (no working binary; run bench/churn.sh once to install bench/.peers)" >&2
fi

table="| server | messages/s (1 process) | server CPU ms per 1,000 messages |
|---|---|---|"
for name in atoll atoll_relayed workerd; do
  [[ -n "${rate[$name]:-}" ]] || continue
  table+=$'\n'"| ${name%_relayed} ${ver[$name]} | ${rate[$name]} | ${cpu[$name]} |"
done
echo "$table"
echo "($conns connections x $inflight in flight, ${size}-byte text messages, ${seconds} s, $(nproc) cores shared with the client)"

if [[ "${1:-}" == "--update-readme" ]]; then
  python3 - "$here/README.md" "$table" "$conns" "$inflight" "$size" "$seconds" <<'PY'
import re, sys
path, table, conns, inflight, size, seconds = sys.argv[1:]
text = open(path).read()
block = (f"<!-- websocket:begin -->\n{table}\n\n{conns} connections x {inflight} messages in flight, "
         f"{size}-byte text messages echoed, {seconds} s (bench/websocket.sh)\n<!-- websocket:end -->")
if "<!-- websocket:begin -->" in text:
    text = re.sub(r"<!-- websocket:begin -->.*?<!-- websocket:end -->", block, text, flags=re.S)
else:
    text = text.rstrip("\n") + "\n\n## WebSockets (`bench/websocket.sh`)\n\n" + block + "\n"
open(path, "w").write(text)
PY
fi
