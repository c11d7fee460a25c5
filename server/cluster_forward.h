#pragma once
// Cluster mode's request path (README.md "Placements and forwarding"): a RequestSink in front of
// the TenantManager that serves the tenants placed on this node and forwards the others, one hop,
// to a placed node that is alive. Every worker process keeps its own view of etcd's
// PREFIX placements/ and PREFIX nodes/ (EtcdMirror: listed, then watched from the listed
// revision + 1), so all workers of a node learn a placement without the supervisor.
//
// A request goes to this node's tenant when: it has no route, it carries `x-atoll-forwarded`
// (the loop guard; the header is taken out before the tenant sees it), it is a WebSocket upgrade,
// its tenant has no placement, is placed here, or no placed node is in nodes/. Otherwise it is
// sent to a placed node's `advertise` address over the process's keep-alive pool (HttpClient) with
// `x-atoll-forwarded: THIS_NODE` and the client's Host; both bodies stream. When the forward fails
// before any response byte (connect refused, the connection broke) the request is served here
// instead, with the body bytes kept so far (up to kMaxReplayBytes; past them: 503 overloaded),
// and the node is skipped for a second. Tenants placed here are pre-warmed (TenantManager::Warm).
//
//   ClusterForward forward(loop, plan.cluster, &tenants);
//   HttpServer server(loop, limits, &forward);   forward.Start();   ...   forward.Shutdown();

#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "config/cluster_layout.h"
#include "config/config.h"
#include "server/etcd_client.h"
#include "server/fleet_secret.h"
#include "server/http_client.h"
#include "server/http_server.h"
#include "server/metrics.h"
#include "server/tenant_manager.h"

namespace atl::server {

// One etcd prefix mirrored in memory: listed, then watched from the listed revision + 1; a broken
// watch resumes from the last revision seen, a compacted one lists again (Pump, on a timer).
class EtcdMirror : public EtcdClient::WatchHandler {
 public:
  // `put(name, kv)` / `put(name, nullptr)` (deleted) for each key under `prefix` (`name` is
  // the rest of the key); `reset()` before the keys of a new list. `deleted(name, revision)`, if
  // set, is called instead of put(name, nullptr), with the delete's revision.
  EtcdMirror(EtcdClient* etcd, std::string prefix, std::function<void()> reset,
             std::function<void(const std::string&, const EtcdClient::KeyValue*)> put);
  void set_on_delete(std::function<void(const std::string&, int64_t)> deleted) { deleted_ = std::move(deleted); }
  void Pump();
  void Stop();
  bool synced() const { return watching_; }

  void OnWatchStarted() override { watching_ = true; }
  void OnEvents(int64_t revision, std::vector<EtcdClient::WatchEvent> events) override;
  void OnCompacted(int64_t compact_revision) override;
  void OnWatchError(const absl::Status& error) override;

 private:
  EtcdClient* etcd_;
  std::string prefix_;
  std::function<void()> reset_;
  std::function<void(const std::string&, const EtcdClient::KeyValue*)> put_;
  std::function<void(const std::string&, int64_t)> deleted_;
  EtcdClient::Watch* watch_ = nullptr;
  int64_t revision_ = 0;  // everything up to it is mirrored; 0: list first
  bool listing_ = false, watching_ = false, stopped_ = false;
};

class ClusterObjects;

class ClusterForward : public RequestSink {
 public:
  // Body bytes of a streamed upload kept for serving it here if the forward fails first.
  static constexpr size_t kMaxReplayBytes = 8 << 20;

  ClusterForward(uv_loop_t* loop, const config::ClusterConfig& cluster, TenantManager* tenants);
  ~ClusterForward() override;
  void Start();
  void Shutdown();
  // Where forwards, fallbacks and failures are counted (atoll_forwards_total); null: nowhere.
  void set_metrics(Metrics* metrics) { metrics_ = metrics; }
  // Durable Object calls from other nodes (cluster_objects.h) are given to it.
  void set_objects(const ClusterObjects* objects) { objects_ = objects; }
  // Where node `name` is reached (its advertise address); false if it is not registered.
  bool AddressOf(std::string_view name, std::string* host, uint16_t* port, std::string* advertise) const;

  // The path prefix of Durable Object calls between nodes: /__atoll_do/TENANT/.
  static constexpr std::string_view kObjectPath = "/__atoll_do/";
  // The header carrying the fleet secret on a Durable Object call.
  static constexpr std::string_view kObjectTokenHeader = "x-atoll-do-node";
  // The loop guard of a forwarded request, and the header carrying the fleet secret with it.
  static constexpr std::string_view kForwardedHeader = "x-atoll-forwarded";
  static constexpr std::string_view kForwardTokenHeader = "x-atoll-forward-token";
  // The fleet secret (empty until read from etcd): what calls between nodes carry.
  const FleetSecret& secret() const { return secret_; }
  // RequestSink
  RouteDecision Route(std::string_view host, std::string_view path) override;
  void Dispatch(uint64_t id, int32_t target, const bindings::RequestView& request, ResponseSink& response) override;
  bool PushUpload(uint64_t id, int32_t target, std::string_view bytes) override;
  void EndUpload(uint64_t id, int32_t target, std::string_view error) override;
  void ResumeResponse(uint64_t id, int32_t target) override;
  void Forget(uint64_t id, int32_t target, bool aborted) override;

 private:
  struct Node {
    std::string name;
    std::string host;  // the advertise address's
    uint16_t port = 0;
    std::string advertise;
    uint64_t down_until_ms = 0;  // a forward to it failed before an answer: skipped until then
  };
  class Forward;  // cluster_forward.cc: one forwarded request, the FetchSink of its exchange

  // The placed, alive node to forward `tenant`'s request to, or null: serve it here.
  // Round robin over the placed nodes.
  const Node* PickNode(const std::string& tenant);
  // `request` (without the forward headers) forwarded to a placed node, or served here when
  // `here`, when no placed node is alive, or while the fleet secret is not known.
  void ForwardOrServe(uint64_t id, int32_t target, const bindings::RequestView& request, ResponseSink& response,
                      bool here);
  void StartForward(uint64_t id, int32_t target, const bindings::RequestView& request, ResponseSink& response,
                    const Node& node);
  // The forward of `forward` failed before any answer: its request is served here.
  void FallBack(Forward* forward, const std::string& why);
  void WarmPlaced();
  // A Durable Object call from another node: checked, then given to the object's tenant here.
  void ObjectCall(uint64_t id, int32_t target, const bindings::RequestView& request, ResponseSink& response);
  void Count(Metrics::Forward outcome) {
    if (metrics_ != nullptr) metrics_->CountForward(outcome);
  }

  uv_loop_t* loop_;
  config::ClusterConfig cluster_;
  config::ClusterKeys keys_;
  TenantManager* tenants_;
  Metrics* metrics_ = nullptr;
  const ClusterObjects* objects_ = nullptr;
  EtcdClient etcd_;
  FleetSecret secret_;
  HttpClient client_;
  std::unique_ptr<EtcdMirror> placements_mirror_, nodes_mirror_;
  uv_timer_t pump_timer_;
  absl::flat_hash_map<std::string, std::vector<std::string>> placements_;  // tenant -> its nodes
  absl::flat_hash_map<std::string, Node> nodes_;                           // alive nodes
  absl::flat_hash_set<std::string> to_warm_;  // placed here, not warmed yet
  absl::flat_hash_map<uint64_t, std::unique_ptr<Forward>> forwards_;
  uint64_t round_robin_ = 0;
  uint64_t fallback_logged_ms_ = 0;
  bool stopped_ = false;
};

}  // namespace atl::server
