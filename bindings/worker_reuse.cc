// Reuse of per_request contexts (worker.h, README "What per_request guarantees and what it does
// not"): a context of an ES module script is locked down when made (js/lazy/lockdown.js), serves
// one request at a time, and once that request is finished (answered, waitUntil settled, nothing
// streaming) it is parked: its timers, fetches and host calls are dropped and it gets a new serial,
// so any host callback of the finished use finds no context and is dropped. Before its next
// request it is reset (a fresh globals store, no timers/console/performance state) and the
// tenant's module graph is instantiated and evaluated again (compiled from the code cache).
#include <algorithm>

#include "base/log.h"
#include "base/strings.h"
#include "bindings/builtin_modules.h"
#include "bindings/lazy_modules.h"
#include "bindings/tenant_imports.h"
#include "bindings/worker.h"
#include "isolates/v8_util.h"

namespace atl::bindings {

using isolates::NewSymbolString;

bool Worker::ReuseWanted() const {
  // A classic script's top-level declarations live in the context for good: it gets fresh ones.
  return reuse_mode_ != 0 && serving_ && loader_memo_.is_module.value_or(false);
}

absl::Status Worker::Lockdown(ContextState* state, v8::Local<v8::Context> context, v8::Local<v8::Object> env) {
  std::vector<std::string_view> names = LazyGlobalNames();
  std::vector<v8::Local<v8::Value>> items, preload;
  items.reserve(names.size());
  for (std::string_view name : names) items.push_back(NewSymbolString(isolate_, name));
  for (const std::string& name : preload_) preload.push_back(NewSymbolString(isolate_, name));
  EnterJs(StartupBudgetNs(), Clock::now());
  EnterPlatform();  // making the context safe to reuse is the platform's work (inside a run: else a no-op)
  v8::TryCatch try_catch(isolate_);
  v8::Local<v8::Value> module, lockdown, reset;
  v8::Local<v8::Value> argv[] = {v8::Array::New(isolate_, items.data(), items.size()), env,
                                 v8::Array::New(isolate_, preload.data(), preload.size())};
  bool ok = RequireLazyModule(isolate_, context, "lockdown").ToLocal(&module) && module->IsObject() &&
            module.As<v8::Object>()->Get(context, NewSymbolString(isolate_, "lockdown")).ToLocal(&lockdown) &&
            lockdown->IsFunction() &&
            lockdown.As<v8::Function>()->Call(context, v8::Undefined(isolate_), 3, argv).ToLocal(&reset) &&
            reset->IsFunction();
  ExitPlatform();
  ExitJs(Clock::now());
  if (!ok) {
    return absl::InternalError(base::StrCat("could not lock the context down: ",
                                            try_catch.HasCaught() ? isolates::DescribeException(isolate_, try_catch)
                                                                  : std::string("no lockdown function")));
  }
  state->reset.Reset(isolate_, reset.As<v8::Function>());
  return absl::OkStatus();
}

void Worker::RecordPreload(ContextState* state) {
  if (reuse_mode_ != 1) return;
  v8::Isolate::Scope isolate_scope(isolate_);
  v8::HandleScope handles(isolate_);
  v8::Local<v8::Context> context = state->context.Get(isolate_);
  v8::Context::Scope context_scope(context);
  v8::Local<v8::Value> fn, names;
  if (!state->internal.Get(isolate_)->Get(context, NewSymbolString(isolate_, "loadedNames")).ToLocal(&fn) ||
      !fn->IsFunction() || !fn.As<v8::Function>()->Call(context, v8::Undefined(isolate_), 0, nullptr).ToLocal(&names) ||
      !names->IsArray()) {
    return;
  }
  v8::Local<v8::Array> list = names.As<v8::Array>();
  for (uint32_t i = 0; i < list->Length(); ++i) {
    v8::Local<v8::Value> name;
    if (!list->Get(context, i).ToLocal(&name) || !name->IsString()) continue;
    std::string text = *v8::String::Utf8Value(isolate_, name);
    if (std::find(preload_.begin(), preload_.end(), text) == preload_.end()) preload_.push_back(std::move(text));
  }
  // Buffer (nodejs_compat's global) assigns over Uint8Array's methods when it loads: it cannot
  // load into a locked-down context.
  if (HasCompatibilityFlag(options_.compatibility_flags, "nodejs_compat") &&
      std::find(preload_.begin(), preload_.end(), "node_buffer") == preload_.end()) {
    preload_.push_back("node_buffer");
  }
}

absl::Status Worker::LoadScript(ContextState* state, v8::Local<v8::Context> context) {
  v8::Local<v8::Object> env = state->env.Get(isolate_);
  BuiltinModules builtins(isolate_, state->internal.Get(isolate_), options_.compatibility_flags);
  builtins.set_env(env);
  TenantImports imports(&builtins, &module_rules_);
  isolates::ScriptLoader loader(code_cache_, &loader_memo_, &imports);
  EnterJs(StartupBudgetNs(), Clock::now());
  // A service-worker script sees its bindings as globals (as in Workers); a module only in env.
  absl::StatusOr<v8::Local<v8::Value>> ns = loader.Load(context, options_.script_path, env);
  ExitJs(Clock::now());
  std::string error;
  if (ns.ok()) {
    v8::Local<v8::Value> argv[] = {*ns};
    if (CallIntoJs(state, state->set_handler.Get(isolate_), 1, argv, &error, kStartupRun)) return absl::OkStatus();
  }
  if (killed() != isolates::LimitKind::kNone) {
    error = "the script's top level hit a limit";
  } else if (!ns.ok()) {
    error = base::ToStd(ns.status().message());
  }
  // Named as in stack traces (the loader's names): the file, not the host's path to it.
  return absl::InvalidArgumentError(ns.ok() ? base::StrCat(options_.script_path.filename().string(), ": ", error) : error);
}

void Worker::Park(uint32_t serial) {
  auto it = contexts_.find(serial);
  if (it == contexts_.end()) return;
  std::unique_ptr<ContextState> state = std::move(it->second);
  contexts_.erase(it);
  if (reuse_mode_ == 2) {  // naive: as it is, same serial, timers and fetches left running
    state->single_use = false;
    ContextState* raw = state.get();
    contexts_[serial] = std::move(state);
    ready_.push_front(raw);
    return;
  }
  // DropRetired dropped its timers and fetches. Host calls and waitUntil callbacks name the old serial: they find nothing from now on.
  state->serial = next_serial_++;
  state->wait_until = 0;
  state->wait_until_deadline_ns = 0;
  state->used = false;
  uint32_t fresh = state->serial;
  contexts_[fresh] = std::move(state);
  parked_.push_back(fresh);
}

Worker::ContextState* Worker::UnparkOne() {
  uint32_t serial = parked_.back();
  parked_.pop_back();
  auto it = contexts_.find(serial);
  if (it == contexts_.end()) return nullptr;
  ContextState* state = it->second.get();
  v8::Isolate::Scope isolate_scope(isolate_);
  v8::HandleScope handles(isolate_);
  v8::Local<v8::Context> context = state->context.Get(isolate_);
  v8::Context::Scope context_scope(context);
  std::string error;
  absl::Status loaded = CallIntoJs(state, state->reset.Get(isolate_), 0, nullptr, &error, kStartupRun)
                            ? LoadScript(state, context)
                            : absl::InternalError(error);
  if (!loaded.ok() || dead_) {
    if (!dead_) {
      base::LogLine(base::LogLevel::kError, base::ToStd(loaded.message())).Str("tenant", options_.tenant_name).Emit();
    }
    ForgetTimers(state);
    contexts_.erase(serial);
    return nullptr;
  }
  ++contexts_reused_;
  return state;
}

}  // namespace atl::bindings
