#pragma once
// One tenant's script running in one V8 context: the bindings installed from the registry, the
// script loaded, and a dispatch entry point per request. Answers go to the WorkerHost.
//
//   auto worker = Worker::Create({.tenant_name = "default", .script_path = "hello.js"}, &host, &cache);
//   (*worker)->Dispatch(id, request);   // host.OnResponse(id, ...) now or later

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "bindings/worker_host.h"
#include "cache/code_cache.h"
#include "isolates/limits.h"
#include "isolates/tenant_isolate.h"

namespace atl::bindings {

struct WorkerOptions {
  std::string tenant_name = "default";
  std::filesystem::path script_path;
  isolates::TenantLimits limits;
};

class Worker {
 public:
  // Creates the isolate and context, installs the bindings and runs the script. Errors name the
  // file and line (a syntax error, a throw at top level, no fetch handler).
  static absl::StatusOr<std::unique_ptr<Worker>> Create(const WorkerOptions& options,
                                                        WorkerHost* host, cache::CodeCache* code_cache);
  ~Worker();

  // Runs the handler for request `id`, then the microtasks it queued.
  void Dispatch(uint64_t id, const RequestView& request);

  // Timer `id` (armed through WorkerHost::SetTimer) fired.
  void FireTimer(uint32_t id);

  // Runs V8's pending foreground tasks; called by the loop when idle.
  void RunPlatformTasks();

  const std::string& tenant_name() const { return options_.tenant_name; }
  WorkerHost* host() const { return host_; }

 private:
  Worker(const WorkerOptions& options, WorkerHost* host);
  absl::Status Initialize(cache::CodeCache* code_cache);
  absl::Status InstallBindings(v8::Local<v8::Context> context, v8::Local<v8::Object> internal);
  // Calls `fn` with `argv` in the context, then a microtask checkpoint; false if it threw.
  bool CallIntoJs(v8::Local<v8::Function> fn, int argc, v8::Local<v8::Value>* argv, std::string* error);
  // Rejected promises nobody handled by the end of a microtask checkpoint go to the log.
  static void OnPromiseReject(v8::PromiseRejectMessage message);
  void LogUnhandledRejections();

  struct Rejection {
    v8::Global<v8::Promise> promise;
    std::string message;
  };

  WorkerOptions options_;
  WorkerHost* host_;
  isolates::TenantIsolate tenant_isolate_;
  v8::Isolate* isolate_;
  v8::Global<v8::Context> context_;
  v8::Global<v8::Function> dispatch_;
  v8::Global<v8::Function> on_timer_;
  v8::Global<v8::Object> env_;
  std::vector<Rejection> unhandled_rejections_;
};

}  // namespace atl::bindings
