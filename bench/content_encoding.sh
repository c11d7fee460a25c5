#!/usr/bin/env bash
# Content codings through fetch(), atoll side by side with workerd (the same Worker, same run):
# an upstream (node:http, 127.0.0.1) serves a 39 KB HTML page gzip'd (2.4 KB); the Worker
#   /pass     returns the fetched response as it is (atoll and workerd pass the gzip bytes through)
#   /rewrite  HTMLRewriter over it (decode, rewrite, gzip again on the way out)
#   /upper    reads its text and answers it upper-cased with the fetched headers (decode, code again)
#   /rewrite-plain  HTMLRewriter over the page as it is (no coding): the rewriter's own share
# Prints req/s, latency and each server's CPU per request (the server's process tree). Traffic
# goes to 127.0.0.1 only; every process is killed on exit. workerd comes from bench/.peers (npm ci
# of bench/package.json, as run.sh installs it); without it only atoll runs.
#
#   bash bench/content_encoding.sh     Env: BENCH_DURATION (5s)  BENCH_CONNECTIONS (10)  BENCH_ATOLL (build/atoll)
#                                      BENCH_SHOW=1: print each answer's framing headers and start instead
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
duration="${BENCH_DURATION:-5s}"
conns="${BENCH_CONNECTIONS:-10}"
atoll_bin="${BENCH_ATOLL:-$root/build/atoll}"
source "$here/lib/server_env.sh"
bench_workdir

upstream_port="$(python3 "$here/report.py" freeport)"
atoll_port="$(python3 "$here/report.py" freeport)"
workerd_port="$(python3 "$here/report.py" freeport)"

cat >"$work/upstream.mjs" <<'JS'
import http from "node:http";
import zlib from "node:zlib";
let page = "<html><body><h1>title</h1>";
for (let i = 0; i < 800; i++) page += `<p>paragraph ${i} of the page</p>`;
page += "</body></html>";
const gzip = zlib.gzipSync(page);
http.createServer((req, res) => {
  if (req.url === "/plain") {
    res.writeHead(200, { "content-type": "text/html", "content-length": Buffer.byteLength(page) });
    return res.end(page);
  }
  res.writeHead(200, { "content-type": "text/html", "content-encoding": "gzip", "content-length": gzip.length });
  res.end(gzip);
}).listen(+process.argv[2], "127.0.0.1");
JS
cat >"$work/worker.js" <<'JS'
export default {
  async fetch(request, env) {
    const path = new URL(request.url).pathname;
    const upstream = await fetch(path === "/rewrite-plain" ? `${env.UPSTREAM}plain` : env.UPSTREAM);
    if (path === "/rewrite" || path === "/rewrite-plain") {
      return new HTMLRewriter().on("h1", { element(e) { e.setInnerContent("rewritten"); } }).transform(upstream);
    }
    if (path === "/upper") return new Response((await upstream.text()).toUpperCase(), upstream);
    return upstream;
  },
};
JS
cat >"$work/atoll.toml" <<TOML
[server]
data_dir = "data"
[[tenants]]
name = "coded"
script = "worker.js"
routes = ["*/*"]
outbound = ["127.0.0.1:$upstream_port"]
[tenants.vars]
UPSTREAM = "http://127.0.0.1:$upstream_port/"
TOML
cat >"$work/workerd.capnp" <<CAPNP
using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [(name = "coded", worker = .worker), (name = "net", network = (allow = ["public", "private", "local"]))],
  sockets = [(name = "http", address = "127.0.0.1:$workerd_port", http = (), service = "coded")],
);
const worker :Workerd.Worker = (
  modules = [(name = "worker", esModule = embed "worker.js")],
  compatibilityDate = "2025-01-01",
  bindings = [(name = "UPSTREAM", text = "http://127.0.0.1:$upstream_port/")],
  globalOutbound = "net",
);
CAPNP

taskset -c 1 node "$work/upstream.mjs" "$upstream_port" >/dev/null 2>&1 &
pids+=($!)
(cd "$work" && exec taskset -c 0 "$atoll_bin" serve --config atoll.toml --listen "127.0.0.1:$atoll_port" --workers 1) \
  >"$work/atoll.log" 2>&1 &
atoll_pid=$!
pids+=("$atoll_pid")
servers=(atoll)
declare -A server_pid=([atoll]="$atoll_pid") server_port=([atoll]="$atoll_port")
workerd_bin="$(bench_workerd content_encoding)"
if [[ -n "$workerd_bin" ]]; then
  (cd "$work" && exec taskset -c 0 "$workerd_bin" serve workerd.capnp) >"$work/workerd.log" 2>&1 &
  server_pid[workerd]=$!
  server_port[workerd]="$workerd_port"
  pids+=("${server_pid[workerd]}")
  servers+=(workerd)
fi
for name in "${servers[@]}"; do
  for _ in $(seq 100); do curl -s --max-time 1 "http://127.0.0.1:${server_port[$name]}/pass" >/dev/null && break; sleep 0.1; done
done

run() {  # run SERVER PATH: one wrk run after a warm-up
  local url="http://127.0.0.1:${server_port[$1]}$2" before after out reqs
  wrk -t1 -c"$conns" -d2s -H "Accept-Encoding: gzip, br" "$url" >/dev/null
  before="$(python3 "$here/report.py" cputicks "${server_pid[$1]}")"
  out="$(taskset -c 1 wrk -t1 -c"$conns" -d"$duration" --latency -H "Accept-Encoding: gzip, br" "$url")"
  after="$(python3 "$here/report.py" cputicks "${server_pid[$1]}")"
  reqs="$(awk '/requests in/ {print $1}' <<<"$out")"
  printf '| %s | %s | %s | %s | %s | %s |\n' "$2" "$1" "$(awk '/Requests\/sec/ {print $2}' <<<"$out")" \
    "$(awk '$1 == "50%" {print $2}' <<<"$out")" "$(awk '$1 == "99%" {print $2}' <<<"$out")" \
    "$(python3 -c "print(round(($after - $before) * 1e6 / $(getconf CLK_TCK) / $reqs, 1))")"
}
if [[ -n "${BENCH_SHOW:-}" ]]; then
  for name in "${servers[@]}"; do
    for path in /pass /upper /rewrite /rewrite-plain; do
      printf "%s %s: " "$name" "$path"
      curl -s -H "Accept-Encoding: gzip, br" -D - -o "$work/out" "http://127.0.0.1:${server_port[$name]}$path" | grep -i "content-encoding\|content-length\|transfer-encoding" | tr -d "\r" | tr "\n" " "
      printf " -> %s\n" "$(gzip -dc <"$work/out" 2>&1 | head -c 60)"
    done
  done
  exit 0
fi
echo "wrk -t1 -c$conns -d$duration; servers on CPU 0, upstream and wrk on CPU 1"
echo "| path | server | req/s | p50 | p99 | server CPU µs / request |"
echo "|---|---|---:|---:|---:|---:|"
for path in /pass /upper /rewrite /rewrite-plain; do
  for name in "${servers[@]}"; do run "$name" "$path"; done
done
