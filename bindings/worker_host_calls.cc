// Worker's host calls (worker.h): operations a native starts on the host's loop (KV calls on
// PostgreSQL, server/pg_kv.h) whose answers come back later into the JS context that asked.
#include "base/log.h"
#include "bindings/worker.h"

namespace atl::bindings {

uint64_t Worker::BeginHostCall(v8::Local<v8::Function> callback) {
  ContextState* state = CurrentState();
  if (dead_ || state == nullptr) return 0;
  uint64_t call = next_host_call_++;
  HostCall& entry = host_calls_[call];
  entry.callback.Reset(isolate_, callback);
  entry.serial = state->serial;
  entry.request = running_request_;
  accounts_.Ref(running_request_);  // the answer's JS is charged to the request
  return call;
}

void Worker::CompleteHostCall(uint64_t call, absl::FunctionRef<int(v8::Isolate*, v8::Local<v8::Value>*)> make_args) {
  auto it = host_calls_.find(call);
  if (it == host_calls_.end()) return;
  HostCall entry = std::move(it->second);
  host_calls_.erase(it);
  struct Release {
    isolates::CpuAccounts* accounts;
    uint64_t request;
    ~Release() { accounts->Unref(request); }
  } release{&accounts_, entry.request};
  if (dead_) return;
  auto state_it = contexts_.find(entry.serial);
  if (state_it == contexts_.end()) return;  // the context is gone: nobody waits for the answer
  ContextState* state = state_it->second.get();
  v8::Isolate::Scope isolate_scope(isolate_);
  v8::HandleScope handles(isolate_);
  v8::Local<v8::Context> context = state->context.Get(isolate_);
  v8::Context::Scope context_scope(context);
  v8::Local<v8::Value> argv[2] = {v8::Undefined(isolate_), v8::Undefined(isolate_)};
  int argc = 0;
  {
    v8::TryCatch refused(isolate_);  // a value too large for the heap: the callback gets an error
    argc = make_args(isolate_, argv);
  }
  if (NoticeKill()) return;
  std::string error;
  if (!CallIntoJs(state, entry.callback.Get(isolate_), argc, argv, &error, entry.request)) {
    if (!dead_) base::LogLine(base::LogLevel::kError, error).Str("tenant", options_.tenant_name).Emit();
  }
}

}  // namespace atl::bindings
