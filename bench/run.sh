#!/usr/bin/env bash
# Peer benchmark (`make bench`): wrk against atoll and, in the same run, against node, bun, deno
# and workerd serving the same thing. See bench/README.md. Two workloads:
#   hello  a fixed hello-world body (examples/hello.js)
#   json   parse the URL, read a header, JSON.stringify ~1 KB (peers/json_worker.js); with
#          BENCH_JSON_ROWS=N the URL is /?rows=N and the body has N items (20: ~2.3 KB)
#
#   bash bench/run.sh [--update-readme]
#
# Env: BENCH_WORKLOAD (hello)  BENCH_DURATION (10s)  BENCH_RUNS (3)  BENCH_CONNECTIONS (50)  BENCH_WARMUP (2s)
#      BENCH_SERVERS (atoll,node,bun,deno,workerd)  BENCH_ATOLL (build/atoll)  BENCH_JSON_ROWS (unset)
#      BENCH_SERVER_CPU (0)  BENCH_WRK_CPU (1)
#      BENCH_TLS=1: atoll over plaintext next to atoll over TLS ([server.tls], a self-signed
#      certificate made here with `openssl`; wrk speaks https), instead of the peers
# Traffic goes to 127.0.0.1 only. Every server started here is killed on exit, error or Ctrl-C.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
duration="${BENCH_DURATION:-10s}"
runs="${BENCH_RUNS:-3}"
conns="${BENCH_CONNECTIONS:-50}"
warmup="${BENCH_WARMUP:-2s}"
tls="${BENCH_TLS:-0}"
if [[ "$tls" == 1 ]]; then servers="${BENCH_SERVERS:-atoll,atoll-tls}"; else servers="${BENCH_SERVERS:-atoll,node,bun,deno,workerd}"; fi
atoll_bin="${BENCH_ATOLL:-$root/build/atoll}"
server_cpu="${BENCH_SERVER_CPU:-0}"
wrk_cpu="${BENCH_WRK_CPU:-1}"
workload="${BENCH_WORKLOAD:-hello}"
case "$workload" in
  hello) body=$'Hello from atoll!\n'; suffix=""; wrk_headers=() ;;
  json) body='{"path":"/","query":{},"host":"127.0.0.1","requestId":"12345",'; suffix="-json"
        wrk_headers=(-H "x-request-id: 12345") ;;
  *) echo "run.sh: BENCH_WORKLOAD must be hello or json" >&2; exit 2 ;;
esac
# The JSON workload with N items (BENCH_JSON_ROWS): its own results file and README table.
path="/"
table_workload="$workload"
json_rows="${BENCH_JSON_ROWS:-}"
if [[ -n "$json_rows" ]]; then
  [[ "$workload" == json && "$json_rows" =~ ^[0-9]+$ ]] ||
    { echo "run.sh: BENCH_JSON_ROWS needs BENCH_WORKLOAD=json and a number" >&2; exit 2; }
  path="/?rows=$json_rows"
  body="{\"path\":\"/\",\"query\":{\"rows\":\"$json_rows\"},\"host\":\"127.0.0.1\",\"requestId\":\"12345\","
  suffix="-json-rows"
  table_workload=json-rows
fi
[[ "$tls" == 1 ]] && suffix="$suffix-tls"

update_readme=0
for arg in "$@"; do
  case "$arg" in
    --update-readme) update_readme=1 ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown argument $arg (try --help)" >&2; exit 2 ;;
  esac
done

results="$here/results"
logs="$results/logs"
peers_dir="$here/.peers"
nm="$peers_dir/node_modules"
report=(python3 "$here/report.py")
mkdir -p "$logs" "$results/wrk"
runs_tsv="$results/latest$suffix.tsv"
notes="$results/notes$suffix.txt"
: >"$notes"

note() { echo "bench: $*" >&2; echo "$*" >>"$notes"; }

for tool in wrk taskset setsid curl python3; do
  command -v "$tool" >/dev/null || { echo "bench: $tool not found (run scripts/setup.sh)" >&2; exit 1; }
done
if (( $(nproc) < 2 )); then
  note "only $(nproc) core: server and wrk share it, figures are not comparable to 2-core runs"
fi

# --- servers and cleanup -------------------------------------------------------------------
declare -A pid port version scheme
started=()

alive() {  # any live (non-zombie) process left in process group $1?
  ps -e -o pgid=,stat= | awk -v g="$1" '$1 == g && $2 !~ /^Z/ { found = 1 } END { exit !found }'
}
stop_server() {  # each server leads its own process group (setsid), so this ends its whole tree
  local p="${pid[$1]:-}"
  [[ -n "$p" ]] || return 0
  kill -TERM -- "-$p" 2>/dev/null || true
  for _ in $(seq 30); do alive "$p" || break; sleep 0.1; done
  kill -KILL -- "-$p" 2>/dev/null || true
  wait "$p" 2>/dev/null || true
  unset "pid[$1]"
}
wrk_pid=""
cleanup() {
  local name
  [[ -z "$wrk_pid" ]] || kill -TERM "$wrk_pid" 2>/dev/null || true
  for name in "${started[@]}"; do stop_server "$name"; done
}
trap cleanup EXIT
trap 'echo "bench: interrupted" >&2; exit 130' INT
trap 'echo "bench: terminated" >&2; exit 143' TERM HUP

# Run a bounded command; print the first line of its output on success.
probe() {
  local out
  out="$(timeout --foreground 20 "$@" 2>/dev/null)" || return 1
  echo "${out%%$'\n'*}"
}

# The first candidate binary that runs (npm's postinstall scripts move binaries around).
first_working() {
  local bin
  for bin in "$@"; do
    [[ -x "$bin" ]] && probe "$bin" --version >/dev/null && { echo "$bin"; return 0; }
  done
  return 1
}

peers_installed=0
install_peers() {  # npm ci from the committed lock file, once per lock file version
  (( peers_installed )) && return 0
  peers_installed=1
  if [[ -f "$peers_dir/.installed-lock" ]] && cmp -s "$peers_dir/.installed-lock" "$here/package-lock.json"; then
    return 0
  fi
  command -v npm >/dev/null || { note "npm not found: cannot install bun, deno, workerd"; return 0; }
  echo "bench: installing pinned peers into bench/.peers (npm ci)" >&2
  mkdir -p "$peers_dir"
  cp "$here/package.json" "$here/package-lock.json" "$peers_dir/"
  if timeout --foreground 600 npm ci --prefix "$peers_dir" --no-audit --no-fund >"$logs/npm-ci.log" 2>&1; then
    cp "$here/package-lock.json" "$peers_dir/.installed-lock"
  else
    note "npm ci failed (see bench/results/logs/npm-ci.log); npm peers may be missing"
  fi
}

# Sets cmd=(...) and env_vars=(...) for server $1 on port $2; returns 1 if it cannot run here.
server_cmd() {
  local name="$1" p="$2" bin
  env_vars=()
  case "$name" in
    atoll)
      [[ -x "$atoll_bin" ]] || { note "atoll: not run (${atoll_bin#"$root"/} not found; run make build)"; return 1; }
      version[atoll]="$(probe "$atoll_bin" version || true)"
      script="$root/examples/hello.js"
      [[ "$workload" == hello ]] || script="$here/peers/json_worker.js"
      cmd=("$atoll_bin" serve "$script" --listen "127.0.0.1:$p" --workers 1) ;;
    atoll-tls)
      [[ -x "$atoll_bin" ]] || { note "atoll-tls: not run (${atoll_bin#"$root"/} not found; run make build)"; return 1; }
      command -v openssl >/dev/null || { note "atoll-tls: not run (no openssl command to make a certificate)"; return 1; }
      version[atoll-tls]="$(probe "$atoll_bin" version || true)"
      script="$root/examples/hello.js"
      [[ "$workload" == hello ]] || script="$here/peers/json_worker.js"
      local tls_dir="$results/tls"
      mkdir -p "$tls_dir"
      [[ -f "$tls_dir/cert.pem" ]] || openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
        -subj /CN=127.0.0.1 -days 30 -keyout "$tls_dir/key.pem" -out "$tls_dir/cert.pem" >/dev/null 2>&1
      printf '[server.tls]\ncert = "cert.pem"\nkey = "key.pem"\n\n[[tenants]]\nname = "bench"\nscript = "%s"\nroutes = ["*/*"]\n' \
        "$script" >"$tls_dir/atoll.toml"
      scheme[atoll-tls]=https
      cmd=("$atoll_bin" serve --config "$tls_dir/atoll.toml" --listen "127.0.0.1:$p" --data-dir "$tls_dir/data" --workers 1) ;;
    node)
      bin="$(command -v node)" || { note "node: not run (node not found)"; return 1; }
      version[node]="$(probe "$bin" --version)"
      cmd=("$bin" "$here/peers/node_$workload.mjs" "$p") ;;
    bun)
      install_peers
      bin="$(first_working "$nm"/@oven/bun-linux-*/bin/bun "$nm/bun/bin/bun.exe")" ||
        { note "bun: not run (no working binary in bench/.peers)"; return 1; }
      version[bun]="$(probe "$bin" --version)"
      env_vars=(DO_NOT_TRACK=1)
      cmd=("$bin" "$here/peers/bun_$workload.js" "$p") ;;
    deno)
      install_peers
      bin="$(first_working "$nm"/@deno/linux-*/deno "$nm/deno/deno")" ||
        { note "deno: not run (no working binary in bench/.peers)"; return 1; }
      version[deno]="$(probe "$bin" --version | awk '{print $2}')"
      env_vars=(DENO_NO_UPDATE_CHECK=1 "DENO_DIR=$peers_dir/deno-dir")
      cmd=("$bin" run --allow-net=127.0.0.1 "$here/peers/deno_$workload.js" "$p") ;;
    workerd)
      install_peers
      bin="$(first_working "$nm"/@cloudflare/workerd-linux-*/bin/workerd "$nm/workerd/bin/workerd")" ||
        { note "workerd: not run (no working binary in bench/.peers)"; return 1; }
      version[workerd]="$(probe "$bin" --version | awk '{print $2}')"
      capnp="$here/peers/workerd.capnp"
      [[ "$workload" == hello ]] || capnp="$here/peers/workerd_json.capnp"
      cmd=("$bin" serve "$capnp" --socket-addr "http=127.0.0.1:$p") ;;
    *) note "$name: unknown server"; return 1 ;;
  esac
}

# Starts server $1 pinned to $server_cpu and waits (up to 30 s) until it answers the hello body.
start_server() {
  local name="$1" p got=""
  p="$("${report[@]}" freeport)"
  server_cmd "$name" "$p" || return 1
  (cd "$here/peers" && exec env "${env_vars[@]}" setsid taskset -c "$server_cpu" "${cmd[@]}") \
    >"$logs/$name.log" 2>&1 &
  pid[$name]=$!
  port[$name]=$p
  started+=("$name")
  for _ in $(seq 300); do
    if ! kill -0 "${pid[$name]}" 2>/dev/null; then
      note "$name: not run (exited at startup; see bench/results/logs/$name.log)"
      unset "pid[$name]"; return 1
    fi
    got="$(curl -sk --max-time 1 -H "x-request-id: 12345" "${scheme[$name]:-http}://127.0.0.1:$p$path" 2>/dev/null)" && got+=$'\n' && break
    sleep 0.1
  done
  if [[ "$got" != "$body"* ]]; then
    note "$name: not run (no $workload body on 127.0.0.1:$p within 30 s)"
    stop_server "$name"; return 1
  fi
  echo "bench: $name ${version[$name]} ready on 127.0.0.1:$p (pid ${pid[$name]})" >&2
}

secs() {  # wrk duration (500ms, 10s, 1m) -> whole seconds, at least 1
  local d="$1"
  case "$d" in
    *ms) echo 1 ;; *s) echo "${d%s}" ;; *m) echo $(( ${d%m} * 60 )) ;; *h) echo $(( ${d%h} * 3600 )) ;;
    *) echo "$d" ;;
  esac
}

run_wrk() {  # run_wrk NAME DURATION OUT; in the background so a trapped Ctrl-C acts at once
  local rc=0
  timeout $(( $(secs "$2") + 30 )) taskset -c "$wrk_cpu" \
    wrk -t1 -c"$conns" -d"$2" --latency --timeout 5s "${wrk_headers[@]}" "${scheme[$1]:-http}://127.0.0.1:${port[$1]}$path" >"$3" 2>&1 &
  wrk_pid=$!
  wait "$wrk_pid" || rc=$?
  wrk_pid=""
  return "$rc"
}

# --- the run -------------------------------------------------------------------------------
clk_tck="$(getconf CLK_TCK)"
live=()
IFS=',' read -r -a wanted <<<"$servers"
for name in "${wanted[@]}"; do
  start_server "$name" && live+=("$name") || true
done
(( ${#live[@]} )) || { echo "bench: no server started" >&2; exit 1; }

for name in "${live[@]}"; do
  run_wrk "$name" "$warmup" "$results/wrk/$name-warmup.txt" || true
done

echo "# wrk -t1 -c$conns -d$duration --latency${json_rows:+ on $path}, $runs run(s) per server, servers on CPU $server_cpu, wrk on CPU $wrk_cpu" >"$runs_tsv"
for (( r = 1; r <= runs; r++ )); do
  # One round = every server once, so slow drifts of a noisy machine hit all of them alike.
  for name in "${live[@]}"; do
    [[ -n "${pid[$name]:-}" ]] || continue
    out="$results/wrk/$name$suffix-$r.txt"
    echo "bench: run $r/$runs: $name" >&2
    before="$("${report[@]}" cputicks "${pid[$name]}")" || before=""
    ok=1
    run_wrk "$name" "$duration" "$out" || ok=0
    after="$("${report[@]}" cputicks "${pid[$name]}")" || after=""
    if (( ok )) && [[ -n "$before" && -n "$after" ]] && line="$("${report[@]}" parse "$out")"; then
      printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "${version[$name]:-?}" "$r" "$line" \
        "$(( after - before ))" "$clk_tck" >>"$runs_tsv"
      errs="$(cut -f6 <<<"$line")"
      (( errs == 0 )) || note "$name: run $r had $errs socket errors or non-2xx responses"
    else
      note "$name: dropped after run $r (wrk or the server failed; see bench/results/wrk/$name-$r.txt)"
      stop_server "$name"
    fi
  done
done
cleanup

if ! grep -q -v '^#' "$runs_tsv"; then
  echo "bench: no run completed" >&2; exit 1
fi
table_args=(table "$runs_tsv" "$notes" "$results/latest$suffix.md" "$table_workload")
(( update_readme )) && table_args+=(--readme "$here/README.md")
echo
"${report[@]}" "${table_args[@]}"
echo "(also in bench/results/latest$suffix.md)"
