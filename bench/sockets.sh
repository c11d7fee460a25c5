#!/usr/bin/env bash
# TCP sockets from a handler, side by side: each HTTP request opens a TCP connection to a local
# echo server, writes 64 bytes, reads them back, closes, and answers them. atoll (a tenant with
# cloudflare:sockets' connect(), the echo's port in `outbound`) next to node (http + net), deno
# (Deno.serve + Deno.connect) and bun (Bun.serve + node:net) doing the same, in the same run.
# Prints req/s and server CPU per 1,000 requests (utime + stime of the server's process tree),
# the median of BENCH_RUNS runs each.
#
#   bash bench/sockets.sh
# Env: BENCH_DURATION (5s)  BENCH_RUNS (3)  BENCH_CONNECTIONS (20)  BENCH_ATOLL (build/atoll)
#      BENCH_SERVERS (atoll,node,deno,bun)
# Servers run on CPU 0, wrk and the echo server on CPU 1. Traffic goes to 127.0.0.1 only; every
# process started here is killed on exit.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
duration="${BENCH_DURATION:-5s}"
runs="${BENCH_RUNS:-3}"
conns="${BENCH_CONNECTIONS:-20}"
atoll_bin="${BENCH_ATOLL:-$root/build/atoll}"
IFS=, read -r -a servers <<<"${BENCH_SERVERS:-atoll,node,deno,bun}"
source "$here/lib/server_env.sh"
source "$here/lib/side_by_side.sh"
bench_workdir
freeport() { python3 "$here/report.py" freeport; }

echo_port="$(freeport)"
cat >"$work/echo.mjs" <<'JS'
import net from "node:net";
net.createServer((s) => s.pipe(s)).listen(Number(process.argv[2]), "127.0.0.1");
JS
setsid taskset -c 1 node "$work/echo.mjs" "$echo_port" >/dev/null 2>&1 &
pids+=($!)

payload="$(printf 'x%.0s' $(seq 1 63))"
cat >"$work/atoll.js" <<JS
import { connect } from "cloudflare:sockets";
const bytes = new TextEncoder().encode("${payload}\n");
export default {
  async fetch() {
    const socket = connect({ hostname: "127.0.0.1", port: ${echo_port} });
    const writer = socket.writable.getWriter();
    writer.write(bytes);
    const reader = socket.readable.getReader();
    let got = 0;
    const parts = [];
    while (got < bytes.length) {
      const { value, done } = await reader.read();
      if (done) break;
      parts.push(value);
      got += value.length;
    }
    socket.close();
    return new Response(new Blob(parts));
  },
};
JS
cat >"$work/atoll.toml" <<TOML
[server]
data_dir = "data"
[[tenants]]
name = "sockets"
script = "atoll.js"
routes = ["*/*"]
outbound = ["127.0.0.1:${echo_port}"]
TOML
cat >"$work/node.mjs" <<JS
import http from "node:http";
import net from "node:net";
const bytes = Buffer.from("${payload}\n");
http.createServer((req, res) => {
  const socket = net.connect(${echo_port}, "127.0.0.1", () => socket.write(bytes));
  const parts = [];
  let got = 0;
  socket.on("data", (d) => {
    parts.push(d);
    got += d.length;
    if (got >= bytes.length) { socket.destroy(); res.end(Buffer.concat(parts)); }
  });
  socket.on("error", () => { res.statusCode = 502; res.end(); });
}).listen(Number(process.argv[2]), "127.0.0.1");
JS
cat >"$work/deno.js" <<JS
const bytes = new TextEncoder().encode("${payload}\n");
Deno.serve({ port: Number(Deno.args[0]), hostname: "127.0.0.1", onListen() {} }, async () => {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: ${echo_port} });
  await conn.write(bytes);
  const out = new Uint8Array(bytes.length);
  let got = 0;
  while (got < bytes.length) {
    const n = await conn.read(out.subarray(got));
    if (n === null) break;
    got += n;
  }
  conn.close();
  return new Response(out);
});
JS
cat >"$work/bun.js" <<JS
import net from "node:net";
const bytes = Buffer.from("${payload}\n");
Bun.serve({ port: Number(process.argv[2]), hostname: "127.0.0.1", fetch() {
  return new Promise((resolve) => {
    const socket = net.connect(${echo_port}, "127.0.0.1", () => socket.write(bytes));
    const parts = [];
    let got = 0;
    socket.on("data", (d) => {
      parts.push(d);
      got += d.length;
      if (got >= bytes.length) { socket.destroy(); resolve(new Response(Buffer.concat(parts))); }
    });
    socket.on("error", () => resolve(new Response(null, { status: 502 })));
  });
} });
JS

# The command that serves port $2 as server $1, in `cmd`.
server_cmd() {
  case "$1" in
    atoll) cmd=("$atoll_bin" serve --config "$work/atoll.toml" --listen "127.0.0.1:$2" --workers 1 --no-access-log) ;;
    *) peer_cmd "$1" "$2" ;;
  esac
}

measure_servers
