// Place(): capacity and anti-affinity always hold, shortages are reported, re-placing is stable and
// the result deterministic.
#include "placement/placement.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace atl::placement {
namespace {

std::vector<Node> MakeNodes(int count, double memory_mb, double rate, double headroom = 0.2) {
  std::vector<Node> nodes;
  for (int i = 0; i < count; ++i) {
    nodes.push_back({.name = absl::StrCat("node-", i), .memory_mb = memory_mb,
                     .request_rate = rate, .cores = 8, .headroom = headroom});
  }
  return nodes;
}

// Skewed demand: lognormal memory, lognormal (heavy-tailed) request rate, k in 1..3.
std::vector<Tenant> MakeTenants(int count, uint32_t seed, int max_replicas = 3) {
  std::mt19937_64 rng(seed);
  std::lognormal_distribution<double> memory(std::log(32.0), 0.8);
  std::lognormal_distribution<double> rate(std::log(5.0), 1.5);
  std::uniform_int_distribution<int> replicas(1, max_replicas);
  std::vector<Tenant> tenants;
  for (int i = 0; i < count; ++i) {
    tenants.push_back({.name = absl::StrCat("tenant-", i), .memory_mb = std::min(memory(rng), 1024.0),
                       .request_rate = std::min(rate(rng), 2000.0), .replicas = replicas(rng)});
  }
  return tenants;
}

// The previous assignment, as the control plane would store it: node names per tenant.
void Carry(const Placement& placement, const std::vector<Node>& nodes, std::vector<Tenant>& tenants) {
  for (size_t t = 0; t < tenants.size(); ++t) {
    tenants[t].current.clear();
    for (int32_t n : placement.nodes[t]) tenants[t].current.push_back(nodes[n].name);
  }
}

std::set<std::string> NamesOf(const Placement& placement, const std::vector<Node>& nodes, size_t t) {
  std::set<std::string> names;
  for (int32_t n : placement.nodes[t]) names.insert(nodes[n].name);
  return names;
}

// Recomputes every node's load from the assignment and checks capacity, anti-affinity, liveness,
// and that every tenant short of k replicas is listed in the shortfalls.
void ExpectValid(const std::vector<Node>& nodes, const std::vector<Tenant>& tenants,
                 const Placement& placement, const Options& options = {}) {
  ASSERT_EQ(placement.nodes.size(), tenants.size());
  std::vector<double> mem(nodes.size()), rps(nodes.size());
  std::set<int32_t> short_tenants;
  for (const Shortfall& s : placement.shortfalls) short_tenants.insert(s.tenant);
  for (size_t t = 0; t < tenants.size(); ++t) {
    const std::vector<int32_t>& on = placement.nodes[t];
    std::set<int32_t> distinct(on.begin(), on.end());
    ASSERT_EQ(distinct.size(), on.size()) << tenants[t].name << " has two replicas on one node";
    ASSERT_LE(static_cast<int>(on.size()), tenants[t].replicas);
    if (static_cast<int>(on.size()) < tenants[t].replicas) {
      ASSERT_TRUE(short_tenants.count(static_cast<int32_t>(t))) << tenants[t].name;
    }
    for (int32_t n : on) {
      ASSERT_TRUE(nodes[n].alive) << tenants[t].name << " placed on dead " << nodes[n].name;
      mem[n] += tenants[t].memory_mb;
      rps[n] += tenants[t].request_rate / tenants[t].replicas;
    }
  }
  for (size_t n = 0; n < nodes.size(); ++n) {
    double cap_mem = UsableMemory(nodes[n]), cap_rps = UsableRequestRate(nodes[n], options);
    EXPECT_LE(mem[n], cap_mem * (1 + 1e-6) + 1e-6) << nodes[n].name << " memory over capacity";
    EXPECT_LE(rps[n], cap_rps * (1 + 1e-6) + 1e-6) << nodes[n].name << " request rate over capacity";
    EXPECT_NEAR(placement.memory_mb[n], mem[n], 1e-6 * std::max(1.0, mem[n]));
  }
}

TEST(PlacementTest, CapacityAndAntiAffinityHold) {
  std::vector<Node> nodes = MakeNodes(200, 16384, 8000);
  std::vector<Tenant> tenants = MakeTenants(20000, 1);
  absl::StatusOr<Placement> placement = Place(nodes, tenants);
  ASSERT_TRUE(placement.ok()) << placement.status();
  ExpectValid(nodes, tenants, *placement);
  EXPECT_TRUE(placement->shortfalls.empty());
  EXPECT_GT(placement->stats.replicas_placed, 20000);
  EXPECT_EQ(placement->stats.replicas_kept, 0);
}

TEST(PlacementTest, TightFleetReportsWhatDoesNotFitAndStillHoldsCapacity) {
  std::vector<Node> nodes = MakeNodes(20, 16384, 8000);
  std::vector<Tenant> tenants = MakeTenants(20000, 2);
  absl::StatusOr<Placement> placement = Place(nodes, tenants);
  ASSERT_TRUE(placement.ok());
  ExpectValid(nodes, tenants, *placement);
  ASSERT_FALSE(placement->shortfalls.empty());
  EXPECT_NE(placement->shortfalls[0].reason.find("no alive node has room"), std::string::npos)
      << placement->shortfalls[0].reason;
  EXPECT_EQ(placement->stats.nodes_used, 20);
}

TEST(PlacementTest, MoreReplicasThanAliveNodesIsReported) {
  std::vector<Node> nodes = MakeNodes(3, 1024, 1000);
  nodes[1].alive = false;
  std::vector<Tenant> tenants = {{.name = "triple", .memory_mb = 10, .request_rate = 3, .replicas = 3},
                                 {.name = "single", .memory_mb = 10, .request_rate = 3}};
  absl::StatusOr<Placement> placement = Place(nodes, tenants);
  ASSERT_TRUE(placement.ok());
  ExpectValid(nodes, tenants, *placement);
  ASSERT_EQ(placement->shortfalls.size(), 1u);
  const Shortfall& s = placement->shortfalls[0];
  EXPECT_EQ(s.tenant, 0);
  EXPECT_EQ(s.wanted, 3);
  EXPECT_EQ(s.placed, 2);
  EXPECT_EQ(s.reason, "wants 3 replicas but only 2 nodes are alive");
  EXPECT_EQ(placement->nodes[1].size(), 1u);
}

TEST(PlacementTest, ReplicaLargerThanAnyNodeIsReported) {
  std::vector<Node> nodes = MakeNodes(4, 1000, 1000, 0.5);  // 500 MB usable
  std::vector<Tenant> tenants = {{.name = "huge", .memory_mb = 600, .request_rate = 1}};
  absl::StatusOr<Placement> placement = Place(nodes, tenants);
  ASSERT_TRUE(placement.ok());
  ASSERT_EQ(placement->shortfalls.size(), 1u);
  EXPECT_NE(placement->shortfalls[0].reason.find("more than any alive node can hold"),
            std::string::npos);
  EXPECT_TRUE(placement->nodes[0].empty());
}

TEST(PlacementTest, UsesFewNodesAndPairsComplementaryTenants) {
  // 10 memory-heavy and 10 traffic-heavy tenants: one of each fills a node in both dimensions.
  std::vector<Node> nodes = MakeNodes(40, 100, 100, 0);
  std::vector<Tenant> tenants;
  for (int i = 0; i < 10; ++i) {
    tenants.push_back({.name = absl::StrCat("mem-", i), .memory_mb = 60, .request_rate = 30});
    tenants.push_back({.name = absl::StrCat("rps-", i), .memory_mb = 30, .request_rate = 60});
  }
  absl::StatusOr<Placement> placement = Place(nodes, tenants);
  ASSERT_TRUE(placement.ok());
  ExpectValid(nodes, tenants, *placement);
  EXPECT_EQ(placement->stats.nodes_used, 10);
}

TEST(PlacementTest, InterleavingFillsBothDimensions) {
  // Busy tenants (1 MB, 50 req/s) and big ones (49 MB, 1 req/s): the best node holds one busy and
  // two big ones. Placed in plain decreasing order, the busy ones pair up first and fill nodes
  // with request rate alone.
  std::vector<Node> nodes = MakeNodes(30, 100, 100, 0);
  std::vector<Tenant> tenants;
  for (int i = 0; i < 10; ++i) {
    tenants.push_back({.name = absl::StrCat("busy-", i), .memory_mb = 1, .request_rate = 50});
  }
  for (int i = 0; i < 20; ++i) {
    tenants.push_back({.name = absl::StrCat("big-", i), .memory_mb = 49, .request_rate = 1});
  }
  absl::StatusOr<Placement> placement = Place(nodes, tenants);
  ASSERT_TRUE(placement.ok());
  ExpectValid(nodes, tenants, *placement);
  EXPECT_EQ(placement->stats.nodes_used, 10);
  absl::StatusOr<Placement> plain = Place(nodes, tenants, {.interleave = false});
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->stats.nodes_used, 15);
}

TEST(PlacementTest, OnePercentOfNodesDieOnlyTheirTenantsMove) {
  std::vector<Node> nodes = MakeNodes(1000, 16384, 8000);
  std::vector<Tenant> tenants = MakeTenants(60000, 3);
  absl::StatusOr<Placement> first = Place(nodes, tenants);
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(first->shortfalls.empty());
  // Kill 10 used nodes (1% of the fleet), spread over the used ones.
  std::vector<int32_t> used;
  for (size_t n = 0; n < nodes.size(); ++n) {
    if (first->memory_mb[n] > 0) used.push_back(static_cast<int32_t>(n));
  }
  ASSERT_GE(used.size(), 100u);
  std::set<std::string> dead;
  for (int i = 0; i < 10; ++i) {
    Node& node = nodes[used[i * used.size() / 10]];
    node.alive = false;
    dead.insert(node.name);
  }
  Carry(*first, nodes, tenants);
  absl::StatusOr<Placement> second = Place(nodes, tenants);
  ASSERT_TRUE(second.ok());
  ExpectValid(nodes, tenants, *second);
  EXPECT_TRUE(second->shortfalls.empty());
  int64_t affected = 0;
  for (size_t t = 0; t < tenants.size(); ++t) {
    std::set<std::string> before = NamesOf(*first, nodes, t), after = NamesOf(*second, nodes, t);
    bool hit = false;
    for (const std::string& name : before) {
      if (dead.count(name)) {
        hit = true;
      } else {
        EXPECT_TRUE(after.count(name)) << tenants[t].name << " left surviving node " << name;
      }
    }
    if (hit) {
      ++affected;
    } else {
      EXPECT_EQ(before, after) << tenants[t].name << " moved without cause";
    }
  }
  EXPECT_GT(affected, 0);
  EXPECT_EQ(second->stats.tenants_moved, affected);
  EXPECT_EQ(second->stats.replicas_evicted, 0);
  EXPECT_EQ(second->stats.replicas_placed, second->stats.replicas_lost);
}

TEST(PlacementTest, DemandGrowthEvictsOnlyFromTheOverloadedNode) {
  std::vector<Node> nodes = MakeNodes(100, 16384, 8000);
  std::vector<Tenant> tenants = MakeTenants(5000, 4, 1);
  absl::StatusOr<Placement> first = Place(nodes, tenants);
  ASSERT_TRUE(first.ok());
  Carry(*first, nodes, tenants);
  // One tenant's traffic grows past what its (full) node has left.
  int32_t grown = 0;
  for (size_t t = 0; t < tenants.size(); ++t) {
    if (first->request_rate[first->nodes[t][0]] > 0.5 * 6400) {
      grown = static_cast<int32_t>(t);
      break;
    }
  }
  const int32_t hot_node = first->nodes[grown][0];
  tenants[grown].request_rate += 6400 - first->request_rate[hot_node] + 100;
  absl::StatusOr<Placement> second = Place(nodes, tenants);
  ASSERT_TRUE(second.ok());
  ExpectValid(nodes, tenants, *second);
  EXPECT_GE(second->stats.replicas_evicted, 1);
  EXPECT_LE(second->stats.replicas_evicted, 2);  // the smallest replica that is enough
  for (size_t t = 0; t < tenants.size(); ++t) {
    if (first->nodes[t] != second->nodes[t]) {
      EXPECT_EQ(first->nodes[t][0], hot_node) << tenants[t].name << " moved off a node with room";
    }
  }
}

TEST(PlacementTest, LoweredReplicaCountDropsAndRaisedOneAdds) {
  std::vector<Node> nodes = MakeNodes(5, 1024, 1000);
  std::vector<Tenant> tenants = {
      {.name = "down", .memory_mb = 10, .request_rate = 4, .replicas = 1, .current = {"node-1", "node-3"}},
      {.name = "up", .memory_mb = 10, .request_rate = 4, .replicas = 3, .current = {"node-2"}}};
  absl::StatusOr<Placement> placement = Place(nodes, tenants);
  ASSERT_TRUE(placement.ok());
  ExpectValid(nodes, tenants, *placement);
  EXPECT_EQ(NamesOf(*placement, nodes, 0), std::set<std::string>{"node-1"});
  EXPECT_EQ(placement->nodes[1].size(), 3u);
  EXPECT_TRUE(NamesOf(*placement, nodes, 1).count("node-2"));
  EXPECT_EQ(placement->stats.replicas_dropped, 1);
  EXPECT_EQ(placement->stats.replicas_placed, 2);
}

TEST(PlacementTest, DeterministicWhateverTheInputOrder) {
  std::vector<Node> nodes = MakeNodes(300, 16384, 8000);
  std::vector<Tenant> tenants = MakeTenants(20000, 5);
  absl::StatusOr<Placement> a = Place(nodes, tenants);
  absl::StatusOr<Placement> b = Place(nodes, tenants);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->nodes, b->nodes);
  std::vector<Node> shuffled_nodes = nodes;
  std::vector<Tenant> shuffled_tenants = tenants;
  std::mt19937 rng(7);
  std::shuffle(shuffled_nodes.begin(), shuffled_nodes.end(), rng);
  std::shuffle(shuffled_tenants.begin(), shuffled_tenants.end(), rng);
  absl::StatusOr<Placement> c = Place(shuffled_nodes, shuffled_tenants);
  ASSERT_TRUE(c.ok());
  absl::flat_hash_map<std::string, std::set<std::string>> by_name;
  for (size_t t = 0; t < shuffled_tenants.size(); ++t) {
    by_name[shuffled_tenants[t].name] = NamesOf(*c, shuffled_nodes, t);
  }
  for (size_t t = 0; t < tenants.size(); ++t) {
    ASSERT_EQ(NamesOf(*a, nodes, t), by_name[tenants[t].name]) << tenants[t].name;
  }
}

TEST(PlacementTest, MalformedInputIsAnError) {
  std::vector<Node> nodes = MakeNodes(2, 1024, 1000);
  std::vector<Tenant> ok = {{.name = "t", .memory_mb = 1, .request_rate = 1}};
  nodes[1].name = nodes[0].name;
  EXPECT_EQ(Place(nodes, ok).status().code(), absl::StatusCode::kInvalidArgument);
  nodes = MakeNodes(2, 1024, 1000);
  nodes[0].headroom = 1;
  EXPECT_EQ(Place(nodes, ok).status().code(), absl::StatusCode::kInvalidArgument);
  nodes = MakeNodes(2, 1024, 1000);
  std::vector<Tenant> bad = {{.name = "t", .memory_mb = 1, .request_rate = 1, .replicas = 0}};
  EXPECT_EQ(Place(nodes, bad).status().code(), absl::StatusCode::kInvalidArgument);
  bad = {{.name = "t", .memory_mb = NAN, .request_rate = 1}};
  EXPECT_EQ(Place(nodes, bad).status().code(), absl::StatusCode::kInvalidArgument);
  bad = {{.name = "t", .memory_mb = 1}, {.name = "t", .memory_mb = 2}};
  EXPECT_EQ(Place(nodes, bad).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(PlacementTest, RequestRateFromCoresWhenNotGiven) {
  std::vector<Node> nodes = {{.name = "a", .memory_mb = 1000, .cores = 2, .headroom = 0}};
  Options options{.request_rate_per_core = 100};
  EXPECT_EQ(UsableRequestRate(nodes[0], options), 200);
  std::vector<Tenant> tenants = {{.name = "x", .memory_mb = 1, .request_rate = 150},
                                 {.name = "y", .memory_mb = 1, .request_rate = 150}};
  absl::StatusOr<Placement> placement = Place(nodes, tenants, options);
  ASSERT_TRUE(placement.ok());
  EXPECT_EQ(placement->shortfalls.size(), 1u);
}

}  // namespace
}  // namespace atl::placement
