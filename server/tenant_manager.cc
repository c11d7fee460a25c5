#include "server/tenant_manager.h"

#include <malloc.h>

#include <chrono>

#include "base/log.h"
#include "base/strings.h"
#include "bindings/runtime_snapshot.h"
#include "bindings/wasm_modules.h"
#include "isolates/platform.h"

namespace atl::server {
namespace {

using Clock = std::chrono::steady_clock;
// V8's foreground tasks (GC finalization, code flushing) run this often.
constexpr uint64_t kPlatformTasksMs = 100;

template <typename Handle>
uv_handle_t* AsHandle(Handle* h) { return reinterpret_cast<uv_handle_t*>(h); }

}  // namespace

TenantManager::TenantManager(uv_loop_t* loop, const isolates::PoolLimits& pool_limits, cache::CodeCache* code_cache)
    : loop_(loop), pool_limits_(pool_limits), code_cache_(code_cache) {
  uv_idle_init(loop_, &background_);
  background_.data = this;
  uv_timer_init(loop_, &wall_timer_);
  wall_timer_.data = this;
  uv_unref(AsHandle(&wall_timer_));
  uv_timer_init(loop_, &platform_timer_);
  platform_timer_.data = this;
  uv_unref(AsHandle(&platform_timer_));
  // V8 posts foreground tasks from its own threads (the steps of an asynchronous WebAssembly
  // compile): they run at once, not at the next periodic pump.
  uv_async_init(loop_, &platform_wakeup_, [](uv_async_t* a) { static_cast<TenantManager*>(a->data)->PumpPlatformTasks(); });
  platform_wakeup_.data = this;
  uv_unref(AsHandle(&platform_wakeup_));
  isolates::SetForegroundTaskWakeup([](void* data) { uv_async_send(static_cast<uv_async_t*>(data)); }, &platform_wakeup_);
  outbound_ = std::make_unique<Outbound>(loop_, this, isolates::FetchLimits());
}

TenantManager::~TenantManager() { Shutdown(); }

absl::Status TenantManager::Start(std::vector<TenantSpec> tenants) {
  uint32_t heap_mb = 0;
  tenants_.reserve(tenants.size());
  for (TenantSpec& spec : tenants) {
    auto index = static_cast<uint32_t>(tenants_.size());
    for (const config::RoutePattern& route : spec.routes) {
      absl::Status added = router_.Add(route, index);
      if (!added.ok()) {
        return absl::InvalidArgumentError(base::StrCat("tenant ", spec.worker.tenant_name, ": ", base::ToStd(added.message())));
      }
    }
    heap_mb = std::max(heap_mb, spec.worker.limits.memory_mb);
    spec.worker.pool = pool_limits_;
    tenants_.push_back(Tenant{std::move(spec), nullptr, {}});
  }
  // Blank isolates are made with the largest heap any tenant may have; each tenant's own limit
  // is applied when it takes one.
  heap_mb_ = std::max({heap_mb, 16u, min_heap_mb_});
  absl::StatusOr<isolates::IsolateBlueprint> blueprint = bindings::RuntimeBlueprint(heap_mb_);
  if (!blueprint.ok()) return blueprint.status();
  // No more blank isolates than there are tenants that could want one.
  auto warm = static_cast<uint32_t>(std::min<size_t>(pool_limits_.warm_isolates, tenants_.size()));
  pool_ = std::make_unique<isolates::IsolatePool>(*blueprint, warm);
  watchdog_ = std::make_unique<isolates::CpuWatchdog>();
  uv_timer_start(&platform_timer_, [](uv_timer_t* t) {
    auto* self = static_cast<TenantManager*>(t->data);
    self->PumpPlatformTasks();
    self->ReduceIdleMemory();
  }, kPlatformTasksMs, kPlatformTasksMs);
  return absl::OkStatus();
}

void TenantManager::Shutdown() {
  if (outbound_) outbound_->Shutdown();
  for (Tenant& tenant : tenants_) {
    if (tenant.runtime) tenant.runtime->Shutdown().reset();
    tenant.runtime.reset();
  }
  lru_.clear();
  doomed_.clear();
  isolates::SetForegroundTaskWakeup(nullptr, nullptr);
  for (uv_handle_t* handle : {AsHandle(&background_), AsHandle(&wall_timer_), AsHandle(&platform_timer_),
                              AsHandle(&platform_wakeup_)}) {
    if (!uv_is_closing(handle)) uv_close(handle, nullptr);
  }
}

RouteDecision TenantManager::Route(std::string_view host, std::string_view path) {
  std::optional<uint32_t> tenant = router_.Match(host, path);
  if (!tenant || tenants_[*tenant].removed) return RouteDecision{-1, isolates::TenantLimits().max_request_body};
  return RouteDecision{static_cast<int32_t>(*tenant), tenants_[*tenant].spec.worker.limits.max_request_body};
}

void TenantManager::Dispatch(uint64_t id, int32_t target, const bindings::RequestView& request) {
  if (target < 0) {
    FailRequest(id, ServerError::kNoRoute);
    return;
  }
  auto index = static_cast<uint32_t>(target);
  Tenant& tenant = tenants_[index];
  if (tenant.removed) {
    FailRequest(id, ServerError::kNoRoute);
    return;
  }
  TenantRuntime* runtime = tenant.runtime.get();
  if (runtime == nullptr) {
    runtime = Activate(index, id);
    if (runtime == nullptr) return;  // answered
  } else if (tenant.lru != lru_.begin()) {
    lru_.splice(lru_.begin(), lru_, tenant.lru);
  }
  tenant.last_used_ms = uv_now(loop_);
  tenant.reduced = false;
  dispatched_since_tick_ = true;
  wall_pending_[id] = index;
  if (request.body_streamed) streams_[id] = index;
  auto run_start = Clock::now();
  runtime->worker()->Dispatch(id, request);
  last_run_ns_ = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - run_start).count());
  tenant.run_ns += last_run_ns_;
  if (wall_pending_.contains(id)) {
    wall_queue_.push({uv_now(loop_) + tenant.spec.worker.limits.wall_ms, id});
    ArmWallTimer();
  }
  if (tenant.runtime && !tenant.wants_contexts && tenant.runtime->worker()->NeedsContexts()) {
    tenant.wants_contexts = true;
    want_contexts_.push_back(index);
    WantBackground();
  }
}

bindings::Worker* TenantManager::StreamWorker(uint64_t id) const {
  auto it = streams_.find(id);
  if (it == streams_.end()) return nullptr;
  const Tenant& tenant = tenants_[it->second];
  return tenant.runtime ? tenant.runtime->worker() : nullptr;
}

bool TenantManager::PushUpload(uint64_t id, std::string_view bytes) {
  bindings::Worker* worker = StreamWorker(id);
  return worker == nullptr || worker->PushUpload(id, bytes);
}

void TenantManager::EndUpload(uint64_t id, std::string_view error) {
  if (bindings::Worker* worker = StreamWorker(id)) worker->EndUpload(id, error);
}

void TenantManager::ResumeResponse(uint64_t id) {
  if (bindings::Worker* worker = StreamWorker(id)) worker->ResumeResponse(id);
}

void TenantManager::Forget(uint64_t id, bool aborted) {
  if (outbound_ && !Outbound::IsServiceRequest(id)) outbound_->EndChainRequest(id);
  if (streams_.empty()) return;
  bindings::Worker* worker = aborted ? StreamWorker(id) : nullptr;
  streams_.erase(id);
  if (worker != nullptr) worker->Abort(id);
}

void TenantManager::FailRequest(uint64_t id, ServerError error) {
  if (Outbound::IsServiceRequest(id)) {
    outbound_->ServiceFail(id, error);
  } else {
    server_->Fail(id, error);
  }
}

bindings::Worker* TenantManager::WorkerOf(uint32_t tenant) const {
  if (tenant >= tenants_.size() || !tenants_[tenant].runtime) return nullptr;
  return tenants_[tenant].runtime->worker();
}

bool TenantManager::StartFetch(uint32_t tenant, uint64_t fetch, const bindings::FetchRequestView& request,
                               std::string* error) {
  const TenantSpec& spec = tenants_[tenant].spec;
  int32_t target = -1;
  if (!request.service.empty()) {
    for (const auto& [binding, name] : spec.worker.services) {
      if (binding != request.service) continue;
      for (uint32_t i = 0; i < tenants_.size(); ++i) {
        if (tenants_[i].spec.worker.tenant_name == name) target = static_cast<int32_t>(i);
      }
    }
  }
  return outbound_->Start(tenant, fetch, request, spec.outbound, target, error);
}

uint64_t TenantManager::DispatchService(uint64_t id, uint32_t target, const bindings::RequestView& request) {
  last_run_ns_ = 0;
  Dispatch(id, static_cast<int32_t>(target), request);
  return last_run_ns_;
}

void TenantManager::CancelService(uint64_t id) {
  auto pending = wall_pending_.find(id);
  if (pending != wall_pending_.end()) {
    Tenant& tenant = tenants_[pending->second];
    wall_pending_.erase(pending);
    if (tenant.runtime) tenant.runtime->worker()->Abandon(id);
    return;
  }
  Forget(id, true);
}

absl::StatusOr<std::unique_ptr<TenantRuntime>> TenantManager::MakeRuntime(uint32_t index, const TenantSpec& spec) {
  if (lru_.size() >= pool_limits_.max_isolates && !EvictOne()) {
    return absl::ResourceExhaustedError("every isolate is busy");
  }
  auto start = Clock::now();
  auto runtime = std::make_unique<TenantRuntime>(loop_, server_, this, index);
  absl::Status loaded = runtime->Load(spec.worker, pool_->Take(), code_cache_, watchdog_.get());
  if (!loaded.ok()) {
    if (auto isolate = runtime->Shutdown()) pool_->Release(std::move(isolate));
    return loaded;
  }
  tenant_load_latency_.RecordSince(start);
  return runtime;
}

absl::StatusOr<TenantRuntime*> TenantManager::Load(uint32_t index) {
  Tenant& tenant = tenants_[index];
  absl::StatusOr<std::unique_ptr<TenantRuntime>> runtime = MakeRuntime(index, tenant.spec);
  if (!runtime.ok()) return runtime.status();
  tenant.runtime = std::move(*runtime);
  lru_.push_front(index);
  tenant.lru = lru_.begin();
  return tenant.runtime.get();
}

TenantRuntime* TenantManager::Activate(uint32_t index, uint64_t id) {
  Tenant& tenant = tenants_[index];
  if (uv_now(loop_) < tenant.retry_load_at_ms) {
    FailRequest(id, ServerError::kScriptError);  // failed to load a moment ago
    return nullptr;
  }
  if (uv_now(loop_) < tenant.cooldown_until_ms) {
    FailRequest(id, tenant.cooldown_error);  // killed for a limit again and again
    return nullptr;
  }
  absl::StatusOr<TenantRuntime*> runtime = Load(index);
  if (runtime.ok()) return *runtime;
  if (absl::IsResourceExhausted(runtime.status())) {
    ++counters_.overloaded;
    FailRequest(id, ServerError::kOverloaded);
    return nullptr;
  }
  base::LogLine(base::LogLevel::kError, base::ToStd(runtime.status().message()))
      .Str("tenant", tenant.spec.worker.tenant_name)
      .Str("error", "script_error")
      .Int("retry_in_ms", static_cast<int64_t>(pool_limits_.retry_load_after_ms))
      .Emit();
  // A script that does not load costs up to its startup CPU budget per attempt: not again at once.
  tenant.retry_load_at_ms = uv_now(loop_) + pool_limits_.retry_load_after_ms;
  FailRequest(id, ServerError::kScriptError);
  return nullptr;
}

absl::Status TenantManager::Preload() {
  for (uint32_t index = 0; index < tenants_.size(); ++index) {
    if (tenants_[index].runtime) continue;
    absl::StatusOr<TenantRuntime*> runtime = Load(index);
    if (!runtime.ok()) return runtime.status();
  }
  return absl::OkStatus();
}

bool TenantManager::EvictOne() {
  for (auto it = lru_.rbegin(); it != lru_.rend(); ++it) {
    Tenant& tenant = tenants_[*it];
    if (tenant.runtime->worker()->inflight() > 0) continue;
    ++counters_.evictions;
    base::LogLine(base::LogLevel::kDebug, "evicted").Str("tenant", tenant.spec.worker.tenant_name).Emit();
    Retire(*it);
    return true;
  }
  return false;
}

// Takes the tenant out of service now; its isolate is disposed in the background.
void TenantManager::Retire(uint32_t index) {
  Tenant& tenant = tenants_[index];
  if (!tenant.runtime) return;
  const base::LatencyHistogram& takes = tenant.runtime->worker()->context_take_latency();
  context_take_retired_.Merge(takes);
  contexts_created_retired_ += tenant.runtime->worker()->contexts_created();
  lru_.erase(tenant.lru);
  doomed_.push_back(std::move(tenant.runtime));
  WantBackground();
}

void TenantManager::OnKilled(uint32_t tenant, isolates::LimitKind why) {
  (why == isolates::LimitKind::kMemory ? counters_.memory_kills : counters_.cpu_kills)++;
  (why == isolates::LimitKind::kMemory ? tenants_[tenant].memory_kills : tenants_[tenant].cpu_kills)++;
  uint64_t overrun_ms = tenants_[tenant].runtime ? tenants_[tenant].runtime->worker()->kill_overrun_ms() : 0;
  CoolDownAfterKill(tenants_[tenant], why, overrun_ms);
  Retire(tenant);
}

void TenantManager::CoolDownAfterKill(Tenant& tenant, isolates::LimitKind why, uint64_t overrun_ms) {
  bool memory = why == isolates::LimitKind::kMemory;
  Tenant::Strikes& strikes = memory ? tenant.memory_strikes : tenant.cpu_strikes;
  uint64_t now = uv_now(loop_);
  bool again = strikes.count > 0 && now - strikes.last_ms < pool_limits_.kill_window_ms;
  strikes.count = again ? strikes.count + 1 : 1;
  strikes.last_ms = now;
  uint64_t cooldown = 0;
  if (strikes.count >= 2) cooldown = uint64_t{pool_limits_.kill_cooldown_ms} << std::min(strikes.count - 2, 4u);
  if (overrun_ms > pool_limits_.kill_overrun_ms) {
    cooldown = std::max(cooldown, std::min<uint64_t>(overrun_ms * pool_limits_.kill_overrun_factor,
                                                     pool_limits_.max_kill_cooldown_ms));
  }
  if (cooldown == 0) return;
  tenant.cooldown_until_ms = now + cooldown;
  tenant.cooldown_error = memory ? ServerError::kMemoryLimit : ServerError::kCpuLimit;
  base::LogLine(base::LogLevel::kWarn, "limit kills: the tenant is refused for a while")
      .Str("tenant", tenant.spec.worker.tenant_name)
      .Str("limit", memory ? "memory" : "cpu")
      .Int("kills_in_a_row", strikes.count)
      .Int("overrun_ms", static_cast<int64_t>(overrun_ms))
      .Int("refused_for_ms", static_cast<int64_t>(cooldown))
      .Emit();
}

void TenantManager::WantBackground() {
  if (background_running_ || uv_is_closing(AsHandle(&background_))) return;
  background_running_ = true;
  uv_idle_start(&background_, [](uv_idle_t* h) { static_cast<TenantManager*>(h->data)->RunBackground(); });
}

void TenantManager::RunBackground() {
  for (auto& runtime : doomed_) {
    if (auto isolate = runtime->Shutdown()) pool_->Release(std::move(isolate));
  }
  doomed_.clear();
  // Every context a per_request tenant is short of, now: they are what its next requests take.
  while (!want_contexts_.empty()) {
    Tenant& tenant = tenants_[want_contexts_.back()];
    bindings::Worker* worker = tenant.runtime ? tenant.runtime->worker() : nullptr;
    if (worker == nullptr || !worker->NeedsContexts()) {
      tenant.wants_contexts = false;
      want_contexts_.pop_back();
      continue;
    }
    absl::Status prepared = worker->PrepareContext();
    if (!prepared.ok()) {
      tenant.wants_contexts = false;
      want_contexts_.pop_back();
      base::LogLine(base::LogLevel::kError, base::ToStd(prepared.message())).Str("tenant", tenant.spec.worker.tenant_name).Emit();
    }
  }
  if (want_contexts_.empty()) {
    uv_idle_stop(&background_);
    background_running_ = false;
  }
}

void TenantManager::ArmWallTimer() {
  if (wall_queue_.empty()) return;
  uint64_t at = wall_queue_.top().at_ms;
  if (uv_is_active(AsHandle(&wall_timer_)) && wall_timer_at_ <= at) return;
  wall_timer_at_ = at;
  uint64_t now = uv_now(loop_);
  uv_timer_start(&wall_timer_, [](uv_timer_t* t) { static_cast<TenantManager*>(t->data)->OnWallTimer(); },
                 at > now ? at - now : 0, 0);
}

void TenantManager::OnWallTimer() {
  uint64_t now = uv_now(loop_);
  while (!wall_queue_.empty() && wall_queue_.top().at_ms <= now) {
    uint64_t id = wall_queue_.top().id;
    wall_queue_.pop();
    auto it = wall_pending_.find(id);
    if (it == wall_pending_.end()) continue;  // answered in time
    Tenant& tenant = tenants_[it->second];
    wall_pending_.erase(it);
    if (tenant.runtime) tenant.runtime->worker()->Abandon(id);
    ++counters_.wall_kills;
    ++tenant.wall_kills;
    base::LogLine(base::LogLevel::kWarn, "wall time limit: request abandoned")
        .Str("tenant", tenant.spec.worker.tenant_name)
        .Str("error", "wall_limit")
        .Emit();
    FailRequest(id, ServerError::kWallLimit);
  }
  server_->FlushDirty();
  ArmWallTimer();
}

void TenantManager::PumpPlatformTasks() {
  // A task may settle a promise whose reactions run JS, which may hit a limit and retire its
  // tenant (out of lru_): walk a copy.
  std::vector<uint32_t> live(lru_.begin(), lru_.end());
  for (uint32_t index : live) {
    if (tenants_[index].runtime) tenants_[index].runtime->worker()->RunPlatformTasks();
  }
  if (server_ != nullptr) server_->FlushDirty();
}

void TenantManager::ReduceIdleMemory() {
  uint64_t now = uv_now(loop_);
  auto deadline = Clock::now() + std::chrono::milliseconds(dispatched_since_tick_ ? pool_limits_.reduce_budget_busy_ms
                                                                        : pool_limits_.reduce_budget_quiet_ms);
  dispatched_since_tick_ = false;
  uint64_t reduced_before = counters_.memory_reductions;
  // Least recently used first; stop at the first tenant used too recently.
  for (auto it = lru_.rbegin(); it != lru_.rend() && Clock::now() < deadline; ++it) {
    Tenant& tenant = tenants_[*it];
    if (now - tenant.last_used_ms < pool_limits_.idle_before_reduce_ms) break;
    if (tenant.reduced || tenant.runtime->worker()->inflight() > 0) continue;
    auto start = Clock::now();
    tenant.runtime->worker()->ReduceMemory();
    reduce_latency_.RecordSince(start);
    tenant.reduced = true;
    ++counters_.memory_reductions;
  }
  // What the GCs freed in malloc'd memory goes back to the OS too (glibc keeps it otherwise).
  if (counters_.memory_reductions != reduced_before) malloc_trim(0);
}

int32_t TenantManager::Find(std::string_view name) const {
  for (uint32_t i = 0; i < tenants_.size(); ++i) {
    if (tenants_[i].spec.worker.tenant_name == name) return static_cast<int32_t>(i);
  }
  return -1;
}

TenantInfo TenantManager::Info(uint32_t index) const {
  const Tenant& tenant = tenants_[index];
  TenantInfo info;
  info.spec = &tenant.spec;
  info.live = tenant.runtime != nullptr;
  if (tenant.runtime) info.heap_bytes = tenant.runtime->worker()->heap_bytes();
  info.cpu_kills = tenant.cpu_kills;
  info.memory_kills = tenant.memory_kills;
  info.wall_kills = tenant.wall_kills;
  info.cpu_ms = static_cast<double>(tenant.run_ns) / 1e6;
  return info;
}

absl::StatusOr<Router> TenantManager::BuildRouter(int64_t extra_index, const TenantSpec* extra) const {
  Router router;
  auto add = [&](uint32_t index, const TenantSpec& spec) -> absl::Status {
    for (const config::RoutePattern& route : spec.routes) {
      absl::Status added = router.Add(route, index);
      if (!added.ok()) {
        return absl::InvalidArgumentError(base::StrCat("tenant ", spec.worker.tenant_name, ": ", base::ToStd(added.message())));
      }
    }
    return absl::OkStatus();
  };
  for (uint32_t i = 0; i < tenants_.size(); ++i) {
    if (static_cast<int64_t>(i) == extra_index || tenants_[i].removed) continue;
    absl::Status added = add(i, tenants_[i].spec);
    if (!added.ok()) return added;
  }
  if (extra != nullptr) {
    absl::Status added = add(static_cast<uint32_t>(extra_index), *extra);
    if (!added.ok()) return added;
  }
  return router;
}

void TenantManager::DropRuntime(uint32_t index, ServerError error) {
  Tenant& tenant = tenants_[index];
  if (!tenant.runtime) return;
  bindings::Worker* worker = tenant.runtime->worker();
  for (uint64_t id : worker->InflightIds()) {
    worker->Abandon(id);
    wall_pending_.erase(id);
    streams_.erase(id);
    FailRequest(id, error);
  }
  Retire(index);
}

absl::Status TenantManager::Deploy(TenantSpec spec) {
  if (spec.worker.limits.memory_mb > heap_mb_) {
    return absl::InvalidArgumentError(base::StrCat("memory_mb: ", spec.worker.limits.memory_mb,
                                                   " is over this process's isolate heap limit of ", heap_mb_, " MB"));
  }
  spec.worker.pool = pool_limits_;
  int32_t found = Find(spec.worker.tenant_name);
  auto index = found >= 0 ? static_cast<uint32_t>(found) : static_cast<uint32_t>(tenants_.size());
  absl::StatusOr<Router> router = BuildRouter(index, &spec);
  if (!router.ok()) return router.status();
  absl::StatusOr<std::unique_ptr<TenantRuntime>> runtime = MakeRuntime(index, spec);
  if (!runtime.ok()) {
    if (absl::IsResourceExhausted(runtime.status())) return runtime.status();
    return absl::InvalidArgumentError(runtime.status().message());
  }
  if (found < 0) {
    tenants_.push_back(Tenant{});
  } else {
    DropRuntime(index, ServerError::kOverloaded);
  }
  Tenant& tenant = tenants_[index];
  tenant.spec = std::move(spec);
  tenant.removed = false;
  tenant.retry_load_at_ms = 0;
  tenant.runtime = std::move(*runtime);
  lru_.push_front(index);
  tenant.lru = lru_.begin();
  tenant.last_used_ms = uv_now(loop_);
  router_ = std::move(*router);
  return absl::OkStatus();
}

bool TenantManager::Remove(std::string_view name) {
  int32_t found = Find(name);
  if (found < 0 || tenants_[found].removed) return false;
  auto index = static_cast<uint32_t>(found);
  DropRuntime(index, ServerError::kNoRoute);
  tenants_[index].removed = true;
  absl::StatusOr<Router> router = BuildRouter(-1, nullptr);
  if (router.ok()) router_ = std::move(*router);
  return true;
}

void TenantManager::LogStats() const {
  base::LatencyHistogram context_takes = context_take_retired_;
  uint64_t contexts_created = contexts_created_retired_;
  for (uint32_t index : lru_) {
    context_takes.Merge(tenants_[index].runtime->worker()->context_take_latency());
    contexts_created += tenants_[index].runtime->worker()->contexts_created();
  }
  isolates::IsolatePool::Stats pool = pool_ ? pool_->stats() : isolates::IsolatePool::Stats{};
  base::LatencyHistogram isolate_takes;
  if (pool_) isolate_takes = pool_->take_latency();
  auto us = [](uint64_t ns) { return static_cast<double>(ns) / 1000.0; };
  base::LogLine(base::LogLevel::kInfo, "pool stats")
      .Num("context_take_us_p50", us(context_takes.Percentile(0.5)))
      .Num("context_take_us_p99", us(context_takes.Percentile(0.99)))
      .Num("isolate_take_us_p50", us(isolate_takes.Percentile(0.5)))
      .Num("isolate_take_us_p99", us(isolate_takes.Percentile(0.99)))
      .Num("tenant_load_us_p50", us(tenant_load_latency_.Percentile(0.5)))
      .Num("tenant_load_us_p99", us(tenant_load_latency_.Percentile(0.99)))
      .Int("contexts_created", static_cast<int64_t>(contexts_created))
      .Int("isolates_created", static_cast<int64_t>(pool.created))
      .Int("isolates_taken_cold", static_cast<int64_t>(pool.taken_cold))
      .Int("isolates_live", static_cast<int64_t>(lru_.size()))
      .Int("evictions", static_cast<int64_t>(counters_.evictions))
      .Int("memory_reductions", static_cast<int64_t>(counters_.memory_reductions))
      .Num("memory_reduction_us_p50", us(reduce_latency_.Percentile(0.5)))
      .Int("overloaded", static_cast<int64_t>(counters_.overloaded))
      .Int("cpu_kills", static_cast<int64_t>(counters_.cpu_kills))
      .Int("memory_kills", static_cast<int64_t>(counters_.memory_kills))
      .Int("wall_kills", static_cast<int64_t>(counters_.wall_kills))
      .Int("scripts_compiled", static_cast<int64_t>(code_cache_->stats().compiles.load()))
      .Int("code_cache_hits", static_cast<int64_t>(code_cache_->stats().hits.load()))
      .Int("code_cache_rejected", static_cast<int64_t>(code_cache_->stats().rejected.load()))
      .Int("wasm_compilations", bindings::WasmCompilations())
      .Emit();
}

}  // namespace atl::server
