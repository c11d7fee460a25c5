#!/usr/bin/env bash
# Placement at scale, simulated (issue 16): runs build/bench/placement_benchmark (placement::Place()
# against first-fit and best-fit decreasing on 1,000,000 tenants and 10,000 simulated nodes), prints
# its tables, and draws bench/placement/*.png with gnuplot (Debian gnuplot-nox, from
# scripts/setup.sh). No server runs: this is a simulation of the control plane's decision only.
#
#   bash bench/placement.sh [--quick] [--update-readme]
#     --quick           100,000 tenants onto 1,000 nodes (a second or so)
#     --update-readme   also rewrite the tables between the placement markers in bench/README.md
#                       and the plots in bench/placement/
#   PLACEMENT_TENANTS, PLACEMENT_NODES, PLACEMENT_SEED override the sizes and the seed.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
build="${BUILD:-$root/build}"
tenants="${PLACEMENT_TENANTS:-1000000}"
nodes="${PLACEMENT_NODES:-10000}"
seed="${PLACEMENT_SEED:-1}"
update_readme=0
for arg in "$@"; do
  case "$arg" in
    --quick) tenants="${PLACEMENT_TENANTS:-100000}"; nodes="${PLACEMENT_NODES:-1000}" ;;
    --update-readme) update_readme=1 ;;
    *) echo "usage: $0 [--quick] [--update-readme]" >&2; exit 2 ;;
  esac
done

cmake --build "$build" -j2 --target placement_benchmark >/dev/null
out="$root/bench/results/placement"
mkdir -p "$out"
# Bounded: the full size takes ~20 s on the 2-core benchmark machine; 10 minutes is a hang.
timeout 600 "$build/bench/placement_benchmark" --tenants "$tenants" --nodes "$nodes" --seed "$seed" \
  --data "$out" | tee "$out/latest.md"

plots="$out"
if ((update_readme)); then plots="$here/placement"; mkdir -p "$plots"; fi
if command -v gnuplot >/dev/null; then
  gnuplot <<EOF
set terminal pngcairo size 900,420 font ",10"
set datafile separator "\t"
set key autotitle columnhead

set output "$plots/nodes_and_moves.png"
set multiplot layout 1,2 title "$tenants tenants onto $nodes nodes"
set style data histograms
set style fill solid 0.7 border -1
set boxwidth 0.7
set xtics rotate by -20 font ",9"
set yrange [0:*]
set title "nodes used / lower bound (lower is better)"
plot "$out/summary.tsv" using 2:xtic(1) notitle lc rgb "#4477aa"
set title "tenants moved when 1% of nodes die (%, log)"
set logscale y
set yrange [0.5:2000]
plot "$out/summary.tsv" using 3:xtic(1) title "moved" lc rgb "#cc6677", \
     "" using 4 title "floor: had a replica there" lc rgb "#999999"
unset multiplot

set output "$plots/node_dimensions.png"
unset logscale y
set style data points
set xtics norotate font ",10"
set multiplot layout 1,2 title "each used node: memory vs request rate, as shares of usable capacity"
set xrange [0:1.02]
set yrange [0:1.02]
set xlabel "memory"
set ylabel "request rate"
set title "atoll Place()"
plot "$out/util_atoll.tsv" using 1:2 notitle pt 7 ps 0.3 lc rgb "#4477aa"
set title "best-fit decreasing"
plot "$out/util_bestfit.tsv" using 1:2 notitle pt 7 ps 0.3 lc rgb "#cc6677"
unset multiplot
EOF
  echo "plots: $plots/nodes_and_moves.png $plots/node_dimensions.png"
else
  echo "placement: gnuplot not found (scripts/setup.sh installs gnuplot-nox): no plots" >&2
fi

if ((update_readme)); then
  python3 - "$here/README.md" "$out/latest.md" <<'PY'
import sys
readme, latest = sys.argv[1], sys.argv[2]
text = open(readme).read()
begin, end = "<!-- placement:start -->", "<!-- placement:end -->"
a, b = text.index(begin) + len(begin), text.index(end)
open(readme, "w").write(text[:a] + "\n" + open(latest).read().strip() + "\n" + text[b:])
PY
  echo "updated $here/README.md"
fi
