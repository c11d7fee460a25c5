#!/usr/bin/env bash
# A handler that enqueues one message per request on a local, durable queue, consumed in the
# same process, side by side: atoll's Queues (env.Q.send(body) to the tenant's queue, a Durable
# Object's SQLite rows; its default export's queue(batch) consumes batches of up to 100,
# js/lazy/queues.js) and deno (Deno KV's queue on a local SQLite file: kv.enqueue(body),
# kv.listenQueue(handler)). bun has no durable queue and is not run. Each consumer counts what
# it got; GET /count answers it. Prints req/s and server CPU per 1,000 requests (the enqueue,
# and the consumption the process did meanwhile), the median of BENCH_RUNS runs each; then
# what each consumer had received of what was sent, 5 s after the last run.
#
#   bash bench/queues.sh
# Env: BENCH_DURATION (5s)  BENCH_RUNS (3)  BENCH_CONNECTIONS (20)  BENCH_ATOLL (build/atoll)
#      BENCH_SERVERS (atoll,deno)
# Servers run on CPU 0, wrk on CPU 1. Traffic goes to 127.0.0.1 only; every process started
# here is killed on exit.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
duration="${BENCH_DURATION:-5s}"
runs="${BENCH_RUNS:-3}"
conns="${BENCH_CONNECTIONS:-20}"
atoll_bin="${BENCH_ATOLL:-$root/build/atoll}"
IFS=, read -r -a servers <<<"${BENCH_SERVERS:-atoll,deno}"
source "$here/lib/server_env.sh"
source "$here/lib/side_by_side.sh"
bench_workdir

cat >"$work/atoll.js" <<'JS'
let sent = 0, received = 0;
export default {
  async fetch(request, env) {
    if (new URL(request.url).pathname === "/count") return Response.json({ sent, received });
    await env.Q.send({ n: ++sent, at: Date.now() });
    return new Response("ok");
  },
  async queue(batch) { received += batch.messages.length; },
};
JS
cat >"$work/atoll.toml" <<TOML
[server]
data_dir = "data-atoll"
[[tenants]]
name = "bench"
script = "atoll.js"
routes = ["*/*"]
[tenants.queues]
Q = "bench"
[tenants.queue_consumers]
bench = { max_batch_size = 100, max_batch_timeout = 1 }
TOML
cat >"$work/deno.js" <<JS
const kv = await Deno.openKv("$work/deno-kv.sqlite3");
let sent = 0, received = 0;
kv.listenQueue(() => { received++; });
Deno.serve({ port: Number(Deno.args[0]), hostname: "127.0.0.1", onListen() {} }, async (request) => {
  if (new URL(request.url).pathname === "/count") return Response.json({ sent, received });
  await kv.enqueue({ n: ++sent, at: Date.now() });
  return new Response("ok");
});
JS

server_cmd() {
  local bin
  case "$1" in
    atoll) cmd=("$atoll_bin" serve --config "$work/atoll.toml" --listen "127.0.0.1:$2" --workers 1 --no-access-log) ;;
    deno) bin="$(deno_bin)" || return 1
          cmd=(env DENO_NO_UPDATE_CHECK=1 "DENO_DIR=$here/.peers/deno-dir" "$bin" run --unstable-kv --allow-net=127.0.0.1
               "--allow-read=$work" "--allow-write=$work" "$work/deno.js" "$2") ;;
    *) return 1 ;;
  esac
}

# After each server's runs (measure_servers calls it with the name and port, if defined).
after_server() {
  sleep 5
  echo "$1 consumed: $(curl -s "http://127.0.0.1:$2/count")"
}

measure_servers
