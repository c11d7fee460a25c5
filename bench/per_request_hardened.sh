#!/usr/bin/env bash
# Per-request isolation throughput (churn row (b), issue 18 goal 3), side by side in one run:
# atoll with context = "per_request" (a fresh context per request), atoll with
# "per_request_hardened" (locked-down contexts reset and reused, README "What per_request
# guarantees and what it does not"), optionally an older atoll binary in per_request mode, and
# node (vm.createContext + the tenant's script per request: bench/churn/node_tenants.mjs). Each
# server on one core, wrk on another, ROUNDS rounds interleaved; the table gives the median req/s
# and the ratio to node's.
#
#   bash bench/per_request_hardened.sh [--update-readme]
#
# Env: BENCH_ATOLL (build/atoll)  BENCH_ATOLL_BEFORE (unset: not run)  BENCH_PR_ROUNDS (3)
#      BENCH_PR_DURATION (8s)  BENCH_PR_CONNECTIONS (50)  BENCH_SERVER_CPU (0)  BENCH_WRK_CPU (1)
# Loopback only; every server started here is killed on exit; the temporary directory is removed.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
atoll_bin="${BENCH_ATOLL:-$root/build/atoll}"
before_bin="${BENCH_ATOLL_BEFORE:-}"
rounds="${BENCH_PR_ROUNDS:-3}"
duration="${BENCH_PR_DURATION:-8s}"
conns="${BENCH_PR_CONNECTIONS:-50}"
server_cpu="${BENCH_SERVER_CPU:-0}"
wrk_cpu="${BENCH_WRK_CPU:-1}"
update_readme=0
for arg in "$@"; do
  case "$arg" in
    --update-readme) update_readme=1 ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "per_request_hardened.sh: unknown argument $arg" >&2; exit 2 ;;
  esac
done
for tool in wrk taskset setsid python3 node; do
  command -v "$tool" >/dev/null || { echo "per_request_hardened.sh: needs $tool" >&2; exit 2; }
done

churn=(python3 "$here/churn/churn.py")
tmp="$(mktemp -d)"
spid=""
cleanup() {
  [[ -z "$spid" ]] || kill -TERM -- "-$spid" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT INT TERM
"${churn[@]}" scripts "$tmp/scripts" 1

freeport() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# run NAME: starts variant NAME, warms it up, prints its req/s for one measured wrk run.
run() {
  local name="$1" port cfg cmd out rps
  port="$(freeport)"
  case "$name" in
    atoll-before) cfg="$("${churn[@]}" config atoll "$tmp" before 1 per_request "$port")"; cmd=("$before_bin" serve --config "$cfg" --workers 1 --no-access-log) ;;
    atoll-per_request) cfg="$("${churn[@]}" config atoll "$tmp" pr 1 per_request "$port")"; cmd=("$atoll_bin" serve --config "$cfg" --workers 1 --no-access-log) ;;
    atoll-hardened) cfg="$("${churn[@]}" config atoll "$tmp" hard 1 per_request_hardened "$port")"; cmd=("$atoll_bin" serve --config "$cfg" --workers 1 --no-access-log) ;;
    node-vm) cfg="$("${churn[@]}" config node "$tmp" node 1 per_request "$port")"; cmd=(node "$here/churn/node_tenants.mjs" "$port" "$cfg" vm) ;;
  esac
  (cd "$tmp" && exec setsid taskset -c "$server_cpu" "${cmd[@]}") >"$tmp/$name.log" 2>&1 &
  spid=$!
  "${churn[@]}" wait "$port" "$spid" "$EPOCHREALTIME" 60 1 >/dev/null
  taskset -c "$wrk_cpu" wrk -t1 -c"$conns" -d2s "http://127.0.0.1:$port/t1/" >/dev/null 2>&1
  out="$(taskset -c "$wrk_cpu" wrk -t1 -c"$conns" -d"$duration" "http://127.0.0.1:$port/t1/" 2>&1)"
  kill -TERM -- "-$spid" 2>/dev/null || true
  wait "$spid" 2>/dev/null || true
  spid=""
  if grep -q "Non-2xx" <<<"$out"; then echo "per_request_hardened.sh: $name answered non-2xx" >&2; echo 0; return; fi
  rps="$(awk '/Requests\/sec/ {print $2}' <<<"$out")"
  echo "${rps:-0}"
}

variants=(node-vm atoll-per_request atoll-hardened)
[[ -n "$before_bin" ]] && variants=(node-vm atoll-before atoll-per_request atoll-hardened)
declare -A samples
for ((r = 1; r <= rounds; r++)); do
  for v in "${variants[@]}"; do
    rps="$(run "$v")"
    samples[$v]+="$rps "
    echo "round $r: $v $rps req/s" >&2
  done
done

table="$(python3 - "$rounds" "${variants[@]}" <<EOF
import statistics, sys
samples = {$(for v in "${variants[@]}"; do printf '"%s": [%s], ' "$v" "$(tr ' ' ',' <<<"${samples[$v]}")"; done)}
names = sys.argv[2:]
med = {n: statistics.median(samples[n]) for n in names}
node = med["node-vm"] or 1
print("| server (churn row b: a fresh/isolated context per request) | req/s (median of $rounds) | runs | ÷ node vm |")
print("|---|---|---|---|")
for n in names:
    runs = " / ".join(f"{x:,.0f}" for x in samples[n])
    print(f"| {n} | {med[n]:,.0f} | {runs} | {med[n] / node:.2f}x |")
EOF
)"
echo "$table"
if (( update_readme )); then
  python3 - "$root/bench/README.md" "$table" <<'EOF'
import sys
path, table = sys.argv[1], sys.argv[2]
text = open(path).read()
start, end = "<!-- per_request_hardened:start -->", "<!-- per_request_hardened:end -->"
if start in text and end in text:
    text = text[: text.index(start) + len(start)] + "\n" + table + "\n" + text[text.index(end):]
else:
    text += f"\n{start}\n{table}\n{end}\n"
open(path, "w").write(text)
EOF
fi
