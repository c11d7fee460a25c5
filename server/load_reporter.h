#pragma once
// A node's load report in cluster mode (README.md "Running a fleet" -> "Placement controller"):
// every few seconds the node's syncing worker (worker 0) sums its workers' per-tenant stats
// (tenant_stats.h: the V8 heap of each tenant's isolates, its request counter) and writes
// PREFIX load/NODE = {"cores","memory_mb","tenants":{"NAME":{"memory_kb","rps"}}} under the
// node's lease, so the key goes with the node. `atoll control` places tenants from it.
//
// memory_kb: the tenant's V8 heap in use, summed over the node's workers (the last value seen
// when its isolates were since evicted); rps: requests over the last interval / its seconds.
// A tenant this node never ran is not listed (the controller assumes kDefaultTenantMemoryKb).
//
//   LoadReporter load(loop, cluster, self, [&](auto done) { admin.CollectStats(done); },
//                     [&] { return node.lease(); });
//   load.Start();  ...  load.Shutdown();

#include <uv.h>

#include <cstdint>
#include <functional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "config/cluster_layout.h"
#include "config/config.h"
#include "server/etcd_client.h"
#include "server/tenant_stats.h"

namespace atl::server {

inline constexpr uint64_t kLoadReportMs = 2000;

class LoadReporter {
 public:
  using Stats = absl::flat_hash_map<std::string, TenantStats>;
  using Collect = std::function<void(std::function<void(Stats)>)>;

  LoadReporter(uv_loop_t* loop, const config::ClusterConfig& cluster, config::NodeRecord self, Collect collect,
               std::function<int64_t()> lease, uint64_t every_ms = kLoadReportMs);
  ~LoadReporter();
  LoadReporter(const LoadReporter&) = delete;
  LoadReporter& operator=(const LoadReporter&) = delete;

  void Start();
  void Shutdown();

 private:
  void Tick();
  void Report(const Stats& stats, int64_t lease);

  uv_loop_t* loop_;
  config::ClusterKeys keys_;
  std::string node_;
  config::NodeRecord self_;
  Collect collect_;
  std::function<int64_t()> lease_;
  uint64_t every_ms_;
  EtcdClient etcd_;
  uv_timer_t timer_;
  bool busy_ = false, stopped_ = false;
  uint64_t last_ms_ = 0;
  absl::flat_hash_map<std::string, uint64_t> last_requests_;
  absl::flat_hash_map<std::string, uint64_t> memory_kb_;  // the last heap measured per tenant
};

}  // namespace atl::server
