#pragma once
// The isolates tenants run on. A tenant gets a TenantRuntime on its first request (startup does
// not depend on the number of tenants), on an isolate taken from a pool of blank isolates made
// ahead of time from the startup snapshot; at `max_isolates` the least recently used idle tenant
// is evicted (its memory goes back to the OS), and with every isolate busy a load fails with
// ResourceExhausted. Background work runs between I/O events, never on a request's path: tearing
// down retired runtimes (evicted, killed, replaced), preparing the per_request contexts a tenant
// is short of, and every 100 ms V8's delayed foreground tasks that are due (every tenant's
// every 10 s) and the idle GCs (then malloc_trim), deferred while tenants are being loaded (a
// cold burst): a full GC that keeps the tenant's optimized code for a tenant idle for
// `idle_before_reduce_ms`, a memory-reducing one (pages given back, optimized code dropped) once
// idle for `idle_before_deep_reduce_ms`; a tenant that served fewer than 100 requests since its
// last memory-reducing GC (kFewRequests) has no optimized glue to keep and gets that one at the
// first stage (a cold tenant asked once gives its memory back after a second, not ten). Blank
// isolates are made and disposed on the pool's own thread. A tenant whose bundle names streams
// (bindings/streams_context.h) takes its isolate from a second pool, made at the first such
// tenant, of isolates from the streams snapshot (streams already loaded in their context).
//
//   IsolateCache cache(loop, pool_limits, code_cache, [&](uint32_t t) { return NewRuntime(t); });
//   cache.Start(heap_mb, tenant_count);
//   absl::StatusOr<std::unique_ptr<TenantRuntime>> made = cache.Make(t, options);
//   TenantRuntime* runtime = cache.Install(t, std::move(*made));
//   cache.Touch(t);  // a request for t: most recently used

#include <uv.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "base/latency_histogram.h"
#include "bindings/worker.h"
#include "cache/code_cache.h"
#include "isolates/cpu_watchdog.h"
#include "isolates/isolate_pool.h"
#include "isolates/limits.h"
#include "server/tenant_runtime.h"

namespace atl::server {

class HttpServer;

class IsolateCache {
 public:
  // What the cache has done so far, for the "pool stats" log line and the metrics.
  struct Stats {
    uint64_t evictions = 0;
    uint64_t memory_reductions = 0;                 // idle GCs of either kind
    uint64_t deep_memory_reductions = 0;            // ... of which memory-reducing (ReduceMemory)
    base::LatencyHistogram tenant_load_latency;     // a cold tenant's isolate + script, per load
    base::LatencyHistogram reduce_latency;          // one idle tenant's GC
    base::LatencyHistogram context_take_retired;    // from Workers already gone
    uint64_t contexts_created_retired = 0;
  };
  // A runtime object for tenant `tenant`, not loaded yet.
  using NewRuntime = std::function<std::unique_ptr<TenantRuntime>(uint32_t tenant)>;

  IsolateCache(uv_loop_t* loop, const isolates::PoolLimits& limits, cache::CodeCache* code_cache, NewRuntime new_runtime);
  ~IsolateCache();
  IsolateCache(const IsolateCache&) = delete;
  IsolateCache& operator=(const IsolateCache&) = delete;

  // The pool of blank isolates with a `heap_mb` heap limit, no more kept warm than `tenants`
  // could want; errors on a binary without a snapshot. Starts the periodic work.
  absl::Status Start(uint32_t heap_mb, size_t tenants);
  // The tenants that could want a blank isolate now (after a deploy or a removal): the pools keep
  // that many ready, at most warm_isolates.
  void SetTenantCount(size_t tenants);
  size_t ready_isolates() const { return pool_ ? pool_->ready() : 0; }
  // Where the periodic work flushes what V8's tasks answered.
  void set_server(HttpServer* server) { server_ = server; }
  // Drops every runtime and stops the background work.
  void Shutdown();

  // Tenant `tenant`'s live runtime, or null.
  TenantRuntime* Get(uint32_t tenant) const {
    return tenant < slots_.size() ? slots_[tenant].runtime.get() : nullptr;
  }
  // A runtime for `tenant` running `options` on an isolate of the pool, not installed; evicts
  // the least recently used idle tenant at max_isolates. ResourceExhausted when every isolate is
  // busy, else the script's error.
  absl::StatusOr<std::unique_ptr<TenantRuntime>> Make(uint32_t tenant, const bindings::WorkerOptions& options);
  // Makes `runtime` tenant `tenant`'s live one, the most recently used.
  TenantRuntime* Install(uint32_t tenant, std::unique_ptr<TenantRuntime> runtime);
  // A request for `tenant` (which has a runtime): the most recently used, not idle.
  void Touch(uint32_t tenant);
  // After a dispatch to `tenant`: a per_request tenant short of ready contexts gets them made in
  // the background.
  void AfterDispatch(uint32_t tenant);
  // A memory-reducing GC for `tenant` now, as a long idle tenant gets one (a tenant just prewarmed).
  void Reduce(uint32_t tenant);
  // Takes `tenant`'s runtime out of service now (its answers reach nobody); its isolate is
  // disposed in the background.
  void Retire(uint32_t tenant);

  // Isolates with a tenant loaded, and those being torn down.
  size_t live() const { return lru_.size(); }
  size_t retiring() const { return doomed_.size(); }
  const Stats& stats() const { return stats_; }
  isolates::IsolatePool::Stats pool_stats() const { return pool_ ? pool_->stats() : isolates::IsolatePool::Stats{}; }
  base::LatencyHistogram isolate_take_latency() const { return pool_ ? pool_->take_latency() : base::LatencyHistogram(); }
  // Context takes and creations of every Worker, live or gone.
  base::LatencyHistogram context_take_latency() const;
  uint64_t contexts_created() const;

 private:
  struct Slot {
    std::unique_ptr<TenantRuntime> runtime;  // null while cold
    std::list<uint32_t>::iterator lru;       // valid while runtime is set
    uint64_t last_used_ms = 0;               // loop time of its last request
    // kReduced: no request since its last memory-reducing GC; kUsed: requests since its last GC
    // (in idle_.used); kCollected: its first idle GC done, not the deep one (in idle_.collected).
    enum class Idle : uint8_t { kReduced, kUsed, kCollected } idle = Idle::kReduced;
    std::list<uint32_t>::iterator pending;   // in idle_.used or idle_.collected (by `idle`)
    uint32_t requests_since_reduce = 0;      // since its last memory-reducing GC (saturates)
    bool wants_contexts = false;             // queued in want_contexts_
  };
  Slot& SlotOf(uint32_t tenant) {
    if (tenant >= slots_.size()) slots_.resize(tenant + 1);
    return slots_[tenant];
  }
  // The pool a tenant running `options` takes its isolate from (the streams one made on first use).
  isolates::IsolatePool* PoolFor(const bindings::WorkerOptions& options);
  bool EvictOne();
  void WantBackground();
  void RunBackground();
  void PumpPlatformTasks();        // the periodic pump: isolates with a delayed task due (all every 10 s)
  void PumpPostedPlatformTasks();  // those of the isolates V8 just posted a task to (the wakeup)
  void PumpIsolates(std::vector<v8::Isolate*> isolates);  // the live tenants' among `isolates`
  void ReduceIdleMemory();
  // One stage of the idle GCs: the tenants of `list` idle for `idle_ms`, least recently used
  // first, until `deadline`; `deep` (or a tenant of few requests): ReduceMemory (out of the
  // lists), else CollectGarbage (into idle_.collected).
  void ReduceIdle(std::list<uint32_t>& list, uint32_t idle_ms, bool deep, std::chrono::steady_clock::time_point deadline);
  void MarkUsed(uint32_t tenant);   // into idle_.used, first
  void MarkCollected(Slot& slot);   // into idle_.collected, first
  void MarkReduced(Slot& slot);     // out of either list

  // 18 members: the LRU and the background work walk the same slots, so they stay one class; the
  // three uv handles and the flag are the background work's, the statistics one struct.
  uv_loop_t* loop_;
  isolates::PoolLimits limits_;
  cache::CodeCache* code_cache_;
  NewRuntime new_runtime_;
  HttpServer* server_ = nullptr;
  std::vector<Slot> slots_;                    // by tenant index
  std::list<uint32_t> lru_;                    // live tenants, most recently used first
  // The idle GCs walk these, not lru_ (with many prewarmed tenants never asked for, lru_ is almost
  // all reduced ones): live tenants used since their last idle GC, most recently used first, and
  // those given the first one and waiting for the deep one, most recently collected first.
  struct {
    std::list<uint32_t> used;
    std::list<uint32_t> collected;
  } idle_;
  std::vector<std::unique_ptr<TenantRuntime>> doomed_;
  std::vector<uint32_t> want_contexts_;        // per_request tenants short of ready contexts
  std::unique_ptr<isolates::IsolatePool> pool_;
  struct StreamsPool {
    std::unique_ptr<isolates::IsolatePool> pool;  // null until a tenant wants it
    uint32_t heap_mb = 0;
    uint32_t warm = 0;
  } streams_pool_;                             // isolates from the streams snapshot (PoolFor)
  std::unique_ptr<isolates::CpuWatchdog> watchdog_;
  uv_idle_t background_;                       // active while doomed_ or want_contexts_ has work
  uv_timer_t platform_timer_;                  // V8's foreground tasks and the idle GCs, every 100 ms
  uv_async_t platform_wakeup_;                 // V8 posted a foreground task (isolates::SetForegroundTaskWakeup)
  bool dispatched_since_tick_ = false;
  // A cold burst (tenants loaded since the last tick) defers the idle GCs, which would stall the
  // loop between its cold requests, for at most kMaxDeferredTicks ticks in a row.
  bool loaded_since_tick_ = false;
  uint32_t deferred_ticks_ = 0;
  uint32_t ticks_since_full_pump_ = 0;
  Stats stats_;
};

}  // namespace atl::server
