#!/usr/bin/env bash
# Cold-tenant benchmark (issue 18 goal 2): churn row (a), the first request to each of N tenants
# the process never served, for an older atoll binary (optional), this build without and with
# prewarm, this build with V8's own /proc/self/maps scan, and workerd, side by side. See the
# "Cold tenants" section of bench/README.md.
#
#   bash bench/cold.sh [--update-readme]
#
# Env: BENCH_ATOLL (build/atoll)  BENCH_ATOLL_BEFORE (unset: no column; e.g. a build of main)
#      BENCH_COLD_TENANTS (1000)  BENCH_COLD_ROUNDS (2)  BENCH_COLD_PREWARM_MB (2048)
#      BENCH_COLD_SERVERS (atoll-before,atoll,atoll-maps,atoll-prewarm,workerd)
#      BENCH_CHURN_SETTLE (4)  BENCH_SERVER_CPU (0)
# Traffic goes to 127.0.0.1 only; every server started is killed when its step ends.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
atoll_bin="${BENCH_ATOLL:-$root/build/atoll}"
readme_args=()
for arg in "$@"; do
  case "$arg" in
    --update-readme) readme_args=(--readme "$here/README.md") ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "cold.sh: unknown argument $arg (try --help)" >&2; exit 2 ;;
  esac
done
command -v taskset >/dev/null || { echo "cold: taskset not found (run scripts/setup.sh)" >&2; exit 1; }
[[ -x "$atoll_bin" ]] || { echo "cold: ${atoll_bin} not found (make build)" >&2; exit 1; }

wanted=",${BENCH_COLD_SERVERS:-atoll-before,atoll,atoll-maps,atoll-prewarm,workerd},"
servers=()
if [[ "$wanted" == *,atoll-before,* && -n "${BENCH_ATOLL_BEFORE:-}" ]]; then servers+=(atoll-before="$BENCH_ATOLL_BEFORE"); fi
for name in atoll atoll-maps atoll-prewarm; do
  if [[ "$wanted" == *,$name,* ]]; then servers+=("$name=$atoll_bin"); fi
done
if [[ "$wanted" == *,workerd,* ]]; then
  # workerd as bench/churn.sh finds it: the pinned npm peer in bench/.peers (churn.sh installs it).
  workerd_bin=""
  for bin in "$here"/.peers/node_modules/@cloudflare/workerd-linux-*/bin/workerd "$here/.peers/node_modules/workerd/bin/workerd"; do
    if [[ -x "$bin" ]] && timeout 20 "$bin" --version >/dev/null 2>&1; then workerd_bin="$bin"; break; fi
  done
  if [[ -n "$workerd_bin" ]]; then
    servers+=(workerd="$workerd_bin")
  else
    echo "cold: no workerd in bench/.peers (run bash bench/churn.sh once to install the peers): column left out" >&2
  fi
fi
mkdir -p "$here/results"
python3 "$here/cold/cold_bench.py" run "$here/results/cold.md" "${servers[@]}" "${readme_args[@]}"
