#pragma once
// Runs one tenant's Worker on the libuv loop: requests from the HTTP server go to the Worker,
// its responses and script errors go back, and its timers become uv timers.

#include <uv.h>

#include <memory>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "bindings/worker.h"
#include "cache/code_cache.h"
#include "server/http_server.h"

namespace atl::server {

class TenantRuntime : public bindings::WorkerHost, public RequestSink {
 public:
  explicit TenantRuntime(uv_loop_t* loop);
  ~TenantRuntime() override;

  absl::Status Load(const bindings::WorkerOptions& options, cache::CodeCache* code_cache);
  void set_server(HttpServer* server) { server_ = server; }

  // Cancels the timers and drops the Worker.
  void Shutdown();

  // RequestSink
  void Dispatch(uint64_t id, const bindings::RequestView& request) override;

  // bindings::WorkerHost
  void OnResponse(uint64_t id, const bindings::ResponseView& response) override;
  void OnScriptError(uint64_t id, std::string_view message) override;
  void SetTimer(uint32_t id, double delay_ms, bool repeat) override;
  void ClearTimer(uint32_t id) override;

 private:
  struct JsTimer {
    uv_timer_t handle;
    uint32_t id;
    bool repeat;
    TenantRuntime* owner;
  };
  void OnTimerFired(JsTimer* timer);
  static void CloseTimer(JsTimer* timer);

  uv_loop_t* loop_;
  HttpServer* server_ = nullptr;
  std::unique_ptr<bindings::Worker> worker_;
  absl::flat_hash_map<uint32_t, JsTimer*> timers_;
  uv_timer_t platform_tasks_;
};

}  // namespace atl::server
