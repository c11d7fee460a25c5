#!/usr/bin/env bash
# The supervisor under load (issue 5's acceptance, measured): atoll --workers 2 on 127.0.0.1,
# `wrk -t2 -c50` for BENCH_DURATION, and halfway through either
#   kill -9 of worker 0 (how many requests failed, how long until it was ready again), or
#   an edit of the script + SIGHUP (connections refused, requests failed, the new version served).
# Also one worker against two without any event, for the throughput of a second process.
#
#   bash bench/supervisor.sh        Env: BENCH_DURATION (10s)  BENCH_ATOLL (build/atoll)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
atoll_bin="${BENCH_ATOLL:-$root/build/atoll}"
duration="${BENCH_DURATION:-10}"
work="$(mktemp -d)"
spid=""
cleanup() {
  [[ -z "$spid" ]] || { kill -TERM "$spid" 2>/dev/null || true; wait "$spid" 2>/dev/null || true; }
  rm -rf "$work"
}
trap cleanup EXIT

write_script() {  # VERSION
  printf 'const id = "%s";\nexport default { fetch() { return new Response(id); } };\n' "$1" >"$work/id.js"
}

start() {  # WORKERS -> spid, port
  write_script v1
  printf '[server]\nlisten = ["127.0.0.1:0"]\ndata_dir = "%s/data"\n[[tenants]]\nname = "t"\nscript = "id.js"\nroutes = ["*/*"]\n' \
    "$work" >"$work/atoll.toml"
  : >"$work/log"
  "$atoll_bin" serve --config "$work/atoll.toml" --workers "$1" --no-access-log 2>"$work/log" &
  spid=$!
  for _ in $(seq 200); do
    port="$(grep -o '"msg":"listening","address":"127.0.0.1:[0-9]*' "$work/log" | grep -o '[0-9]*$' || true)"
    [[ -n "$port" ]] && return 0
    sleep 0.05
  done
  echo "atoll did not start" >&2; cat "$work/log" >&2; exit 1
}

stop() { kill -TERM "$spid"; wait "$spid" || true; spid=""; }

errors() {  # WRK_OUTPUT -> "connect N read N write N timeout N" (zeros when wrk printed none)
  grep -o 'connect [0-9]*, read [0-9]*, write [0-9]*, timeout [0-9]*' "$1" | tr -d , || echo "connect 0 read 0 write 0 timeout 0"
}

run_wrk() {  # OUT
  wrk -t2 -c50 -d"${duration}s" "http://127.0.0.1:$port/" >"$1" 2>&1
}

echo "| event | req/s | wrk socket errors | what happened |"
echo "|---|---|---|---|"
for workers in 1 2; do
  start "$workers"
  run_wrk "$work/wrk"
  echo "| none, --workers $workers | $(awk '/Requests\/sec/ {printf "%d", $2}' "$work/wrk") | $(errors "$work/wrk") | |"
  stop
done

start 2
victim="$(grep -o '"msg":"worker ready","worker":0,"generation":1,"pid":[0-9]*' "$work/log" | grep -o '[0-9]*$')"
run_wrk "$work/wrk" &
wrk_pid=$!
sleep "$((duration / 2))"
kill -9 "$victim"
wait "$wrk_pid"
exited="$(grep -o '"ts":"[^"]*","level":"warn","msg":"worker exited"' "$work/log" | head -1 | cut -d'"' -f4)"
ready="$(grep '"msg":"worker ready","worker":0' "$work/log" | tail -1 | cut -d'"' -f4)"
back_ms="$(python3 -c "import datetime as d,sys; f=lambda s: d.datetime.strptime(s,'%Y-%m-%dT%H:%M:%S.%fZ'); print(int((f(sys.argv[2])-f(sys.argv[1])).total_seconds()*1000))" "$exited" "$ready")"
echo "| kill -9 of worker 0, --workers 2 | $(awk '/Requests\/sec/ {printf "%d", $2}' "$work/wrk") | $(errors "$work/wrk") | ready again ${back_ms} ms after it died (50 connections, about half of them on it) |"
stop

start 2
run_wrk "$work/wrk" &
wrk_pid=$!
sleep "$((duration / 2))"
write_script v2
kill -HUP "$spid"
wait "$wrk_pid"
answer="$(curl -s "http://127.0.0.1:$port/")"
reload_ms="$(python3 -c "
import json,sys,datetime as d
f=lambda s: d.datetime.strptime(s,'%Y-%m-%dT%H:%M:%S.%fZ')
t={}
for line in open(sys.argv[1]):
    m=json.loads(line).get('msg')
    if m in ('reloading','reloaded'): t[m]=f(json.loads(line)['ts'])
print(int((t['reloaded']-t['reloading']).total_seconds()*1000) if len(t)==2 else 'n/a')" "$work/log")"
echo "| script edit + SIGHUP, --workers 2 | $(awk '/Requests\/sec/ {printf "%d", $2}' "$work/wrk") | $(errors "$work/wrk") | new generation ready ${reload_ms} ms after SIGHUP (atoll check included); answers \"$answer\" afterwards |"
stop
