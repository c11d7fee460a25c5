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

source "$(dirname "${BASH_SOURCE[0]}")/lib/server_env.sh"
bench_setup url 12 "$@"

bench_servers url
python3 "$here/url/url_bench.py" run "$here/results/url.md" "${servers[@]}" "${readme_args[@]}"
