#pragma once
// The admin API's side of cluster mode (README.md "Running a fleet"): a deploy or a delete is
// written to etcd (optimistic concurrency on tenants/NAME's mod_revision: a client that sends
// If-Match: REVISION and is not up to date gets 409), then the answer waits until every node
// registered under nodes/ reports loaded/NODE/NAME >= that revision (200), or says which nodes
// are still behind after [cluster] deploy_timeout_ms (202). Each worker of every node has one;
// the node's own sync (cluster_node.h) is what applies the change, here as everywhere.
//
//   ClusterAdmin cluster(loop, plan.cluster);
//   cluster.Deploy("hello", split_body, if_match, [](ClusterAdmin::Answer a) { respond(a.status, a.body); });

#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/container/flat_hash_set.h"
#include "config/cluster_layout.h"
#include "config/config.h"
#include "server/etcd_client.h"

namespace atl::server {

class ClusterAdmin {
 public:
  struct Answer {
    int status = 200;
    std::string body;  // JSON
  };
  using Done = std::function<void(Answer)>;

  ClusterAdmin(uv_loop_t* loop, const config::ClusterConfig& cluster);
  ~ClusterAdmin();

  // Writes `body`'s script as a bundle and tenants/NAME, then waits for the nodes. `if_match`:
  // the mod_revision the client's change is based on (0: the tenant must not exist yet).
  void Deploy(const std::string& name, const config::SplitBody& body, std::optional<int64_t> if_match, Done done);
  void Delete(const std::string& name, Done done);
  // GET /cluster: the registered nodes and the revision each serves of each tenant, the
  // controller leader's name and the placements (`atoll control`).
  void Describe(Done done);
  void Shutdown();

 private:
  struct Waiter;
  // tenants/NAME is at `revision`: wait for the nodes.
  void Written(const std::string& name, int64_t revision, bool deleted, Done done);
  void Wait(Waiter* waiter);
  void Finish(Waiter* waiter, Answer answer);
  // Describe's last part: `out` is {"revision":..,"nodes":[...] without its closing brace.
  void AddPlacements(std::string out, Done done);

  uv_loop_t* loop_;
  config::ClusterConfig cluster_;
  config::ClusterKeys keys_;
  EtcdClient etcd_;
  absl::flat_hash_set<Waiter*> waiters_;
  bool shut_down_ = false;
};

// "If-Match" as a revision: `"12"`, `12` or `W/"12"`; nullopt for an absent or unreadable one.
std::optional<int64_t> ParseIfMatch(std::string_view header);

}  // namespace atl::server
