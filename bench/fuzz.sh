#!/usr/bin/env bash
# Runs one libFuzzer target of fuzz/ (built with clang, ASan + UBSan, in build-fuzz/) for SECONDS,
# from the committed seed corpus fuzz/corpus/TARGET plus what earlier runs found
# (build-fuzz/corpus/TARGET). Prints one summary line: executions, coverage (edges), corpus
# size, crashes (their inputs land in build-fuzz/crashes/TARGET/; a crash makes the exit status 1).
#
#   bash bench/fuzz.sh TARGET SECONDS        # e.g. bash bench/fuzz.sh http_request_fuzz 600
#   bash bench/fuzz.sh list                  # the targets
# Env: FUZZ_JOBS (1): parallel fuzzing processes (-jobs/-workers).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="$root/build-fuzz"
targets=$(sed -n 's/^atoll_fuzz(\([a-z_]*\) .*/\1/p' "$root/fuzz/CMakeLists.txt")
if [[ "${1:-}" == "list" || $# -lt 2 ]]; then
  echo "targets:" $targets
  [[ "${1:-}" == "list" ]] && exit 0 || exit 2
fi
target="$1" seconds="$2"
grep -qx "$target" <<<"$targets" || { echo "unknown target $target (bash bench/fuzz.sh list)" >&2; exit 2; }
command -v clang++ >/dev/null || { echo "clang++ not found (scripts/setup.sh installs clang)" >&2; exit 2; }
if [[ ! -f "$build/CMakeCache.txt" ]]; then
  cmake -S "$root/fuzz" -B "$build" -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ >/dev/null
fi
cmake --build "$build" -j2 --target "$target" >/dev/null
corpus="$build/corpus/$target"
crashes="$build/crashes/$target"
mkdir -p "$corpus" "$crashes"
log="$build/$target.log"
status=0
parallel=()
if [[ "${FUZZ_JOBS:-1}" -gt 1 ]]; then parallel=(-jobs="$FUZZ_JOBS" -workers="$FUZZ_JOBS"); fi
# From build-fuzz/: parallel jobs write their fuzz-N.log files into the current directory.
(cd "$build" && exec "$build/$target" "$corpus" "$root/fuzz/corpus/$target" -max_total_time="$seconds" \
  -artifact_prefix="$crashes/" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048 "${parallel[@]}") >"$log" 2>&1 ||
  status=$?
execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | awk '{s+=$1} END {print s+0}')
cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | awk '{print $2}')
found=$(ls "$crashes" | wc -l)
echo "$target: ${seconds}s, $execs executions, cov $cov edges, corpus $(ls "$corpus" | wc -l) inputs, crashes $found (log: $log)"
[[ $status -eq 0 && $found -eq 0 ]] || exit 1
