#include "server/isolate_cache.h"

#include <malloc.h>

#include <algorithm>
#include <chrono>
#include <iterator>

#include "base/log.h"
#include "base/strings.h"
#include "bindings/runtime_snapshot.h"
#include "bindings/streams_context.h"
#include "isolates/platform.h"
#include "server/http_server.h"

namespace atl::server {
namespace {

using Clock = std::chrono::steady_clock;
// V8's foreground tasks (GC finalization, code flushing) run this often.
constexpr uint64_t kPlatformTasksMs = 100;
// Idle GCs wait while tenants are being loaded, but at most this many ticks in a row (2 s).
constexpr uint32_t kMaxDeferredTicks = 20;
// Every this many ticks (10 s) the periodic pump runs every live tenant's tasks, not only those
// with a delayed task due.
constexpr uint32_t kFullPumpTicks = 100;
// At most this many blank isolates from the streams snapshot kept ready (PoolFor).
constexpr uint32_t kStreamsWarmIsolates = 4;
// A tenant that served fewer requests than this since its last memory-reducing GC has no
// optimized glue for the first idle GC to keep (V8 10.2 optimizes the request path's glue after
// ~1,500-3,000 hello requests: --trace-opt), so it gets the memory-reducing GC at the first stage.
constexpr uint32_t kFewRequests = 100;

template <typename Handle>
uv_handle_t* AsHandle(Handle* h) { return reinterpret_cast<uv_handle_t*>(h); }

}  // namespace

IsolateCache::IsolateCache(uv_loop_t* loop, const isolates::PoolLimits& limits, cache::CodeCache* code_cache,
                           NewRuntime new_runtime)
    : loop_(loop), limits_(limits), code_cache_(code_cache), new_runtime_(std::move(new_runtime)) {
  uv_idle_init(loop_, &background_);
  background_.data = this;
  uv_timer_init(loop_, &platform_timer_);
  platform_timer_.data = this;
  uv_unref(AsHandle(&platform_timer_));
  // V8 posts foreground tasks from its own threads (the steps of an asynchronous WebAssembly
  // compile): they run at once, not at the next periodic pump.
  uv_async_init(loop_, &platform_wakeup_, [](uv_async_t* a) { static_cast<IsolateCache*>(a->data)->PumpPostedPlatformTasks(); });
  platform_wakeup_.data = this;
  uv_unref(AsHandle(&platform_wakeup_));
  isolates::SetForegroundTaskWakeup([](void* data) { uv_async_send(static_cast<uv_async_t*>(data)); }, &platform_wakeup_);
}

IsolateCache::~IsolateCache() { Shutdown(); }

absl::Status IsolateCache::Start(uint32_t heap_mb, size_t tenants) {
  absl::StatusOr<isolates::IsolateBlueprint> blueprint = bindings::RuntimeBlueprint(heap_mb);
  if (!blueprint.ok()) return blueprint.status();
  blueprint->prepare_context = true;  // a spare's first context is made on the pool's thread, not the loop
  slots_.resize(std::max(slots_.size(), tenants));
  pool_ = std::make_unique<isolates::IsolatePool>(*blueprint, 0);
  streams_pool_.heap_mb = heap_mb;
  SetTenantCount(tenants);
  watchdog_ = std::make_unique<isolates::CpuWatchdog>();
  uv_timer_start(&platform_timer_, [](uv_timer_t* t) {
    auto* self = static_cast<IsolateCache*>(t->data);
    self->PumpPlatformTasks();
    self->ReduceIdleMemory();
  }, kPlatformTasksMs, kPlatformTasksMs);
  return absl::OkStatus();
}

void IsolateCache::SetTenantCount(size_t tenants) {
  // No more blank isolates than there are tenants that could want one.
  auto warm = static_cast<uint32_t>(std::min<size_t>(limits_.warm_isolates, tenants));
  if (pool_) pool_->SetWarm(warm);
  // Fewer spare isolates for the streams snapshot: its tenants are usually a few of all, and an
  // idle spare costs the process ~0.45 MB resident (16 of them measured +0.07 MB per tenant in
  // bench/first_use.sh's streams row).
  streams_pool_.warm = std::min<uint32_t>(warm, kStreamsWarmIsolates);
  if (streams_pool_.pool) streams_pool_.pool->SetWarm(streams_pool_.warm);
}

void IsolateCache::Shutdown() {
  for (Slot& slot : slots_) {
    if (slot.runtime) slot.runtime->Shutdown().reset();
    slot.runtime.reset();
    slot.idle = Slot::Idle::kReduced;
  }
  lru_.clear();
  idle_.used.clear();
  idle_.collected.clear();
  doomed_.clear();
  isolates::SetForegroundTaskWakeup(nullptr, nullptr);
  for (uv_handle_t* handle : {AsHandle(&background_), AsHandle(&platform_timer_), AsHandle(&platform_wakeup_)}) {
    if (!uv_is_closing(handle)) uv_close(handle, nullptr);
  }
}

absl::StatusOr<std::unique_ptr<TenantRuntime>> IsolateCache::Make(uint32_t tenant, const bindings::WorkerOptions& options) {
  if (lru_.size() >= limits_.max_isolates && !EvictOne()) {
    return absl::ResourceExhaustedError("every isolate is busy");
  }
  auto start = Clock::now();
  std::unique_ptr<TenantRuntime> runtime = new_runtime_(tenant);
  absl::Status loaded = runtime->Load(options, PoolFor(options)->Take(), code_cache_, watchdog_.get());
  if (!loaded.ok()) {
    if (auto isolate = runtime->Shutdown()) pool_->Release(std::move(isolate));
    return loaded;
  }
  stats_.tenant_load_latency.RecordSince(start);
  loaded_since_tick_ = true;
  return runtime;
}

isolates::IsolatePool* IsolateCache::PoolFor(const bindings::WorkerOptions& options) {
  if (!bindings::StreamsContextWanted(options.script_path)) return pool_.get();
  if (!streams_pool_.pool) {
    absl::StatusOr<isolates::IsolateBlueprint> blueprint = bindings::RuntimeBlueprint(streams_pool_.heap_mb, true);
    if (!blueprint.ok()) return pool_.get();  // a snapshot file without the streams blob
    blueprint->prepare_context = true;
    streams_pool_.pool = std::make_unique<isolates::IsolatePool>(*blueprint, streams_pool_.warm);
  }
  return streams_pool_.pool.get();
}

TenantRuntime* IsolateCache::Install(uint32_t tenant, std::unique_ptr<TenantRuntime> runtime) {
  Slot& slot = SlotOf(tenant);
  slot.runtime = std::move(runtime);
  lru_.push_front(tenant);
  slot.lru = lru_.begin();
  slot.last_used_ms = uv_now(loop_);
  return slot.runtime.get();
}

void IsolateCache::Touch(uint32_t tenant) {
  Slot& slot = slots_[tenant];
  if (slot.lru != lru_.begin()) lru_.splice(lru_.begin(), lru_, slot.lru);
  slot.last_used_ms = uv_now(loop_);
  if (slot.requests_since_reduce < kFewRequests) ++slot.requests_since_reduce;
  MarkUsed(tenant);
  dispatched_since_tick_ = true;
}

void IsolateCache::MarkUsed(uint32_t tenant) {
  Slot& slot = slots_[tenant];
  switch (slot.idle) {
    case Slot::Idle::kReduced:
      idle_.used.push_front(tenant);
      slot.pending = idle_.used.begin();
      slot.idle = Slot::Idle::kUsed;
      break;
    case Slot::Idle::kUsed:
      if (slot.pending != idle_.used.begin()) idle_.used.splice(idle_.used.begin(), idle_.used, slot.pending);
      break;
    case Slot::Idle::kCollected:
      idle_.used.splice(idle_.used.begin(), idle_.collected, slot.pending);
      slot.idle = Slot::Idle::kUsed;
      break;
  }
}

void IsolateCache::MarkCollected(Slot& slot) {
  if (slot.idle != Slot::Idle::kUsed) return;
  idle_.collected.splice(idle_.collected.begin(), idle_.used, slot.pending);
  slot.idle = Slot::Idle::kCollected;
}

void IsolateCache::MarkReduced(Slot& slot) {
  slot.requests_since_reduce = 0;
  if (slot.idle == Slot::Idle::kReduced) return;
  (slot.idle == Slot::Idle::kUsed ? idle_.used : idle_.collected).erase(slot.pending);
  slot.idle = Slot::Idle::kReduced;
}

void IsolateCache::AfterDispatch(uint32_t tenant) {
  Slot& slot = slots_[tenant];
  if (slot.runtime && !slot.wants_contexts && slot.runtime->worker()->NeedsContexts()) {
    slot.wants_contexts = true;
    want_contexts_.push_back(tenant);
    WantBackground();
  }
}

bool IsolateCache::EvictOne() {
  for (auto it = lru_.rbegin(); it != lru_.rend(); ++it) {
    Slot& slot = slots_[*it];
    if (slot.runtime->worker()->inflight() > 0) continue;
    ++stats_.evictions;
    base::LogLine(base::LogLevel::kDebug, "evicted").Str("tenant", slot.runtime->worker()->tenant_name()).Emit();
    Retire(*it);
    return true;
  }
  return false;
}

void IsolateCache::Retire(uint32_t tenant) {
  if (tenant >= slots_.size() || !slots_[tenant].runtime) return;
  Slot& slot = slots_[tenant];
  slot.runtime->DropRequests();
  stats_.context_take_retired.Merge(slot.runtime->worker()->context_take_latency());
  stats_.contexts_created_retired += slot.runtime->worker()->contexts_created();
  lru_.erase(slot.lru);
  MarkReduced(slot);
  doomed_.push_back(std::move(slot.runtime));
  WantBackground();
}

void IsolateCache::WantBackground() {
  if (uv_is_active(AsHandle(&background_)) || uv_is_closing(AsHandle(&background_))) return;
  uv_idle_start(&background_, [](uv_idle_t* h) { static_cast<IsolateCache*>(h->data)->RunBackground(); });
}

void IsolateCache::RunBackground() {
  for (auto& runtime : doomed_) {
    // An evicted tenant may not have idled first: what its requests compiled goes to the code
    // cache now, for its next isolate (once per script and process).
    if (runtime->worker() != nullptr) runtime->worker()->RefreshCodeCache();
    if (auto isolate = runtime->Shutdown()) pool_->Release(std::move(isolate));
  }
  doomed_.clear();
  // Every context a per_request tenant is short of, now: they are what its next requests take.
  while (!want_contexts_.empty()) {
    Slot& slot = slots_[want_contexts_.back()];
    bindings::Worker* worker = slot.runtime ? slot.runtime->worker() : nullptr;
    if (worker == nullptr || !worker->NeedsContexts()) {
      slot.wants_contexts = false;
      want_contexts_.pop_back();
      continue;
    }
    absl::Status prepared = worker->PrepareContext();
    if (!prepared.ok()) {
      slot.wants_contexts = false;
      want_contexts_.pop_back();
      base::LogLine(base::LogLevel::kError, base::ToStd(prepared.message())).Str("tenant", worker->tenant_name()).Emit();
    }
  }
  if (want_contexts_.empty()) uv_idle_stop(&background_);
}

void IsolateCache::PumpPlatformTasks() {
  // The isolates with a delayed task due; every live one each kFullPumpTicks, for a task posted
  // to run now whose wakeup found its isolate not live yet (still in the pool, or loading).
  if (++ticks_since_full_pump_ < kFullPumpTicks) {
    PumpIsolates(isolates::TakeIsolatesWithDueTasks());
    // Every tick, tasks run or not: what timers and callbacks answered since goes out now.
    if (server_ != nullptr) server_->FlushDirty();
    return;
  }
  ticks_since_full_pump_ = 0;
  isolates::TakeIsolatesWithDueTasks();  // pumped now with the others
  // A task may settle a promise whose reactions run JS, which may hit a limit and retire its
  // tenant (out of lru_): walk a copy.
  std::vector<uint32_t> live(lru_.begin(), lru_.end());
  for (uint32_t tenant : live) {
    if (slots_[tenant].runtime) slots_[tenant].runtime->worker()->RunPlatformTasks();
  }
  if (server_ != nullptr) server_->FlushDirty();
}

void IsolateCache::PumpPostedPlatformTasks() {
  // Only the isolates V8 posted a task to: a wakeup costs O(posted), not O(live tenants), each of
  // which an Isolate::Scope and a pump would cost (3-4% of a cold burst's request thread with 300).
  PumpIsolates(isolates::TakeIsolatesWithTasks());
}

void IsolateCache::PumpIsolates(std::vector<v8::Isolate*> isolates) {
  if (isolates.empty()) return;
  std::sort(isolates.begin(), isolates.end());
  std::vector<uint32_t> live;
  for (uint32_t tenant : lru_) {
    const Slot& slot = slots_[tenant];
    if (slot.runtime && std::binary_search(isolates.begin(), isolates.end(), slot.runtime->worker()->isolate())) {
      live.push_back(tenant);
    }
  }
  // A task may settle a promise whose reactions run JS, which may hit a limit and retire its
  // tenant (out of lru_): walk a copy.
  for (uint32_t tenant : live) {
    if (slots_[tenant].runtime) slots_[tenant].runtime->worker()->RunPlatformTasks();
  }
  if (server_ != nullptr) server_->FlushDirty();
}

void IsolateCache::ReduceIdleMemory() {
  // During a cold burst each idle GC would stall the cold requests queued behind it (~1 ms each,
  // up to the busy budget per tick): they wait until the burst is over, or for 2 s at most.
  bool burst = loaded_since_tick_;
  loaded_since_tick_ = false;
  if (burst && deferred_ticks_ < kMaxDeferredTicks) {
    ++deferred_ticks_;
    return;
  }
  deferred_ticks_ = 0;
  auto deadline = Clock::now() + std::chrono::milliseconds(dispatched_since_tick_ ? limits_.reduce_budget_busy_ms
                                                                                  : limits_.reduce_budget_quiet_ms);
  dispatched_since_tick_ = false;
  uint64_t reduced_before = stats_.memory_reductions;
  // The deep GCs first: they give memory back, the others only make room in the heap.
  bool two_stages = limits_.idle_before_deep_reduce_ms > limits_.idle_before_reduce_ms;
  if (two_stages) ReduceIdle(idle_.collected, limits_.idle_before_deep_reduce_ms, /*deep=*/true, deadline);
  ReduceIdle(idle_.used, limits_.idle_before_reduce_ms, /*deep=*/!two_stages, deadline);
  // What the GCs freed in malloc'd memory goes back to the OS too (glibc keeps it otherwise).
  if (stats_.memory_reductions != reduced_before) malloc_trim(0);
}

void IsolateCache::ReduceIdle(std::list<uint32_t>& list, uint32_t idle_ms, bool deep, Clock::time_point deadline) {
  uint64_t now = uv_now(loop_);
  // Least recently used first (both lists are in the order of last_used_ms, near enough); stop at
  // the first tenant used too recently.
  auto next = list.end();
  while (next != list.begin() && Clock::now() < deadline) {
    auto it = std::prev(next);
    uint32_t tenant = *it;
    if (now - slots_[tenant].last_used_ms < idle_ms) break;
    if (slots_[tenant].runtime->worker()->inflight() > 0) {
      next = it;
      continue;
    }
    auto start = Clock::now();
    if (deep || slots_[tenant].requests_since_reduce < kFewRequests) {
      slots_[tenant].runtime->worker()->ReduceMemory();
      ++stats_.deep_memory_reductions;
      MarkReduced(slots_[tenant]);  // erases `it`; `next` stays valid
    } else {
      // Runs V8's tasks, and so maybe tenant JS, which may retire the tenant (out of the list) or
      // touch others (moved to the front: `next` stays valid, the walk ends at the front).
      slots_[tenant].runtime->worker()->CollectGarbage();
      MarkCollected(slots_[tenant]);
    }
    stats_.reduce_latency.RecordSince(start);
    ++stats_.memory_reductions;
  }
}

void IsolateCache::Reduce(uint32_t tenant) {
  Slot& slot = SlotOf(tenant);
  if (!slot.runtime || slot.runtime->worker()->inflight() > 0) return;
  auto start = Clock::now();
  slot.runtime->worker()->ReduceMemory();
  stats_.reduce_latency.RecordSince(start);
  MarkReduced(slot);
  ++stats_.memory_reductions;
  ++stats_.deep_memory_reductions;
}

base::LatencyHistogram IsolateCache::context_take_latency() const {
  base::LatencyHistogram takes = stats_.context_take_retired;
  for (uint32_t tenant : lru_) takes.Merge(slots_[tenant].runtime->worker()->context_take_latency());
  return takes;
}

uint64_t IsolateCache::contexts_created() const {
  uint64_t created = stats_.contexts_created_retired;
  for (uint32_t tenant : lru_) created += slots_[tenant].runtime->worker()->contexts_created();
  return created;
}

}  // namespace atl::server
