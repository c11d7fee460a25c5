#!/usr/bin/env bash
# The hostile suite of issue 12 as one table: every attack of bench/hostile/cases.py against a
# victim tenant under wrk (side by side in one worker process), then every regression test of
# tests/hostile_*_test.cc. Writes the table into tests/README.md (between the hostile markers).
#
#   bash bench/hostile.sh            Env: BENCH_DURATION (4 s per wrk run)  BENCH_CASES (substring)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
exec python3 "$root/bench/hostile/hostile.py" --atoll "${BENCH_ATOLL:-$root/build/atoll}" \
  --build "$root/build" --duration "${BENCH_DURATION:-4}" --cases "${BENCH_CASES:-}" --readme "$root/tests/README.md"
