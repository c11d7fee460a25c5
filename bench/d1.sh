#!/usr/bin/env bash
# A handler reading one row of a local SQLite database per request, side by side: atoll's D1
# (env.DB.prepare(...).bind(id).first(): a Durable Object call to the database's engine,
# js/lazy/d1.js), deno (Deno.serve + node:sqlite's DatabaseSync) and bun (Bun.serve +
# bun:sqlite), each on a file database of 1,000 rows (atoll's made by a migration), the row's id
# from the query string (wrk's script walks 1..1000), answered as JSON. Prints req/s and server
# CPU per 1,000 requests, the median of BENCH_RUNS runs each.
#
#   bash bench/d1.sh
# Env: BENCH_DURATION (5s)  BENCH_RUNS (3)  BENCH_CONNECTIONS (20)  BENCH_ATOLL (build/atoll)
#      BENCH_SERVERS (atoll,deno,bun)
# Servers run on CPU 0, wrk on CPU 1. Traffic goes to 127.0.0.1 only; every process started
# here is killed on exit.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
duration="${BENCH_DURATION:-5s}"
runs="${BENCH_RUNS:-3}"
conns="${BENCH_CONNECTIONS:-20}"
atoll_bin="${BENCH_ATOLL:-$root/build/atoll}"
IFS=, read -r -a servers <<<"${BENCH_SERVERS:-atoll,deno,bun}"
source "$here/lib/server_env.sh"
source "$here/lib/side_by_side.sh"
bench_workdir

schema="CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT NOT NULL);"
seed="WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000) INSERT INTO users SELECT i, 'user ' || i, 'user' || i || '@example.com' FROM n;"
query="SELECT id, name, email FROM users WHERE id = ?"

mkdir -p "$work/migrations"
echo "$schema $seed" >"$work/migrations/0001_users.sql"
cat >"$work/atoll.js" <<JS
export default {
  async fetch(request, env) {
    const id = Number(new URL(request.url).searchParams.get("id"));
    return Response.json(await env.DB.prepare("$query").bind(id).first());
  },
};
JS
cat >"$work/atoll.toml" <<TOML
[server]
data_dir = "data-atoll"
[[tenants]]
name = "bench"
script = "atoll.js"
routes = ["*/*"]
[tenants.d1]
DB = { database = "bench", migrations = "migrations" }
TOML
# The peers open (and seed) their own file next to the script.
peer_setup() {
  cat <<JS
const db = new Database("$work/$1.sqlite3");
db.exec("PRAGMA journal_mode = WAL; DROP TABLE IF EXISTS users; $schema $seed");
const byId = db.prepare("$query");
JS
}
{ echo 'import { DatabaseSync as Database } from "node:sqlite";'; peer_setup deno
  echo 'Deno.serve({ port: Number(Deno.args[0]), hostname: "127.0.0.1", onListen() {} }, (request) => Response.json(byId.get(Number(new URL(request.url).searchParams.get("id"))) ?? null));'; } >"$work/deno.js"
{ echo 'import { Database } from "bun:sqlite";'; peer_setup bun
  echo 'Bun.serve({ port: Number(process.argv[2]), hostname: "127.0.0.1", fetch(request) { return Response.json(byId.get(Number(new URL(request.url).searchParams.get("id"))) ?? null); } });'; } >"$work/bun.js"
# wrk walks the ids.
cat >"$work/ids.lua" <<'LUA'
local n = 0
request = function()
  n = n % 1000 + 1
  return wrk.format("GET", "/?id=" .. n)
end
LUA
wrk_extra=(-s "$work/ids.lua")

server_cmd() {
  local bin
  case "$1" in
    atoll) cmd=("$atoll_bin" serve --config "$work/atoll.toml" --listen "127.0.0.1:$2" --workers 1 --no-access-log) ;;
    deno) bin="$(deno_bin)" || return 1
          cmd=(env DENO_NO_UPDATE_CHECK=1 "DENO_DIR=$here/.peers/deno-dir" "$bin" run --allow-net=127.0.0.1
               "--allow-read=$work" "--allow-write=$work" "$work/deno.js" "$2") ;;
    *) peer_cmd "$1" "$2" ;;
  esac
}

measure_servers
