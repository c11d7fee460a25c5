#include "bindings/worker.h"

#include <chrono>
#include <cstdlib>
#include <cstring>

#include "base/log.h"
#include "base/strings.h"
#include "bindings/background_work.h"
#include "bindings/body_stream.h"
#include "bindings/buffers.h"
#include "bindings/builtin_modules.h"
#include "bindings/tenant_imports.h"
#include "bindings/native_scope.h"
#include "bindings/runtime_snapshot.h"
#include "isolates/platform.h"
#include "isolates/v8_util.h"

namespace atl::bindings {
namespace {

using isolates::NewLatin1String;
using isolates::NewString;
using isolates::NewSymbolString;

// Context embedder data slot holding the context's ContextState.
constexpr int kStateSlot = 2;

}  // namespace

Worker::Worker(const WorkerOptions& options, std::unique_ptr<isolates::TenantIsolate> isolate, WorkerHost* host,
               cache::CodeCache* code_cache, isolates::CpuWatchdog* watchdog)
    : options_(options),
      tenant_isolate_(std::move(isolate)),
      isolate_(tenant_isolate_->isolate()),
      host_(host),
      code_cache_(code_cache),
      watchdog_(watchdog),
      module_rules_(options.module_rules),
      accounts_(options.limits.cpu_ms, caps_),
      target_ready_(options.pool.warm_contexts) {
  tenant_isolate_->ApplyLimits(options_.limits, options_.pool.heap_slack_mb);
  tenant_isolate_->set_owner(options_.tenant_name);
  isolate_->SetData(kWorkerIsolateSlot, this);
  isolate_->SetPromiseRejectCallback(OnPromiseReject);
  isolate_->SetHostImportModuleDynamicallyCallback(ImportDynamically);
  if (options_.per_request_context && options_.reuse_contexts) {
    const char* mode = std::getenv("ATOLL_CONTEXT_REUSE");
    reuse_mode_ = mode == nullptr ? 1 : std::strcmp(mode, "naive") == 0 ? 2 : std::strcmp(mode, "0") == 0 ? 0 : 1;
  }
}

Worker::~Worker() {
  if (tenant_isolate_) ReleaseIsolate().reset();
}

std::unique_ptr<isolates::TenantIsolate> Worker::ReleaseIsolate() {
  CancelFetches([](const OutboundFetch&) { return true; });
  host_calls_.clear();  // their Globals go before the isolate
  loader_memo_.compiled.Clear();
  self_.reset();
  CancelBackgroundWork(isolate_);
  for (auto& [serial, state] : contexts_) ForgetTimers(state.get());
  if (wait_until_timer_ns_ != 0) host_->ClearTimer(kWaitUntilTimer);
  wait_until_timer_ns_ = 0;
  if (!ended_fetches_.empty()) host_->ClearTimer(kEndedFetchesTimer);
  ended_fetches_.clear();
  unhandled_rejections_.clear();
  accounts_.Clear();
  contexts_.clear();
  ready_.clear();
  parked_.clear();
  inflight_.clear();
  shared_ = nullptr;
  dead_ = true;
  isolate_->SetData(kWorkerIsolateSlot, nullptr);
  return std::move(tenant_isolate_);
}

absl::StatusOr<std::unique_ptr<Worker>> Worker::Create(const WorkerOptions& options,
                                                       std::unique_ptr<isolates::TenantIsolate> isolate,
                                                       WorkerHost* host, cache::CodeCache* code_cache,
                                                       isolates::CpuWatchdog* watchdog) {
  std::unique_ptr<Worker> worker(new Worker(options, std::move(isolate), host, code_cache, watchdog));
  absl::StatusOr<ContextState*> first = worker->NewContext();
  if (!first.ok()) return first.status();
  if (worker->killed() != isolates::LimitKind::kNone) {
    return absl::InvalidArgumentError(base::StrCat(options.script_path.string(), ": the top level hit a limit"));
  }
  if (options.per_request_context) {
    worker->RecordPreload(*first);
    worker->ready_.push_back(*first);
  } else {
    worker->shared_ = *first;
  }
  worker->serving_ = true;
  return worker;
}

// The EnvSetup the env installers (env_binding.h) get while a context is made.
class Worker::ContextEnv : public EnvSetup {
 public:
  ContextEnv(Worker* worker, v8::Local<v8::Context> context, v8::Local<v8::Object> internal, v8::Local<v8::Object> env)
      : worker_(worker), context_(context), internal_(internal), env_(env) {}
  v8::Isolate* isolate() override { return worker_->isolate_; }
  v8::Local<v8::Context> context() override { return context_; }
  v8::Local<v8::Object> env() override { return env_; }
  absl::Status BindFromModule(std::string_view module, std::string_view factory,
                              const std::vector<std::pair<std::string, v8::Local<v8::Value>>>& bindings) override {
    return worker_->BindFromModule(context_, internal_, env_, module, factory, bindings);
  }
  absl::Status ShareEnvWithModules() override {
    if (internal_->Set(context_, NewSymbolString(worker_->isolate_, "workersEnv"), env_).FromMaybe(false)) {
      return absl::OkStatus();
    }
    return absl::InternalError("could not share env with the built-in modules");
  }
  absl::Status ConfigureModule(std::string_view module, std::string_view factory,
                               const std::vector<std::pair<std::string, v8::Local<v8::Value>>>& settings) override {
    return worker_->BindFromModule(context_, internal_, v8::Object::New(worker_->isolate_), module, factory, settings);
  }

 private:
  Worker* worker_;
  v8::Local<v8::Context> context_;
  v8::Local<v8::Object> internal_;
  v8::Local<v8::Object> env_;
};

absl::StatusOr<Worker::ContextState*> Worker::NewContext() {
  v8::Isolate::Scope isolate_scope(isolate_);
  v8::HandleScope handles(isolate_);
  v8::Local<v8::Context> context = tenant_isolate_->NewContext();
  v8::Context::Scope context_scope(context);
  v8::Local<v8::Object> internal;
  if (!context->GetDataFromSnapshotOnce<v8::Object>(kInternalSnapshotIndex).ToLocal(&internal)) {
    return absl::InternalError("the startup snapshot has no bindings");
  }
  // The snapshot's exercises' objects (snapshot_exercises.h): dropped, their maps stay for this
  // context's first objects until its first full GC.
  context->GetDataFromSnapshotOnce<v8::Array>(kExercisedSnapshotIndex).IsEmpty();
  auto state = std::make_unique<ContextState>();
  state->serial = next_serial_++;
  state->context.Reset(isolate_, context);
  context->SetAlignedPointerInEmbedderData(kStateSlot, state.get());

  v8::Global<v8::Function>& set_handler = state->set_handler;
  state->internal.Reset(isolate_, internal);
  for (auto [name, slot] : {std::pair{"dispatch", &state->dispatch}, {"onTimer", &state->on_timer},
                            {"unhandledRejection", &state->unhandled_rejection},
                            {"onStreamEvent", &state->on_stream_event}, {"onFetchEvent", &state->on_fetch_event},
                            {"onWebSocketEvent", &state->on_websocket_event},
                            {"setHandler", &set_handler}}) {
    v8::Local<v8::Value> value;
    if (!internal->Get(context, NewSymbolString(isolate_, name)).ToLocal(&value) || !value->IsFunction()) {
      return absl::InternalError(base::StrCat("bindings did not define internal.", name));
    }
    slot->Reset(isolate_, value.As<v8::Function>());
  }
  v8::Local<v8::Object> env = v8::Object::New(isolate_);
  ContextEnv setup(this, context, internal, env);
  if (absl::Status bound = InstallEnv(setup, options_.env); !bound.ok()) return bound;
  state->env.Reset(isolate_, env);
  BuiltinModules builtins(isolate_, internal, options_.compatibility_flags);
  if (absl::Status globals = builtins.InstallGlobals(context, env); !globals.ok()) return globals;

  ContextState* raw = state.get();
  contexts_[raw->serial] = std::move(state);
  ++contexts_created_;
  if (ReuseWanted()) {
    raw->reusable = true;
    if (reuse_mode_ == 1) {
      if (absl::Status locked = Lockdown(raw, context, env); !locked.ok()) {
        contexts_.erase(raw->serial);
        return locked;
      }
    }
  }
  absl::Status loaded = LoadScript(raw, context);
  if (loaded.ok()) return raw;
  contexts_.erase(raw->serial);
  return loaded;
}

absl::Status Worker::BindFromModule(v8::Local<v8::Context> context, v8::Local<v8::Object> internal,
                                    v8::Local<v8::Object> env, std::string_view module_name, std::string_view factory,
                                    const std::vector<std::pair<std::string, v8::Local<v8::Value>>>& bindings) {
  v8::Local<v8::Value> require;
  if (!internal->Get(context, NewSymbolString(isolate_, "require")).ToLocal(&require) || !require->IsFunction()) {
    return absl::InternalError("bindings did not define internal.require");
  }
  EnterJs(StartupBudgetNs(), Clock::now());
  v8::TryCatch try_catch(isolate_);
  v8::Local<v8::Value> name = NewSymbolString(isolate_, module_name);
  v8::Local<v8::Value> module;
  v8::Local<v8::Value> make;
  bool ok = require.As<v8::Function>()->Call(context, v8::Undefined(isolate_), 1, &name).ToLocal(&module) &&
            module->IsObject() &&
            module.As<v8::Object>()->Get(context, NewSymbolString(isolate_, factory)).ToLocal(&make) &&
            make->IsFunction();
  for (size_t i = 0; ok && i < bindings.size(); ++i) {
    v8::Local<v8::Value> args[] = {bindings[i].second, NewString(isolate_, bindings[i].first)};  // (value, NAME)
    v8::Local<v8::Value> binding;
    ok = make.As<v8::Function>()->Call(context, v8::Undefined(isolate_), 2, args).ToLocal(&binding) &&
         env->Set(context, NewString(isolate_, bindings[i].first), binding).FromMaybe(false);
  }
  ExitJs(Clock::now());
  if (ok) return absl::OkStatus();
  return absl::InternalError(base::StrCat("could not make the ", module_name, " bindings of env: ",
                                          try_catch.HasCaught() ? isolates::DescribeException(isolate_, try_catch)
                                                                : base::StrCat("no ", module_name, ".", factory)));
}

bool Worker::NoticeKill() {
  isolates::LimitKind why = killed();
  if (why == isolates::LimitKind::kNone) return false;
  if (!dead_) {
    dead_ = true;
    // While Create() runs there is no host-side state yet: Create() reports the failure.
    if (serving_) host_->OnKilled(why);
  }
  return true;
}

void Worker::SetAsyncRootFrame(v8::Local<v8::Value> frame) {
  if (ContextState* state = CurrentState()) state->async_root_frame.Reset(isolate_, frame);
}

Worker::ContextState* Worker::CurrentState() {
  v8::Local<v8::Context> context = isolate_->GetCurrentContext();
  if (context.IsEmpty()) return nullptr;
  return static_cast<ContextState*>(context->GetAlignedPointerFromEmbedderData(kStateSlot));
}

bool Worker::NeedsContexts() const {
  return options_.per_request_context && !dead_ && (!parked_.empty() || ready_.size() < target_ready_);
}

absl::Status Worker::PrepareContext() {
  while (!parked_.empty()) {
    if (ContextState* reset = UnparkOne()) {
      ready_.push_front(reset);  // the most recently used first: its pages are warm
      return absl::OkStatus();
    }
  }
  absl::StatusOr<ContextState*> state = NewContext();
  if (!state.ok()) return state.status();
  ready_.push_back(*state);
  return absl::OkStatus();
}

Worker::ContextState* Worker::TakeContext() {
  if (shared_ != nullptr) return shared_;
  auto start = std::chrono::steady_clock::now();
  ContextState* state = nullptr;
  // A parked context first (the most recently finished): reset now, it is warm.
  while (state == nullptr && !parked_.empty()) state = UnparkOne();
  if (state == nullptr && !ready_.empty()) {
    state = ready_.front();
    ready_.pop_front();
  } else if (state == nullptr) {
    // Requests outran the prepared contexts: keep more ready from now on.
    target_ready_ = std::min(std::max(target_ready_ * 2, 1u), options_.pool.max_warm_contexts);
    absl::StatusOr<ContextState*> made = NewContext();
    if (!made.ok()) {
      base::LogLine(base::LogLevel::kError, base::ToStd(made.status().message())).Str("tenant", options_.tenant_name).Emit();
      return nullptr;
    }
    state = *made;
  }
  state->single_use = true;
  context_take_latency_.RecordSince(start);
  return state;
}

void Worker::Dispatch(uint64_t id, const RequestView& request) {
  v8::Isolate::Scope isolate_scope(isolate_);
  v8::HandleScope handles(isolate_);
  ContextState* state = dead_ ? nullptr : TakeContext();
  if (state == nullptr) {
    if (!dead_) host_->OnScriptError(id, "no context could be made for this request");
    return;
  }
  v8::Local<v8::Context> context = state->context.Get(isolate_);
  v8::Context::Scope context_scope(context);
  state->used = true;
  ++state->requests;
  dispatched_ = true;
  inflight_[id] = Inflight{state};
  accounts_.Open(id);  // what the request's JS causes is charged here, after the response too

  // Built in one go: per-element Set() walks V8's lookup machinery for every header.
  constexpr size_t kInline = 64;
  v8::Local<v8::Value> inline_items[kInline];
  std::vector<v8::Local<v8::Value>> many;
  v8::Local<v8::Value>* items = inline_items;
  if (request.headers.size() * 2 > kInline) {
    many.resize(request.headers.size() * 2);
    items = many.data();
  }
  size_t count = 0;
  for (const HeaderView& header : request.headers) {
    items[count++] = common_names_.Get(isolate_, header.first);
    items[count++] = NewLatin1String(isolate_, header.second);
  }
  v8::Local<v8::Array> headers = v8::Array::New(isolate_, items, count);
  v8::Local<v8::Value> body = v8::Null(isolate_);
  if (request.body_streamed) {
    body = v8::True(isolate_);  // the glue makes a stream that PushUpload() feeds
  } else if (request.has_body) {
    v8::TryCatch refused(isolate_);
    v8::Local<v8::ArrayBuffer> buffer;
    if (!NewArrayBufferCopy(isolate_, request.body).ToLocal(&buffer)) {
      // The budget refused it, and counts that as the tenant running out of memory.
      if (!NoticeKill()) Fail(id, "the request body does not fit in the tenant's memory limit");
      return;
    }
    body = buffer;
  }
  v8::Local<v8::Value> argv[] = {
      v8::Number::New(isolate_, static_cast<double>(id)),
      common_names_.Get(isolate_, request.method),
      NewLatin1String(isolate_, request.url),
      headers,
      body,
      state->env.Get(isolate_),
      request.scheduled ? NewString(isolate_, request.cron).As<v8::Value>() : v8::Undefined(isolate_).As<v8::Value>(),
      v8::Number::New(isolate_, request.scheduled_time_ms),
      v8::Boolean::New(isolate_, request.rpc),
      request.entrypoint.empty() ? v8::Undefined(isolate_).As<v8::Value>()
                                 : NewString(isolate_, request.entrypoint).As<v8::Value>(),
  };
  std::string error;
  int argc = !request.entrypoint.empty() ? 10 : request.rpc ? 9 : request.scheduled ? 8 : 6;
  if (!CallIntoJs(state, state->dispatch.Get(isolate_), argc, argv, &error, id) && !dead_) {
    Fail(id, error);
  }
}

template <typename Report>
bool Worker::Finish(uint64_t id, Report report) {
  auto it = inflight_.find(id);
  if (it == inflight_.end()) return false;  // abandoned (wall limit) or already answered
  ContextState* state = it->second.state;
  inflight_.erase(it);
  if (!subrequests_.empty()) subrequests_.erase(id);
  report();
  --state->requests;
  accounts_.Unref(id);
  StartWaitUntilClock(state);
  if (!request_wait_untils_.empty()) StartRequestWaitUntilClock(id);
  MaybeRetire(state);
  if (!fetches_.empty()) EndRequestIo(id);
  return true;
}

namespace {
// What compressing `bytes` may take (the host's encoder, ResponseView::encode_body): gzip at its
// level runs at well over 20 MB/s on any machine atoll runs on, so 50 ns a byte.
uint64_t EncodingBudgetNs(size_t bytes) { return uint64_t{bytes} * 50u; }
}  // namespace

bool Worker::Respond(uint64_t id, const ResponseView& response) {
  // Compressing the body is the platform's work, as Workers does it after the handler.
  if (response.encode_body) EnterPlatform(EncodingBudgetNs(response.body.size()));
  bool taken = true;
  if (response.body_streamed) {
    auto it = inflight_.find(id);
    if (it == inflight_.end() || it->second.streaming) {
      taken = false;
    } else if (host_->OnStreamedResponse(id, response)) {
      Inflight& inflight = inflight_[id];
      inflight.streaming = true;  // in flight until EndBody or Abort
      inflight.encoding = response.encode_body;
    } else {
      Finish(id, [] {});
      taken = false;
    }
  } else {
    Finish(id, [&] { host_->OnResponse(id, response); });
  }
  if (response.encode_body) ExitPlatform();
  return taken;
}

bool Worker::WriteBody(uint64_t id, std::string_view bytes) {
  auto it = inflight_.find(id);
  if (it == inflight_.end() || !it->second.streaming) return false;
  if (!it->second.encoding) return host_->OnBodyChunk(id, bytes);
  EnterPlatform(EncodingBudgetNs(bytes.size()));
  bool more = host_->OnBodyChunk(id, bytes);
  ExitPlatform();
  return more;
}

void Worker::EndBody(uint64_t id, bool complete) {
  auto it = inflight_.find(id);
  if (it == inflight_.end() || !it->second.streaming) return;
  bool encoding = it->second.encoding;
  if (encoding) EnterPlatform();
  Finish(id, [&] { host_->OnBodyEnd(id, complete); });
  if (encoding) ExitPlatform();
}

void Worker::UploadControl(uint64_t id, bool cancel) { host_->OnUploadControl(id, cancel); }

bool Worker::SendStreamEvent(uint64_t id, int kind, v8::Local<v8::Value> data) {
  auto it = inflight_.find(id);
  if (dead_ || it == inflight_.end()) return true;
  ContextState* state = it->second.state;
  v8::Context::Scope context_scope(state->context.Get(isolate_));
  v8::Local<v8::Value> argv[] = {v8::Number::New(isolate_, static_cast<double>(id)),
                                 v8::Integer::New(isolate_, kind), data};
  v8::Local<v8::Value> result;
  std::string error;
  if (!CallIntoJs(state, state->on_stream_event.Get(isolate_), 3, argv, &error, id, &result)) {
    if (!dead_) base::LogLine(base::LogLevel::kError, error).Str("tenant", options_.tenant_name).Emit();
    return true;
  }
  return result.IsEmpty() || result->IsTrue();
}

bool Worker::PushUpload(uint64_t id, std::string_view bytes) {
  auto it = inflight_.find(id);
  if (dead_ || it == inflight_.end()) return true;  // nobody reads it: discard
  v8::Isolate::Scope isolate_scope(isolate_);
  v8::HandleScope handles(isolate_);
  v8::Context::Scope context_scope(it->second.state->context.Get(isolate_));  // ArrayBuffer::New needs one
  // Every chunk is a new ArrayBuffer that is garbage once read, and V8 lets some 64 MB of such
  // external memory pile up before it collects: a long upload asks for a collection sooner.
  upload_bytes_since_gc_ += bytes.size();
  if (upload_bytes_since_gc_ >= kUploadBytesPerGc) {
    upload_bytes_since_gc_ = 0;
    isolate_->MemoryPressureNotification(v8::MemoryPressureLevel::kCritical);
  }
  v8::Local<v8::ArrayBuffer> data;
  {
    v8::TryCatch refused(isolate_);
    if (!NewArrayBufferCopy(isolate_, bytes).ToLocal(&data)) {
      NoticeKill();  // the budget refused the chunk: the tenant is out of memory
      return true;
    }
  }
  return SendStreamEvent(id, static_cast<int>(StreamEvent::kUploadChunk), data);
}

void Worker::EndUpload(uint64_t id, std::string_view error) {
  if (dead_ || !inflight_.contains(id)) return;
  v8::Isolate::Scope isolate_scope(isolate_);
  v8::HandleScope handles(isolate_);
  if (error.empty()) {
    SendStreamEvent(id, static_cast<int>(StreamEvent::kUploadEnd), v8::Undefined(isolate_));
  } else {
    SendStreamEvent(id, static_cast<int>(StreamEvent::kUploadError), NewString(isolate_, error));
  }
}

void Worker::ResumeResponse(uint64_t id) {
  auto it = inflight_.find(id);
  if (dead_ || it == inflight_.end() || !it->second.streaming) return;
  v8::Isolate::Scope isolate_scope(isolate_);
  v8::HandleScope handles(isolate_);
  SendStreamEvent(id, static_cast<int>(StreamEvent::kResponseDrain), v8::Undefined(isolate_));
}

void Worker::Abort(uint64_t id) {
  if (dead_ || !inflight_.contains(id)) return;
  v8::Isolate::Scope isolate_scope(isolate_);
  v8::HandleScope handles(isolate_);
  SendStreamEvent(id, static_cast<int>(StreamEvent::kUploadError),
                  NewString(isolate_, "The client closed the connection before the request body ended."));
  auto it = inflight_.find(id);
  if (it == inflight_.end() || !it->second.streaming) return;
  SendStreamEvent(id, static_cast<int>(StreamEvent::kResponseCancel), v8::Undefined(isolate_));
  if (Finish(id, [] {}) && js_depth_ == 0) DropRetired();
}

void Worker::Fail(uint64_t id, std::string_view message) {
  Finish(id, [&] { host_->OnScriptError(id, message); });
}

void Worker::Abandon(uint64_t id) {
  // The request's fetches are subject to its wall limit: they end with it.
  CancelFetches([id](const OutboundFetch& fetch) { return fetch.request == id; });
  subrequests_.erase(id);
  request_wait_untils_.erase(id);  // its I/O is over now, settled or not
  if (Finish(id, [] {}) && js_depth_ == 0) DropRetired();
}

template <typename Match>
void Worker::CancelFetches(Match match) {
  std::vector<uint64_t> cancelled;
  for (const auto& [fetch, info] : fetches_) {
    if (match(info)) cancelled.push_back(fetch);
  }
  for (uint64_t fetch : cancelled) {
    EraseFetch(fetch);
    host_->FetchControl(fetch, true);
  }
}

std::vector<uint64_t> Worker::InflightIds() const {
  std::vector<uint64_t> ids;
  ids.reserve(inflight_.size());
  for (const auto& [id, request] : inflight_) ids.push_back(id);
  return ids;
}

void Worker::MaybeRetire(ContextState* state) {
  if (state->single_use && state->requests == 0 && state->wait_until == 0 && state->sockets == 0) retired_.push_back(state->serial);
}

void Worker::DropRetired() {
  for (uint32_t serial : retired_) {
    auto it = contexts_.find(serial);
    if (it == contexts_.end()) continue;
    // The built-ins a fresh context's request used are loaded before every lockdown from now on.
    if (!it->second->reusable && !dead_ && reuse_mode_ == 1) RecordPreload(it->second.get());
    if (it->second->reusable && !dead_) {
      if (reuse_mode_ != 2) {
        ForgetTimers(it->second.get());
        if (!fetches_.empty()) CancelFetches([serial](const OutboundFetch& fetch) { return fetch.serial == serial; });
      }
      Park(serial);
      continue;
    }
    ForgetTimers(it->second.get());
    if (!fetches_.empty()) CancelFetches([serial](const OutboundFetch& fetch) { return fetch.serial == serial; });
    contexts_.erase(it);
  }
  retired_.clear();
}

void Worker::RefreshCodeCache() {
  if (!tenant_isolate_ || dead_ || !dispatched_ || code_cache_ == nullptr) return;
  v8::Isolate::Scope isolate_scope(isolate_);
  v8::HandleScope handles(isolate_);
  loader_memo_.compiled.RefreshCodeCache(isolate_, code_cache_);
}

void Worker::ReduceMemory() {
  if (!tenant_isolate_ || dead_) return;
  RefreshCodeCache();  // before the GC: a memory-reducing one may flush bytecode
  v8::Isolate::Scope isolate_scope(isolate_);
  isolate_->LowMemoryNotification();
}

namespace {
// A memory measurement of no context: only its GC is wanted. `done` is set once it is reported.
class GcOnlyMeasurement : public v8::MeasureMemoryDelegate {
 public:
  explicit GcOnlyMeasurement(std::shared_ptr<bool> done) : done_(std::move(done)) {}
  bool ShouldMeasure(v8::Local<v8::Context>) override { return false; }
  void MeasurementComplete(const std::vector<std::pair<v8::Local<v8::Context>, size_t>>&, size_t) override {
    *done_ = true;
  }

 private:
  std::shared_ptr<bool> done_;
};
}  // namespace

void Worker::CollectGarbage() {
  if (!tenant_isolate_ || dead_) return;
  RefreshCodeCache();
  // V8 10.2 keeps the maps only optimized code refers to ("retained maps") in an incremental GC
  // that does not reduce memory; an atomic one (LowMemoryNotification's, or a forced full GC) lets
  // them die, and the code that embeds them is deoptimized. MeasureMemory's eager mode is the API
  // that starts such a GC: its task starts marking, and the pump runs the marking steps and the
  // finalization it posts. A second eager request finalizes at once a marking the first left open.
  auto done = std::make_shared<bool>(false);
  for (int attempt = 0; attempt < 2 && !*done && !dead_; ++attempt) {
    {
      v8::Isolate::Scope isolate_scope(isolate_);
      v8::HandleScope handles(isolate_);
      isolate_->MeasureMemory(std::make_unique<GcOnlyMeasurement>(done), v8::MeasureMemoryExecution::kEager);
    }
    // The marking is the platform's work: under its own bound, not what is left of the tenant's
    // background account (a timer chain that nearly spent it was killed here, with no account).
    RunPlatformTasks(/*as_platform=*/true);
  }
}

bool Worker::streams_snapshot() const { return tenant_isolate_ != nullptr && tenant_isolate_->streams_loaded(); }

size_t Worker::heap_bytes() const {
  if (!tenant_isolate_ || dead_) return 0;
  v8::HeapStatistics stats;
  isolate_->GetHeapStatistics(&stats);
  return stats.used_heap_size();
}

}  // namespace atl::bindings
