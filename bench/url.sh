#!/usr/bin/env bash
# URL benchmark (issue 18 goal 1): resident MB per tenant with a `new URL(request.url)` handler
# (churn row c), the CPU of a fresh isolate's first `new URL()`, and URL parse throughput, for
# atoll, an older atoll binary (optional) and workerd side by side, and node for the parse loop.
# See the "URL" section of bench/README.md.
#
#   bash bench/url.sh [--update-readme]
#
# Env: BENCH_ATOLL (build/atoll)  BENCH_ATOLL_BEFORE (unset: no column; e.g. a build of main)
#      BENCH_URL_TENANTS (300)  BENCH_URL_ROUNDS (2)  BENCH_URL_PARSES (500 per request)
#      BENCH_URL_REQUESTS (400)  BENCH_CHURN_SETTLE (4)  BENCH_SERVER_CPU (0)
# Traffic goes to 127.0.0.1 only; every server started is killed when its step ends.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
atoll_bin="${BENCH_ATOLL:-$root/build/atoll}"
readme_args=()
for arg in "$@"; do
  case "$arg" in
    --update-readme) readme_args=(--readme "$here/README.md") ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "url.sh: unknown argument $arg (try --help)" >&2; exit 2 ;;
  esac
done
command -v taskset >/dev/null || { echo "url: taskset not found (run scripts/setup.sh)" >&2; exit 1; }
[[ -x "$atoll_bin" ]] || { echo "url: ${atoll_bin} not found (make build)" >&2; exit 1; }

servers=(atoll="$atoll_bin")
if [[ -n "${BENCH_ATOLL_BEFORE:-}" ]]; then servers=(atoll-before="$BENCH_ATOLL_BEFORE" "${servers[@]}"); fi
# workerd as bench/churn.sh finds it: the pinned npm peer in bench/.peers (churn.sh installs it).
workerd_bin=""
for bin in "$here"/.peers/node_modules/@cloudflare/workerd-linux-*/bin/workerd "$here/.peers/node_modules/workerd/bin/workerd"; do
  if [[ -x "$bin" ]] && timeout 20 "$bin" --version >/dev/null 2>&1; then workerd_bin="$bin"; break; fi
done
if [[ -n "$workerd_bin" ]]; then
  servers+=(workerd="$workerd_bin")
else
  echo "url: no workerd in bench/.peers (run bash bench/churn.sh once to install the peers): column left out" >&2
fi
mkdir -p "$here/results"
python3 "$here/url/url_bench.py" run "$here/results/url.md" "${servers[@]}" "${readme_args[@]}"
