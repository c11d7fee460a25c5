#pragma once
// One tenant's live Worker on the libuv loop: responses and script errors go back to the HTTP
// server, the Worker's timers become uv timers, and a limit kill fails the requests still in
// flight on the isolate (503 with the limit's code) and tells the TenantManager, which tears
// the runtime down outside the Worker's call stack.

#include <uv.h>

#include <memory>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "bindings/worker.h"
#include "cache/code_cache.h"
#include "isolates/cpu_watchdog.h"
#include "server/http_server.h"

namespace atl::server {

class TenantManager;

class TenantRuntime : public bindings::WorkerHost {
 public:
  TenantRuntime(uv_loop_t* loop, HttpServer* server, TenantManager* owner, uint32_t tenant);
  ~TenantRuntime() override;

  absl::Status Load(const bindings::WorkerOptions& options, std::unique_ptr<isolates::TenantIsolate> isolate,
                    cache::CodeCache* code_cache, isolates::CpuWatchdog* watchdog);
  bindings::Worker* worker() const { return worker_.get(); }
  uint32_t tenant() const { return tenant_; }

  // Cancels the timers and drops the Worker; returns its isolate (null if none was loaded).
  std::unique_ptr<isolates::TenantIsolate> Shutdown();

  // bindings::WorkerHost
  void OnResponse(uint64_t id, const bindings::ResponseView& response) override;
  void OnScriptError(uint64_t id, std::string_view message) override;
  void SetTimer(uint64_t key, double delay_ms, bool repeat) override;
  void ClearTimer(uint64_t key) override;
  void OnKilled(isolates::LimitKind why) override;
  bool OnStreamedResponse(uint64_t id, const bindings::ResponseView& response) override;
  bool OnBodyChunk(uint64_t id, std::string_view bytes) override;
  void OnBodyEnd(uint64_t id, bool complete) override;
  void OnUploadControl(uint64_t id, bool cancel) override;
  bool StartFetch(uint64_t fetch, const bindings::FetchRequestView& request, std::string* error) override;
  bool FetchWrite(uint64_t fetch, std::string_view bytes, bool end) override;
  void FetchControl(uint64_t fetch, bool cancel) override;

 private:
  struct JsTimer {
    uv_timer_t handle;
    uint64_t key;
    bool repeat;
    TenantRuntime* owner;
  };
  void OnTimerFired(JsTimer* timer);
  static void CloseTimer(JsTimer* timer);

  uv_loop_t* loop_;
  HttpServer* server_;
  TenantManager* owner_;
  uint32_t tenant_;
  std::unique_ptr<bindings::Worker> worker_;
  absl::flat_hash_map<uint64_t, JsTimer*> timers_;
};

// The SPEC §4 error for a request lost to limit `why`.
ServerError ErrorForLimit(isolates::LimitKind why);

}  // namespace atl::server
