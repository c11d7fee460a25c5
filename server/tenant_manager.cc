#include "server/tenant_manager.h"

#include <algorithm>
#include <chrono>
#include <optional>
#include <utility>

#include "base/log.h"
#include "base/strings.h"
#include "bindings/wasm_modules.h"
#include "kv/do_store.h"
#include "server/asset_dispatch.h"
#include "server/cluster_forward.h"
#include "server/durable_objects_service.h"

namespace atl::server {
namespace {

// Whether absolute `url` is wrangler's /__scheduled?cron=...; `*cron` gets the cron.
bool ScheduledRequest(std::string_view url, std::string* cron) {
  if (base::UrlPath(url) != "/__scheduled") return false;
  *cron = ScheduledEvents::CronOfQuery(url);
  return true;
}

}  // namespace

TenantManager::TenantManager(uv_loop_t* loop, const isolates::PoolLimits& pool_limits, cache::CodeCache* code_cache)
    : loop_(loop),
      pool_limits_(pool_limits),
      code_cache_(code_cache),
      cache_(loop, pool_limits, code_cache,
             [this](uint32_t tenant) { return std::make_unique<TenantRuntime>(loop_, server_, this, tenant); }),
      wall_(loop, [this](uint64_t id, uint32_t tenant) { OnWallDeadline(id, tenant); },
            [this] { if (server_ != nullptr) server_->FlushDirty(); }),
      health_(pool_limits) {
  outbound_ = std::make_unique<Outbound>(loop_, this, isolates::FetchLimits());
  scheduled_ = std::make_unique<ScheduledEvents>(loop_, this);
  isolation_ = std::make_unique<IsolationForwarder>(loop_);
}

TenantManager::~TenantManager() { Shutdown(); }

void TenantManager::set_server(HttpServer* server) {
  server_ = server;
  cache_.set_server(server);
}

absl::Status TenantManager::Start(std::vector<TenantSpec> tenants) {
  uint32_t heap_mb = 0;
  for (TenantSpec& spec : tenants) {
    heap_mb = std::max(heap_mb, spec.worker.limits.memory_mb);
    spec.worker.pool = pool_limits_;
  }
  absl::Status routed = registry_.Reset(std::move(tenants));
  if (!routed.ok()) return routed;
  // Blank isolates are made with the largest heap any tenant may have; each tenant's own limit
  // is applied when it takes one.
  heap_mb_ = std::max({heap_mb, 16u, min_heap_mb_});
  return cache_.Start(heap_mb_, TenantsWantingIsolates());
}

size_t TenantManager::TenantsWantingIsolates() const { return registry_.serving() + (accepts_deploys_ ? 1 : 0); }

void TenantManager::Shutdown() {
  // Runtimes let go of their sinks first: the service calls' sinks go with the Outbound.
  for (uint32_t index = 0; index < registry_.size(); ++index) {
    if (TenantRuntime* runtime = cache_.Get(index)) runtime->DropRequests();
  }
  if (scheduled_) {
    scheduled_->StopCrons();
    scheduled_->Shutdown();
  }
  if (outbound_) outbound_->Shutdown();
  if (isolation_) isolation_->Shutdown();
  if (prewarmer_) prewarmer_->Stop();
  cache_.Shutdown();
  wall_.Shutdown();
}

absl::Status TenantManager::Preload() {
  for (uint32_t index = 0; index < registry_.size(); ++index) {
    if (cache_.Get(index) != nullptr || !registry_.spec(index).has_worker()) continue;
    absl::StatusOr<std::unique_ptr<TenantRuntime>> runtime = cache_.Make(index, registry_.spec(index).worker);
    if (!runtime.ok()) return runtime.status();
    cache_.Install(index, std::move(*runtime));
  }
  return absl::OkStatus();
}

absl::Status TenantManager::Warm(uint32_t index) {
  if (index >= registry_.size() || !registry_.Serving(index) || cache_.Get(index) != nullptr ||
      !registry_.spec(index).has_worker()) {
    return absl::OkStatus();
  }
  absl::StatusOr<std::unique_ptr<TenantRuntime>> runtime = cache_.Make(index, registry_.spec(index).worker);
  if (!runtime.ok()) return runtime.status();
  cache_.Install(index, std::move(*runtime));
  ++health_.counts(index).prewarms;
  return absl::OkStatus();
}

absl::Status TenantManager::Prewarm(uint32_t index) {
  if (index >= registry_.size() || !registry_.Serving(index) || cache_.Get(index) != nullptr || Elsewhere(index) ||
      !registry_.spec(index).has_worker() ||
      (!isolation_->own().empty() && registry_.name(index) != isolation_->own()) ||
      health_.Refusal(index, uv_now(loop_))) {
    return absl::AlreadyExistsError("nothing to prewarm");
  }
  if (absl::Status warmed = Warm(index); !warmed.ok()) return warmed;
  // What an idle tenant gets after a second: the heap it will keep, not the one loading left.
  // (Measured: without it a prewarmed tenant's first request runs the GC the load left due,
  // 0.48 instead of 0.28 ms p50, 300 tenants.)
  cache_.Reduce(index);
  return absl::OkStatus();
}

void TenantManager::StartPrewarm(uint64_t budget_kb) {
  if (budget_kb == 0 || prewarmer_) return;
  prewarmer_ = std::make_unique<Prewarmer>(loop_, this, budget_kb, pool_limits_.max_isolates);
  prewarmer_->Start();
}

RouteDecision TenantManager::Route(std::string_view host, std::string_view path) {
  std::optional<uint32_t> tenant;
  // An isolation group's process: whatever reaches it was routed to its tenant by a shared
  // worker (a service binding's call too, whatever its URL).
  if (int32_t own = isolation_->own().empty() ? -1 : registry_.Find(isolation_->own()); own >= 0) {
    tenant = static_cast<uint32_t>(own);
  } else {
    tenant = registry_.Route(host, path);
  }
  if (!tenant) return RouteDecision{-1, isolates::TenantLimits().max_request_body};
  return RouteDecision{static_cast<int32_t>(*tenant), registry_.spec(*tenant).worker.limits.max_request_body};
}

void TenantManager::Dispatch(uint64_t id, int32_t target, const bindings::RequestView& request, ResponseSink& response) {
  if (test_scheduled_ && target >= 0 && registry_.Serving(static_cast<uint32_t>(target))) {
    std::string cron;
    if (ScheduledRequest(request.url, &cron)) {
      double now_ms = static_cast<double>(
          std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count());
      scheduled_->Fire(static_cast<uint32_t>(target), cron, now_ms, &response, id);
      return;
    }
  }
  DispatchTo(id, target, request, &response);
}

void TenantManager::DispatchTo(uint64_t id, int32_t target, const bindings::RequestView& request,
                               ResponseSink* response) {
  if (target < 0 || !registry_.Serving(static_cast<uint32_t>(target))) {
    response->Fail(ServerError::kNoRoute);
    return;
  }
  auto index = static_cast<uint32_t>(target);
  const TenantSpec& spec = registry_.spec(index);
  if (spec.assets != nullptr && !request.scheduled && !request.rpc && request.entrypoint.empty() &&
      AnswerFromAssets(*spec.assets, spec.asset_codings.get(), spec.has_worker(), request, response)) {
    return;
  }
  if (!spec.has_worker()) return response->Fail(ServerError::kNoRoute);  // an RPC call or an event
  if (Elsewhere(index)) {  // an isolation group's tenant: its own process answers (isolation.h)
    uint16_t port = isolation_->PortOf(registry_.name(index));
    // A scheduled event is fired by the group's own process, never forwarded.
    // RPC calls and named entrypoints are not carried across processes (yet): refused rather
    // than served by the default export as a request.
    if (port == 0 || request.scheduled || request.rpc || !request.entrypoint.empty()) {
      return response->Fail(ServerError::kNoRoute);
    }
    return isolation_->Dispatch(id, port, request, response);
  }
  TenantRuntime* runtime = cache_.Get(index);
  if (runtime == nullptr) {
    runtime = Activate(index, response);
    if (runtime == nullptr) return;  // answered
  }
  cache_.Touch(index);
  uint64_t charged_before = bindings::Worker::ChargedOnThisThread();
  runtime->Dispatch(id, request, response);
  last_run_ns_ = bindings::Worker::ChargedOnThisThread() - charged_before;
  health_.counts(index).run_ns += last_run_ns_;
  // `runtime` may be retired by now (a limit kill): then it holds no request.
  if (runtime->Unanswered(id)) wall_.Add(id, index, registry_.spec(index).worker.limits.wall_ms);
  cache_.AfterDispatch(index);
}

TenantRuntime* TenantManager::Activate(uint32_t index, ResponseSink* response) {
  if (std::optional<ServerError> refused = health_.Refusal(index, uv_now(loop_))) {
    response->Fail(*refused);
    return nullptr;
  }
  absl::StatusOr<std::unique_ptr<TenantRuntime>> runtime = cache_.Make(index, registry_.spec(index).worker);
  if (runtime.ok()) {
    ++health_.counts(index).loads_on_request;
    return cache_.Install(index, std::move(*runtime));
  }
  if (absl::IsResourceExhausted(runtime.status())) {
    ++counters_.overloaded;
    response->Fail(ServerError::kOverloaded);
    return nullptr;
  }
  base::LogLine(base::LogLevel::kError, base::ToStd(runtime.status().message()))
      .Str("tenant", registry_.name(index))
      .Str("error", "script_error")
      .Int("retry_in_ms", static_cast<int64_t>(pool_limits_.retry_load_after_ms))
      .Emit();
  health_.LoadFailed(index, uv_now(loop_));
  response->Fail(ServerError::kScriptError);
  return nullptr;
}

bindings::Worker* TenantManager::StreamWorker(int32_t target, uint64_t id) const {
  TenantRuntime* runtime = target < 0 ? nullptr : cache_.Get(static_cast<uint32_t>(target));
  return runtime == nullptr ? nullptr : runtime->StreamWorker(id);
}

bool TenantManager::PushUpload(uint64_t id, int32_t target, std::string_view bytes) {
  if (isolation_->Has(id)) return isolation_->PushUpload(id, bytes);
  bindings::Worker* worker = StreamWorker(target, id);
  return worker == nullptr || worker->PushUpload(id, bytes);
}

void TenantManager::EndUpload(uint64_t id, int32_t target, std::string_view error) {
  if (isolation_->Has(id)) return isolation_->EndUpload(id, error);
  if (bindings::Worker* worker = StreamWorker(target, id)) worker->EndUpload(id, error);
}

void TenantManager::ResumeResponse(uint64_t id, int32_t target) {
  if (isolation_->Has(id)) return isolation_->ResumeResponse(id);
  if (bindings::Worker* worker = StreamWorker(target, id)) worker->ResumeResponse(id);
}

void TenantManager::Forget(uint64_t id, int32_t target, bool aborted) {
  isolation_->Forget(id);
  if (outbound_) outbound_->EndChainRequest(id);
  if (TenantRuntime* runtime = target < 0 ? nullptr : cache_.Get(static_cast<uint32_t>(target))) {
    runtime->Forget(id, aborted);
  }
  if (test_scheduled_) scheduled_->Forget(id);
}

uint64_t TenantManager::DispatchService(uint64_t id, uint32_t target, const bindings::RequestView& request,
                                        ResponseSink* response) {
  last_run_ns_ = 0;
  DispatchTo(id, static_cast<int32_t>(target), request, response);
  return last_run_ns_;
}

void TenantManager::ResumeService(uint32_t target, uint64_t id) { ResumeResponse(id, static_cast<int32_t>(target)); }

void TenantManager::CancelService(uint32_t target, uint64_t id) {
  isolation_->Forget(id);
  if (TenantRuntime* runtime = cache_.Get(target)) runtime->Cancel(id);
}

void TenantManager::ReleaseService(uint32_t target, uint64_t id) {
  isolation_->Forget(id);
  if (TenantRuntime* runtime = cache_.Get(target)) runtime->Forget(id, false);
}

bindings::Worker* TenantManager::WorkerOf(uint32_t tenant) const {
  TenantRuntime* runtime = cache_.Get(tenant);
  return runtime == nullptr ? nullptr : runtime->worker();
}

uint64_t TenantManager::AttachClientWebSocket(uint32_t tenant, WebSocketPeer* peer, WebSocketHub** hub) {
  TenantRuntime* runtime = cache_.Get(tenant);
  if (runtime == nullptr || server_ == nullptr) return 0;
  uint64_t socket = bindings::NewWebSocketId();
  *hub = server_->websockets();
  (*hub)->Attach(socket, runtime);
  (*hub)->Hold(socket);
  (*hub)->Connect(socket, peer);
  return socket;
}

void TenantManager::ReleaseClientWebSocket(uint32_t tenant, uint64_t socket) {
  if (server_ == nullptr) return;
  WebSocketHub* hub = server_->websockets();
  bindings::Worker* worker = tenant == UINT32_MAX ? nullptr : WorkerOf(tenant);
  if (worker == nullptr || !worker->HasWebSocket(socket)) {
    hub->Close(socket, 1001, "going away");  // nobody took it (the fetch was cancelled)
    hub->Reassign(socket, nullptr);
  }
  hub->Release(socket);
}

bool TenantManager::StartFetch(uint32_t tenant, uint64_t fetch, const bindings::FetchRequestView& request,
                               std::string* error) {
  if (request.service.starts_with("@do:")) return ForwardToObjectOwner(tenant, fetch, request, error);
  if (request.service.starts_with("@do-node:")) return ForwardToObjectNode(tenant, fetch, request, error);
  int32_t target = request.service.empty() ? -1 : registry_.ServiceTarget(tenant, request.service);
  std::string_view entrypoint = request.service.empty() ? std::string_view() : registry_.ServiceEntrypoint(tenant, request.service);
  return outbound_->Start(tenant, fetch, request, registry_.spec(tenant).outbound, target, error, entrypoint);
}

// A call for a Durable Object another worker process owns (js/lazy/durable_objects.js): a
// loopback request to that process's listener (durable_objects_service.h), with the secret.
bool TenantManager::ForwardToObjectOwner(uint32_t tenant, uint64_t fetch, const bindings::FetchRequestView& request,
                                         std::string* error) {
  uint64_t owner = 0;
  uint16_t port = 0;
  if (base::ParseUnsigned(request.service.substr(4), &owner)) port = DurableObjectsPortOf(static_cast<uint32_t>(owner));
  if (port == 0) {
    *error = base::StrCat("Durable Object call refused: worker process ", owner, " is not listening (yet)");
    return false;
  }
  std::string target = base::StrCat("/", registry_.name(tenant), "/");
  std::vector<bindings::HeaderView> headers(request.headers.begin(), request.headers.end());
  headers.emplace_back("x-atoll-do-token", kv::DoConfig().secret);
  bindings::FetchRequestView view = request;
  view.service = {};
  view.https = false;
  view.host = "127.0.0.1";
  view.port = port;
  view.target = target;
  view.headers = headers;
  std::vector<std::string> allowed = {base::StrCat("127.0.0.1:", port)};
  return outbound_->Start(tenant, fetch, view, allowed, -1, error, {}, /*counted=*/false);
}

// Cluster mode: a call for a Durable Object another node owns (cluster_objects.h), to that node's
// listener under ClusterForward::kObjectPath, with the fleet's secret instead of this node's.
bool TenantManager::ForwardToObjectNode(uint32_t tenant, uint64_t fetch, const bindings::FetchRequestView& request,
                                        std::string* error) {
  std::string_view node = request.service.substr(9);
  NodeTarget to;
  if (!object_nodes_ || !object_nodes_(node, &to) || to.secret.empty()) {
    *error = base::StrCat("Durable Object call refused: node ", node, " is not reachable (not registered, or the fleet's secret is not read yet)");
    return false;
  }
  std::string target = base::StrCat(ClusterForward::kObjectPath, registry_.name(tenant), "/");
  std::vector<bindings::HeaderView> headers;
  headers.reserve(request.headers.size() + 1);
  for (const bindings::HeaderView& header : request.headers) {
    if (header.first != "host") headers.push_back(header);
  }
  headers.emplace_back(ClusterForward::kObjectTokenHeader, to.secret);
  bindings::FetchRequestView view = request;
  view.service = {};
  view.https = false;
  view.host = to.host;
  view.port = to.port;
  view.target = target;
  view.headers = headers;
  std::vector<std::string> allowed = {to.advertise};
  return outbound_->Start(tenant, fetch, view, allowed, -1, error, {}, /*counted=*/false);
}

void TenantManager::OnWallDeadline(uint64_t id, uint32_t index) {
  TenantRuntime* runtime = cache_.Get(index);
  if (runtime == nullptr || !runtime->Unanswered(id)) return;  // answered in time
  ++counters_.wall_kills;
  ++health_.counts(index).wall_kills;
  base::LogLine(base::LogLevel::kWarn, "wall time limit: request abandoned")
      .Str("tenant", registry_.name(index))
      .Str("error", "wall_limit")
      .Emit();
  runtime->Abandon(id, ServerError::kWallLimit);
}

void TenantManager::OnKilled(uint32_t tenant, isolates::LimitKind why) {
  bool memory = why == isolates::LimitKind::kMemory;
  (memory ? counters_.memory_kills : counters_.cpu_kills)++;
  TenantRuntime* runtime = cache_.Get(tenant);
  uint64_t overrun_ms = runtime != nullptr ? runtime->worker()->kill_overrun_ms() : 0;
  TenantHealth::Cooldown cooldown = health_.Killed(tenant, why, overrun_ms, uv_now(loop_));
  if (cooldown.refused_ms != 0) {
    base::LogLine(base::LogLevel::kWarn, "limit kills: the tenant is refused for a while")
        .Str("tenant", tenant < registry_.size() ? std::string_view(registry_.name(tenant)) : std::string_view())
        .Str("limit", memory ? "memory" : "cpu")
        .Int("kills_in_a_row", cooldown.kills_in_a_row)
        .Int("overrun_ms", static_cast<int64_t>(overrun_ms))
        .Int("refused_for_ms", static_cast<int64_t>(cooldown.refused_ms))
        .Emit();
  }
  if (tenant < registry_.size() && registry_.spec(tenant).auto_isolation && !Elsewhere(tenant) &&
      cooldown.kills_in_a_row >= kAutoIsolateAfterKills && on_repeated_kills_) {
    base::LogLine(base::LogLevel::kWarn, "limit kills: moving the tenant to a process of its own")
        .Str("tenant", registry_.name(tenant))
        .Int("kills_in_a_row", cooldown.kills_in_a_row)
        .Emit();
    on_repeated_kills_(registry_.name(tenant));
  }
  cache_.Retire(tenant);
}

TenantInfo TenantManager::Info(uint32_t index) const {
  TenantInfo info;
  info.spec = &registry_.spec(index);
  TenantRuntime* runtime = cache_.Get(index);
  info.live = runtime != nullptr;
  if (runtime != nullptr) {
    info.heap_bytes = runtime->worker()->heap_bytes();
    info.streams_snapshot = runtime->worker()->streams_snapshot();
  }
  TenantHealth::Counts counts = std::as_const(health_).counts(index);
  info.cpu_kills = counts.cpu_kills;
  info.memory_kills = counts.memory_kills;
  info.wall_kills = counts.wall_kills;
  info.cpu_ms = static_cast<double>(counts.run_ns) / 1e6;
  info.loads_on_request = counts.loads_on_request;
  info.prewarms = counts.prewarms;
  ScheduledEvents::Counts scheduled = scheduled_->CountsOf(index);
  info.scheduled_ok = scheduled.ok;
  info.scheduled_exception = scheduled.exception;
  return info;
}

void TenantManager::DropRuntime(uint32_t index, ServerError error) {
  TenantRuntime* runtime = cache_.Get(index);
  if (runtime == nullptr) return;
  runtime->AbandonAll(error);
  cache_.Retire(index);
}

absl::StatusOr<TenantManager::Prepared> TenantManager::Prepare(TenantSpec* spec, bool compile) {
  if (spec->worker.limits.memory_mb > heap_mb_) {
    return absl::InvalidArgumentError(base::StrCat("memory_mb: ", spec->worker.limits.memory_mb,
                                                   " is over this process's isolate heap limit of ", heap_mb_, " MB"));
  }
  spec->worker.pool = pool_limits_;
  absl::StatusOr<TenantRegistry::Staged> staged = registry_.Stage(*spec);
  if (!staged.ok()) return staged.status();
  if (!compile || !spec->has_worker()) return Prepared{*std::move(staged), nullptr};
  absl::StatusOr<std::unique_ptr<TenantRuntime>> runtime = cache_.Make(staged->index, spec->worker);
  if (!runtime.ok()) {
    if (absl::IsResourceExhausted(runtime.status())) return runtime.status();
    return absl::InvalidArgumentError(runtime.status().message());
  }
  return Prepared{*std::move(staged), *std::move(runtime)};
}

absl::Status TenantManager::Check(TenantSpec spec) {
  // The runtime and the staged entry are dropped, as when Deploy fails.
  return Prepare(&spec, true).status();
}

absl::Status TenantManager::Deploy(TenantSpec spec, bool check_elsewhere) {
  // Another process's tenant (isolation.h): its script runs here only to check it, if at all.
  bool elsewhere = isolation_->Elsewhere(spec.worker.tenant_name);
  absl::StatusOr<Prepared> prepared = Prepare(&spec, !elsewhere || check_elsewhere);
  if (!prepared.ok()) return prepared.status();
  TenantRegistry::Staged& staged = prepared->staged;
  uint32_t index = staged.index;
  if (staged.replaces) DropRuntime(index, ServerError::kOverloaded);
  registry_.Commit(std::move(staged), std::move(spec));
  health_.Deployed(index);
  if (!elsewhere && prepared->runtime != nullptr) cache_.Install(index, std::move(prepared->runtime));
  cache_.SetTenantCount(TenantsWantingIsolates());
  return absl::OkStatus();
}

bool TenantManager::Remove(std::string_view name) {
  int32_t found = registry_.Find(name);
  if (found < 0 || !registry_.Serving(static_cast<uint32_t>(found))) return false;
  DropRuntime(static_cast<uint32_t>(found), ServerError::kNoRoute);
  registry_.Remove(name);
  cache_.SetTenantCount(TenantsWantingIsolates());
  return true;
}

void TenantManager::SetIsolationTable(std::string_view table) {
  isolation_->set_table(ParseIsolationTable(table));
  // A tenant moved to its group: new requests are forwarded; an idle isolate here goes now (one
  // with requests in flight lets them finish and is evicted as least recently used later).
  for (uint32_t index = 0; index < registry_.size(); ++index) {
    TenantRuntime* runtime = Elsewhere(index) ? cache_.Get(index) : nullptr;
    if (runtime != nullptr && runtime->Idle()) cache_.Retire(index);
  }
  base::LogLine(base::LogLevel::kInfo, "isolation groups").Str("table", table).Emit();
}

void TenantManager::LogStats() const {
  base::LatencyHistogram context_takes = cache_.context_take_latency();
  base::LatencyHistogram isolate_takes = cache_.isolate_take_latency();
  isolates::IsolatePool::Stats pool = cache_.pool_stats();
  const IsolateCache::Stats& cached = cache_.stats();
  auto us = [](uint64_t ns) { return static_cast<double>(ns) / 1000.0; };
  base::LogLine(base::LogLevel::kInfo, "pool stats")
      .Num("context_take_us_p50", us(context_takes.Percentile(0.5)))
      .Num("context_take_us_p99", us(context_takes.Percentile(0.99)))
      .Num("isolate_take_us_p50", us(isolate_takes.Percentile(0.5)))
      .Num("isolate_take_us_p99", us(isolate_takes.Percentile(0.99)))
      .Num("tenant_load_us_p50", us(cached.tenant_load_latency.Percentile(0.5)))
      .Num("tenant_load_us_p99", us(cached.tenant_load_latency.Percentile(0.99)))
      .Int("contexts_created", static_cast<int64_t>(cache_.contexts_created()))
      .Int("isolates_created", static_cast<int64_t>(pool.created))
      .Int("isolates_taken_cold", static_cast<int64_t>(pool.taken_cold))
      .Int("isolates_live", static_cast<int64_t>(cache_.live()))
      .Int("prewarmed", prewarmer_ ? static_cast<int64_t>(prewarmer_->stats().warmed) : 0)
      .Int("evictions", static_cast<int64_t>(cached.evictions))
      .Int("memory_reductions", static_cast<int64_t>(cached.memory_reductions))
      .Int("memory_reductions_deep", static_cast<int64_t>(cached.deep_memory_reductions))
      .Num("memory_reduction_us_p50", us(cached.reduce_latency.Percentile(0.5)))
      .Int("overloaded", static_cast<int64_t>(counters_.overloaded))
      .Int("cpu_kills", static_cast<int64_t>(counters_.cpu_kills))
      .Int("memory_kills", static_cast<int64_t>(counters_.memory_kills))
      .Int("wall_kills", static_cast<int64_t>(counters_.wall_kills))
      .Int("scripts_compiled", static_cast<int64_t>(code_cache_->stats().compiles.load()))
      .Int("code_cache_hits", static_cast<int64_t>(code_cache_->stats().hits.load()))
      .Int("code_cache_rejected", static_cast<int64_t>(code_cache_->stats().rejected.load()))
      .Int("code_cache_kb", static_cast<int64_t>(code_cache_->bytes() / 1024))
      .Int("code_cache_evicted", static_cast<int64_t>(code_cache_->stats().evicted.load()))
      .Int("wasm_compilations", bindings::WasmCompilations())
      .Int("wasm_cache_kb", static_cast<int64_t>(bindings::WasmModuleCacheBytes() / 1024))
      .Emit();
}

}  // namespace atl::server
