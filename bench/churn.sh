#!/usr/bin/env bash
# Churn benchmark (`make bench`, after run.sh): what many tenants and fresh contexts cost, for
# atoll and, in the same run, workerd (one worker per tenant behind a router worker) and node
# (a vm context per tenant or per request; also isolated-vm). See the "Churn" section of
# bench/README.md.
#
#   bash bench/churn.sh [--update-readme]
#
# Env: BENCH_CHURN_TENANTS (1000)  BENCH_CHURN_STARTUP_TENANTS (10000)  BENCH_CHURN_DURATION (10s)
#      BENCH_CHURN_SERVERS (atoll,workerd,node,node-ivm)  BENCH_CHURN_WARMUP (2s)
#      BENCH_CHURN_CONNECTIONS (50)  BENCH_CHURN_CONTEXT (shared: mode of rows a, c, d)
#      BENCH_CHURN_WORKERD_MAX_TENANTS (5000)  BENCH_ATOLL (build/atoll)
#      BENCH_CHURN_SETTLE (4: seconds before reading resident memory)
#      BENCH_CHURN_HANDLER (plain; url: every tenant calls new URL(request.url))
#      BENCH_SERVER_CPU (0)  BENCH_WRK_CPU (1)
# Traffic goes to 127.0.0.1 only. Every server started here is killed on exit, error or Ctrl-C;
# the generated tenants and configs live in a temporary directory removed on exit.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
tenants="${BENCH_CHURN_TENANTS:-1000}"
startup_tenants="${BENCH_CHURN_STARTUP_TENANTS:-10000}"
duration="${BENCH_CHURN_DURATION:-10s}"
warmup="${BENCH_CHURN_WARMUP:-2s}"
conns="${BENCH_CHURN_CONNECTIONS:-50}"
servers="${BENCH_CHURN_SERVERS:-atoll,workerd,node,node-ivm}"
context="${BENCH_CHURN_CONTEXT:-shared}"
workerd_max="${BENCH_CHURN_WORKERD_MAX_TENANTS:-5000}"
atoll_bin="${BENCH_ATOLL:-$root/build/atoll}"
server_cpu="${BENCH_SERVER_CPU:-0}"
wrk_cpu="${BENCH_WRK_CPU:-1}"
start_timeout=180   # seconds a server may take to answer its first request

update_readme=0
for arg in "$@"; do
  case "$arg" in
    --update-readme) update_readme=1 ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) echo "churn.sh: unknown argument $arg (try --help)" >&2; exit 2 ;;
  esac
done
(( tenants >= 2 )) || { echo "churn: BENCH_CHURN_TENANTS must be at least 2" >&2; exit 2; }
(( startup_tenants >= 1 )) || { echo "churn: BENCH_CHURN_STARTUP_TENANTS must be at least 1" >&2; exit 2; }
case "$context" in shared|per_request) ;; *) echo "churn: BENCH_CHURN_CONTEXT is shared or per_request" >&2; exit 2 ;; esac

results="$here/results"
logs="$results/logs"
peers_dir="$here/.peers"
nm="$peers_dir/node_modules"
churn=(python3 "$here/churn/churn.py")
report=(python3 "$here/report.py")
mkdir -p "$logs" "$results/wrk"
tsv="$results/churn.tsv"
: >"$tsv"

for tool in wrk taskset setsid curl python3; do
  command -v "$tool" >/dev/null || { echo "churn: $tool not found (run scripts/setup.sh)" >&2; exit 1; }
done

put() { printf '%s\t%s\t%s\n' "$1" "$2" "$3" >>"$tsv"; }     # put SERVER KEY VALUE
note() {  # note SERVER|- TEXT: on stderr and under the table
  if [[ "$1" == - ]]; then echo "churn: $2" >&2; else echo "churn: $1: $2" >&2; fi
  put "$1" note "$2"
}
failed=0
fail() { echo "churn: FAILED: $1: $2" >&2; put "$1" failed 1; put "$1" note "FAILED: $2"; failed=1; }

if (( $(nproc) < 2 )); then note - "only $(nproc) core: server and load generator share it"; fi

# --- servers and cleanup -------------------------------------------------------------------
tmp="$(mktemp -d "${TMPDIR:-/tmp}/atoll-churn.XXXXXX")"
spid=""        # the one server running at a time (leader of its own process group)
wrk_pid=""
alive() {  # any live (non-zombie) process left in process group $1?
  ps -e -o pgid=,stat= | awk -v g="$1" '$1 == g && $2 !~ /^Z/ { found = 1 } END { exit !found }'
}
stop_server() {  # SIGTERM to the whole group, up to 10 s to exit (atoll logs pool stats), then KILL
  [[ -n "$spid" ]] || return 0
  kill -TERM -- "-$spid" 2>/dev/null || true
  for _ in $(seq 100); do alive "$spid" || break; sleep 0.1; done
  kill -KILL -- "-$spid" 2>/dev/null || true
  wait "$spid" 2>/dev/null || true
  spid=""
}
cleanup() {
  [[ -z "$wrk_pid" ]] || kill -TERM "$wrk_pid" 2>/dev/null || true
  stop_server
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'echo "churn: interrupted" >&2; exit 130' INT
trap 'echo "churn: terminated" >&2; exit 143' TERM HUP

probe() {  # first line of a bounded command's output
  local out
  out="$(timeout --foreground 20 "$@" 2>/dev/null)" || return 1
  echo "${out%%$'\n'*}"
}

peers_installed=0
install_peers() {  # npm ci from the committed lock file (as run.sh), once per lock file version
  (( peers_installed )) && return 0
  peers_installed=1
  if [[ -f "$peers_dir/.installed-lock" ]] && cmp -s "$peers_dir/.installed-lock" "$here/package-lock.json"; then
    return 0
  fi
  command -v npm >/dev/null || { note - "npm not found: cannot install workerd, isolated-vm"; return 0; }
  echo "churn: installing pinned peers into bench/.peers (npm ci)" >&2
  mkdir -p "$peers_dir"
  cp "$here/package.json" "$here/package-lock.json" "$peers_dir/"
  # isolated-vm builds from source (node-gyp): point it at the installed node headers, if any.
  local nodedir=()
  [[ -f /usr/include/node/node_version.h ]] && nodedir=(npm_config_nodedir=/usr)
  if timeout --foreground 600 env "${nodedir[@]}" npm ci --prefix "$peers_dir" --no-audit --no-fund \
      >"$logs/npm-ci.log" 2>&1; then
    cp "$here/package-lock.json" "$peers_dir/.installed-lock"
  else
    note - "npm ci failed (see bench/results/logs/npm-ci.log); npm peers may be missing"
  fi
}

workerd_bin="" ivm_dir=""
declare -A version
available() {  # can server $1 run here? sets version[$1]; notes why not
  local name="$1" bin out
  case "$name" in
    atoll)
      [[ -x "$atoll_bin" ]] || { note atoll "not run (${atoll_bin#"$root"/} not found; run make build)"; return 1; }
      out="$(timeout 10 "$atoll_bin" serve --config "$tmp/absent.toml" 2>&1 || true)"
      if grep -qi "not available" <<<"$out"; then
        note atoll "not run: this build/atoll has no multi-tenant --config yet (\"${out%%$'\n'*}\")"
        return 1
      fi
      version[atoll]="$(probe "$atoll_bin" version || echo atoll)" ;;
    workerd)
      install_peers
      for bin in "$nm"/@cloudflare/workerd-linux-*/bin/workerd "$nm/workerd/bin/workerd"; do
        [[ -x "$bin" ]] && out="$(probe "$bin" --version)" && { workerd_bin="$bin"; break; }
      done
      [[ -n "$workerd_bin" ]] || { note workerd "not run (no working binary in bench/.peers)"; return 1; }
      version[workerd]="$(awk '{print $2}' <<<"$out")" ;;
    node|node-ivm)
      command -v node >/dev/null || { note "$name" "not run (node not found)"; return 1; }
      version[$name]="$(probe node --version)"
      if [[ "$name" == node-ivm ]]; then
        install_peers
        ivm_dir="$nm/isolated-vm"
        if ! (cd "$peers_dir" && timeout 20 node -e 'require("isolated-vm")') >/dev/null 2>&1; then
          note node-ivm "not run: isolated-vm (optional dependency in bench/package.json) did not install or load with node ${version[$name]} (see bench/results/logs/npm-ci.log)"
          return 1
        fi
        version[$name]+=" + isolated-vm $(node -p "require('$ivm_dir/package.json').version")"
      fi ;;
    *) note - "$name: unknown server (atoll, workerd, node, node-ivm)"; return 1 ;;
  esac
}

# start NAME TAG COUNT MODE: write the config for tenants 1..COUNT and start the server pinned
# to $server_cpu in its own process group; sets spid, sport, t0 (spawn time), slog.
start() {
  local name="$1" tag="$2" count="$3" mode="$4" cfg cmd
  sport="$("${report[@]}" freeport)"
  slog="$logs/churn-$name-$tag.log"
  case "$name" in
    atoll)
      cfg="$("${churn[@]}" config atoll "$tmp" "$tag" "$count" "$mode" "$sport")"
      cmd=("$atoll_bin" serve --config "$cfg" --workers 1) ;;
    workerd)
      cfg="$("${churn[@]}" config workerd "$tmp" "$tag" "$count" "$mode" "$sport")"
      cmd=("$workerd_bin" serve "$cfg" --socket-addr "http=127.0.0.1:$sport") ;;
    node|node-ivm)
      cfg="$("${churn[@]}" config node "$tmp" "$tag" "$count" "$mode" "$sport")"
      cmd=(node "$here/churn/node_tenants.mjs" "$sport" "$cfg" "$([[ $name == node ]] && echo vm || echo ivm)") ;;
  esac
  t0="$EPOCHREALTIME"
  (cd "$tmp" && exec env CHURN_IVM="$ivm_dir" setsid taskset -c "$server_cpu" "${cmd[@]}") >"$slog" 2>&1 &
  spid=$!
}

# ready [TENANT]: seconds from spawn to the first answer (TENANT: its own 200 body)
ready() {
  "${churn[@]}" wait "$sport" "$spid" "$t0" "$start_timeout" "$@"
}

secs() {  # wrk duration (500ms, 10s, 1m) -> whole seconds, at least 1
  case "$1" in
    *ms) echo 1 ;; *s) echo "${1%s}" ;; *m) echo $(( ${1%m} * 60 )) ;; *) echo "$1" ;;
  esac
}

# bench_wrk NAME KEY: warm-up, then one measured wrk run on tenant 1 (path-routed: /t1/);
# puts rps_KEY and cpu_us_KEY (server CPU time per request).
bench_wrk() {
  local name="$1" key="$2" out="$results/wrk/churn-$1-$2.txt" before after line rc=0
  for d in "$warmup" "$duration"; do
    [[ "$d" == "$duration" ]] && before="$("${report[@]}" cputicks "$spid")"
    timeout $(( $(secs "$d") + 30 )) taskset -c "$wrk_cpu" \
      wrk -t1 -c"$conns" -d"$d" --latency --timeout 5s "http://127.0.0.1:$sport/t1/" >"$out" 2>&1 &
    wrk_pid=$!
    wait "$wrk_pid" || rc=$?
    wrk_pid=""
    (( rc == 0 )) || { note "$name" "wrk failed in the $key run (see ${out#"$root"/})"; return 1; }
  done
  after="$("${report[@]}" cputicks "$spid")"
  line="$("${report[@]}" parse "$out")" || { note "$name" "no wrk summary for the $key run"; return 1; }
  read -r requests _ rps _ _ errors <<<"$line"
  put "$name" "rps_$key" "$rps"
  put "$name" "cpu_us_$key" "$(python3 -c "print(f'{($after - $before) * 1e6 / $(getconf CLK_TCK) / $requests:.1f}')")"
  (( errors == 0 )) || note "$name" "$key run: $errors socket errors or non-2xx answers"
  "${churn[@]}" hit "$sport" 1   # tenant 1 still answers its own body
}

# Every step returns non-zero on trouble, after a note; status 3 from churn.py = misrouted.
step() {  # step NAME DESCRIPTION FUNCTION...: run, turn a misroute into a loud failure
  local name="$1" what="$2" rc=0
  shift 2
  echo "churn: $name: $what" >&2
  "$@" || rc=$?
  stop_server
  if (( rc == 3 )); then
    fail "$name" "$what: a tenant answered with another tenant's body (misrouted; see $(basename "$slog"))"
  elif (( rc )); then
    note "$name" "$what: not measured (see bench/results/logs/$(basename "${slog:-none}"))"
  fi
  return "$rc"
}

# (d) start-up with many tenants: spawn -> first 200 from the last tenant configured.
startup_run() {
  local name="$1" n="$startup_tenants" s
  if [[ "$name" == workerd ]] && (( n > workerd_max )); then
    n="$workerd_max"
    note workerd "(d) capped at $n workers: with 10,000 workers workerd 1.20261023 crashes (SIGSEGV at start-up, at ~65,000 memory maps = vm.max_map_count); BENCH_CHURN_WORKERD_MAX_TENANTS raises the cap"
  fi
  start "$name" "start$n" "$n" "$context"
  s="$(ready "$n")" || return $?
  put "$name" startup_s "$s"
  put "$name" startup_tenants "$n"
  put "$name" startup_tenants_wanted "$startup_tenants"
  put "$name" startup_rss_kb "$("${churn[@]}" rss "$spid")"
}

# (a) + (c): N cold tenants, each once, in order, on one keep-alive connection; RSS after the
# first and after the last; then a second (warm) pass over the same tenants.
cold_run() {
  local name="$1" out
  start "$name" "cold$tenants" "$tenants" "$context"
  ready >/dev/null || return $?
  out="$("${churn[@]}" cold "$sport" "$spid" "$tenants")" || return $?
  put "$name" tenants "$tenants"
  while IFS=$'\t' read -r k v; do put "$name" "$k" "$v"; done <<<"$out"
}

# (c) baseline (1-tenant server, one request) and (b) in the shared mode, same server.
base_run() {
  local name="$1"
  start "$name" base 1 shared
  ready >/dev/null || return $?
  "${churn[@]}" hit "$sport" 1 || return $?
  put "$name" rss0_kb "$("${churn[@]}" rss "$spid")"
  bench_wrk "$name" shared
}

# (b) per-request contexts and, for atoll, (e) from the pool stats it logs on SIGTERM.
per_request_run() {
  local name="$1" k v
  start "$name" per_request 1 per_request
  ready 1 >/dev/null || return $?
  bench_wrk "$name" pr || return $?
  if [[ "$name" == atoll ]]; then
    stop_server
    while IFS=$'\t' read -r k v; do put atoll "$k" "$v"; done < <("${churn[@]}" pool "$slog")
    grep -q '"pool stats"' "$slog" || note atoll "no \"pool stats\" line in $(basename "$slog") after SIGTERM: (e) is n/a"
  fi
}

# --- the run -------------------------------------------------------------------------------
echo "# servers on CPU $server_cpu, load on CPU $wrk_cpu; tenant handler ${BENCH_CHURN_HANDLER:-plain}; rows a, c, d with context = $context; (a) $tenants tenants on one keep-alive connection; (b) wrk -t1 -c$conns -d$duration (after $warmup warm-up) on tenant t1" >>"$tsv"
max=$(( tenants > startup_tenants ? tenants : startup_tenants ))
echo "churn: generating $max tenant scripts in $tmp" >&2
"${churn[@]}" scripts "$tmp/scripts" "$max"

IFS=',' read -r -a wanted <<<"$servers"
if command -v node >/dev/null; then  # the no-HTTP floor, for the notes under the table
  while IFS=$'\t' read -r k v; do put - "$k" "$v"; done < \
    <(timeout 30 taskset -c "$server_cpu" node "$here/churn/node_floor.mjs" 2)
fi
for name in "${wanted[@]}"; do
  available "$name" || continue
  put "$name" version "${version[$name]}"
  if [[ "$name" == workerd ]]; then put workerd mode "one isolate per worker"; else put "$name" mode "$context"; fi
  step "$name" "(d) start-up with $startup_tenants tenants" startup_run "$name" || true
  step "$name" "(a)+(c) $tenants cold tenants" cold_run "$name" || true
  step "$name" "(c) 1-tenant baseline + (b) shared" base_run "$name" || true
  if [[ "$name" != workerd ]]; then
    step "$name" "(b) per_request" per_request_run "$name" || true
  fi
done
cleanup
trap - EXIT

echo
table_args=(table "$tsv" "$results/churn.md")
(( update_readme )) && table_args+=(--readme "$here/README.md")
"${churn[@]}" "${table_args[@]}"
echo "(also in bench/results/churn.md; raw figures in bench/results/churn.tsv)"
if (( failed )); then
  echo "churn: FAILED: a server answered a tenant with another tenant's body (see the notes above)" >&2
  exit 1
fi
