#pragma once
// Durable Objects across a fleet (README.md "Durable Objects in a fleet"): which node owns each
// object, and the fencing token of this node's claims. One per worker process in cluster mode.
//
// - A claim is PREFIX do/TENANT/CLASS/ID -> NODE, created by a create-if-absent transaction under
//   the node's lease (the one PREFIX nodes/NODE is registered with), by the node where the object
//   is called first when nobody owns it. The key's create_revision is the fencing token: a new
//   claim after the old one vanished always has a higher one. The claim disappears with the lease.
// - Owners are cached: the claims are listed, then watched (EtcdMirror), so etcd is not on the
//   path of a call once its owner is known; a miss is resolved (and claimed) asynchronously.
// - Every worker checks the node's lease itself (reads nodes/NODE's lease and its remaining TTL,
//   without renewing it: the syncing worker does, cluster_node.h) and keeps the monotonic time
//   before which the lease certainly lives: send time of the last successful read + the remaining
//   TTL etcd answered (whole seconds, rounded down). Past it (reads failing, renewals stopped,
//   the process stopped longer than the TTL, the lease expired or replaced), every claim of this
//   node is dropped at once: Where() no longer answers kHere and the fence hook returns 0, before
//   etcd can let another node claim.
// - Node-to-node calls carry the fleet secret (fleet_secret.h; ClusterForward holds it).
//
//   ClusterObjects objects(loop, plan.cluster);
//   objects.Start();  objects.Install();   // kv::DoConfig().where / resolve / fence
//   ...  objects.Shutdown();

#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "config/cluster_layout.h"
#include "config/config.h"
#include "kv/do_store.h"
#include "server/cluster_forward.h"
#include "server/etcd_client.h"

namespace atl::server {

class ClusterObjects {
 public:
  ClusterObjects(uv_loop_t* loop, const config::ClusterConfig& cluster);
  ~ClusterObjects();
  void Start();
  // Sets kv::DoConfig()'s cluster hooks to this object (Shutdown unsets them).
  void Install();
  void Shutdown();
  // Draining: this process gives up every claim of the node now (worker 0 revokes the lease).
  void Release();

  // The owner as the cache says (kUnknown also when this node's own claim is not valid now).
  kv::ObjectRoute Where(std::string_view tenant, std::string_view class_name, std::string_view id) const;
  // The owner from etcd, claimed for this node if the object has none. Unavailable when this
  // node holds no valid lease, or etcd cannot be reached.
  void Resolve(std::string_view tenant, std::string_view class_name, std::string_view id,
               std::function<void(absl::StatusOr<kv::ObjectRoute>)> done);
  // This node's fencing token for the object (0: not owned here now), whatever worker asks.
  uint64_t NodeFence(std::string_view tenant, std::string_view class_name, std::string_view id) const;

  const std::string& node_name() const { return cluster_.node_name; }
  bool lease_valid() const;

 private:
  struct Claim {
    std::string node;
    int64_t token = 0;  // the key's create_revision
    int64_t lease = 0;
  };
  void ResolveNow(std::string_view tenant, std::string_view class_name, std::string_view id,
                  std::function<void(absl::StatusOr<kv::ObjectRoute>)> done, bool retried);
  void Pump();
  void CheckLease();
  // A lease check finished: the resolves that waited for it go on.
  void Checked();
  // nodes/NODE names another lease (or none): this node's claims under the old one are dropped.
  void SwitchLease(int64_t lease);
  void Remember(const std::string& name, Claim claim);

  uv_loop_t* loop_;
  config::ClusterConfig cluster_;
  config::ClusterKeys keys_;
  EtcdClient etcd_;
  std::unique_ptr<EtcdMirror> mirror_;
  uv_timer_t timer_;
  absl::flat_hash_map<std::string, Claim> claims_;  // "TENANT/CLASS/ID" -> its claim
  std::vector<std::function<void()>> after_check_;
  int64_t lease_ = 0;             // nodes/NODE's lease as last read
  uint64_t valid_until_ns_ = 0;   // uv_hrtime() before which lease_ certainly lives
  uint64_t next_check_ms_ = 0;
  bool lease_busy_ = false, stopped_ = false, released_ = false;
};

}  // namespace atl::server
