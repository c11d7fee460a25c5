#!/usr/bin/env bash
# First-use benchmark (issue 18 goal 1): the CPU a fresh isolate spends on its first use of URL,
# Headers, ReadableStream/TransformStream and TextEncoder/TextDecoder (each alone, and all four),
# and resident MB per tenant with each, for atoll, an older atoll binary (optional) and workerd
# side by side. See the "First use of the built-ins" section of bench/README.md.
#
#   bash bench/first_use.sh [--update-readme]
#
# Env: BENCH_ATOLL (build/atoll)  BENCH_ATOLL_BEFORE (unset: no column; e.g. a build of main)
#      BENCH_FIRST_USE_TENANTS (200)  BENCH_FIRST_USE_ROUNDS (2)  BENCH_CHURN_SETTLE (4)
#      BENCH_SERVER_CPU (0)
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
    *) echo "first_use.sh: unknown argument $arg (try --help)" >&2; exit 2 ;;
  esac
done
command -v taskset >/dev/null || { echo "first_use: taskset not found (run scripts/setup.sh)" >&2; exit 1; }
[[ -x "$atoll_bin" ]] || { echo "first_use: ${atoll_bin} not found (make build)" >&2; exit 1; }

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
  echo "first_use: no workerd in bench/.peers (run bash bench/churn.sh once to install the peers): column left out" >&2
fi
mkdir -p "$here/results"
python3 "$here/first_use/first_use.py" run "$here/results/first_use.md" "${servers[@]}" "${readme_args[@]}"
