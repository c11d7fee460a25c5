#include "bindings/worker.h"

#include <chrono>
#include <cstring>

#include "base/log.h"
#include "base/strings.h"
#include "bindings/background_work.h"
#include "bindings/body_stream.h"
#include "bindings/buffers.h"
#include "bindings/native_scope.h"
#include "bindings/runtime_snapshot.h"
#include "bindings/wasm_modules.h"
#include "isolates/platform.h"
#include "isolates/v8_util.h"

namespace atl::bindings {
namespace {

using isolates::NewLatin1String;
using isolates::NewString;
using isolates::NewSymbolString;

// Context embedder data slot holding the context's ContextState.
constexpr int kStateSlot = 2;

uint64_t TimerKey(uint32_t serial, uint32_t id) { return (uint64_t{serial} << 32) | id; }

// Fetch ids are unique in the process (the host keeps one table for every tenant); all Workers
// run on the loop's thread.
uint64_t next_fetch_id = 1;

}  // namespace

Worker::Worker(const WorkerOptions& options, std::unique_ptr<isolates::TenantIsolate> isolate, WorkerHost* host,
               cache::CodeCache* code_cache, isolates::CpuWatchdog* watchdog)
    : options_(options),
      tenant_isolate_(std::move(isolate)),
      isolate_(tenant_isolate_->isolate()),
      host_(host),
      code_cache_(code_cache),
      watchdog_(watchdog),
      target_ready_(options.warm_contexts) {
  tenant_isolate_->ApplyLimits(options_.limits, options_.heap_slack_mb);
  tenant_isolate_->set_owner(options_.tenant_name);
  isolate_->SetData(kWorkerIsolateSlot, this);
  isolate_->SetPromiseRejectCallback(OnPromiseReject);
}

Worker::~Worker() {
  if (tenant_isolate_) ReleaseIsolate().reset();
}

std::unique_ptr<isolates::TenantIsolate> Worker::ReleaseIsolate() {
  CancelFetches([](const OutboundFetch&) { return true; });
  CancelBackgroundWork(isolate_);
  for (auto& [serial, state] : contexts_) {
    for (auto& [id, timer] : state->timers) host_->ClearTimer(TimerKey(serial, id));
  }
  unhandled_rejections_.clear();
  contexts_.clear();
  ready_.clear();
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
    worker->ready_.push_back(*first);
  } else {
    worker->shared_ = *first;
  }
  worker->serving_ = true;
  return worker;
}

absl::StatusOr<Worker::ContextState*> Worker::NewContext() {
  v8::Isolate::Scope isolate_scope(isolate_);
  v8::HandleScope handles(isolate_);
  v8::Local<v8::Context> context = tenant_isolate_->NewContext();
  v8::Context::Scope context_scope(context);
  v8::Local<v8::Object> internal;
  if (!context->GetDataFromSnapshotOnce<v8::Object>(kInternalSnapshotIndex).ToLocal(&internal)) {
    return absl::InternalError("the startup snapshot has no bindings");
  }
  auto state = std::make_unique<ContextState>();
  state->serial = next_serial_++;
  state->context.Reset(isolate_, context);
  context->SetAlignedPointerInEmbedderData(kStateSlot, state.get());

  v8::Global<v8::Function> set_handler;
  for (auto [name, slot] : {std::pair{"dispatch", &state->dispatch}, {"onTimer", &state->on_timer},
                            {"unhandledRejection", &state->unhandled_rejection},
                            {"onStreamEvent", &state->on_stream_event}, {"onFetchEvent", &state->on_fetch_event},
                            {"setHandler", &set_handler}}) {
    v8::Local<v8::Value> value;
    if (!internal->Get(context, NewSymbolString(isolate_, name)).ToLocal(&value) || !value->IsFunction()) {
      return absl::InternalError(base::StrCat("bindings did not define internal.", name));
    }
    slot->Reset(isolate_, value.As<v8::Function>());
  }
  v8::Local<v8::Object> env = v8::Object::New(isolate_);
  for (const auto& [name, value] : options_.env) {
    env->Set(context, NewString(isolate_, name), NewString(isolate_, value)).Check();
  }
  // env.NAME = a KV namespace (lazy module "kv") or a service binding whose fetch() calls the
  // other tenant (lazy module "fetch"); made by each module's factory.
  if (!options_.kv.empty()) {
    std::vector<std::pair<std::string, v8::Local<v8::Value>>> bindings;
    for (uint32_t i = 0; i < options_.kv.size(); ++i) {
      bindings.emplace_back(options_.kv[i].name, v8::Integer::NewFromUnsigned(isolate_, i));
    }
    absl::Status bound = BindFromModule(context, internal, env, "kv", "newNamespace", bindings);
    if (!bound.ok()) return bound;
  }
  for (const auto& [name, path] : options_.wasm) {
    // Compiled once per process (wasm_modules.h); each context gets a Module of its own realm.
    absl::StatusOr<v8::Local<v8::WasmModuleObject>> module = WasmModuleFor(isolate_, path);
    if (!module.ok()) return module.status();
    env->Set(context, NewString(isolate_, name), *module).Check();
  }
  if (!options_.services.empty()) {
    std::vector<std::pair<std::string, v8::Local<v8::Value>>> bindings;
    for (const auto& [name, target] : options_.services) bindings.emplace_back(name, NewString(isolate_, name));
    absl::Status bound = BindFromModule(context, internal, env, "fetch", "serviceBinding", bindings);
    if (!bound.ok()) return bound;
  }
  state->env.Reset(isolate_, env);

  ContextState* raw = state.get();
  contexts_[raw->serial] = std::move(state);
  ++contexts_created_;
  isolates::ScriptLoader loader(code_cache_, &loader_memo_);
  EnterJs(std::max(options_.limits.cpu_ms, options_.limits.startup_cpu_ms));
  absl::StatusOr<v8::Local<v8::Value>> ns = loader.Load(context, options_.script_path);
  ExitJs();
  std::string error;
  if (ns.ok()) {
    v8::Local<v8::Value> argv[] = {*ns};
    if (CallIntoJs(raw, set_handler.Get(isolate_), 1, argv, &error)) return raw;
  }
  if (killed() != isolates::LimitKind::kNone) {
    error = "the script's top level hit a limit";
  } else if (!ns.ok()) {
    error = base::ToStd(ns.status().message());
  }
  contexts_.erase(raw->serial);
  return absl::InvalidArgumentError(ns.ok() ? base::StrCat(options_.script_path.string(), ": ", error) : error);
}

absl::Status Worker::BindFromModule(v8::Local<v8::Context> context, v8::Local<v8::Object> internal,
                                    v8::Local<v8::Object> env, std::string_view module_name, std::string_view factory,
                                    const std::vector<std::pair<std::string, v8::Local<v8::Value>>>& bindings) {
  v8::Local<v8::Value> require;
  if (!internal->Get(context, NewSymbolString(isolate_, "require")).ToLocal(&require) || !require->IsFunction()) {
    return absl::InternalError("bindings did not define internal.require");
  }
  EnterJs(std::max(options_.limits.cpu_ms, options_.limits.startup_cpu_ms));
  v8::TryCatch try_catch(isolate_);
  v8::Local<v8::Value> name = NewSymbolString(isolate_, module_name);
  v8::Local<v8::Value> module;
  v8::Local<v8::Value> make;
  bool ok = require.As<v8::Function>()->Call(context, v8::Undefined(isolate_), 1, &name).ToLocal(&module) &&
            module->IsObject() &&
            module.As<v8::Object>()->Get(context, NewSymbolString(isolate_, factory)).ToLocal(&make) &&
            make->IsFunction();
  for (size_t i = 0; ok && i < bindings.size(); ++i) {
    v8::Local<v8::Value> arg = bindings[i].second;
    v8::Local<v8::Value> binding;
    ok = make.As<v8::Function>()->Call(context, v8::Undefined(isolate_), 1, &arg).ToLocal(&binding) &&
         env->Set(context, NewString(isolate_, bindings[i].first), binding).FromMaybe(false);
  }
  ExitJs();
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

void Worker::EnterJs(uint32_t budget_ms) {
  if (js_depth_++ > 0) return;
  isolates::AdvanceClock();
  if (watchdog_ != nullptr) watchdog_->Enter(tenant_isolate_.get(), budget_ms);
}

void Worker::ExitJs() {
  if (--js_depth_ > 0) return;
  if (watchdog_ != nullptr) watchdog_->Exit();
}

bool Worker::CallIntoJs(ContextState* state, v8::Local<v8::Function> fn, int argc, v8::Local<v8::Value>* argv,
                        std::string* error, uint64_t request, v8::Local<v8::Value>* result) {
  v8::Local<v8::Context> context = state->context.Get(isolate_);
  // A request's runs share its budget: what earlier runs (timers, continuations) used is gone.
  uint64_t budget_ns = uint64_t{options_.limits.cpu_ms} * 1'000'000u;
  auto charged = request != 0 ? inflight_.find(request) : inflight_.end();
  if (charged != inflight_.end()) budget_ns -= std::min(budget_ns, charged->second.js_ns);
  uint64_t previous_request = running_request_;
  running_request_ = request;
  auto start = std::chrono::steady_clock::now();
  EnterJs(static_cast<uint32_t>(std::max<uint64_t>(1, (budget_ns + 999'999) / 1'000'000)));
  bool ok;
  {
    v8::TryCatch try_catch(isolate_);
    v8::Local<v8::Value> value;
    ok = fn->Call(context, v8::Undefined(isolate_), argc, argv).ToLocal(&value);
    if (ok && result != nullptr) *result = value;
    if (!ok && error) *error = isolates::DescribeException(isolate_, try_catch);
    if (killed() == isolates::LimitKind::kNone) isolate_->PerformMicrotaskCheckpoint();
  }
  ExitJs();
  running_request_ = previous_request;
  // JS time, measured on the JS thread's wall clock (it does nothing else meanwhile), so that
  // entering JS costs no system call; the watchdog enforces each run on the CPU clock.
  if (request != 0) {
    auto still = inflight_.find(request);
    if (still != inflight_.end()) {
      still->second.js_ns += base::NanosSince(start);
    }
  }
  if (js_depth_ > 0) return ok;
  tenant_isolate_->CheckExternalMemory();
  if (NoticeKill()) return false;
  if (!unhandled_rejections_.empty()) LogUnhandledRejections();
  DropRetired();
  return ok;
}

Worker::ContextState* Worker::CurrentState() {
  v8::Local<v8::Context> context = isolate_->GetCurrentContext();
  if (context.IsEmpty()) return nullptr;
  return static_cast<ContextState*>(context->GetAlignedPointerFromEmbedderData(kStateSlot));
}

bool Worker::NeedsContexts() const {
  return options_.per_request_context && !dead_ && ready_.size() < target_ready_;
}

absl::Status Worker::PrepareContext() {
  absl::StatusOr<ContextState*> state = NewContext();
  if (!state.ok()) return state.status();
  ready_.push_back(*state);
  return absl::OkStatus();
}

Worker::ContextState* Worker::TakeContext() {
  if (shared_ != nullptr) return shared_;
  auto start = std::chrono::steady_clock::now();
  ContextState* state = nullptr;
  if (!ready_.empty()) {
    state = ready_.front();
    ready_.pop_front();
  } else {
    // Requests outran the prepared contexts: keep more ready from now on.
    target_ready_ = std::min(std::max(target_ready_ * 2, 1u), options_.max_warm_contexts);
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
  inflight_[id] = Inflight{state, 0};

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
    items[count++] = NewSymbolString(isolate_, header.first);
    items[count++] = NewLatin1String(isolate_, header.second);
  }
  v8::Local<v8::Array> headers = v8::Array::New(isolate_, items, count);
  v8::Local<v8::Value> body = v8::Null(isolate_);
  if (request.body_streamed) {
    body = v8::True(isolate_);  // the glue makes a stream that PushUpload() feeds
  } else if (request.has_body) {
    v8::TryCatch refused(isolate_);
    v8::Local<v8::ArrayBuffer> buffer;
    if (!NewArrayBuffer(isolate_, request.body.size()).ToLocal(&buffer)) {
      // The budget refused it, and counts that as the tenant running out of memory.
      if (!NoticeKill()) Fail(id, "the request body does not fit in the tenant's memory limit");
      return;
    }
    if (!request.body.empty()) std::memcpy(buffer->Data(), request.body.data(), request.body.size());
    body = buffer;
  }
  v8::Local<v8::Value> argv[] = {
      v8::Number::New(isolate_, static_cast<double>(id)),
      NewSymbolString(isolate_, request.method),
      NewLatin1String(isolate_, request.url),
      headers,
      body,
      state->env.Get(isolate_),
  };
  std::string error;
  if (!CallIntoJs(state, state->dispatch.Get(isolate_), 6, argv, &error, id) && !dead_) Fail(id, error);
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
  MaybeRetire(state);
  return true;
}

bool Worker::Respond(uint64_t id, const ResponseView& response) {
  if (response.body_streamed) {
    auto it = inflight_.find(id);
    if (it == inflight_.end() || it->second.streaming) return false;
    if (host_->OnStreamedResponse(id, response)) {
      inflight_[id].streaming = true;  // in flight until EndBody or Abort
      return true;
    }
    Finish(id, [] {});
    return false;
  }
  Finish(id, [&] { host_->OnResponse(id, response); });
  return true;
}

bool Worker::WriteBody(uint64_t id, std::string_view bytes) {
  auto it = inflight_.find(id);
  if (it == inflight_.end() || !it->second.streaming) return false;
  return host_->OnBodyChunk(id, bytes);
}

void Worker::EndBody(uint64_t id, bool complete) {
  auto it = inflight_.find(id);
  if (it == inflight_.end() || !it->second.streaming) return;
  Finish(id, [&] { host_->OnBodyEnd(id, complete); });
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
    if (!NewArrayBuffer(isolate_, bytes.size()).ToLocal(&data)) {
      NoticeKill();  // the budget refused the chunk: the tenant is out of memory
      return true;
    }
  }
  if (!bytes.empty()) std::memcpy(data->Data(), bytes.data(), bytes.size());
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
  if (Finish(id, [] {}) && js_depth_ == 0) DropRetired();
}

template <typename Match>
void Worker::CancelFetches(Match match) {
  std::vector<uint64_t> cancelled;
  for (const auto& [fetch, info] : fetches_) {
    if (match(info)) cancelled.push_back(fetch);
  }
  for (uint64_t fetch : cancelled) {
    fetches_.erase(fetch);
    host_->FetchControl(fetch, true);
  }
}

uint64_t Worker::StartFetch(const FetchRequestView& request, std::string* error) {
  ContextState* state = CurrentState();
  if (dead_ || state == nullptr || running_request_ == 0) {
    *error = "fetch() can only be called while handling a request (not at the top level of the script)";
    return 0;
  }
  uint32_t& count = subrequests_[running_request_];
  if (count >= options_.limits.subrequests) {
    *error = base::StrCat("fetch() refused: this request already made ", options_.limits.subrequests,
                          " subrequests (the tenant's subrequests limit)");
    return 0;
  }
  uint64_t fetch = next_fetch_id++;
  if (!host_->StartFetch(fetch, request, error)) return 0;
  ++count;
  fetches_[fetch] = OutboundFetch{state->serial, running_request_};
  return fetch;
}

bool Worker::FetchWrite(uint64_t fetch, std::string_view bytes, bool end) {
  if (!fetches_.contains(fetch)) return false;
  return host_->FetchWrite(fetch, bytes, end);
}

void Worker::FetchControl(uint64_t fetch, bool cancel) {
  if (!fetches_.contains(fetch)) return;
  if (cancel) fetches_.erase(fetch);
  host_->FetchControl(fetch, cancel);
}

bool Worker::DeliverFetchEvent(uint64_t fetch, const FetchEventView& event) {
  auto it = fetches_.find(fetch);
  if (dead_ || it == fetches_.end()) return false;
  OutboundFetch info = it->second;
  if (event.kind == FetchEventKind::kEnd || event.kind == FetchEventKind::kError) fetches_.erase(it);
  auto state_it = contexts_.find(info.serial);
  if (state_it == contexts_.end()) return false;
  ContextState* state = state_it->second.get();
  v8::Isolate::Scope isolate_scope(isolate_);
  v8::HandleScope handles(isolate_);
  v8::Local<v8::Context> context = state->context.Get(isolate_);
  v8::Context::Scope context_scope(context);
  v8::Local<v8::Value> a = v8::Undefined(isolate_), b = v8::Undefined(isolate_), c = v8::Undefined(isolate_);
  switch (event.kind) {
    case FetchEventKind::kHead: {
      a = v8::Integer::New(isolate_, event.status);
      b = NewLatin1String(isolate_, event.status_text);
      std::vector<v8::Local<v8::Value>> items;
      items.reserve(event.headers.size() * 2);
      for (const HeaderView& header : event.headers) {
        items.push_back(NewLatin1String(isolate_, header.first));
        items.push_back(NewLatin1String(isolate_, header.second));
      }
      c = v8::Array::New(isolate_, items.data(), items.size());
      break;
    }
    case FetchEventKind::kChunk: {
      v8::TryCatch refused(isolate_);
      v8::Local<v8::ArrayBuffer> buffer;
      if (!NewArrayBuffer(isolate_, event.data.size()).ToLocal(&buffer)) {
        NoticeKill();
        return false;
      }
      if (!event.data.empty()) std::memcpy(buffer->Data(), event.data.data(), event.data.size());
      a = buffer;
      break;
    }
    case FetchEventKind::kError:
      a = NewString(isolate_, event.data);
      break;
    default:
      break;
  }
  v8::Local<v8::Value> argv[] = {v8::Number::New(isolate_, static_cast<double>(fetch)),
                                 v8::Integer::New(isolate_, static_cast<int>(event.kind)), a, b, c};
  v8::Local<v8::Value> result;
  std::string error;
  if (!CallIntoJs(state, state->on_fetch_event.Get(isolate_), 5, argv, &error, info.request, &result)) {
    if (!dead_) base::LogLine(base::LogLevel::kError, error).Str("tenant", options_.tenant_name).Emit();
    return false;
  }
  return !result.IsEmpty() && result->IsTrue();
}

std::vector<uint64_t> Worker::InflightIds() const {
  std::vector<uint64_t> ids;
  ids.reserve(inflight_.size());
  for (const auto& [id, request] : inflight_) ids.push_back(id);
  return ids;
}

void Worker::MaybeRetire(ContextState* state) {
  if (state->single_use && state->requests == 0 && state->wait_until == 0) retired_.push_back(state->serial);
}

void Worker::DropRetired() {
  for (uint32_t serial : retired_) {
    auto it = contexts_.find(serial);
    if (it == contexts_.end()) continue;
    for (auto& [id, timer] : it->second->timers) host_->ClearTimer(TimerKey(serial, id));
    if (!fetches_.empty()) CancelFetches([serial](const OutboundFetch& fetch) { return fetch.serial == serial; });
    contexts_.erase(it);
  }
  retired_.clear();
}

void Worker::ArmTimer(uint32_t id, double delay_ms, bool repeat) {
  ContextState* state = CurrentState();
  if (state == nullptr) return;
  // JS the timer runs is charged to the request whose JS armed it.
  state->timers[id] = Timer{repeat, running_request_};
  host_->SetTimer(TimerKey(state->serial, id), delay_ms, repeat);
}

void Worker::CancelTimer(uint32_t id) {
  ContextState* state = CurrentState();
  if (state == nullptr || state->timers.erase(id) == 0) return;
  host_->ClearTimer(TimerKey(state->serial, id));
}

void Worker::WaitUntil(uint64_t id, v8::Local<v8::Promise> promise) {
  ContextState* state = CurrentState();
  if (state == nullptr || !state->single_use) return;  // a shared context lives on anyway
  ++state->wait_until;
  v8::Local<v8::Context> context = state->context.Get(isolate_);
  auto settled = [](const v8::FunctionCallbackInfo<v8::Value>& info) {
    auto* self = static_cast<Worker*>(info.GetIsolate()->GetData(kWorkerIsolateSlot));
    if (self == nullptr) return;
    auto it = self->contexts_.find(static_cast<uint32_t>(info.Data().As<v8::Uint32>()->Value()));
    if (it == self->contexts_.end()) return;
    --it->second->wait_until;
    self->MaybeRetire(it->second.get());
  };
  v8::Local<v8::Function> fn;
  if (!v8::Function::New(context, settled, v8::Integer::NewFromUnsigned(isolate_, state->serial)).ToLocal(&fn) ||
      promise->Then(context, fn, fn).IsEmpty()) {
    --state->wait_until;  // nothing will call `settled` (the run is being terminated)
  }
}

void Worker::FireTimer(uint64_t key) {
  if (dead_) return;
  auto it = contexts_.find(static_cast<uint32_t>(key >> 32));
  if (it == contexts_.end()) return;
  ContextState* state = it->second.get();
  auto id = static_cast<uint32_t>(key);
  auto timer = state->timers.find(id);
  if (timer == state->timers.end()) return;
  uint64_t request = timer->second.request;
  if (!timer->second.repeat) state->timers.erase(timer);
  v8::Isolate::Scope isolate_scope(isolate_);
  v8::HandleScope handles(isolate_);
  v8::Context::Scope context_scope(state->context.Get(isolate_));
  v8::Local<v8::Value> argv[] = {v8::Integer::NewFromUnsigned(isolate_, id)};
  std::string error;
  if (!CallIntoJs(state, state->on_timer.Get(isolate_), 1, argv, &error, request) && !dead_) {
    base::LogLine(base::LogLevel::kError, error).Str("tenant", options_.tenant_name).Emit();
  }
}

void Worker::OnPromiseReject(v8::PromiseRejectMessage message) {
  v8::Local<v8::Promise> promise = message.GetPromise();
  v8::Isolate* isolate = promise->GetIsolate();
  auto* self = static_cast<Worker*>(isolate->GetData(kWorkerIsolateSlot));
  if (self == nullptr) return;
  auto& pending = self->unhandled_rejections_;
  if (message.GetEvent() == v8::kPromiseRejectWithNoHandler) {
    std::string text = isolates::ToUtf8(isolate, message.GetValue());
    v8::Local<v8::Value> value = message.GetValue();
    if (value->IsObject()) {
      v8::Local<v8::Value> stack;
      v8::Local<v8::Context> context = isolate->GetCurrentContext();
      if (value.As<v8::Object>()->Get(context, NewSymbolString(isolate, "stack")).ToLocal(&stack) && stack->IsString()) {
        text = isolates::ToUtf8(isolate, stack);
      }
    }
    pending.push_back({v8::Global<v8::Promise>(isolate, promise), std::move(text)});
  } else if (message.GetEvent() == v8::kPromiseHandlerAddedAfterReject) {
    std::erase_if(pending, [&](const Rejection& r) { return r.promise == promise; });
  }
}

void Worker::LogUnhandledRejections() {
  std::vector<Rejection> rejections = std::move(unhandled_rejections_);
  unhandled_rejections_.clear();
  for (Rejection& rejection : rejections) {
    if (DispatchUnhandledRejection(rejection)) continue;
    base::LogLine(base::LogLevel::kError, base::StrCat("Uncaught (in promise) ", rejection.message))
        .Str("tenant", options_.tenant_name)
        .Emit();
  }
}

bool Worker::DispatchUnhandledRejection(const Rejection& rejection) {
  if (dead_) return false;
  v8::HandleScope handles(isolate_);
  v8::Local<v8::Promise> promise = rejection.promise.Get(isolate_);
  v8::Local<v8::Context> context;
  if (!promise->GetCreationContext().ToLocal(&context)) return false;
  // The context's state, if the context is still one of ours (a dropped per-request context's
  // embedder data points at freed memory, so it is looked up rather than read).
  ContextState* state = nullptr;
  for (auto& [serial, candidate] : contexts_) {
    if (candidate->context == context) state = candidate.get();
  }
  if (state == nullptr || state->unhandled_rejection.IsEmpty()) return false;
  v8::Context::Scope context_scope(context);
  v8::Local<v8::Value> argv[] = {promise, promise->Result(), NewString(isolate_, rejection.message)};
  std::string error;
  if (!CallIntoJs(state, state->unhandled_rejection.Get(isolate_), 3, argv, &error) && !dead_) {
    base::LogLine(base::LogLevel::kError, error).Str("tenant", options_.tenant_name).Emit();
  }
  return true;
}

void Worker::ReduceMemory() {
  if (!tenant_isolate_ || dead_) return;
  v8::Isolate::Scope isolate_scope(isolate_);
  isolate_->LowMemoryNotification();
}

size_t Worker::heap_bytes() const {
  if (!tenant_isolate_ || dead_) return 0;
  v8::HeapStatistics stats;
  isolate_->GetHeapStatistics(&stats);
  return stats.used_heap_size();
}

void Worker::RunPlatformTasks() {
  if (!tenant_isolate_) return;
  v8::Isolate::Scope isolate_scope(isolate_);
  if (!isolates::PumpPlatformTasks(isolate_) || dead_ || js_depth_ > 0) return;
  // A task may have settled a promise (an asynchronous WebAssembly compile or instantiate): its
  // reactions are JS of the tenant's, run now under the CPU watchdog as any run is.
  v8::HandleScope handles(isolate_);
  EnterJs(options_.limits.cpu_ms);
  isolate_->PerformMicrotaskCheckpoint();
  ExitJs();
  tenant_isolate_->CheckExternalMemory();
  if (NoticeKill()) return;
  if (!unhandled_rejections_.empty()) LogUnhandledRejections();
  DropRetired();
}

}  // namespace atl::bindings
