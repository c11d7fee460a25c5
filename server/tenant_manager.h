#pragma once
// The dispatcher of one worker process: requests routed by Host and path (TenantRegistry) go to
// their tenant's isolate (IsolateCache), loaded on the tenant's first request, with the
// ResponseSink that answers them (response_sink.h). When every isolate is busy the request gets
// 503 overloaded. Limit kills (cpu, memory) discard the tenant's isolate; its next request gets a
// fresh one, unless repeated kills refuse the tenant for a while (TenantHealth). Wall time is
// enforced here (WallLimits): a request still unanswered after `wall_ms` gets 503 wall_limit.
// Service-binding calls between tenants (Outbound) are dispatched here too; deploys and removals
// through the admin API change the registry and the cache together.

#include <uv.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "bindings/worker.h"
#include "cache/code_cache.h"
#include "isolates/limits.h"
#include "server/http_server.h"
#include "server/isolate_cache.h"
#include "server/isolation.h"
#include "server/outbound.h"
#include "server/prewarmer.h"
#include "server/response_sink.h"
#include "server/scheduled_events.h"
#include "server/tenant_health.h"
#include "server/tenant_registry.h"
#include "server/tenant_runtime.h"
#include "server/wall_limits.h"

namespace atl::server {

// One tenant as the admin API and the metrics see it.
struct TenantInfo {
  const TenantSpec* spec = nullptr;
  bool live = false;                  // has an isolate now
  uint64_t heap_bytes = 0;
  bool streams_snapshot = false;      // its isolate is from the streams snapshot (bindings/streams_context.h)
  uint64_t cpu_kills = 0, memory_kills = 0, wall_kills = 0;
  double cpu_ms = 0;                  // time spent running its handlers synchronously on the loop
  uint64_t scheduled_ok = 0, scheduled_exception = 0;  // scheduled events and their outcome
  uint64_t loads_on_request = 0, prewarms = 0;        // TenantHealth::Counts
};

class TenantManager : public RequestSink {
 public:
  struct Counters {
    uint64_t overloaded = 0;
    uint64_t cpu_kills = 0, memory_kills = 0, wall_kills = 0;
  };

  TenantManager(uv_loop_t* loop, const isolates::PoolLimits& pool_limits, cache::CodeCache* code_cache);
  ~TenantManager() override;

  // Routes and the isolate pool; errors on a route conflict or a binary without a snapshot.
  absl::Status Start(std::vector<TenantSpec> tenants);
  void set_server(HttpServer* server);
  HttpServer* server() const { return server_; }
  // Loads every tenant now instead of on its first request (`serve SCRIPT.js`: a broken script
  // stops startup). Call after set_server.
  absl::Status Preload();
  // Loads tenant `index` now if it serves and has no isolate (cluster mode pre-warms the tenants
  // placed on this node); OK if it has one already.
  absl::Status Warm(uint32_t index);
  // Loads tenant `index` ahead of its first request (Prewarmer) and gives it an idle tenant's
  // compacting GC: OK if it loaded, AlreadyExists if there was nothing to do (it has an isolate,
  // does not serve, another process serves it, or it is cooling down), else the load's error.
  absl::Status Prewarm(uint32_t index);
  // Starts loading tenants in the background (prewarmer.h) until the worker grew by `budget_kb`
  // (its share of the server's prewarm_mb: PrewarmBudgetKb).
  void StartPrewarm(uint64_t budget_kb);
  const Prewarmer* prewarmer() const { return prewarmer_.get(); }
  // Stops the prewarm where it is (a draining worker loads nothing more).
  void StopPrewarm() {
    if (prewarmer_) prewarmer_->Stop();
  }
  // Drops every tenant's isolate and stops the background work.
  void Shutdown();
  // One "pool stats" log line: pool and context latencies, creations, evictions, compiles.
  void LogStats() const;

  // RequestSink: a client's request.
  RouteDecision Route(std::string_view host, std::string_view path) override;
  void Dispatch(uint64_t id, int32_t target, const bindings::RequestView& request, ResponseSink& response) override;
  bool PushUpload(uint64_t id, int32_t target, std::string_view bytes) override;
  void EndUpload(uint64_t id, int32_t target, std::string_view error) override;
  void ResumeResponse(uint64_t id, int32_t target) override;
  void Forget(uint64_t id, int32_t target, bool aborted) override;

  // From TenantRuntime.
  void OnKilled(uint32_t tenant, isolates::LimitKind why);
  Outbound& outbound() { return *outbound_; }
  // Outbound fetch (through TenantRuntime) and service bindings (through Outbound).
  bool StartFetch(uint32_t tenant, uint64_t fetch, const bindings::FetchRequestView& request, std::string* error);
  bool ForwardToObjectOwner(uint32_t tenant, uint64_t fetch, const bindings::FetchRequestView& request, std::string* error);
  bool ForwardToObjectNode(uint32_t tenant, uint64_t fetch, const bindings::FetchRequestView& request, std::string* error);

  // From Outbound: service call `id` to tenant `target`, answered into `response` (valid until
  // ReleaseService). Returns how long the called handler ran synchronously (0 if it did not run).
  uint64_t DispatchService(uint64_t id, uint32_t target, const bindings::RequestView& request, ResponseSink* response);
  // The caller took what the call's streamed body wrote so far.
  void ResumeService(uint32_t target, uint64_t id);
  // The caller cancelled the call (abandoned if unanswered), or is done with it.
  void CancelService(uint32_t target, uint64_t id);
  void ReleaseService(uint32_t target, uint64_t id);
  uint32_t CpuMsOf(uint32_t tenant) const { return registry_.spec(tenant).worker.limits.cpu_ms; }
  // Whether the client's request `id` is still in flight (a service call chain's root).
  bool ClientRequestInFlight(uint64_t id) const { return server_ != nullptr && server_->InFlight(id); }
  bindings::Worker* WorkerOf(uint32_t tenant) const;
  // An outbound WebSocket of `tenant` (its fetch was answered 101): a socket id in the process's
  // hub, owned by the tenant's runtime, events held; 0 if the tenant has no runtime any more.
  uint64_t AttachClientWebSocket(uint32_t tenant, WebSocketPeer* peer, WebSocketHub** hub);
  // The 101 reached the tenant's JS (or could not): the socket's events flow, or it is closed
  // when the tenant's Worker does not know it (`tenant` UINT32_MAX: never delivered).
  void ReleaseClientWebSocket(uint32_t tenant, uint64_t socket);
  const std::string& TenantName(uint32_t tenant) const { return registry_.name(tenant); }

  const Counters& counters() const { return counters_; }
  const TenantSpec& spec(uint32_t index) const { return registry_.spec(index); }
  // Cron triggers and scheduled events fired by hand (scheduled_events.h).
  ScheduledEvents& scheduled() { return *scheduled_; }
  // wrangler's --test-scheduled: a request for /__scheduled?cron=... runs the routed tenant's
  // scheduled handler instead of its fetch handler.
  void set_test_scheduled(bool on) { test_scheduled_ = on; }

  // The admin API (admin_api.h). Tenants keep their index for the life of the process; a
  // removed tenant keeps its slot (and its name for metrics) until it is deployed again.
  // The index of the tenant named `name` (removed ones too), or -1.
  int32_t Find(std::string_view name) const { return registry_.Find(name); }
  // Whether tenant `index` serves (not removed).
  bool Serving(uint32_t index) const { return registry_.Serving(index); }
  size_t tenant_slots() const { return registry_.size(); }
  TenantInfo Info(uint32_t index) const;
  // Compiles `spec` in a fresh isolate and, if it loads, makes it the tenant of that name (new,
  // or replacing the old version: requests in flight on the old one get 503 overloaded). On
  // failure nothing changes: InvalidArgument with the script error or the route conflict.
  // A tenant another process serves (isolation.h) is only registered here, its script checked
  // in a throwaway isolate when `check_elsewhere` (the admin API's deploy) and not run at all
  // otherwise (a deploy other workers are told of).
  absl::Status Deploy(TenantSpec spec, bool check_elsewhere = true);
  // What Deploy would answer for `spec`, without serving it (cluster mode checks a deploy on the
  // node that takes it before writing it to etcd).
  absl::Status Check(TenantSpec spec);
  // Stops routing to the tenant and drops its isolate; false if there is none of that name.
  bool Remove(std::string_view name);
  // Isolates with a tenant loaded, and those being torn down.
  size_t live_isolates() const { return cache_.live(); }
  size_t retiring_isolates() const { return cache_.retiring(); }
  size_t spare_isolates() const { return cache_.ready_isolates(); }  // blank, ready for a cold tenant
  isolates::IsolatePool::Stats pool_stats() const { return cache_.pool_stats(); }
  // Isolation groups (isolation.h): whether tenant `index` is served by another process, the
  // new table from the supervisor (tenants moved out have their runtime retired here), and the
  // forwarding.
  bool Elsewhere(uint32_t index) const { return isolation_->Elsewhere(registry_.name(index)); }
  void SetIsolationTable(std::string_view table);
  IsolationForwarder& isolation() { return *isolation_; }
  // Called with an `isolation = "auto"` tenant's name after kAutoIsolateAfterKills kills in a row.
  void set_on_repeated_kills(std::function<void(const std::string&)> f) { on_repeated_kills_ = std::move(f); }
  // Tenants may be deployed after Start (the admin API, a cluster's control plane); call before
  // Start. Blank isolates are made with a heap limit of at least `min_heap_mb` (a tenant deployed
  // later cannot ask for more), and one more is kept ready than there are tenants, for the next
  // deploy's tenant: a server whose tenants all come from deploys has spares too.
  void AcceptDeploys(uint32_t min_heap_mb) {
    min_heap_mb_ = min_heap_mb;
    accepts_deploys_ = true;
  }
  // Cluster mode: where a Durable Object call for another node goes (fetch service
  // "@do-node:NAME"): false when node NAME is not known; else its address and the fleet's secret.
  struct NodeTarget {
    std::string host, advertise, secret;
    uint16_t port = 0;
  };
  void set_object_nodes(std::function<bool(std::string_view node, NodeTarget* out)> f) { object_nodes_ = std::move(f); }

 private:
  // A deploy checked and (if `compile`) compiled, not yet serving (Check drops it, Deploy installs it).
  struct Prepared {
    TenantRegistry::Staged staged;
    std::unique_ptr<TenantRuntime> runtime;
  };
  absl::StatusOr<Prepared> Prepare(TenantSpec* spec, bool compile);
  // Request `id` to tenant `target`; answered through `response` at once when it cannot run.
  void DispatchTo(uint64_t id, int32_t target, const bindings::RequestView& request, ResponseSink* response);
  // The live runtime of cold `tenant`, loaded now; null when `response` got an error instead
  // (503 overloaded or cooling down, 500 script_error).
  TenantRuntime* Activate(uint32_t tenant, ResponseSink* response);
  // Answers what is in flight on tenant `index`'s runtime with `error` and retires it.
  void DropRuntime(uint32_t index, ServerError error);
  // The tenants that could want a blank isolate: those serving, and the next deploy's.
  size_t TenantsWantingIsolates() const;
  // The Worker streaming request `id` of tenant `target` (either way), or null.
  bindings::Worker* StreamWorker(int32_t target, uint64_t id) const;
  // A wall deadline passed for request `id` of `tenant`.
  void OnWallDeadline(uint64_t id, uint32_t tenant);

  uv_loop_t* loop_;
  isolates::PoolLimits pool_limits_;
  cache::CodeCache* code_cache_;
  HttpServer* server_ = nullptr;
  TenantRegistry registry_;
  IsolateCache cache_;
  WallLimits wall_;
  std::unique_ptr<Outbound> outbound_;
  std::unique_ptr<ScheduledEvents> scheduled_;
  std::unique_ptr<IsolationForwarder> isolation_;
  std::unique_ptr<Prewarmer> prewarmer_;       // null unless [server] prewarm_mb
  std::function<void(const std::string&)> on_repeated_kills_;
  std::function<bool(std::string_view, NodeTarget*)> object_nodes_;
  bool test_scheduled_ = false;
  TenantHealth health_;
  Counters counters_;
  uint32_t min_heap_mb_ = 16;
  bool accepts_deploys_ = false;
  uint32_t heap_mb_ = 16;                      // the blank isolates' heap limit
  uint64_t last_run_ns_ = 0;                   // what the last dispatch's handler run was charged
};

}  // namespace atl::server
