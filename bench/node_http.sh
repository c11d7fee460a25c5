#!/usr/bin/env bash
# node:http's client from a handler, side by side: each HTTP request makes an http.get() to a
# local upstream (node, 64 bytes, keep-alive), reads the body and answers it. atoll (a tenant
# under nodejs_compat, the upstream's port in `outbound`; its node:http is a layer over fetch(),
# js/lazy/node_http_internals.js), the same tenant with fetch() instead ("atoll-fetch": what the
# layer costs), node (http.createServer + http.get), deno (Deno.serve + node:http) and bun
# (Bun.serve + node:http), in the same run. Prints req/s and server CPU per 1,000 requests, the
# median of BENCH_RUNS runs each.
#
#   bash bench/node_http.sh
# Env: BENCH_DURATION (5s)  BENCH_RUNS (3)  BENCH_CONNECTIONS (20)  BENCH_ATOLL (build/atoll)
#      BENCH_SERVERS (atoll,atoll-fetch,node,deno,bun)
# Servers run on CPU 0, wrk and the upstream on CPU 1. Traffic goes to 127.0.0.1 only; every
# process started here is killed on exit.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
duration="${BENCH_DURATION:-5s}"
runs="${BENCH_RUNS:-3}"
conns="${BENCH_CONNECTIONS:-20}"
atoll_bin="${BENCH_ATOLL:-$root/build/atoll}"
IFS=, read -r -a servers <<<"${BENCH_SERVERS:-atoll,atoll-fetch,node,deno,bun}"
source "$here/lib/server_env.sh"
source "$here/lib/side_by_side.sh"
bench_workdir

upstream_port="$(python3 "$here/report.py" freeport)"
upstream="http://127.0.0.1:${upstream_port}/"
setsid taskset -c 1 node "$here/peers/node_hello.mjs" "$upstream_port" >/dev/null 2>&1 &
pids+=($!)

# The node:http handler, as each runtime's module: `respond(body)` answers.
http_get() {
  cat <<JS
import http from "node:http";
function get() {
  return new Promise((resolve, reject) => {
    http.get("${upstream}", (res) => {
      const parts = [];
      res.on("data", (d) => parts.push(d));
      res.on("end", () => resolve(Buffer.concat(parts)));
      res.on("error", reject);
    }).on("error", reject);
  });
}
JS
}
{ http_get; echo 'export default { async fetch() { return new Response(await get()); } };'; } >"$work/atoll.js"
cat >"$work/atoll-fetch.js" <<JS
export default { async fetch() { return new Response(await (await fetch("${upstream}")).arrayBuffer()); } };
JS
for name in atoll atoll-fetch; do
  cat >"$work/$name.toml" <<TOML
[server]
data_dir = "data-$name"
[[tenants]]
name = "bench"
script = "$name.js"
routes = ["*/*"]
compatibility_flags = ["nodejs_compat"]
outbound = ["127.0.0.1:${upstream_port}"]
TOML
done
{ http_get; echo 'http.createServer(async (req, res) => res.end(await get())).listen(Number(process.argv[2]), "127.0.0.1");'; } >"$work/node.mjs"
{ http_get; echo 'Deno.serve({ port: Number(Deno.args[0]), hostname: "127.0.0.1", onListen() {} }, async () => new Response(await get()));'; } >"$work/deno.js"
{ http_get; echo 'Bun.serve({ port: Number(process.argv[2]), hostname: "127.0.0.1", async fetch() { return new Response(await get()); } });'; } >"$work/bun.js"

# The command that serves port $2 as server $1, in `cmd`.
server_cmd() {
  case "$1" in
    atoll|atoll-fetch) cmd=("$atoll_bin" serve --config "$work/$1.toml" --listen "127.0.0.1:$2" --workers 1 --no-access-log) ;;
    *) peer_cmd "$1" "$2" ;;
  esac
}

measure_servers
