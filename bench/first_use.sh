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

source "$(dirname "${BASH_SOURCE[0]}")/lib/server_env.sh"
bench_setup first_use 12 "$@"

bench_servers first_use
python3 "$here/first_use/first_use.py" run "$here/results/first_use.md" "${servers[@]}" "${readme_args[@]}"
