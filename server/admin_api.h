#pragma once
// The admin API of SPEC §5 on its own listener (`admin_listen`): deploy, list, inspect and
// delete tenants, Prometheus metrics and a health check. It has its own HttpServer and answers
// every request itself, never through a tenant. Every request needs
// `Authorization: Bearer TOKEN` (compared in constant time); else 401.
//
// Every worker process accepts on the admin listener; whichever takes a request answers for all
// of them through its WorkerLink: metrics and stats are summed over the workers, a deploy or a
// delete is done here and then loaded by every other worker before the answer, and /healthz is
// 200 only when every worker answers.
//
//   AdminApi admin(loop, token, &store, &tenants, &metrics, &kv_stores, &link);
//   admin.ListenOn(fd);

#include <uv.h>

#include <memory>
#include <optional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "kv/kv_store.h"
#include "server/cluster_admin.h"
#include "server/cluster_node.h"
#include "server/http_server.h"
#include "server/metrics.h"
#include "server/tenant_manager.h"
#include "server/tenant_stats.h"
#include "server/tenant_store.h"
#include "server/worker_link.h"

namespace atl::server {

// In cluster mode (set_cluster) a deploy or a delete goes to etcd (cluster_admin.h) and reaches
// this node, like every other, through its ClusterNode, which applies it through this class
// (ClusterApplier). /healthz (liveness) and /readyz (every worker up and, in cluster mode, the
// node synced with etcd) answer without the token, as probes need.
class AdminApi : public RequestSink, public ClusterApplier {
 public:
  // Deploy bodies over this get 413.
  static constexpr uint64_t kMaxBody = 5ull << 20;

  AdminApi(uv_loop_t* loop, std::string token, TenantStore* store, TenantManager* tenants, const Metrics* metrics,
           kv::KvRegistry* kv_stores, WorkerLink* link);

  absl::StatusOr<std::string> ListenOn(int fd) { return server_.ListenOn(fd); }
  void Shutdown() { server_.Shutdown(); }
  // Stops accepting; the admin requests already received (a deploy waiting for the other
  // workers) are still answered: in_flight() counts down to 0.
  void Drain() { server_.Drain(); }
  size_t in_flight() const { return server_.in_flight(); }
  // Connections still open while draining: one accepted just before may not have sent its
  // request yet (a deploy racing a reload's SIGTERM), and is read and answered, not reset.
  size_t connection_count() const { return server_.connection_count(); }
  // Cluster mode: deploys and deletes go to etcd.
  void set_cluster(ClusterAdmin* cluster) { cluster_ = cluster; }
  // Whether this worker is ready (/readyz), besides being up: worker 0's ClusterNode is synced.
  void set_ready_check(std::function<bool()> ready) { ready_ = std::move(ready); }
  // GET /cluster/objects/TENANT/CLASS/ID: a JSON answer about the Durable Object's owner as this
  // worker process sees it (cluster_objects.h); `path` is "TENANT/CLASS/ID".
  void set_object_info(std::function<std::string(std::string_view path)> info) { object_info_ = std::move(info); }

  // Every serving tenant's stats summed over the workers (those that answer within 2 s): the
  // node's load report (load_reporter.h).
  void CollectStats(std::function<void(absl::flat_hash_map<std::string, TenantStats>)> done);

  // ClusterApplier
  void ApplyTenant(const std::string& name, const std::string& body, uint64_t revision,
                   std::function<void(absl::Status)> done) override;
  void RemoveTenant(const std::string& name, std::function<void(absl::Status)> done) override;
  absl::flat_hash_map<std::string, uint64_t> ClusterTenants() const override;
  uint64_t ClusterRevision(std::string_view name) const override;

  // RequestSink
  RouteDecision Route(std::string_view host, std::string_view path) override { return {0, kMaxBody}; }
  void Dispatch(uint64_t id, int32_t target, const bindings::RequestView& request, ResponseSink& response) override;
  bool PushUpload(uint64_t id, int32_t target, std::string_view bytes) override;
  void EndUpload(uint64_t id, int32_t target, std::string_view error) override;
  void Forget(uint64_t id, int32_t target, bool aborted) override { uploads_.erase(id); }

 private:
  struct Upload {
    std::string method, path;
    std::string body;
    std::string if_match;
  };
  // A deploy done on this node: staged, served by this worker, committed.
  struct Deployed {
    uint64_t version = 0;
    std::string etag;
  };

  void Handle(uint64_t id, std::string_view method, std::string_view path, std::string_view body, std::string_view if_match = {});
  // /healthz and /readyz.
  void Probe(uint64_t id, std::string_view method, std::string_view path);
  // Stages `body` in the store, serves it on this worker and commits it; the HTTP status of a
  // failure is in *status.
  absl::StatusOr<Deployed> DeployHere(std::string_view name, std::string_view body, uint64_t revision, int* status);
  // GET /cluster and /cluster/objects/... (admin_api_cluster.cc); false: not a cluster route here.
  bool HandleCluster(uint64_t id, std::string_view method, std::string_view path);
  void ClusterDeploy(uint64_t id, std::string_view name, std::string_view body, std::string_view if_match);
  void FireScheduled(uint64_t id, std::string_view method, std::string_view name, std::string cron);
  void Respond(uint64_t id, int status, std::string_view body, std::string_view content_type = "application/json");
  void RespondError(uint64_t id, int status, std::string_view code, std::string_view message = {});
  void Deploy(uint64_t id, std::string_view name, std::string_view body);
  // POST /tenants/NAME/isolation {"isolation":"process"|"shared"}: the supervisor moves it.
  void MoveTenant(uint64_t id, std::string_view method, std::string_view name, std::string_view body);
  // Tells the other workers that tenant `name` changed in the store, then answers `id` with `body`.
  void Propagate(uint64_t id, std::string_view name, std::string body);
  // Answers `id` with tenant `name` (or every serving tenant), stats summed over the workers.
  void RespondTenants(uint64_t id, std::optional<std::string> name);
  std::string TenantJson(uint32_t index, const TenantStats& stats) const;
  TenantStats LocalStats(uint32_t index) const;
  std::string RenderMetrics() const;
  // Another worker's question (WorkerLink): "ping", "metrics", "stats [NAME]", "reload NAME".
  void Answer(std::string_view question, WorkerLink::Reply reply);
  // Makes this worker serve what the store holds for tenant `name`: "ok" or the error.
  std::string ReloadTenant(std::string_view name);

  std::string token_;
  TenantStore* store_;
  TenantManager* tenants_;
  const Metrics* metrics_;
  kv::KvRegistry* kv_stores_;
  WorkerLink* link_;
  ClusterAdmin* cluster_ = nullptr;
  std::function<bool()> ready_;
  std::function<std::string(std::string_view)> object_info_;
  HttpServer server_;
  absl::flat_hash_map<uint64_t, Upload> uploads_;  // requests whose body is streamed
};

// Whether `header` is "Bearer TOKEN" for `token`, in time independent of where they differ.
bool BearerMatches(std::string_view header, std::string_view token);

}  // namespace atl::server
