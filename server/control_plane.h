#pragma once
// `atoll control`: the fleet's placement controller (README.md "Running a fleet" -> "Placement
// controller"). Several may run; one leads (server/leader_election.h). The leader reads PREFIX
// nodes/ (alive nodes: their lease holds the key), load/ (each node's measured memory and request
// rate per tenant) and tenants/, runs placement::Place() (k replicas on distinct nodes, headroom,
// move-minimising: only what must move moves) and writes PREFIX placements/TENANT =
// {"nodes":[...],"controller":NAME} where the node set changed, deleting the keys of deleted
// tenants. Every write is fenced by the leader key's create_revision.
//
// When: at once on becoming the leader; a few ms after any change under nodes/ or tenants/ (two
// watches, from the revision of the last read + 1: a node joining, a node's lease expiring, a
// tenant added or removed); and every `interval_ms` from the load reports. Each pass lists
// everything again (level-triggered: a missed or broken watch costs nothing but a pass).
//
//   ControlPlane control(loop, options);
//   control.Start();  ...  control.Stop([&] { control.Shutdown(); });   // SIGTERM: resign first

#include <uv.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "config/cluster_layout.h"
#include "server/cli.h"
#include "server/etcd_client.h"
#include "server/leader_election.h"

namespace atl::server {

// A tenant nobody measured yet (no node has run it): what placement assumes for it.
inline constexpr uint64_t kDefaultTenantMemoryKb = 2048;
inline constexpr double kDefaultTenantRps = 0;

class ControlPlane {
 public:
  ControlPlane(uv_loop_t* loop, ControlOptions options);
  ~ControlPlane();
  ControlPlane(const ControlPlane&) = delete;
  ControlPlane& operator=(const ControlPlane&) = delete;

  void Start();
  // Resigns (the lease is revoked: another controller takes over at once); `done` after.
  void Stop(std::function<void()> done);
  void Shutdown();
  bool leader() const { return election_.leader(); }

 private:
  // A watch whose events only ask for a pass.
  class Trigger : public EtcdClient::WatchHandler {
   public:
    explicit Trigger(ControlPlane* owner) : owner_(owner) {}
    EtcdClient::Watch* watch = nullptr;
    void OnEvents(int64_t, std::vector<EtcdClient::WatchEvent>) override { owner_->Schedule(kDebounceMs); }
    void OnCompacted(int64_t) override { Broken(); }
    void OnWatchError(const absl::Status&) override { Broken(); }

   private:
    void Broken() {
      watch = nullptr;
      owner_->Schedule(500);
    }
    ControlPlane* owner_;
  };
  struct Snapshot {
    int64_t revision = 0;
    std::vector<EtcdClient::KeyValue> nodes, loads, tenants, placements;
  };
  static constexpr uint64_t kDebounceMs = 20;

  void OnLeadership(bool leader);
  // A pass in `delay_ms` (or when the one running ends).
  void Schedule(uint64_t delay_ms);
  void Pass();
  void Read(std::shared_ptr<Snapshot> snapshot, int step);
  void Decide(const Snapshot& snapshot);
  void Finish(bool ok);

  uv_loop_t* loop_;
  ControlOptions options_;
  config::ClusterKeys keys_;
  EtcdClient etcd_;
  LeaderElection election_;
  Trigger nodes_watch_{this}, tenants_watch_{this};
  uv_timer_t pass_timer_, periodic_timer_;
  uint64_t generation_ = 0;  // bumped on every leadership change: a pass of an older one stops
  uint64_t pass_started_ms_ = 0;
  bool passing_ = false, again_ = false, stopped_ = false;
  bool warned_no_nodes_ = false;
  size_t last_shortfalls_ = 0;
};

// Runs `atoll control` until SIGTERM/SIGINT; the exit code.
int RunControl(const ControlOptions& options);

}  // namespace atl::server
