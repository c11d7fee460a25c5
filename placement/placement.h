// Placement of tenants onto the nodes of a fleet (issue 16): which k nodes serve each tenant.
// A pure function with no I/O, so that `atoll control` (server/, through etcd) and the simulation
// benchmark (bench/placement_benchmark.cc) run the same code.
//
//   std::vector<placement::Node> nodes = {{.name = "a", .memory_mb = 16384, .request_rate = 8000}, ...};
//   std::vector<placement::Tenant> tenants = {{.name = "shop", .memory_mb = 40, .request_rate = 12,
//                                             .replicas = 2, .current = {"a", "c"}}, ...};
//   absl::StatusOr<placement::Placement> p = placement::Place(nodes, tenants);
//   // p->nodes[i]: indexes into `nodes` of tenant i's replicas; p->shortfalls: what could not be placed.
//
// What it guarantees (every call, whatever the input):
//   - Capacity: on every node, the sum of its replicas' memory and request rate stays within
//     capacity x (1 - headroom) in both dimensions; a replica that fits nowhere is not placed and is
//     reported in `shortfalls` (never squeezed in).
//   - Anti-affinity: a tenant's replicas are on distinct alive nodes. k > alive nodes is reported as
//     a shortfall ("wants 3 replicas but only 2 nodes are alive") and the tenant gets one replica per
//     alive node that has room.
//   - Stability: a replica already on an alive node stays there unless that node is over capacity
//     (demand grew, capacity or headroom changed) or the tenant's k went down. So when nodes die,
//     only the tenants that had a replica on them move, and only those replicas.
//   - Determinism: the result depends on the input values only, not on the order of `nodes` or
//     `tenants` (ties are broken by name).
//
// What it optimises (a heuristic: vector bin packing is NP-hard):
//   - Few nodes used: replicas to place are taken in decreasing order of their dominant share (the
//     larger of memory / reference memory and rate / reference rate, the reference being the largest
//     usable node), and each goes to an already used node when one fits ("best-fit decreasing"); an
//     unused node (largest first) is opened only when none does.
//   - Both dimensions used, not one: the replicas to place form two queues, memory-dominant and
//     rate-dominant (each replica's demand against the pending total of each dimension), each in
//     decreasing share, and the next replica comes from the queue whose dimension has had the
//     smaller fraction of its pending total placed so far. Plain decreasing order would place every
//     busy tenant first and fill nodes with request rate while their memory stays idle (then
//     memory-heavy tenants need new nodes): on the benchmark's workload that costs 60% more nodes.
//   - Low imbalance and little stranded capacity: among the used nodes where the replica fits, the one
//     chosen minimises  |residual after placing|_2 + balance_weight x |memory residual - rate residual|
//     (residuals as shares of the node's usable capacity): the tightest fit, with ties broken toward
//     nodes whose two dimensions fill evenly, so that neither memory nor request rate is left stranded.
//
// How it stays fast (1,000,000 tenants onto 10,000 nodes in about 2 s): used nodes sit in three
// B-trees, keyed by their smallest residual share, their memory residual and their request-rate
// residual (shares of the reference capacity). A replica of dominant share s surely fits in every
// node whose first key is >= s; the search takes the `window` nodes just at or above s in the first
// tree (the tightest sure fits), and the `window` tightest in memory alone and in request rate alone
// (which may or may not have room in the other dimension: this is where a memory-heavy replica
// finds a node with memory left but its request rate spent, and the reverse), tests each exactly and
// scores them. Only when none fits does it open a new node, and only when no node can be opened
// does it scan every used node. O(log n) per replica in the common case.
//
// Incremental repair (the order of one call): (1) keep every current replica that is on an alive
// node of the input (dropping duplicates and those beyond k); (2) on each node now over capacity,
// evict replicas until it fits: the smallest single replica whose removal is enough, else the
// largest and repeat (few evictions, small ones); (3) place every missing replica (new tenants,
// replicas lost with dead nodes, evicted ones, raised k) with the best-fit search above.
//
// Not done here: consolidation (moving tenants off nearly empty nodes to free them: the fleet only
// packs tighter as it is re-placed, never by moving what already fits), and any notion of zones or
// racks (anti-affinity is per node).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace atl::placement {

// A node of the fleet as the control plane knows it (registered in etcd under a lease).
struct Node {
  std::string name;
  double memory_mb = 0;     // memory for tenants' isolates
  double request_rate = 0;  // requests/s it can serve; 0: cores x Options::request_rate_per_core
  double cores = 0;
  bool alive = true;        // false: its lease expired; nothing is placed on it
  double headroom = 0.2;    // fraction of each dimension kept free, in [0, 1)
};

// A tenant with its measured demand. Each replica holds the whole memory (its own isolate) and
// serves 1/replicas of the request rate.
struct Tenant {
  std::string name;
  double memory_mb = 0;
  double request_rate = 0;
  int replicas = 1;                  // k, >= 1
  std::vector<std::string> current = {};  // the previous assignment: node names it is on now
};

struct Options {
  double request_rate_per_core = 1000;  // a node's request rate when it gives none
  double balance_weight = 0.5;          // weight of the balance term in the fit score
  int window = 8;                       // candidates looked at in each of the three B-trees
  bool interleave = true;               // two queues taken in turn (false: one, share down)
};

// A replica that could not be placed, with the reason in words.
struct Shortfall {
  int32_t tenant = 0;  // index into the tenants given
  int wanted = 0;      // k
  int placed = 0;      // replicas it got
  std::string reason;
};

// What moved, for logs and for the benchmark. "Replica" counts are (tenant, node) pairs.
struct Stats {
  int64_t replicas_kept = 0;     // current replicas left where they were
  int64_t replicas_lost = 0;     // current replicas on a dead or unknown node
  int64_t replicas_evicted = 0;  // current replicas moved off an over-capacity node
  int64_t replicas_dropped = 0;  // current replicas beyond a lowered k (or duplicates)
  int64_t replicas_placed = 0;   // replicas placed on a node they were not on
  int64_t tenants_moved = 0;     // tenants with a current replica lost, evicted or dropped
  int32_t nodes_used = 0;        // alive nodes with at least one replica
};

struct Placement {
  std::vector<std::vector<int32_t>> nodes;  // per tenant (input order): indexes into the nodes given
  std::vector<double> memory_mb;            // per node: memory placed on it
  std::vector<double> request_rate;         // per node: request rate placed on it
  std::vector<Shortfall> shortfalls;
  Stats stats;
};

// Places every tenant. Errors (InvalidArgument) only for malformed input: duplicate or empty names,
// negative or non-finite numbers, headroom outside [0, 1), replicas < 1. A shortage of nodes or
// capacity is not an error: it is reported in `shortfalls`.
absl::StatusOr<Placement> Place(absl::Span<const Node> nodes, absl::Span<const Tenant> tenants,
                                const Options& options = {});

// A node's usable capacity (capacity x (1 - headroom)), as Place computes it.
double UsableMemory(const Node& node);
double UsableRequestRate(const Node& node, const Options& options);

}  // namespace atl::placement
