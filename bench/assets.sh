#!/usr/bin/env bash
# A static page served side by side: atoll's static assets ([tenants.assets]: the file from
# memory with its ETag, Content-Type and Cache-Control, the tenant's Worker not entered), the
# same page from an atoll Worker (imported as a Text module, the same headers set in JS), and
# deno, bun and node answering the same bytes from memory with the same headers (the fastest a
# handler of theirs can serve a file). GET / of a 10 KB index.html. Prints req/s and server CPU
# per 1,000 requests, the median of BENCH_RUNS runs each.
#
#   bash bench/assets.sh
# Env: BENCH_DURATION (5s)  BENCH_RUNS (3)  BENCH_CONNECTIONS (20)  BENCH_ATOLL (build/atoll)
#      BENCH_SERVERS (atoll-assets,atoll-worker,deno,bun,node)
# Servers run on CPU 0, wrk on CPU 1. Traffic goes to 127.0.0.1 only; every process started
# here is killed on exit.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
duration="${BENCH_DURATION:-5s}"
runs="${BENCH_RUNS:-3}"
conns="${BENCH_CONNECTIONS:-20}"
atoll_bin="${BENCH_ATOLL:-$root/build/atoll}"
IFS=, read -r -a servers <<<"${BENCH_SERVERS:-atoll-assets,atoll-worker,deno,bun,node}"
source "$here/lib/server_env.sh"
source "$here/lib/side_by_side.sh"
bench_workdir

mkdir -p "$work/public"
python3 - "$work/public/index.html" <<'PY'
import sys
rows = "".join(f"<li><a href=\"/item/{i}\">Item {i}</a> <span>a line of text to make the page weigh</span></li>\n" for i in range(110))
open(sys.argv[1], "w").write(f"<!doctype html><html><head><title>bench</title></head><body><ul>\n{rows}</ul></body></html>\n")
PY
etag="\"$(sha256sum "$work/public/index.html" | cut -c1-32)\""
headers="{ \"etag\": '$etag', \"content-type\": \"text/html; charset=utf-8\", \"cache-control\": \"public, max-age=0, must-revalidate\" }"

cat >"$work/app.js" <<JS
import page from "./public/index.html";
const headers = $headers;
export default { fetch() { return new Response(page, { headers }); } };
JS
cat >"$work/assets.toml" <<TOML
[[tenants]]
name = "bench"
script = "app.js"
routes = ["*/*"]
[tenants.assets]
directory = "public"
TOML
cat >"$work/worker.toml" <<TOML
[[tenants]]
name = "bench"
script = "app.js"
routes = ["*/*"]
TOML
peer_page="const page = await (await import(\"node:fs/promises\")).readFile(\"$work/public/index.html\");
const headers = $headers;"
cat >"$work/deno.js" <<JS
const page = Deno.readFileSync("$work/public/index.html");
const headers = $headers;
Deno.serve({ port: Number(Deno.args[0]), hostname: "127.0.0.1", onListen() {} }, () => new Response(page, { headers }));
JS
cat >"$work/bun.js" <<JS
$peer_page
Bun.serve({ port: Number(process.argv[2]), hostname: "127.0.0.1", fetch: () => new Response(page, { headers }) });
JS
cat >"$work/node.mjs" <<JS
import http from "node:http";
$peer_page
http.createServer((req, res) => { res.writeHead(200, headers); res.end(page); }).listen(Number(process.argv[2]), "127.0.0.1");
JS

server_cmd() {
  case "$1" in
    atoll-assets) cmd=("$atoll_bin" serve --config "$work/assets.toml" --listen "127.0.0.1:$2" --workers 1 --no-access-log) ;;
    atoll-worker) cmd=("$atoll_bin" serve --config "$work/worker.toml" --listen "127.0.0.1:$2" --workers 1 --no-access-log) ;;
    deno) peer_cmd deno "$2" && cmd=("${cmd[@]:0:5}" "--allow-read=$work" "${cmd[@]:5}") ;;
    *) peer_cmd "$1" "$2" ;;
  esac
}

measure_servers
