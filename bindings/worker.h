#pragma once
// One tenant's script running in one tenant isolate. The isolate comes from the pool (made from
// the runtime snapshot, so every context already has the bindings); the Worker loads the script
// into a context and dispatches requests to it. Two context modes (SPEC §2 `context`):
// - shared: one context, the module evaluated once, globals persist (Workers semantics);
// - per_request: every request takes a fresh context, prepared ahead of time with the script
//   already evaluated (PrepareContext, off the request path), and dropped once the request is
//   answered and its waitUntil promises settled. Nothing survives from one request to the next.
// Every entry into JS runs under the CPU watchdog; a limit kill makes the Worker dead and the
// host is told (WorkerHost::OnKilled).
//
//   auto worker = Worker::Create(options, pool.Take(), &host, &code_cache, &watchdog);
//   (*worker)->Dispatch(id, request);   // host.OnResponse(id, ...) now or later

#include <cstdint>
#include <deque>
#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "base/latency_histogram.h"
#include "bindings/worker_host.h"
#include "cache/code_cache.h"
#include "isolates/cpu_watchdog.h"
#include "isolates/limits.h"
#include "isolates/script_loader.h"
#include "isolates/tenant_isolate.h"
#include "kv/kv_store.h"

namespace atl::bindings {

// env.NAME = the KV namespace `namespace_name` (SPEC §3; bindings/kv.h).
struct KvBinding {
  std::string name;
  std::string namespace_name;
  std::shared_ptr<kv::KvStore> store;  // null: its methods throw (atoll check opens no stores)
};

struct WorkerOptions {
  std::string tenant_name = "default";
  std::filesystem::path script_path;
  isolates::TenantLimits limits;
  bool per_request_context = false;
  uint32_t warm_contexts = 2;                          // per_request: ready contexts kept at first
  uint32_t max_warm_contexts = 32;                     // ... doubled up to this when requests outrun them
  uint32_t heap_slack_mb = 16;
  std::vector<std::pair<std::string, std::string>> env;  // env.NAME = value (vars, secrets)
  std::vector<KvBinding> kv;                             // env.NAME = a KV namespace
  std::vector<std::pair<std::string, std::string>> services;  // env.NAME = service binding to tenant
  std::vector<std::pair<std::string, std::filesystem::path>> wasm;  // env.NAME = WebAssembly.Module of the file
};

class Worker {
 public:
  // Loads the script into a first context (errors name the file and line: a syntax error, a
  // throw at top level, no fetch handler). `watchdog` may be null (no CPU limit).
  static absl::StatusOr<std::unique_ptr<Worker>> Create(const WorkerOptions& options,
                                                        std::unique_ptr<isolates::TenantIsolate> isolate,
                                                        WorkerHost* host, cache::CodeCache* code_cache,
                                                        isolates::CpuWatchdog* watchdog);
  ~Worker();

  // Runs the handler for request `id`, then the microtasks it queued.
  void Dispatch(uint64_t id, const RequestView& request);
  // Timer `key` (armed through WorkerHost::SetTimer) fired.
  void FireTimer(uint64_t key);
  // Runs V8's pending foreground tasks; called by the loop when idle.
  void RunPlatformTasks();
  // A full, compacting GC that gives unused heap pages back; for a tenant gone idle.
  void ReduceMemory();
  // Bytes of the isolate's V8 heap in use (for the admin API and metrics).
  size_t heap_bytes() const;

  // per_request: whether fewer than `warm_contexts` contexts are ready, and making one.
  bool NeedsContexts() const;
  absl::Status PrepareContext();

  // The server gave up on request `id` (wall limit): it will not be answered through the host.
  void Abandon(uint64_t id);

  // Streamed bodies (js/lazy/streams.js). A request dispatched with `body_streamed` gets its body
  // here: false asks the host to stop reading until WorkerHost::OnUploadControl(id, false).
  bool PushUpload(uint64_t id, std::string_view bytes);
  // The request body ended: complete when `error` is empty, else the stream errors with it.
  void EndUpload(uint64_t id, std::string_view error);
  // The client took the streamed response body written so far: the Worker may write more.
  void ResumeResponse(uint64_t id);
  // The client of request `id` went away: its body streams are cancelled, and a streamed
  // response ends here.
  void Abort(uint64_t id);
  std::vector<uint64_t> InflightIds() const;
  size_t inflight() const { return inflight_.size(); }
  isolates::LimitKind killed() const { return tenant_isolate_->killed(); }
  // Drops every context and hands the isolate back (to the pool, which disposes it).
  std::unique_ptr<isolates::TenantIsolate> ReleaseIsolate();

  const std::string& tenant_name() const { return options_.tenant_name; }
  const base::LatencyHistogram& context_take_latency() const { return context_take_latency_; }
  size_t contexts_created() const { return contexts_created_; }

  // Called by the native bindings, in the isolate's current context.
  // False for a streamed response nobody takes any more.
  bool Respond(uint64_t id, const ResponseView& response);
  void Fail(uint64_t id, std::string_view message);
  void ArmTimer(uint32_t id, double delay_ms, bool repeat);
  void CancelTimer(uint32_t id);
  void WaitUntil(uint64_t id, v8::Local<v8::Promise> promise);
  bool WriteBody(uint64_t id, std::string_view bytes);
  void EndBody(uint64_t id, bool complete);
  void UploadControl(uint64_t id, bool cancel);
  // The store of KV binding `index` (WorkerOptions::kv); null if there is none.
  kv::KvStore* kv_store(uint32_t index) const {
    return index < options_.kv.size() ? options_.kv[index].store.get() : nullptr;
  }
  // fetch(): counts a subrequest of the request whose JS is running and starts it through the
  // host; 0 with `error` set when refused (no request, over `subrequests`, refused by the host).
  uint64_t StartFetch(const FetchRequestView& request, std::string* error);
  bool FetchWrite(uint64_t fetch, std::string_view bytes, bool end);
  void FetchControl(uint64_t fetch, bool cancel);

  // From the host: an event of fetch `fetch`; for kChunk, whether the JS side wants more now.
  bool DeliverFetchEvent(uint64_t fetch, const FetchEventView& event);

 private:
  // A timer armed by the glue; JS it runs is charged to `request` (0: none).
  struct Timer {
    bool repeat = false;
    uint64_t request = 0;
  };
  // One context of this Worker, with what the glue left in `internal` for C++.
  struct ContextState {
    uint32_t serial = 0;
    v8::Global<v8::Context> context;
    v8::Global<v8::Function> dispatch;
    v8::Global<v8::Function> on_timer;
    v8::Global<v8::Function> unhandled_rejection;
    v8::Global<v8::Function> on_stream_event;
    v8::Global<v8::Function> on_fetch_event;
    v8::Global<v8::Object> env;
    absl::flat_hash_map<uint32_t, Timer> timers;  // armed id -> what it is
    uint32_t requests = 0;                       // in flight
    uint32_t wait_until = 0;                     // unsettled waitUntil promises
    bool single_use = false;                     // per_request: dropped once idle
    bool used = false;
  };
  // A request in flight: its context, and the JS time charged to it so far. A request whose
  // response head went out with a streamed body stays in flight until the body ends.
  struct Inflight {
    ContextState* state = nullptr;
    uint64_t js_ns = 0;
    bool streaming = false;
  };
  // A fetch in flight: the context its events go to, and the request it is charged to.
  struct OutboundFetch {
    uint32_t serial = 0;
    uint64_t request = 0;
  };
  // Cancels the fetches `match` selects (host told, no more events).
  template <typename Match>
  void CancelFetches(Match match);
  struct Rejection {
    v8::Global<v8::Promise> promise;
    std::string message;
  };

  Worker(const WorkerOptions& options, std::unique_ptr<isolates::TenantIsolate> isolate, WorkerHost* host,
         cache::CodeCache* code_cache, isolates::CpuWatchdog* watchdog);
  absl::StatusOr<ContextState*> NewContext();
  // env[name] = internal.require(module)[factory](arg) for every (name, arg) of `bindings`
  // (KV namespaces, service bindings), under the startup CPU budget.
  absl::Status BindFromModule(v8::Local<v8::Context> context, v8::Local<v8::Object> internal,
                              v8::Local<v8::Object> env, std::string_view module_name, std::string_view factory,
                              const std::vector<std::pair<std::string, v8::Local<v8::Value>>>& bindings);
  ContextState* CurrentState();
  ContextState* TakeContext();
  // Calls `fn` in `state`'s context under the CPU watchdog, then a microtask checkpoint; false
  // if it threw or a limit stopped it. The run is charged to `request` (0: none), whose
  // remaining `cpu_ms` is the run's budget; `result`, if given, gets what `fn` returned.
  bool CallIntoJs(ContextState* state, v8::Local<v8::Function> fn, int argc, v8::Local<v8::Value>* argv,
                  std::string* error, uint64_t request = 0, v8::Local<v8::Value>* result = nullptr);
  void EnterJs(uint32_t budget_ms);
  void ExitJs();
  // Takes request `id` out of flight, calls `report` (tells the host), and lets its context go
  // if the request was its last use. False if `id` was not in flight.
  template <typename Report>
  bool Finish(uint64_t id, Report report);
  void MaybeRetire(ContextState* state);
  // Calls internal.onStreamEvent(id, kind, data) in request `id`'s context; its boolean answer.
  bool SendStreamEvent(uint64_t id, int kind, v8::Local<v8::Value> data);
  void DropRetired();
  static void OnPromiseReject(v8::PromiseRejectMessage message);
  void LogUnhandledRejections();
  // If a limit killed the isolate: marks this Worker dead and tells the host (once); true then.
  bool NoticeKill();
  // Fires `unhandledrejection` in the promise's context; false if that context is gone.
  bool DispatchUnhandledRejection(const Rejection& rejection);

  WorkerOptions options_;
  std::unique_ptr<isolates::TenantIsolate> tenant_isolate_;
  v8::Isolate* isolate_;
  WorkerHost* host_;
  cache::CodeCache* code_cache_;
  isolates::CpuWatchdog* watchdog_;
  isolates::ScriptLoader::Memo loader_memo_;
  absl::flat_hash_map<uint32_t, std::unique_ptr<ContextState>> contexts_;
  ContextState* shared_ = nullptr;
  std::deque<ContextState*> ready_;
  std::vector<uint32_t> retired_;
  absl::flat_hash_map<uint64_t, Inflight> inflight_;
  uint64_t running_request_ = 0;  // the request the JS running now is charged to
  std::vector<Rejection> unhandled_rejections_;
  uint32_t next_serial_ = 1;
  absl::flat_hash_map<uint64_t, OutboundFetch> fetches_;
  absl::flat_hash_map<uint64_t, uint32_t> subrequests_;  // request id -> fetch() calls so far
  static constexpr size_t kUploadBytesPerGc = 8u << 20;
  size_t upload_bytes_since_gc_ = 0;  // request body bytes handed to JS since the last GC hint
  uint32_t target_ready_ = 0;
  int js_depth_ = 0;
  bool dead_ = false;
  bool serving_ = false;  // Create() finished
  size_t contexts_created_ = 0;
  base::LatencyHistogram context_take_latency_;
};

}  // namespace atl::bindings
