// Placement at scale, simulated (issue 16): N tenants with skewed demand onto M simulated nodes,
// placed by atl::placement::Place() and by the first-fit / best-fit decreasing baselines; then 1%
// of the nodes each one uses die and each re-places. Prints a Markdown table; with --data DIR also
// writes the TSV files that bench/placement.sh plots. bench/README.md ("Placement (simulated)")
// documents the workload and the columns.
//
//   build/bench/placement_benchmark [--tenants 1000000] [--nodes 10000] [--seed 1] [--data DIR]
#include <algorithm>
#include <cctype>
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
  double drift_seconds = 0;
  Assignment drifted;  // re-placed after the demand of 10% of the tenants changed (all nodes alive)
  int64_t unplaced_drift = 0;
};

struct Shape {
  int used = 0;
  double mean = 0, max = 0, stddev = 0, mean_mem = 0, mean_rps = 0;
  int64_t violations = 0;
  std::vector<double> utilisation;            // per used node, sorted down
  std::vector<std::pair<double, double>> dims;  // per used node: memory and request-rate shares
};

// Utilisation of each used node: its larger share of usable memory / request rate.
Shape Measure(const Workload& w, const Assignment& a) {
  size_t n = w.nodes.size();
  std::vector<double> mem(n), rps(n);
  Shape s;
  for (size_t t = 0; t < a.size(); ++t) {
    std::vector<int32_t> on = a[t];
    std::sort(on.begin(), on.end());
    if (std::adjacent_find(on.begin(), on.end()) != on.end()) ++s.violations;  // anti-affinity
    for (int32_t b : a[t]) {
      mem[b] += w.tenants[t].memory_mb;
      rps[b] += w.tenants[t].request_rate / w.tenants[t].replicas;
    }
  }
  for (size_t b = 0; b < n; ++b) {
    if (mem[b] == 0 && rps[b] == 0) continue;
    double um = mem[b] / pl::UsableMemory(w.nodes[b]);
    double ur = rps[b] / pl::UsableRequestRate(w.nodes[b], {});
    if (um > 1 + 1e-6 || ur > 1 + 1e-6) ++s.violations;
    s.utilisation.push_back(std::max(um, ur));
    s.dims.push_back({um, ur});
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

int64_t Missing(const pl::Placement& p) {
  int64_t missing = 0;
  for (const pl::Shortfall& s : p.shortfalls) missing += s.wanted - s.placed;
  return missing;
}

// Sets each tenant's previous assignment (node names), as the control plane would read it.
void Carry(Workload& w, const Assignment& a) {
  for (size_t t = 0; t < w.tenants.size(); ++t) {
    w.tenants[t].current.clear();
    for (int32_t b : a[t]) w.tenants[t].current.push_back(w.nodes[b].name);
  }
}

absl::StatusOr<pl::Placement> Timed(const Workload& w, const pl::Options& options, double* seconds) {
  auto start = std::chrono::steady_clock::now();
  absl::StatusOr<pl::Placement> p = pl::Place(w.nodes, w.tenants, options);
  *seconds = Since(start);
  if (!p.ok()) {
    std::fprintf(stderr, "Place: %s\n", std::string(p.status().message()).c_str());
    std::exit(1);
  }
  return p;
}

Run RunPlace(Workload& w, Workload& drifted, const char* name, const pl::Options& options,
             double kill, uint64_t seed) {
  Run run;
  run.name = name;
  absl::StatusOr<pl::Placement> p = Timed(w, options, &run.seconds);
  run.initial = std::move(p->nodes);
  run.unplaced = Missing(*p);
  run.dead = Kill(w, run.initial, kill, seed);
  Carry(w, run.initial);
  for (size_t b = 0; b < w.nodes.size(); ++b) w.nodes[b].alive = !run.dead[b];
  p = Timed(w, options, &run.repair_seconds);
  run.repaired = std::move(p->nodes);
  run.unplaced_after = Missing(*p);
  for (pl::Node& n : w.nodes) n.alive = true;
  Carry(drifted, run.initial);
  p = Timed(drifted, options, &run.drift_seconds);
  run.drifted = std::move(p->nodes);
  run.unplaced_drift = Missing(*p);
  for (pl::Tenant& t : w.tenants) t.current.clear();
  for (pl::Tenant& t : drifted.tenants) t.current.clear();
  return run;
}

using Baseline = Packing (*)(const std::vector<Bin>&, const std::vector<int32_t>&, const std::vector<Item>&);

std::vector<Item> Items(const Workload& w) {
  std::vector<Item> items;
  for (const pl::Tenant& t : w.tenants) {
    items.push_back({t.memory_mb, t.request_rate / t.replicas, t.replicas});
  }
  return items;
}

Run RunBaseline(const Workload& w, const Workload& drifted, const char* name, Baseline algorithm,
                double kill, uint64_t seed) {
  Run run;
  run.name = name;
  std::vector<Bin> bins;
  for (const pl::Node& n : w.nodes) bins.push_back({pl::UsableMemory(n), pl::UsableRequestRate(n, {})});
  std::vector<Item> items = Items(w);
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
  start = std::chrono::steady_clock::now();
  Packing third = algorithm(bins, order_of(std::vector<bool>(bins.size())), Items(drifted));
  run.drift_seconds = Since(start);
  run.drifted = std::move(third.bins);
  run.unplaced_drift = third.unplaced;
  return run;
}

struct Moves {
  int64_t tenants = 0, replicas = 0, floor = 0;  // floor: tenants with a replica on a dead node
};

// Moves from `run.initial` to `next`; the floor counts tenants on a dead node (or, with `changed`,
// tenants whose demand changed).
Moves CountMoves(const Run& run, const Assignment& next, const std::vector<bool>* changed = nullptr) {
  Moves m;
  for (size_t t = 0; t < run.initial.size(); ++t) {
    std::vector<int32_t> before = run.initial[t], after = next[t];
    std::sort(before.begin(), before.end());
    std::sort(after.begin(), after.end());
    if (before != after) ++m.tenants;
    bool hit = false;
    for (int32_t b : before) {
      if (!std::binary_search(after.begin(), after.end(), b)) ++m.replicas;
      hit = hit || run.dead[b];
    }
    if (changed ? (*changed)[t] : hit) ++m.floor;
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
  // Demand drift: 10% of the tenants (drawn at random) see memory and request rate each multiplied
  // by a lognormal factor (sigma 0.5); k stays.
  Workload drifted = w;
  std::vector<bool> changed(w.tenants.size());
  {
    std::mt19937_64 rng(seed + 2);
    std::lognormal_distribution<double> factor(0, 0.5);
    for (size_t t = 0; t < drifted.tenants.size(); ++t) {
      if (rng() % 10 != 0) continue;
      changed[t] = true;
      pl::Tenant& tenant = drifted.tenants[t];
      tenant.memory_mb = std::clamp(tenant.memory_mb * factor(rng), 8.0, 1024.0);
      tenant.request_rate = std::min(tenant.request_rate * factor(rng), 1000.0 * tenant.replicas);
    }
  }
  int64_t replicas = 0;
  for (const pl::Tenant& t : w.tenants) replicas += t.replicas;
  std::vector<Run> runs;
  runs.push_back(RunPlace(w, drifted, "atoll Place()", {}, kill, seed + 1));
  runs.push_back(RunPlace(w, drifted, "Place(), one queue", {.interleave = false}, kill, seed + 1));
  runs.push_back(RunBaseline(w, drifted, "best-fit decreasing", BestFitDecreasing, kill, seed + 1));
  runs.push_back(RunBaseline(w, drifted, "first-fit decreasing", FirstFitDecreasing, kill, seed + 1));

  const int lower = LowerBound(w, std::vector<bool>(w.nodes.size()));
  std::printf("%d tenants (%lld replicas) onto %d nodes (seed %llu); lower bound %d nodes.\n\n",
              tenants, static_cast<long long>(replicas), nodes, static_cast<unsigned long long>(seed),
              lower);
  std::printf("| algorithm | place (s) | nodes used | / lower bound | mean util | max / mean | stddev | "
              "memory / rate util | unplaced |\n|---|---|---|---|---|---|---|---|---|\n");
  std::ofstream summary;
  if (!data.empty()) {
    summary.open(data + "/summary.tsv");
    summary << "algorithm\tused_over_lb\tkill_moved_pct\tkill_floor_pct\tdrift_moved_pct\tdrift_floor_pct\n";
  }
  std::string kill_table, drift_table;
  for (const Run& run : runs) {
    Shape shape = Measure(w, run.initial), after = Measure(w, run.repaired), drift = Measure(drifted, run.drifted);
    if (shape.violations || after.violations || drift.violations) {
      std::fprintf(stderr, "%s: a node over capacity or two replicas on one node\n", run.name.c_str());
      return 1;
    }
    Moves moves = CountMoves(run, run.repaired), drift_moves = CountMoves(run, run.drifted, &changed);
    std::printf("| %s | %.2f | %d | %.3f | %.1f%% | %.3f | %.3f | %.0f%% / %.0f%% | %lld |\n",
                run.name.c_str(), run.seconds, shape.used, static_cast<double>(shape.used) / lower,
                shape.mean * 100, shape.max / shape.mean, shape.stddev, shape.mean_mem * 100,
                shape.mean_rps * 100, static_cast<long long>(run.unplaced));
    auto row = [&](double seconds, const Moves& m, const Shape& s, int64_t unplaced) {
      return absl::StrFormat("| %s | %.2f | %lld (%.2f%%) | %lld | %.2fx | %lld | %d | %lld |\n", run.name,
                             seconds, m.tenants, 100.0 * m.tenants / tenants, m.floor,
                             static_cast<double>(m.tenants) / std::max<int64_t>(1, m.floor), m.replicas,
                             s.used, unplaced);
    };
    kill_table += row(run.repair_seconds, moves, after, run.unplaced_after);
    drift_table += row(run.drift_seconds, drift_moves, drift, run.unplaced_drift);
    if (!data.empty()) {
      std::string file = run.name.substr(0, run.name.find(' '));
      file.erase(std::remove_if(file.begin(), file.end(), [](char c) { return !std::isalnum(c); }), file.end());
      std::ofstream util(data + "/util_" + file + ".tsv");
      util << "memory\trate\n";
      for (const auto& [um, ur] : shape.dims) util << um << '\t' << ur << '\n';
      summary << run.name << '\t' << static_cast<double>(shape.used) / lower << '\t'
              << 100.0 * moves.tenants / tenants << '\t' << 100.0 * moves.floor / tenants << '\t'
              << 100.0 * drift_moves.tenants / tenants << '\t' << 100.0 * drift_moves.floor / tenants << '\n';
    }
  }
  const char* header =
      "| algorithm | re-place (s) | tenants moved | floor | / floor | replicas moved | nodes used | unplaced |\n"
      "|---|---|---|---|---|---|---|---|\n";
  std::printf("\n%.0f%% of the nodes each algorithm uses die (floor: tenants with a replica on them):\n\n%s%s",
              kill * 100, header, kill_table.c_str());
  std::printf("\nThe demand of 10%% of the tenants changes, all nodes alive (floor: those tenants):\n\n%s%s",
              header, drift_table.c_str());
  return 0;
}

}  // namespace
}  // namespace atl::bench

int main(int argc, char** argv) { return atl::bench::Main(argc, argv); }
