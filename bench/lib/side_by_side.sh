# Servers side by side on one workload (sourced, not run), for bench/sockets.sh and
# bench/node_http.sh: each server is started on CPU 0, warmed up, then measured BENCH_RUNS times
# with wrk on CPU 1; prints req/s and the server's CPU per 1,000 requests (utime + stime of its
# process tree), the median run. The caller defines server_cmd NAME PORT (sets `cmd`, returns 1
# when the server is not there) and sets servers=(...), conns, duration, runs, work, pids, and
# optionally wrk_extra=(...) (more wrk arguments, e.g. -s script.lua).
#
#   source "$here/lib/side_by_side.sh"
#   measure_servers

peers_nm="$here/.peers/node_modules"

# The first executable of its arguments.
first_bin() { local b; for b in "$@"; do [[ -x "$b" ]] && { echo "$b"; return 0; }; done; return 1; }

# The peers' binaries as bench/.peers installs them (run.sh).
deno_bin() { first_bin "$peers_nm"/@deno/linux-*/deno "$peers_nm/deno/deno"; }
bun_bin() { first_bin "$peers_nm"/@oven/bun-linux-*/bin/bun "$peers_nm/bun/bin/bun.exe"; }

# The command that runs peer $1 (node, deno or bun) on port $2, its script $work/node.mjs,
# $work/deno.js or $work/bun.js, in `cmd`; returns 1 when the peer is not installed.
peer_cmd() {
  local bin
  case "$1" in
    node) cmd=(node "$work/node.mjs" "$2") ;;
    deno) bin="$(deno_bin)" || return 1
          cmd=(env DENO_NO_UPDATE_CHECK=1 "DENO_DIR=$here/.peers/deno-dir" "$bin" run --allow-net=127.0.0.1 "$work/deno.js" "$2") ;;
    bun) bin="$(bun_bin)" || return 1
         cmd=(env DO_NOT_TRACK=1 "$bin" "$work/bun.js" "$2") ;;
    *) return 1 ;;
  esac
}

# Process $1 and its descendants (atoll's workers run in sessions of their own).
tree() {
  local p
  echo "$1"
  for p in $(pgrep -P "$1" || true); do tree "$p"; done
}

# CPU ticks (utime + stime) of process $1 and its descendants.
session_cpu() {
  local total=0 p ticks
  for p in $(tree "$1"); do
    ticks="$(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0)"
    total=$((total + ticks))
  done
  echo "$total"
}

wrk_extra=()

measure_servers() {
  printf '%-12s %12s %16s\n' server 'req/s' 'CPU ms / 1k req'
  local hz name port spid results before after out rps total errors cpu_ms median
  hz="$(getconf CLK_TCK)"
  for name in "${servers[@]}"; do
    port="$(python3 "$here/report.py" freeport)"
    if ! server_cmd "$name" "$port"; then echo "$name: not run (no binary)"; continue; fi
    (cd "$work" && exec setsid taskset -c 0 "${cmd[@]}") >"$work/$name.log" 2>&1 &
    spid=$!
    pids+=($spid)
    for _ in $(seq 1 150); do
      curl -sf "http://127.0.0.1:$port/" >/dev/null 2>&1 && break
      sleep 0.2
    done
    taskset -c 1 wrk -t1 -c"$conns" -d2s "${wrk_extra[@]}" "http://127.0.0.1:$port/" >/dev/null 2>&1 || true  # warm-up
    results=()
    for _ in $(seq 1 "$runs"); do
      before="$(session_cpu "$spid")"
      out="$(taskset -c 1 wrk -t1 -c"$conns" -d"$duration" "${wrk_extra[@]}" "http://127.0.0.1:$port/")"
      after="$(session_cpu "$spid")"
      rps="$(awk '/Requests\/sec/ {print $2}' <<<"$out")"
      total="$(awk '/requests in/ {print $1}' <<<"$out")"
      errors="$(awk '/Non-2xx|Socket errors/ {print}' <<<"$out")"
      [[ -z "$errors" ]] || echo "$name: $errors" >&2
      cpu_ms="$(awk -v t=$((after - before)) -v hz="$hz" -v n="$total" 'BEGIN { printf "%.1f", t * 1000 / hz / n * 1000 }')"
      results+=("$rps $cpu_ms")
    done
    median="$(printf '%s\n' "${results[@]}" | sort -n | sed -n "$(( (runs + 1) / 2 ))p")"
    printf '%-12s %12s %16s\n' "$name" $median
    # A script may look at the server once more before it goes: after_server NAME PORT.
    if declare -F after_server >/dev/null; then after_server "$name" "$port"; fi
    kill -- "-$spid" 2>/dev/null || kill "$spid" 2>/dev/null || true
    wait "$spid" 2>/dev/null || true
  done
}
