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

source "$(dirname "${BASH_SOURCE[0]}")/lib/server_env.sh"
bench_setup cold 13 "$@"

wanted=",${BENCH_COLD_SERVERS:-atoll-before,atoll,atoll-maps,atoll-prewarm,workerd},"
servers=()
if [[ "$wanted" == *,atoll-before,* && -n "${BENCH_ATOLL_BEFORE:-}" ]]; then servers+=(atoll-before="$BENCH_ATOLL_BEFORE"); fi
for name in atoll atoll-maps atoll-prewarm; do
  if [[ "$wanted" == *,$name,* ]]; then servers+=("$name=$atoll_bin"); fi
done
if [[ "$wanted" == *,workerd,* ]]; then
  workerd_bin="$(bench_workerd cold)"
  if [[ -n "$workerd_bin" ]]; then servers+=(workerd="$workerd_bin"); fi
fi
python3 "$here/cold/cold_bench.py" run "$here/results/cold.md" "${servers[@]}" "${readme_args[@]}"
