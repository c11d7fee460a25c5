#pragma once
// A node's data-plane sync in cluster mode (README.md "Running a fleet"), run by worker 0 of
// every node: it registers the node under a lease (PREFIX nodes/NODE, kept alive every TTL/3),
// lists PREFIX tenants/ and then watches from the listed revision + 1, so that no update is ever
// missed. Every change is applied in revision order through a ClusterApplier (the admin API's
// deploy path: data_dir's TenantStore, then every worker of the node loads it), with the script
// taken from the bundle cache (data_dir/cluster/bundles/SHA256) or fetched from PREFIX bundles/
// and checked against its hash. Once a tenant is served by every worker, PREFIX loaded/NODE/TENANT
// says the revision. A broken watch resumes from the last revision applied; a compacted one
// lists again. synced(): registered, listed, watching, nothing left to apply (/readyz).
//
//   ClusterNode node(loop, plan.cluster, self, data_dir / "cluster" / "bundles", &admin_api);
//   node.Start();   ...   node.Leave();  (SIGTERM: the lease is revoked)   node.Shutdown();

#include <uv.h>

#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "config/cluster_layout.h"
#include "config/config.h"
#include "server/etcd_client.h"

namespace atl::server {

// How a node serves a tenant's change on all its workers (AdminApi implements it).
class ClusterApplier {
 public:
  virtual ~ClusterApplier() = default;
  // Deploys `body` (a deploy body) as tenant `name` at etcd `revision`; `done` once every worker
  // of this node serves it, or with the reason it cannot.
  virtual void ApplyTenant(const std::string& name, const std::string& body, uint64_t revision,
                           std::function<void(absl::Status)> done) = 0;
  virtual void RemoveTenant(const std::string& name, std::function<void(absl::Status)> done) = 0;
  // The tenants this node serves from the cluster: name -> the revision each is.
  virtual absl::flat_hash_map<std::string, uint64_t> ClusterTenants() const = 0;
  // The revision of tenant `name` served here from the cluster (0: none).
  virtual uint64_t ClusterRevision(std::string_view name) const = 0;
};

// SHA-256 of `bytes` in lower-case hex: a bundle's name.
std::string Sha256Hex(std::string_view bytes);

class ClusterNode : public EtcdClient::WatchHandler {
 public:
  ClusterNode(uv_loop_t* loop, const config::ClusterConfig& cluster, config::NodeRecord self,
              std::filesystem::path bundle_dir, ClusterApplier* applier);
  ~ClusterNode() override;

  void Start();
  // Draining: stop applying, revoke the lease (the node leaves nodes/ at once).
  void Leave();
  // Closes everything; no callback afterwards.
  void Shutdown();
  // Leave()'s revoke is still in flight (the drain waits for it, within drain_ms).
  bool leaving() const { return leaving_; }
  bool synced() const { return registered_ && watching_ && queue_.empty() && !applying_ && !listing_; }
  int64_t applied_revision() const { return applied_; }
  int64_t lease() const { return lease_; }  // 0 while not registered

  // EtcdClient::WatchHandler
  void OnWatchStarted() override;
  void OnEvents(int64_t revision, std::vector<EtcdClient::WatchEvent> events) override;
  void OnCompacted(int64_t compact_revision) override;
  void OnWatchError(const absl::Status& error) override;

 private:
  struct Change {
    std::string tenant;
    bool deleted = false;
    std::string record;  // tenants/NAME's value
    int64_t revision = 0;
    bool marker = false;  // the end of a list: applied_ becomes `revision`
    bool from_watch = false;
  };

  void Register();
  void KeepAlive();
  // Level-triggered: lists, or resumes the watch, or applies the next change, as the state asks.
  void Pump();
  void List();
  void Listed(EtcdClient::RangeResult range);
  void Watch(int64_t from);
  void Next();
  void Apply(Change change);
  void WithBundle(const std::string& hash, std::function<void(absl::StatusOr<std::string>)> done);
  void Applied(const Change& change, bool report);
  void Report(const std::string& tenant, int64_t revision);
  void Log(const char* message, const absl::Status& error) const;

  uv_loop_t* loop_;
  config::ClusterConfig cluster_;
  config::ClusterKeys keys_;
  config::NodeRecord self_;
  std::filesystem::path bundle_dir_;
  ClusterApplier* applier_;
  EtcdClient etcd_;
  uv_timer_t keepalive_timer_, pump_timer_;
  EtcdClient::Watch* watch_ = nullptr;
  int64_t lease_ = 0;
  int64_t applied_ = 0;      // every change up to this revision is applied
  bool registered_ = false, lease_busy_ = false, watching_ = false, listing_ = false, applying_ = false;
  bool stopped_ = false, need_list_ = true, leaving_ = false;
  uint64_t backoff_until_ms_ = 0;  // a bundle could not be fetched: wait before trying again
  std::deque<Change> queue_;
  absl::flat_hash_map<std::string, int64_t> unreported_;  // loaded/ puts that failed: retried
  absl::flat_hash_map<std::string, int64_t> reported_;    // what loaded/NODE/ says (read when listing)
  bool in_next_ = false;
};

}  // namespace atl::server
