#!/usr/bin/env bash
# Two atoll binaries side by side (say, main's before and after a change): hello world in a shared
# context and in a per_request context (churn row b), and run.sh's JSON workload, each binary in
# turn, ROUNDS times, wrk on 127.0.0.1, one worker process each. Prints req/s per run and the
# new/old ratio of the medians.
#
#   bash bench/ab.sh OLD_BIN NEW_BIN        Env: ROUNDS (3)  BENCH_DURATION (5 s)
set -euo pipefail
old="$1" new="$2"
rounds="${ROUNDS:-3}" duration="${BENCH_DURATION:-5}"
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
printf '[server]\nlisten = ["127.0.0.1:0"]\ndata_dir = "%s/data"\n[[tenants]]\nname = "t"\nscript = "%s"\nroutes = ["*/*"]\ncontext = "per_request"\n' \
  "$work" "$root/examples/hello.js" >"$work/per_request.toml"

rate() {  # BIN MODE -> req/s
  local log="$work/log" port="" pid
  local headers=()
  if [[ "$2" == shared ]]; then
    "$1" serve "$root/examples/hello.js" --listen 127.0.0.1:0 --workers 1 --no-access-log 2>"$log" &
  elif [[ "$2" == json ]]; then
    headers=(-H "x-request-id: 12345")
    "$1" serve "$root/bench/peers/json_worker.js" --listen 127.0.0.1:0 --workers 1 --no-access-log 2>"$log" &
  else
    "$1" serve --config "$work/per_request.toml" --workers 1 --no-access-log 2>"$log" &
  fi
  pid=$!
  for _ in $(seq 200); do
    port="$(grep -o '"msg":"listening","address":"127.0.0.1:[0-9]*' "$log" | grep -o '[0-9]*$' || true)"
    [[ -n "$port" ]] && break
    sleep 0.05
  done
  wrk -t1 -c20 -d"${duration}s" "${headers[@]}" "http://127.0.0.1:$port/" | awk '/Requests\/sec/ {printf "%d", $2}'
  kill -TERM "$pid"; wait "$pid" 2>/dev/null || true
}

median() { tr ' ' '\n' | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

echo "| mode | old req/s | new req/s | new/old (medians) |"
echo "|---|---|---|---|"
for mode in shared json per_request; do
  olds="" news=""
  for _ in $(seq "$rounds"); do
    olds="$olds $(rate "$old" "$mode")"
    news="$news $(rate "$new" "$mode")"
  done
  o="$(echo $olds | median)" n="$(echo $news | median)"
  echo "| $mode |$olds |$news | $(python3 -c "print(f'{$n / $o:.2f}x')") |"
done
