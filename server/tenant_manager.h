#pragma once
// Every tenant of one worker process, and the isolates they run on. Requests are routed by Host
// and path (Router); a tenant gets an isolate on its first request (startup does not depend on
// the number of tenants), taken from a pool of blank isolates made ahead of time from the
// startup snapshot. At `max_isolates` the least recently used idle tenant is evicted (its
// memory goes back to the OS); when every isolate is busy the request gets 503 overloaded.
// Limit kills (cpu, memory) discard the tenant's isolate; its next request gets a fresh one.
// Wall time is enforced here: a request still unanswered after `wall_ms` gets 503 wall_limit.
// Background work (preparing per_request contexts, tearing down killed isolates, a compacting
// GC for tenants idle for a second) runs between I/O events, never on a request's path; blank
// isolates are made and disposed on the pool's own thread.

#include <uv.h>

#include <list>
#include <memory>
#include <queue>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "base/latency_histogram.h"
#include "bindings/worker.h"
#include "cache/code_cache.h"
#include "config/route_pattern.h"
#include "isolates/cpu_watchdog.h"
#include "isolates/isolate_pool.h"
#include "isolates/limits.h"
#include "server/http_server.h"
#include "server/outbound.h"
#include "server/router.h"
#include "server/tenant_runtime.h"

namespace atl::server {

// One tenant as the server runs it.
struct TenantSpec {
  bindings::WorkerOptions worker;     // name, script, limits, context mode, env
  std::vector<config::RoutePattern> routes;
  std::vector<std::string> outbound;  // hosts fetch() may reach besides public ones (ssrf_guard.h)
  uint64_t version = 0;               // deployed through the admin API: its version, else 0
  std::string etag;                   // ... and its etag
};

// One tenant as the admin API and the metrics see it.
struct TenantInfo {
  const TenantSpec* spec = nullptr;
  bool live = false;                  // has an isolate now
  uint64_t heap_bytes = 0;
  uint64_t cpu_kills = 0, memory_kills = 0, wall_kills = 0;
  double cpu_ms = 0;                  // time spent running its handlers synchronously on the loop
};

class TenantManager : public RequestSink {
 public:
  struct Counters {
    uint64_t evictions = 0;
    uint64_t overloaded = 0;
    uint64_t cpu_kills = 0, memory_kills = 0, wall_kills = 0;
    uint64_t memory_reductions = 0;   // idle tenants given a compacting GC
  };

  TenantManager(uv_loop_t* loop, const isolates::PoolLimits& pool_limits, cache::CodeCache* code_cache);
  ~TenantManager() override;

  // Routes and the isolate pool; errors on a route conflict or a binary without a snapshot.
  absl::Status Start(std::vector<TenantSpec> tenants);
  void set_server(HttpServer* server) { server_ = server; }
  // Loads every tenant now instead of on its first request (`serve SCRIPT.js`: a broken script
  // stops startup). Call after set_server.
  absl::Status Preload();
  // Drops every tenant's isolate and stops the background work.
  void Shutdown();
  // One "pool stats" log line: pool and context latencies, creations, evictions, compiles.
  void LogStats() const;

  // RequestSink
  RouteDecision Route(std::string_view host, std::string_view path) override;
  void Dispatch(uint64_t id, int32_t target, const bindings::RequestView& request) override;
  bool PushUpload(uint64_t id, std::string_view bytes) override;
  void EndUpload(uint64_t id, std::string_view error) override;
  void ResumeResponse(uint64_t id) override;
  void Forget(uint64_t id, bool aborted) override;

  // From TenantRuntime.
  void RequestAnswered(uint64_t id) { wall_pending_.erase(id); }
  // Request `id` of `tenant` has a streamed body (either way) until the connection forgets it.
  void TrackStream(uint64_t id, uint32_t tenant) { streams_[id] = tenant; }
  void OnKilled(uint32_t tenant, isolates::LimitKind why);
  // Answers request `id` with a server error: to its connection, or to the tenant that called
  // through a service binding.
  void FailRequest(uint64_t id, ServerError error);
  Outbound& outbound() { return *outbound_; }

  // Outbound fetch (through TenantRuntime) and service bindings (through Outbound).
  bool StartFetch(uint32_t tenant, uint64_t fetch, const bindings::FetchRequestView& request, std::string* error);
  // Returns how long the called handler ran synchronously (0 if it did not run).
  uint64_t DispatchService(uint64_t id, uint32_t target, const bindings::RequestView& request);
  uint32_t CpuMsOf(uint32_t tenant) const { return tenants_[tenant].spec.worker.limits.cpu_ms; }
  void CancelService(uint64_t id);
  // Whether the client's request `id` is still in flight (a service call chain's root).
  bool ClientRequestInFlight(uint64_t id) const { return server_ != nullptr && server_->InFlight(id); }
  bindings::Worker* WorkerOf(uint32_t tenant) const;
  const std::string& TenantName(uint32_t tenant) const { return tenants_[tenant].spec.worker.tenant_name; }

  const Counters& counters() const { return counters_; }

  // The admin API (admin_api.h). Tenants keep their index for the life of the process; a
  // removed tenant keeps its slot (and its name for metrics) until it is deployed again.
  // The index of the tenant named `name` (removed ones too), or -1.
  int32_t Find(std::string_view name) const;
  // Whether tenant `index` serves (not removed).
  bool Serving(uint32_t index) const { return index < tenants_.size() && !tenants_[index].removed; }
  size_t tenant_slots() const { return tenants_.size(); }
  TenantInfo Info(uint32_t index) const;
  // Compiles `spec` in a fresh isolate and, if it loads, makes it the tenant of that name (new,
  // or replacing the old version: requests in flight on the old one get 503 overloaded). On
  // failure nothing changes: InvalidArgument with the script error or the route conflict.
  absl::Status Deploy(TenantSpec spec);
  // Stops routing to the tenant and drops its isolate; false if there is none of that name.
  bool Remove(std::string_view name);
  // Isolates with a tenant loaded, and those being torn down.
  size_t live_isolates() const { return lru_.size(); }
  size_t retiring_isolates() const { return doomed_.size(); }
  isolates::IsolatePool::Stats pool_stats() const { return pool_ ? pool_->stats() : isolates::IsolatePool::Stats{}; }
  // The heap limit blank isolates are made with is at least this (call before Start): tenants
  // deployed later cannot ask for more.
  void set_min_heap_mb(uint32_t mb) { min_heap_mb_ = mb; }

 private:
  struct Tenant {
    TenantSpec spec;
    std::unique_ptr<TenantRuntime> runtime;    // null while cold
    std::list<uint32_t>::iterator lru;         // valid while runtime is set
    uint64_t last_used_ms = 0;                 // loop time of its last request
    bool reduced = true;                       // no request since its last idle GC
    uint64_t retry_load_at_ms = 0;             // after a failed load: 500 until then
    // Limit kills of one kind in a row, each within PoolLimits::kill_window_ms of the last.
    struct Strikes {
      uint64_t last_ms = 0;
      uint32_t count = 0;
    };
    Strikes memory_strikes, cpu_strikes;
    uint64_t cooldown_until_ms = 0;            // after repeated kills: 503 `cooldown_error` until then
    ServerError cooldown_error = ServerError::kMemoryLimit;
    bool wants_contexts = false;               // queued in want_contexts_
    bool removed = false;                      // DELETE through the admin API: not routed
    uint64_t cpu_kills = 0, memory_kills = 0, wall_kills = 0;
    uint64_t run_ns = 0;                       // synchronous handler time (Dispatch)
  };
  // A request answered asynchronously, waiting for its wall deadline.
  struct WallDeadline {
    uint64_t at_ms;
    uint64_t id;
    bool operator>(const WallDeadline& other) const { return at_ms > other.at_ms; }
  };

  // Gives `tenant` an isolate with its script loaded, evicting if needed; ResourceExhausted
  // when every isolate is busy.
  absl::StatusOr<TenantRuntime*> Load(uint32_t tenant);
  // A runtime for tenant `index` running `spec` (not installed).
  absl::StatusOr<std::unique_ptr<TenantRuntime>> MakeRuntime(uint32_t index, const TenantSpec& spec);
  // The router of every serving tenant, with `extra` (index, spec) in place of its slot.
  absl::StatusOr<Router> BuildRouter(int64_t extra_index, const TenantSpec* extra) const;
  // Answers what is in flight on tenant `index`'s runtime with `error` and retires it.
  void DropRuntime(uint32_t index, ServerError error);
  // After a limit kill of `tenant`: counts it, and refuses the tenant for a while if it is one
  // of several of that kind in a row (PoolLimits::kill_cooldown_ms).
  // ... or at once, after a kill whose run went on `overrun_ms` past it (PoolLimits::kill_overrun_ms).
  void CoolDownAfterKill(Tenant& tenant, isolates::LimitKind why, uint64_t overrun_ms);
  // Load() for request `id`, which is answered (503 or 500) on failure.
  TenantRuntime* Activate(uint32_t tenant, uint64_t id);
  bool EvictOne();
  void Retire(uint32_t tenant);
  void WantBackground();
  void RunBackground();
  void ArmWallTimer();
  void OnWallTimer();
  void PumpPlatformTasks();
  void ReduceIdleMemory();
  // The Worker of the tenant streaming request `id`, or null.
  bindings::Worker* StreamWorker(uint64_t id) const;

  uv_loop_t* loop_;
  isolates::PoolLimits pool_limits_;
  cache::CodeCache* code_cache_;
  HttpServer* server_ = nullptr;
  std::vector<Tenant> tenants_;
  Router router_;
  std::unique_ptr<isolates::IsolatePool> pool_;
  std::unique_ptr<isolates::CpuWatchdog> watchdog_;
  std::list<uint32_t> lru_;                    // live tenants, most recently used first
  std::vector<std::unique_ptr<TenantRuntime>> doomed_;
  std::vector<uint32_t> want_contexts_;        // per_request tenants short of ready contexts
  absl::flat_hash_map<uint64_t, uint32_t> wall_pending_;  // id -> tenant
  absl::flat_hash_map<uint64_t, uint32_t> streams_;       // id -> tenant, requests with a streamed body
  std::priority_queue<WallDeadline, std::vector<WallDeadline>, std::greater<>> wall_queue_;
  uv_idle_t background_;
  uv_timer_t wall_timer_;
  uv_timer_t platform_timer_;
  uv_async_t platform_wakeup_;                 // V8 posted a foreground task (isolates::SetForegroundTaskWakeup)
  bool background_running_ = false;
  bool dispatched_since_tick_ = false;
  uint64_t wall_timer_at_ = 0;
  Counters counters_;
  base::LatencyHistogram tenant_load_latency_;    // a cold tenant's isolate + script, per load
  base::LatencyHistogram reduce_latency_;         // one idle tenant's compacting GC
  base::LatencyHistogram context_take_retired_;  // from Workers already gone
  std::unique_ptr<Outbound> outbound_;
  uint64_t contexts_created_retired_ = 0;
  uint32_t min_heap_mb_ = 16;
  uint32_t heap_mb_ = 16;                      // the blank isolates' heap limit
  uint64_t last_run_ns_ = 0;                   // the synchronous handler run of the last Dispatch
};

}  // namespace atl::server
