#pragma once
// One tenant's script running in one tenant isolate. The isolate comes from the pool (made from
// the runtime snapshot, so every context already has the bindings); the Worker loads the script
// into a context and dispatches requests to it. Two context modes (SPEC §2 `context`):
// - shared: one context, the module evaluated once, globals persist (Workers semantics);
// - per_request: every request takes a fresh context, prepared ahead of time with the script
//   already evaluated (PrepareContext, off the request path), and dropped once the request is
//   answered and its waitUntil promises settled. Nothing survives from one request to the next.
// Every entry into JS runs under the CPU watchdog and is charged to a CPU account (the request
// whose JS caused it, before or after its response, or the isolate's background account:
// isolates/cpu_accounts.h); an account that runs dry or a limit kill makes the Worker dead and
// the host is told (WorkerHost::OnKilled). Loading a built-in module is the platform's work: the
// run's clock stops meanwhile. The Worker also caps what JS leaves pending: timers per isolate,
// console bytes per request, and how long waitUntil keeps a per_request context after the
// response.
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
#include "assets/asset_set.h"
#include "base/latency_histogram.h"
#include "bindings/common_names.h"
#include "bindings/env_binding.h"
#include "bindings/worker_host.h"
#include "cache/code_cache.h"
#include "config/module_rules.h"
#include "isolates/cpu_accounts.h"
#include "isolates/cpu_watchdog.h"
#include "isolates/limits.h"
#include "isolates/script_loader.h"
#include "isolates/tenant_isolate.h"
#include "absl/functional/function_ref.h"
#include "kv/kv_backend.h"

namespace atl::bindings {

struct WorkerOptions {
  std::string tenant_name = "default";
  std::filesystem::path script_path;
  isolates::TenantLimits limits;
  bool per_request_context = false;
  // per_request (context = "per_request_hardened"), ES module scripts: a context is locked down
  // and reset for its next request instead of dropped (worker_reuse.cc). ATOLL_CONTEXT_REUSE=0 in
  // the environment turns it off, =naive reuses contexts as they are (no lockdown, reset or
  // fencing: for tests to show what leaks then).
  bool reuse_contexts = false;
  isolates::PoolLimits pool;                           // the process's: warm_contexts, max_warm_contexts, heap_slack_mb
  std::vector<EnvBinding> env;                         // env.NAME of every kind (env_binding.h), in config order
  std::vector<std::string> compatibility_flags;        // wrangler's flags, e.g. "nodejs_compat" (builtin_modules.h)
  std::vector<config::ModuleRule> module_rules;        // the tenant's `rules` (config/module_rules.h)

  // The (name, value) of the bindings of kind `kind`, in config order.
  std::vector<std::pair<std::string, std::string>> OfKind(std::string_view kind) const;
  // Appends env.NAME of kind `kind` (a config::EnvBindingKinds() key) with nothing opened for it.
  void Bind(std::string_view kind, std::string_view name, std::string_view value);
};

// A process-unique WebSocket id (inbound 101s and outbound upgrades share the sequence).
uint64_t NewWebSocketId();

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
  // Timers armed by the tenant's JS and not yet fired or cleared, in every context.
  size_t pending_timers() const { return pending_timers_; }
  // Request CPU accounts still open (in flight, or kept by what they caused).
  size_t open_accounts() const { return accounts_.open(); }
  // Runs V8's pending foreground tasks; called by the loop when idle. Under what is left of the
  // background account, not charged; `as_platform`: under the platform's own bound instead (the
  // idle GC's marking, which a nearly spent background account must not turn into a kill).
  void RunPlatformTasks(bool as_platform = false);
  // Makes the code cache entries of the script and its modules again, now that the handler ran
  // (isolates/compiled_scripts.h): the next isolate of this script compiles none of what ran
  // here. Once per Worker, after its first request; platform work, charged to no one. The two
  // GCs below do it first (a tenant going idle), and the isolate cache before it drops an
  // evicted tenant.
  void RefreshCodeCache();
  // A full, compacting GC that gives unused heap pages back; for a tenant idle for long (it also
  // lets the maps only optimized code holds die: that code is deoptimized, and re-optimized on the
  // tenant's next requests at their expense).
  void ReduceMemory();
  // A full GC that frees the heap's garbage but keeps the tenant's optimized code, and keeps the
  // heap's pages; for a tenant idle for a second.
  void CollectGarbage();
  // Bytes of the isolate's V8 heap in use (for the admin API and metrics).
  size_t heap_bytes() const;
  // Whether its isolate was made from the streams snapshot (streams loaded in every context of
  // it: runtime_snapshot.h, streams_context.h).
  bool streams_snapshot() const;
  // The current context's root async context frame, once it has an AsyncLocalStorage
  // (async_context.h): what each run from the event loop starts in.
  void SetAsyncRootFrame(v8::Local<v8::Value> frame);

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
  // After a kill: how long the killed run went on past it (TenantIsolate::MsSinceKill).
  uint64_t kill_overrun_ms() const { return tenant_isolate_ ? tenant_isolate_->MsSinceKill() : 0; }
  // Drops every context and hands the isolate back (to the pool, which disposes it).
  std::unique_ptr<isolates::TenantIsolate> ReleaseIsolate();

  const std::string& tenant_name() const { return options_.tenant_name; }
  v8::Isolate* isolate() const { return isolate_; }  // for matching V8's posted tasks (isolates/platform.h)
  uint32_t cache_mb() const { return options_.limits.cache_mb; }  // the Cache API's cap (bindings/cache_api.h)
  const base::LatencyHistogram& context_take_latency() const { return context_take_latency_; }
  size_t contexts_created() const { return contexts_created_; }
  size_t contexts_reused() const { return contexts_reused_; }

  // Called by the native bindings, in the isolate's current context.
  // False for a streamed response nobody takes any more.
  bool Respond(uint64_t id, const ResponseView& response);
  void Fail(uint64_t id, std::string_view message);
  // False (nothing armed) past RuntimeCaps::max_pending_timers.
  bool ArmTimer(uint32_t id, double delay_ms, bool repeat);
  void CancelTimer(uint32_t id);
  void WaitUntil(uint64_t id, v8::Local<v8::Promise> promise);
  // The request or event the JS running now is charged to (0: none, the top level or the background).
  uint64_t running_request() const { return running_request_; }
  // A console line of `bytes` from the JS running now: whether to write it. Past
  // RuntimeCaps::max_log_bytes for the request it is charged to, one line says so instead.
  bool ChargeLog(size_t bytes);
  // Built-in module loading (lazy_modules.cc) is the platform's work, not the tenant's: the run's
  // CPU clock stops between these two (they nest); the work has a budget of its own
  // (RuntimeCaps::platform_cpu_ms, plus `extra_ns` for work that grows with its input).
  void EnterPlatform(uint64_t extra_ns = 0);
  void ExitPlatform();
  // The CPU time charged to tenants' accounts by every Worker on this thread so far (the
  // platform's own work left out): its difference across a dispatch is what the dispatch cost
  // tenants (a chain of service calls is billed that, server/outbound.h).
  static uint64_t ChargedOnThisThread();
  // The process's code cache (memory and data_dir), or null: built-in modules keep theirs there
  // too, so that the next process on the same data_dir compiles none of them (lazy_modules.cc).
  cache::CodeCache* code_cache() const { return code_cache_; }
  bool WriteBody(uint64_t id, std::string_view bytes);
  void EndBody(uint64_t id, bool complete);
  void UploadControl(uint64_t id, bool cancel);
  // What the host knows about request `id`'s connection, for request.cf (false: nothing).
  bool RequestCf(uint64_t id, RequestCfView* out) { return !dead_ && host_->RequestCf(id, out); }
  bool AcceptsCoding(uint64_t id, std::string_view coding) { return dead_ || host_->AcceptsCoding(id, coding); }
  // The backend of KV binding `index` (its position in WorkerOptions::env); null if there is none.
  kv::KvBackend* kv_store(uint32_t index) const {
    return index < options_.env.size() && options_.env[index].kind == "kv"
               ? static_cast<kv::KvBackend*>(options_.env[index].resource.get())
               : nullptr;
  }
  // The static assets of assets binding `index` (bindings/env_assets.h); null if there are none.
  const assets::AssetSet* asset_set(uint32_t index) const {
    return index < options_.env.size() && options_.env[index].kind == "assets"
               ? static_cast<const assets::AssetSet*>(options_.env[index].resource.get())
               : nullptr;
  }
  // Host calls (worker_host_calls.cc): a native started an operation that the host's loop answers
  // later (a KV call on PostgreSQL). BeginHostCall keeps `callback` (a function of the current
  // context) and holds the account of the request whose JS is running; 0 when no context runs.
  // CompleteHostCall calls it in that context with the arguments `make_args` builds (at most 2),
  // charged to that request, like a fetch event; nothing if the context or the Worker is gone.
  uint64_t BeginHostCall(v8::Local<v8::Function> callback);
  void CompleteHostCall(uint64_t call, absl::FunctionRef<int(v8::Isolate*, v8::Local<v8::Value>*)> make_args);
  // What a completion holds: empty once this Worker is destroyed.
  std::weak_ptr<Worker*> weak_handle() const { return self_; }
  // fetch(): counts a subrequest of the request whose JS is running and starts it through the
  // host; 0 with `error` set when refused (no request, over `subrequests`, refused by the host).
  uint64_t StartFetch(const FetchRequestView& request, std::string* error);
  bool FetchWrite(uint64_t fetch, std::string_view bytes, bool end);
  void FetchControl(uint64_t fetch, bool cancel);
  // A socket's startTls() (js/lazy/cloudflare_sockets.js); false with `error`.
  bool SocketStartTls(uint64_t fetch, std::string_view name, std::string* error);

  // From the host: an event of fetch `fetch`; for kChunk, whether the JS side wants more now.
  bool DeliverFetchEvent(uint64_t fetch, const FetchEventView& event);

  // WebSockets (worker_websockets.cc). Request `id` is answered 101 with a WebSocket: the socket
  // gets a process-unique id, 0 (nothing answered) past the tenant's max_websockets.
  uint64_t RespondWebSocket(uint64_t id, ResponseView response);
  bool WebSocketSend(uint64_t socket, bool binary, std::string_view data);
  void WebSocketClose(uint64_t socket, uint16_t code, std::string_view reason);
  // From the host: an event of socket `socket`, run under a CPU account of its own (cpu_ms per
  // event, as Workers); kClose is the last. False if the socket is unknown here.
  bool DeliverWebSocketEvent(uint64_t socket, const WebSocketEventView& event);
  size_t open_websockets() const { return sockets_.size(); }
  bool HasWebSocket(uint64_t socket) const { return sockets_.contains(socket); }

 private:
  using Clock = isolates::CpuWatchdog::Clock;
  static constexpr uint64_t TimerKey(uint32_t serial, uint32_t id) { return (uint64_t{serial} << 32) | id; }
  // The Worker's own timers (no context has serial 0): waitUntil deadlines, and the error of
  // fetches whose request ended (EndRequestIo).
  static constexpr uint64_t kWaitUntilTimer = 1;       // TimerKey(0, 1)
  static constexpr uint64_t kEndedFetchesTimer = 2;    // TimerKey(0, 2)
  // A timer armed by the glue; JS it runs is charged to `request`'s account (0: the background
  // account), which it holds.
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
    v8::Global<v8::Function> on_websocket_event;
    v8::Global<v8::Object> env;
    v8::Global<v8::Object> internal;             // the glue's, for loading the script again
    v8::Global<v8::Function> set_handler;
    v8::Global<v8::Function> reset;              // reusable: starts a new use (js/lazy/lockdown.js)
    v8::Global<v8::Value> async_root_frame;  // empty until AsyncLocalStorage is used (async_context.h)
    absl::flat_hash_map<uint32_t, Timer> timers;  // armed id -> what it is
    uint32_t requests = 0;                       // in flight
    uint32_t wait_until = 0;                     // unsettled waitUntil promises
    uint32_t sockets = 0;                        // open WebSockets whose events come here (keep it)
    uint64_t wait_until_deadline_ns = 0;         // per_request, answered: they are dropped then
    bool single_use = false;                     // per_request: dropped once idle
    bool reusable = false;                       // per_request: reset and reused once idle instead
    bool used = false;
  };
  // A request in flight (it holds its CPU account): its context. A request whose response head
  // went out with a streamed body stays in flight until the body ends.
  struct Inflight {
    ContextState* state = nullptr;
    bool streaming = false;
    bool encoding = false;  // the host compresses the streamed body (ResponseView::encode_body)
  };
  // A fetch in flight: the context its events go to, and the request it is charged to (whose
  // account it holds).
  struct OutboundFetch {
    uint32_t serial = 0;
    uint64_t request = 0;
    bool ended = false;  // its request ended with it unread: its connection is closed, its error due
  };
  // Cancels the fetches `match` selects (host told, no more events).
  template <typename Match>
  void CancelFetches(Match match);
  // Forgets fetch `fetch` (no more events), letting go of its request's account.
  void EraseFetch(uint64_t fetch);
  // A promise rejected with no handler during a run; its event is charged to that run's account.
  struct Rejection {
    v8::Global<v8::Promise> promise;
    uint64_t request = 0;
  };

  Worker(const WorkerOptions& options, std::unique_ptr<isolates::TenantIsolate> isolate, WorkerHost* host,
         cache::CodeCache* code_cache, isolates::CpuWatchdog* watchdog);
  absl::StatusOr<ContextState*> NewContext();
  // The EnvSetup of a context being made (worker.cc).
  class ContextEnv;
  // env[name] = internal.require(module)[factory](arg) for every (name, arg) of `bindings`
  // (EnvSetup::BindFromModule), under the startup CPU budget.
  absl::Status BindFromModule(v8::Local<v8::Context> context, v8::Local<v8::Object> internal,
                              v8::Local<v8::Object> env, std::string_view module_name, std::string_view factory,
                              const std::vector<std::pair<std::string, v8::Local<v8::Value>>>& bindings);
  ContextState* CurrentState();
  ContextState* TakeContext();
  // Context reuse (worker_reuse.cc). Whether a new context of this Worker is locked down and reused.
  bool ReuseWanted() const;
  // Locks `state`'s new context down (js/lazy/lockdown.js) before the script runs in it.
  absl::Status Lockdown(ContextState* state, v8::Local<v8::Context> context, v8::Local<v8::Object> env);
  // Loads the script into `state`'s context and hands the handler to the glue.
  absl::Status LoadScript(ContextState* state, v8::Local<v8::Context> context);
  // An idle reusable context: its timers, fetches and host calls of the finished use are dropped
  // and it gets a new serial (what every host callback is fenced by), then waits in parked_.
  void Park(uint32_t serial);
  // The most recently parked context, reset for a new use (fresh globals store, module graph
  // evaluated again); null if none could be.
  ContextState* UnparkOne();
  // Remembers the built-in modules `state`'s context loaded: every locked-down context loads them
  // before it is frozen.
  void RecordPreload(ContextState* state);
  // CallIntoJs's `request` for a run of the script's start-up (not charged to any account; its
  // budget is startup_cpu_ms).
  static constexpr uint64_t kStartupRun = ~uint64_t{0};
  // Calls `fn` in `state`'s context under the CPU watchdog, then a microtask checkpoint; false
  // if it threw or a limit stopped it. The run is charged to `request`'s account (0: the
  // background account), whose remaining budget is the run's; an account that runs dry kills
  // the isolate. `result`, if given, gets what `fn` returned.
  bool CallIntoJs(ContextState* state, v8::Local<v8::Function> fn, int argc, v8::Local<v8::Value>* argv,
                  std::string* error, uint64_t request = 0, v8::Local<v8::Value>* result = nullptr);
  // The outermost of nested calls starts and ends a run of `budget_ns` under the watchdog;
  // ExitJs returns the tenant's CPU time of the run (platform work left out), 0 when nested.
  void EnterJs(uint64_t budget_ns, Clock::time_point now);
  uint64_t ExitJs(Clock::time_point now);
  uint64_t StartupBudgetNs() const;
  // A piece of a run on the watchdog (a run is split where platform work starts and ends).
  void BeginSegment(uint64_t budget_ns, Clock::time_point now);
  uint64_t EndSegment(Clock::time_point now);
  // Drops the references `state`'s timers hold (its context is going away).
  void ForgetTimers(ContextState* state);
  // waitUntil promises of answered requests that outlived wait_until_ms are given up (the
  // request's fetches ended; a per_request context retired); re-arms the Worker's own timer for
  // the next deadline.
  void ExpireWaitUntil();
  // `state`'s request was answered: its waitUntil promises have wait_until_ms from now.
  void StartWaitUntilClock(ContextState* state);
  void ArmWaitUntilTimer(uint64_t deadline_ns);
  // Request `id` was answered: its waitUntil promises (any context) have wait_until_ms from now.
  void StartRequestWaitUntilClock(uint64_t id);
  // Request `id` is over (answered, its waitUntil promises settled): the fetches it made whose
  // responses nobody read to the end let go of their connections, as Workers ends a request's
  // I/O with it. Each one's body errors on the next loop turn (FailEndedFetches), for a reader
  // that comes later (another request: Workers refuses such cross-request I/O too).
  void EndRequestIo(uint64_t id);
  void FailEndedFetches();

  // Takes request `id` out of flight, calls `report` (tells the host), and lets its context go
  // if the request was its last use. False if `id` was not in flight.
  template <typename Report>
  bool Finish(uint64_t id, Report report);
  void MaybeRetire(ContextState* state);
  // Calls internal.onStreamEvent(id, kind, data) in request `id`'s context; its boolean answer.
  bool SendStreamEvent(uint64_t id, int kind, v8::Local<v8::Value> data);
  void DropRetired();
  static void OnPromiseReject(v8::PromiseRejectMessage message);
  // import() at run time (worker_imports.cc): a built-in module's namespace, or a TypeError.
  static v8::MaybeLocal<v8::Promise> ImportDynamically(v8::Local<v8::Context> context, v8::Local<v8::Data> options,
                                                       v8::Local<v8::Value> resource, v8::Local<v8::String> specifier,
                                                       v8::Local<v8::FixedArray> assertions);
  void LogUnhandledRejections();
  // If a limit killed the isolate: marks this Worker dead and tells the host (once); true then.
  bool NoticeKill();
  // Fires `unhandledrejection` in the promise's context; false if that context is gone.
  bool DispatchUnhandledRejection(const Rejection& rejection);
  // A reason described for the log when no context can take it (its getters are not run).
  std::string DescribeWithoutJs(const Rejection& rejection);

  // 32 members in three groups that every JS entry touches together: the contexts (contexts_ to
  // retired_, target_ready_, the take latency), the run clock that charges CPU (accounts_,
  // running_request_, the segment and budget fields, the depths) and outbound fetches
  // (fetches_, subrequests_, next_serial_). Each is a plain-member class to extract next, kept
  // inline so the hot path gains no indirection.
  WorkerOptions options_;
  std::unique_ptr<isolates::TenantIsolate> tenant_isolate_;
  v8::Isolate* isolate_;
  WorkerHost* host_;
  cache::CodeCache* code_cache_;
  isolates::CpuWatchdog* watchdog_;
  isolates::ScriptLoader::Memo loader_memo_;
  config::ModuleRules module_rules_;  // options_.module_rules with wrangler's defaults
  absl::flat_hash_map<uint32_t, std::unique_ptr<ContextState>> contexts_;
  ContextState* shared_ = nullptr;
  std::deque<ContextState*> ready_;
  std::vector<uint32_t> parked_;  // reusable contexts, idle, not yet reset (most recent last)
  std::vector<std::string> preload_;  // RecordPreload's
  int reuse_mode_ = 0;            // 0 off, 1 locked-down reuse, 2 naive (ATOLL_CONTEXT_REUSE)
  std::vector<uint32_t> retired_;
  absl::flat_hash_map<uint64_t, Inflight> inflight_;
  isolates::RuntimeCaps caps_;
  isolates::CpuAccounts accounts_;
  CommonNames common_names_;  // the method and header names Dispatch hands to JS
  uint64_t running_request_ = 0;  // the account the JS running now is charged to (0: background)
  // The run in progress (js_depth_ > 0).
  Clock::time_point segment_start_;
  uint64_t run_budget_ns_ = 0;
  uint64_t run_used_ns_ = 0;      // by the run's segments before the current one
  int platform_depth_ = 0;
  size_t pending_timers_ = 0;
  uint64_t wait_until_timer_ns_ = 0;  // when the Worker's own timer fires (0: not armed)
  std::vector<Rejection> unhandled_rejections_;
  uint32_t next_serial_ = 1;
  absl::flat_hash_map<uint64_t, OutboundFetch> fetches_;
  absl::flat_hash_map<uint64_t, uint32_t> subrequests_;  // request id -> fetch() calls so far
  // A request's waitUntil promises not settled yet, and (once it is answered) when they are given
  // up: its fetches are ended then whatever the promises do (wait_until_ms, as Workers).
  struct RequestWaitUntil {
    uint32_t pending = 0;
    uint64_t deadline_ns = 0;  // 0: the request is still in flight
  };
  absl::flat_hash_map<uint64_t, RequestWaitUntil> request_wait_untils_;
  std::vector<uint64_t> ended_fetches_;  // marked `ended`, their error not delivered yet
  absl::flat_hash_map<uint64_t, uint32_t> sockets_;      // open WebSocket id -> its context's serial
  static constexpr size_t kUploadBytesPerGc = 8u << 20;
  size_t upload_bytes_since_gc_ = 0;  // request body bytes handed to JS since the last GC hint
  uint32_t target_ready_ = 0;
  int js_depth_ = 0;
  bool dead_ = false;
  bool serving_ = false;  // Create() finished
  bool dispatched_ = false;  // a request ran (RefreshCodeCache)
  size_t contexts_created_ = 0;
  size_t contexts_reused_ = 0;
  base::LatencyHistogram context_take_latency_;
  // Host calls in flight: the callback, its context's serial, the request it is charged to.
  struct HostCall {
    v8::Global<v8::Function> callback;
    uint32_t serial = 0;
    uint64_t request = 0;
  };
  absl::flat_hash_map<uint64_t, HostCall> host_calls_;
  uint64_t next_host_call_ = 1;
  std::shared_ptr<Worker*> self_ = std::make_shared<Worker*>(this);
};

}  // namespace atl::bindings
