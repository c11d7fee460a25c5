// Place(): keep, evict from over-capacity nodes, best-fit the rest (the algorithm is described in
// placement.h).
#include "placement/placement.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string_view>
#include <utility>

#include "absl/container/btree_set.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace atl::placement {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

bool Fine(double v) { return std::isfinite(v) && v >= 0; }

// Relative tolerance of the capacity test (sums of doubles in another order differ in the last bits).
double Slack(double cap) { return 1e-9 * std::max(1.0, cap); }

// The fleet's state while placing: loads per node, and the used nodes in a B-tree keyed by their
// smallest residual share. Nodes are numbered by name order (their "rank"), which makes every tie
// break by name.
class Fleet {
 public:
  Fleet(std::vector<double> cap_mem, std::vector<double> cap_rps, std::vector<bool> alive,
        const Options& options)
      : cap_mem_(std::move(cap_mem)), cap_rps_(std::move(cap_rps)), alive_(std::move(alive)),
        mem_(cap_mem_.size()), rps_(cap_mem_.size()), count_(cap_mem_.size()),
        key_(kTrees * cap_mem_.size()), open_(cap_mem_.size()), options_(options) {
    for (size_t n = 0; n < cap_mem_.size(); ++n) {
      if (!alive_[n]) continue;
      ++alive_count_;
      ref_mem_ = std::max(ref_mem_, cap_mem_[n]);
      ref_rps_ = std::max(ref_rps_, cap_rps_[n]);
    }
  }

  int32_t size() const { return static_cast<int32_t>(cap_mem_.size()); }
  int32_t alive_count() const { return alive_count_; }
  bool alive(int32_t n) const { return alive_[n]; }
  double mem(int32_t n) const { return mem_[n]; }
  double rps(int32_t n) const { return rps_[n]; }
  int32_t count(int32_t n) const { return count_[n]; }
  double max_mem() const { return ref_mem_; }
  double max_rps() const { return ref_rps_; }

  // A replica's dominant share against the reference (largest usable) node.
  double Share(double dm, double dr) const {
    return std::max(ref_mem_ > 0 ? dm / ref_mem_ : 0, ref_rps_ > 0 ? dr / ref_rps_ : 0);
  }

  bool Fits(int32_t n, double dm, double dr) const {
    return mem_[n] + dm <= cap_mem_[n] + Slack(cap_mem_[n]) &&
           rps_[n] + dr <= cap_rps_[n] + Slack(cap_rps_[n]);
  }
  bool Over(int32_t n) const { return !Fits(n, 0, 0); }
  bool FitsWithout(int32_t n, double dm, double dr) const { return Fits(n, -dm, -dr); }

  // Loads without the tree (the keep phase, before Open()).
  void Add(int32_t n, double dm, double dr) {
    Update(n, dm, dr);
    ++count_[n];
  }
  void Remove(int32_t n, double dm, double dr) {
    Update(n, -dm, -dr);
    --count_[n];
  }

  // Puts every alive node that holds a replica into the tree, the others into the list of nodes
  // to open (largest first).
  void Open() {
    for (int32_t n = 0; n < size(); ++n) {
      if (!alive_[n]) continue;
      if (count_[n] > 0) {
        Insert(n);
      } else {
        closed_.push_back(n);
      }
    }
    std::stable_sort(closed_.begin(), closed_.end(), [&](int32_t a, int32_t b) {
      return std::pair(cap_mem_[a], cap_rps_[a]) > std::pair(cap_mem_[b], cap_rps_[b]);
    });
  }

  // The node for one replica (demand dm, dr; dominant share s), not one of `exclude`; -1: none.
  int32_t Choose(double dm, double dr, const std::vector<int32_t>& exclude) {
    const double s = Share(dm, dr);
    int32_t best = -1;
    double best_score = kInf;
    auto consider = [&](int32_t n) {
      if (!Fits(n, dm, dr)) return;
      double score = Score(n, dm, dr);
      if (score < best_score) {  // equal scores: the first seen (lower key, then lower rank) wins
        best = n;
        best_score = score;
      }
    };
    // Loads only grow while placing: a demand no smaller than one that fit nowhere fits nowhere
    // (this keeps a fleet out of capacity from costing a full scan per replica).
    if (exclude.empty()) {
      for (const auto& [fm, fr] : failed_) {
        if (dm >= fm && dr >= fr) return -1;
      }
    }
    auto excluded = [&](int32_t n) {
      return std::find(exclude.begin(), exclude.end(), n) != exclude.end();
    };
    // The tightest nodes that surely fit (combined key), and the tightest in memory alone and in
    // request rate alone (which fit the other dimension or not: tested).
    const double at[kTrees] = {s, ShareMem(dm), ShareRps(dr)};
    for (int tree = 0; tree < kTrees; ++tree) {
      int seen = 0;
      for (auto u = trees_[tree].lower_bound({at[tree], -1});
           u != trees_[tree].end() && seen < options_.window; ++u) {
        if (excluded(u->second)) continue;
        ++seen;
        consider(u->second);
      }
    }
    if (best >= 0) return best;
    // Open the largest unused node that can hold it.
    for (size_t i = next_closed_; i < closed_.size(); ++i) {
      int32_t n = closed_[i];
      if (open_[n] || !Fits(n, dm, dr)) continue;
      Insert(n);
      while (next_closed_ < closed_.size() && open_[closed_[next_closed_]]) ++next_closed_;
      return n;
    }
    // Last resort: every used node.
    for (const auto& [key, n] : trees_[0]) {
      if (!excluded(n)) consider(n);
    }
    if (best < 0 && exclude.empty() && failed_.size() < kFailedMemo) failed_.push_back({dm, dr});
    return best;
  }

 private:
  double ShareMem(double m) const { return ref_mem_ > 0 ? m / ref_mem_ : 0; }
  double ShareRps(double r) const { return ref_rps_ > 0 ? r / ref_rps_ : 0; }

  // Keys: the smallest residual share, the memory one, the request rate one.
  void Keys(int32_t n, double* keys) const {
    keys[1] = ref_mem_ > 0 ? (cap_mem_[n] - mem_[n]) / ref_mem_ : kInf;
    keys[2] = ref_rps_ > 0 ? (cap_rps_[n] - rps_[n]) / ref_rps_ : kInf;
    keys[0] = std::min(keys[1], keys[2]);
  }

  // Residuals after placing, as shares of this node's usable capacity: the tightest fit wins, and
  // the balance term prefers nodes whose two dimensions end up equally full.
  double Score(int32_t n, double dm, double dr) const {
    double rm = cap_mem_[n] > 0 ? (cap_mem_[n] - mem_[n] - dm) / cap_mem_[n] : 0;
    double rr = cap_rps_[n] > 0 ? (cap_rps_[n] - rps_[n] - dr) / cap_rps_[n] : 0;
    return std::sqrt(rm * rm + rr * rr) + options_.balance_weight * std::abs(rm - rr);
  }

  void Insert(int32_t n) {
    open_[n] = true;
    Keys(n, &key_[kTrees * n]);
    for (int tree = 0; tree < kTrees; ++tree) trees_[tree].insert({key_[kTrees * n + tree], n});
  }

  void Erase(int32_t n) {
    for (int tree = 0; tree < kTrees; ++tree) trees_[tree].erase({key_[kTrees * n + tree], n});
  }

  void Update(int32_t n, double dm, double dr) {
    if (open_[n]) Erase(n);
    mem_[n] += dm;
    rps_[n] += dr;
    if (open_[n]) Insert(n);
  }

  static constexpr int kTrees = 3;
  static constexpr size_t kFailedMemo = 64;
  std::vector<double> cap_mem_, cap_rps_;
  std::vector<bool> alive_;
  std::vector<double> mem_, rps_;
  std::vector<int32_t> count_;
  std::vector<double> key_;
  std::vector<bool> open_;
  const Options& options_;
  int32_t alive_count_ = 0;
  double ref_mem_ = 0, ref_rps_ = 0;
  absl::btree_set<std::pair<double, int32_t>> trees_[kTrees];
  std::vector<int32_t> closed_;
  std::vector<std::pair<double, double>> failed_;  // demands that fit nowhere (kFailedMemo at most)
  size_t next_closed_ = 0;
};

absl::Status Validate(absl::Span<const Node> nodes, absl::Span<const Tenant> tenants) {
  for (const Node& node : nodes) {
    if (node.name.empty()) return absl::InvalidArgumentError("placement: a node has no name");
    if (!Fine(node.memory_mb) || !Fine(node.request_rate) || !Fine(node.cores)) {
      return absl::InvalidArgumentError(
          absl::StrCat("placement: node ", node.name, ": capacities must be finite and >= 0"));
    }
    if (!(node.headroom >= 0 && node.headroom < 1)) {
      return absl::InvalidArgumentError(
          absl::StrCat("placement: node ", node.name, ": headroom must be in [0, 1)"));
    }
  }
  for (const Tenant& tenant : tenants) {
    if (tenant.name.empty()) return absl::InvalidArgumentError("placement: a tenant has no name");
    if (!Fine(tenant.memory_mb) || !Fine(tenant.request_rate)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "placement: tenant ", tenant.name, ": memory and request rate must be finite and >= 0"));
    }
    if (tenant.replicas < 1) {
      return absl::InvalidArgumentError(
          absl::StrCat("placement: tenant ", tenant.name, ": replicas must be >= 1"));
    }
  }
  return absl::OkStatus();
}

template <typename T>
absl::StatusOr<std::vector<int32_t>> ByName(absl::Span<const T> items, const char* what) {
  std::vector<int32_t> order(items.size());
  for (size_t i = 0; i < items.size(); ++i) order[i] = static_cast<int32_t>(i);
  std::sort(order.begin(), order.end(),
            [&](int32_t a, int32_t b) { return items[a].name < items[b].name; });
  for (size_t i = 1; i < order.size(); ++i) {
    if (items[order[i]].name == items[order[i - 1]].name) {
      return absl::InvalidArgumentError(
          absl::StrCat("placement: two ", what, " are named ", items[order[i]].name));
    }
  }
  return order;
}

std::string Reason(const Fleet& fleet, const Tenant& tenant, double dm, double dr) {
  if (tenant.replicas > fleet.alive_count()) {
    return absl::StrFormat("wants %d replicas but only %d nodes are alive", tenant.replicas,
                           fleet.alive_count());
  }
  if (dm > fleet.max_mem() || dr > fleet.max_rps()) {
    return absl::StrFormat(
        "a replica needs %.1f MB and %.1f req/s: more than any alive node can hold (%.1f MB, "
        "%.1f req/s after headroom)",
        dm, dr, fleet.max_mem(), fleet.max_rps());
  }
  return absl::StrFormat("no alive node has room for a replica of %.1f MB and %.1f req/s", dm, dr);
}

}  // namespace

double UsableMemory(const Node& node) { return node.memory_mb * (1 - node.headroom); }

double UsableRequestRate(const Node& node, const Options& options) {
  double rate = node.request_rate > 0 ? node.request_rate : node.cores * options.request_rate_per_core;
  return rate * (1 - node.headroom);
}

absl::StatusOr<Placement> Place(absl::Span<const Node> nodes, absl::Span<const Tenant> tenants,
                                const Options& options) {
  if (absl::Status status = Validate(nodes, tenants); !status.ok()) return status;
  absl::StatusOr<std::vector<int32_t>> node_order = ByName(nodes, "nodes");
  if (!node_order.ok()) return node_order.status();
  absl::StatusOr<std::vector<int32_t>> tenant_order = ByName(tenants, "tenants");
  if (!tenant_order.ok()) return tenant_order.status();

  // Internal node numbers are ranks by name.
  const std::vector<int32_t>& input_of = *node_order;
  const int32_t node_count = static_cast<int32_t>(nodes.size());
  std::vector<double> cap_mem(node_count), cap_rps(node_count);
  std::vector<bool> alive(node_count);
  absl::flat_hash_map<std::string_view, int32_t> rank_of;
  rank_of.reserve(node_count);
  for (int32_t r = 0; r < node_count; ++r) {
    const Node& node = nodes[input_of[r]];
    cap_mem[r] = UsableMemory(node);
    cap_rps[r] = UsableRequestRate(node, options);
    alive[r] = node.alive;
    rank_of[node.name] = r;
  }
  Fleet fleet(std::move(cap_mem), std::move(cap_rps), std::move(alive), options);

  // Per-replica demand, and the order of everything below: dominant share down, then name.
  const size_t tenant_count = tenants.size();
  std::vector<double> dm(tenant_count), dr(tenant_count), share(tenant_count);
  for (size_t t = 0; t < tenant_count; ++t) {
    dm[t] = tenants[t].memory_mb;
    dr[t] = tenants[t].request_rate / tenants[t].replicas;
    share[t] = fleet.Share(dm[t], dr[t]);
  }
  std::vector<int32_t> order = std::move(*tenant_order);
  std::stable_sort(order.begin(), order.end(),
                   [&](int32_t a, int32_t b) { return share[a] > share[b]; });

  Placement out;
  Stats& stats = out.stats;
  std::vector<std::vector<int32_t>> on(tenant_count);  // internal node numbers
  std::vector<bool> moved(tenant_count);

  // (1) Keep what is on alive nodes.
  for (int32_t t : order) {
    const Tenant& tenant = tenants[t];
    for (const std::string& name : tenant.current) {
      auto found = rank_of.find(name);
      if (found == rank_of.end() || !fleet.alive(found->second)) {
        ++stats.replicas_lost;
        moved[t] = true;
        continue;
      }
      int32_t n = found->second;
      if (std::find(on[t].begin(), on[t].end(), n) != on[t].end()) {
        ++stats.replicas_dropped;
        continue;
      }
      if (static_cast<int>(on[t].size()) >= tenant.replicas) {
        ++stats.replicas_dropped;
        moved[t] = true;
        continue;
      }
      on[t].push_back(n);
      fleet.Add(n, dm[t], dr[t]);
      ++stats.replicas_kept;
    }
  }

  // (2) Evict from nodes over capacity: the smallest replica whose removal is enough, else the
  // largest, until the node fits.
  std::vector<int32_t> over;
  for (int32_t n = 0; n < node_count; ++n) {
    if (fleet.alive(n) && fleet.count(n) > 0 && fleet.Over(n)) over.push_back(n);
  }
  if (!over.empty()) {
    absl::flat_hash_map<int32_t, std::vector<int32_t>> held;  // over-capacity node -> tenants
    for (int32_t n : over) held[n];
    for (int32_t t : order) {  // so each list is sorted by share down, then name
      for (int32_t n : on[t]) {
        if (auto it = held.find(n); it != held.end()) it->second.push_back(t);
      }
    }
    for (int32_t n : over) {
      std::vector<int32_t>& list = held[n];
      while (fleet.Over(n) && !list.empty()) {
        size_t pick = 0;  // the largest, unless a smaller one is enough
        for (size_t i = list.size(); i-- > 0;) {
          if (fleet.FitsWithout(n, dm[list[i]], dr[list[i]])) {
            pick = i;
            break;
          }
        }
        int32_t t = list[pick];
        list.erase(list.begin() + static_cast<ptrdiff_t>(pick));
        fleet.Remove(n, dm[t], dr[t]);
        on[t].erase(std::find(on[t].begin(), on[t].end(), n));
        --stats.replicas_kept;
        ++stats.replicas_evicted;
        moved[t] = true;
      }
    }
  }

  // (3) Best-fit every missing replica, largest first, from two queues taken in turn so that both
  // dimensions progress at the same pace (placement.h: "Both dimensions used").
  fleet.Open();
  std::vector<int32_t> queue[2];  // [0]: memory-dominant, [1]: rate-dominant; each share down
  double total[2] = {0, 0}, done[2] = {0, 0};
  for (int32_t t : order) {
    double missing = tenants[t].replicas - static_cast<double>(on[t].size());
    if (missing <= 0) continue;
    total[0] += missing * dm[t];
    total[1] += missing * dr[t];
  }
  for (int32_t t : order) {
    if (static_cast<int>(on[t].size()) >= tenants[t].replicas) continue;
    bool rate = options.interleave && total[1] > 0 &&
                (total[0] == 0 || dr[t] / total[1] > dm[t] / total[0]);
    queue[rate].push_back(t);
  }
  size_t head[2] = {0, 0};
  while (head[0] < queue[0].size() || head[1] < queue[1].size()) {
    int q = head[0] == queue[0].size()   ? 1
            : head[1] == queue[1].size() ? 0
            : (done[0] * total[1] <= done[1] * total[0] ? 0 : 1);
    int32_t t = queue[q][head[q]++];
    const Tenant& tenant = tenants[t];
    while (static_cast<int>(on[t].size()) < tenant.replicas) {
      int32_t n = fleet.Choose(dm[t], dr[t], on[t]);
      if (n < 0) break;
      fleet.Add(n, dm[t], dr[t]);
      on[t].push_back(n);
      done[0] += dm[t];
      done[1] += dr[t];
      ++stats.replicas_placed;
    }
    int placed = static_cast<int>(on[t].size());
    if (placed < tenant.replicas) {
      out.shortfalls.push_back({t, tenant.replicas, placed, Reason(fleet, tenant, dm[t], dr[t])});
    }
  }
  std::sort(out.shortfalls.begin(), out.shortfalls.end(),
            [](const Shortfall& a, const Shortfall& b) { return a.tenant < b.tenant; });

  // Back to the caller's numbering.
  out.nodes.resize(tenant_count);
  for (size_t t = 0; t < tenant_count; ++t) {
    out.nodes[t].reserve(on[t].size());
    for (int32_t n : on[t]) out.nodes[t].push_back(input_of[n]);
    if (moved[t]) ++stats.tenants_moved;
  }
  out.memory_mb.assign(node_count, 0);
  out.request_rate.assign(node_count, 0);
  for (int32_t n = 0; n < node_count; ++n) {
    out.memory_mb[input_of[n]] = fleet.mem(n);
    out.request_rate[input_of[n]] = fleet.rps(n);
    if (fleet.alive(n) && fleet.count(n) > 0) ++stats.nodes_used;
  }
  return out;
}

}  // namespace atl::placement
