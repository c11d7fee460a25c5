// Placement at scale, simulated (issue 16): N tenants with skewed demand onto M simulated nodes,
// placed by atl::placement::Place() and by the first-fit / best-fit decreasing baselines; then 1%
// of the nodes each one uses die and each re-places. Prints a Markdown table; with --data DIR also
// writes the TSV files that bench/placement.sh plots. bench/README.md ("Placement (simulated)")
// documents the workload and the columns.
//
//   build/bench/placement_benchmark [--tenants 1000000] [--nodes 10000] [--seed 1] [--data DIR]
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "bench/placement_baselines.h"
#include "placement/placement.h"

namespace atl::bench {
namespace {

namespace pl = atl::placement;

struct Workload {
  std::vector<pl::Node> nodes;
  std::vector<pl::Tenant> tenants;
};

// Nodes: 3 in 4 have 16 GB and 8,000 req/s (8 cores), 1 in 4 has 32 GB and 16,000 req/s
// (16 cores); 20% headroom. Tenants: memory lognormal (median 32 MB, sigma 0.8, 8..1024 MB);
// request rate lognormal (median 5 req/s, sigma 2: a heavy tail, the busiest tenant of a million
// near 10^4 x the median); k = max(2, ceil(rate / 1,000 req/s)) replicas.
Workload Make(int tenants, int nodes, uint64_t seed) {
  Workload w;
  std::mt19937_64 rng(seed);
  for (int i = 0; i < nodes; ++i) {
    bool large = rng() % 4 == 0;
    w.nodes.push_back({.name = absl::StrFormat("node-%05d", i), .memory_mb = large ? 32768.0 : 16384.0,
                       .request_rate = large ? 16000.0 : 8000.0, .cores = large ? 16.0 : 8.0,
                       .headroom = 0.2});
  }
  std::lognormal_distribution<double> memory(std::log(32.0), 0.8);
  std::lognormal_distribution<double> rate(std::log(5.0), 2.0);
  for (int i = 0; i < tenants; ++i) {
    double mem = std::clamp(memory(rng), 8.0, 1024.0);
    double rps = std::min(rate(rng), 200000.0);
    int k = std::max(2, static_cast<int>(std::ceil(rps / 1000)));
    w.tenants.push_back({.name = absl::StrFormat("tenant-%07d", i), .memory_mb = mem,
                         .request_rate = rps, .replicas = k});
  }
  return w;
}

using Assignment = std::vector<std::vector<int32_t>>;

// One algorithm's run: initial placement, then re-placement after `dead` nodes die.
struct Run {
  std::string name;
  double seconds = 0;
  Assignment initial;
  double repair_seconds = 0;
  Assignment repaired;
  std::vector<bool> dead;
  int64_t unplaced = 0, unplaced_after = 0;
};

struct Shape {
  int used = 0;
  double mean = 0, max = 0, stddev = 0, mean_mem = 0, mean_rps = 0;
  int64_t violations = 0;
  std::vector<double> utilisation;  // per used node, sorted down
};

// Utilisation of each used node: its larger share of usable memory / request rate.
Shape Measure(const Workload& w, const Assignment& a) {
  size_t n = w.nodes.size();
  std::vector<double> mem(n), rps(n);
  for (size_t t = 0; t < a.size(); ++t) {
    for (int32_t b : a[t]) {
      mem[b] += w.tenants[t].memory_mb;
      rps[b] += w.tenants[t].request_rate / w.tenants[t].replicas;
    }
  }
  Shape s;
  for (size_t b = 0; b < n; ++b) {
    if (mem[b] == 0 && rps[b] == 0) continue;
    double um = mem[b] / pl::UsableMemory(w.nodes[b]);
    double ur = rps[b] / pl::UsableRequestRate(w.nodes[b], {});
    if (um > 1 + 1e-6 || ur > 1 + 1e-6) ++s.violations;
    s.utilisation.push_back(std::max(um, ur));
    s.mean_mem += um;
    s.mean_rps += ur;
  }
  s.used = static_cast<int>(s.utilisation.size());
  if (s.used == 0) return s;
  std::sort(s.utilisation.rbegin(), s.utilisation.rend());
  for (double u : s.utilisation) s.mean += u;
  s.mean /= s.used;
  s.mean_mem /= s.used;
  s.mean_rps /= s.used;
  s.max = s.utilisation.front();
  for (double u : s.utilisation) s.stddev += (u - s.mean) * (u - s.mean);
  s.stddev = std::sqrt(s.stddev / s.used);
  return s;
}

// Nodes needed at least: per dimension, the fewest alive nodes (largest first) whose usable
// capacity covers the total demand; the larger of the two, and at least the largest k.
int LowerBound(const Workload& w, const std::vector<bool>& dead) {
  double need_mem = 0, need_rps = 0;
  int max_k = 0;
  for (const pl::Tenant& t : w.tenants) {
    need_mem += t.memory_mb * t.replicas;
    need_rps += t.request_rate;
    max_k = std::max(max_k, t.replicas);
  }
  auto count = [&](auto capacity, double need) {
    std::vector<double> caps;
    for (size_t b = 0; b < w.nodes.size(); ++b) {
      if (!dead[b]) caps.push_back(capacity(w.nodes[b]));
    }
    std::sort(caps.rbegin(), caps.rend());
    int k = 0;
    for (double sum = 0; sum < need && k < static_cast<int>(caps.size()); ++k) sum += caps[k];
    return k;
  };
  int by_mem = count([](const pl::Node& n) { return pl::UsableMemory(n); }, need_mem);
  int by_rps = count([](const pl::Node& n) { return pl::UsableRequestRate(n, {}); }, need_rps);
  return std::max({by_mem, by_rps, max_k});
}

double Since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// `fraction` of the nodes `a` uses, drawn at random (the same seed for every algorithm).
std::vector<bool> Kill(const Workload& w, const Assignment& a, double fraction, uint64_t seed) {
  std::vector<bool> used(w.nodes.size());
  for (const auto& on : a) {
    for (int32_t b : on) used[b] = true;
  }
  std::vector<int32_t> candidates;
  for (size_t b = 0; b < used.size(); ++b) {
    if (used[b]) candidates.push_back(static_cast<int32_t>(b));
  }
  std::mt19937_64 rng(seed);
  std::shuffle(candidates.begin(), candidates.end(), rng);
  size_t count = std::min(candidates.size(), static_cast<size_t>(std::lround(fraction * w.nodes.size())));
  std::vector<bool> dead(w.nodes.size());
  for (size_t i = 0; i < count; ++i) dead[candidates[i]] = true;
  return dead;
}

Run RunPlace(Workload& w, double kill, uint64_t seed) {
  Run run{.name = "atoll Place()"};
  auto start = std::chrono::steady_clock::now();
  absl::StatusOr<pl::Placement> p = pl::Place(w.nodes, w.tenants);
  run.seconds = Since(start);
  if (!p.ok()) {
    std::fprintf(stderr, "Place: %s\n", std::string(p.status().message()).c_str());
    std::exit(1);
  }
  run.initial = std::move(p->nodes);
  for (const pl::Shortfall& s : p->shortfalls) run.unplaced += s.wanted - s.placed;
  run.dead = Kill(w, run.initial, kill, seed);
  for (size_t t = 0; t < w.tenants.size(); ++t) {  // the previous assignment, by name
    for (int32_t b : run.initial[t]) w.tenants[t].current.push_back(w.nodes[b].name);
  }
  for (size_t b = 0; b < w.nodes.size(); ++b) w.nodes[b].alive = !run.dead[b];
  start = std::chrono::steady_clock::now();
  p = pl::Place(w.nodes, w.tenants);
  run.repair_seconds = Since(start);
  if (!p.ok()) std::exit(1);
  run.repaired = std::move(p->nodes);
  for (const pl::Shortfall& s : p->shortfalls) run.unplaced_after += s.wanted - s.placed;
  for (pl::Tenant& t : w.tenants) t.current.clear();
  for (pl::Node& n : w.nodes) n.alive = true;
  return run;
}

using Baseline = Packing (*)(const std::vector<Bin>&, const std::vector<int32_t>&, const std::vector<Item>&);

Run RunBaseline(const Workload& w, const char* name, Baseline algorithm, double kill, uint64_t seed) {
  Run run{.name = name};
  std::vector<Bin> bins;
  for (const pl::Node& n : w.nodes) bins.push_back({pl::UsableMemory(n), pl::UsableRequestRate(n, {})});
  std::vector<Item> items;
  for (const pl::Tenant& t : w.tenants) {
    items.push_back({t.memory_mb, t.request_rate / t.replicas, t.replicas});
  }
  // Largest nodes first, then by name: the order Place() opens them in.
  auto order_of = [&](const std::vector<bool>& dead) {
    std::vector<int32_t> order;
    for (size_t b = 0; b < bins.size(); ++b) {
      if (!dead[b]) order.push_back(static_cast<int32_t>(b));
    }
    std::stable_sort(order.begin(), order.end(), [&](int32_t a, int32_t b) {
      return std::pair(bins[a].memory_mb, bins[a].request_rate) > std::pair(bins[b].memory_mb, bins[b].request_rate);
    });
    return order;
  };
  auto start = std::chrono::steady_clock::now();
  Packing first = algorithm(bins, order_of(std::vector<bool>(bins.size())), items);
  run.seconds = Since(start);
  run.initial = std::move(first.bins);
  run.unplaced = first.unplaced;
  run.dead = Kill(w, run.initial, kill, seed);
  start = std::chrono::steady_clock::now();
  Packing second = algorithm(bins, order_of(run.dead), items);  // from scratch: no previous state
  run.repair_seconds = Since(start);
  run.repaired = std::move(second.bins);
  run.unplaced_after = second.unplaced;
  return run;
}

struct Moves {
  int64_t tenants = 0, replicas = 0, floor = 0;  // floor: tenants with a replica on a dead node
};

Moves CountMoves(const Run& run) {
  Moves m;
  for (size_t t = 0; t < run.initial.size(); ++t) {
    std::vector<int32_t> before = run.initial[t], after = run.repaired[t];
    std::sort(before.begin(), before.end());
    std::sort(after.begin(), after.end());
    if (before != after) ++m.tenants;
    bool hit = false;
    for (int32_t b : before) {
      if (!std::binary_search(after.begin(), after.end(), b)) ++m.replicas;
      hit = hit || run.dead[b];
    }
    if (hit) ++m.floor;
  }
  return m;
}

int Main(int argc, char** argv) {
  int tenants = 1000000, nodes = 10000;
  uint64_t seed = 1;
  double kill = 0.01;
  std::string data;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--tenants") tenants = std::atoi(value.c_str());
    else if (flag == "--nodes") nodes = std::atoi(value.c_str());
    else if (flag == "--seed") seed = std::strtoull(value.c_str(), nullptr, 10);
    else if (flag == "--kill") kill = std::atof(value.c_str());
    else if (flag == "--data") data = value;
    else {
      std::fprintf(stderr, "usage: %s [--tenants N] [--nodes M] [--seed S] [--kill F] [--data DIR]\n", argv[0]);
      return 2;
    }
  }
  Workload w = Make(tenants, nodes, seed);
  int64_t replicas = 0;
  for (const pl::Tenant& t : w.tenants) replicas += t.replicas;
  std::vector<Run> runs;
  runs.push_back(RunPlace(w, kill, seed + 1));
  runs.push_back(RunBaseline(w, "best-fit decreasing", BestFitDecreasing, kill, seed + 1));
  runs.push_back(RunBaseline(w, "first-fit decreasing", FirstFitDecreasing, kill, seed + 1));

  const int lower = LowerBound(w, std::vector<bool>(w.nodes.size()));
  std::printf("%d tenants (%lld replicas) onto %d nodes, seed %llu; lower bound %d nodes; "
              "then %.0f%% of the nodes each algorithm uses die.\n\n",
              tenants, static_cast<long long>(replicas), nodes, static_cast<unsigned long long>(seed),
              lower, kill * 100);
  std::printf("| algorithm | place (s) | nodes used | / lower bound | mean util | max / mean | stddev | "
              "memory / rate util | re-place (s) | tenants moved | / tenants hit | replicas moved | unplaced |\n");
  std::printf("|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
  std::ofstream summary;
  if (!data.empty()) {
    summary.open(data + "/summary.tsv");
    summary << "algorithm\tused_over_lb\ttenants_moved_pct\tfloor_pct\n";
  }
  for (const Run& run : runs) {
    Shape shape = Measure(w, run.initial), after = Measure(w, run.repaired);
    Moves moves = CountMoves(run);
    if (shape.violations || after.violations) {
      std::fprintf(stderr, "%s: %lld nodes over capacity\n", run.name.c_str(),
                   static_cast<long long>(shape.violations + after.violations));
      return 1;
    }
    std::printf("| %s | %.2f | %d | %.3f | %.1f%% | %.3f | %.3f | %.0f%% / %.0f%% | %.2f | %lld (%.2f%%) | %.1fx | %lld | %lld |\n",
                run.name.c_str(), run.seconds, shape.used, static_cast<double>(shape.used) / lower,
                shape.mean * 100, shape.max / shape.mean, shape.stddev, shape.mean_mem * 100,
                shape.mean_rps * 100, run.repair_seconds, static_cast<long long>(moves.tenants),
                100.0 * moves.tenants / tenants, static_cast<double>(moves.tenants) / std::max<int64_t>(1, moves.floor),
                static_cast<long long>(moves.replicas), static_cast<long long>(run.unplaced + run.unplaced_after));
    if (!data.empty()) {
      std::string file = run.name.substr(0, run.name.find(' '));
      std::ofstream util(data + "/util_" + file + ".tsv");
      for (size_t i = 0; i < shape.utilisation.size(); ++i) util << i << '\t' << shape.utilisation[i] << '\n';
      summary << '"' << run.name << '"' << '\t' << static_cast<double>(shape.used) / lower << '\t'
              << 100.0 * moves.tenants / tenants << '\t' << 100.0 * moves.floor / tenants << '\n';
    }
  }
  return 0;
}

}  // namespace
}  // namespace atl::bench

int main(int argc, char** argv) { return atl::bench::Main(argc, argv); }
