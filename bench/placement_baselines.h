// The two classic baselines placement_benchmark compares atl::placement::Place() with:
// first-fit decreasing and best-fit decreasing, vector (memory + request rate) versions with
// the same anti-affinity and capacity rules, placing everything from scratch every time (they have
// no notion of a previous assignment). Benchmark code, not a library.
#pragma once

#include <cstdint>
#include <vector>

namespace atl::bench {

// One node's usable capacity (after headroom).
struct Bin {
  double memory_mb = 0;
  double request_rate = 0;
};

// One tenant: per-replica demand and its replica count.
struct Item {
  double memory_mb = 0;     // per replica
  double request_rate = 0;  // per replica (the tenant's rate / k)
  int replicas = 1;
};

// Result: per item, the bins (indexes) of its replicas; per bin, its load.
struct Packing {
  std::vector<std::vector<int32_t>> bins;
  std::vector<double> memory_mb, request_rate;
  int64_t unplaced = 0;  // replicas that fit nowhere
};

// Items in decreasing dominant share (against the largest bin), bins opened in the given order
// (`order`: the benchmark gives largest first, as Place() does).
// First fit: each replica goes to the first bin in `order` where it fits in both dimensions and its
// tenant has no replica yet (a segment tree of per-dimension maxima finds it in O(log n) mostly).
Packing FirstFitDecreasing(const std::vector<Bin>& bins, const std::vector<int32_t>& order,
                           const std::vector<Item>& items);
// Best fit: each replica goes to the used bin with the least remaining capacity (its smallest
// remaining share) that is at least the replica's dominant share, i.e. the classic 1-D best fit
// applied to the dominant share; a new bin is opened only when no used bin qualifies.
Packing BestFitDecreasing(const std::vector<Bin>& bins, const std::vector<int32_t>& order,
                          const std::vector<Item>& items);

}  // namespace atl::bench
