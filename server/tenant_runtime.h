#pragma once
// One tenant's live Worker on the libuv loop. Each request is dispatched with the ResponseSink
// that answers it (response_sink.h), kept here under the request's id (the Worker's handle for
// it) until the sink's owner forgets it: responses, streamed bodies and script errors go to that
// sink. The Worker's timers become uv timers, and a limit kill fails the requests still in flight
// on the isolate (503 with the limit's code) and tells the TenantManager, which tears the runtime
// down outside the Worker's call stack.

#include <uv.h>

#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "bindings/worker.h"
#include "cache/code_cache.h"
#include "isolates/cpu_watchdog.h"
#include "server/body_encoder.h"
#include "server/http_server.h"
#include "server/response_sink.h"

namespace atl::server {

class TenantManager;

class TenantRuntime : public bindings::WorkerHost, public WebSocketOwner {
 public:
  TenantRuntime(uv_loop_t* loop, HttpServer* server, TenantManager* owner, uint32_t tenant);
  ~TenantRuntime() override;

  absl::Status Load(const bindings::WorkerOptions& options, std::unique_ptr<isolates::TenantIsolate> isolate,
                    cache::CodeCache* code_cache, isolates::CpuWatchdog* watchdog);
  bindings::Worker* worker() const { return worker_.get(); }
  uint32_t tenant() const { return tenant_; }

  // Cancels the timers and drops the Worker; returns its isolate (null if none was loaded).
  std::unique_ptr<isolates::TenantIsolate> Shutdown();

  // Hands request `id` to the Worker; its answer goes to `sink`, held until Forget(id).
  void Dispatch(uint64_t id, const bindings::RequestView& request, ResponseSink* sink);
  // Whether request `id` is held here and its head is not answered yet (its wall time runs).
  bool Unanswered(uint64_t id) const {
    auto it = requests_.find(id);
    return it != requests_.end() && !it->second.answered;
  }
  // No request is held (retiring it now fails none).
  bool Idle() const { return requests_.empty(); }
  // The Worker gives up request `id` (wall limit, a replaced tenant), which is answered `error`.
  void Abandon(uint64_t id, ServerError error);
  // Abandon() for every request in flight on the Worker.
  void AbandonAll(ServerError error);
  // The Worker that takes request `id`'s streamed body pieces and resumes its streamed response
  // (Worker::PushUpload, EndUpload, ResumeResponse), or null: the request is not held here, or
  // streams nothing.
  bindings::Worker* StreamWorker(uint64_t id) const {
    auto it = requests_.find(id);
    return it == requests_.end() || !it->second.streamed ? nullptr : worker_.get();
  }
  // The sink's owner is done with request `id`: the sink is dropped (an unanswered request stays
  // for its wall limit); `aborted` (the answer did not go out whole) cancels the request's
  // streams in the Worker.
  void Forget(uint64_t id, bool aborted);
  // The caller of service request `id` cancelled it: abandoned if unanswered, else aborted.
  void Cancel(uint64_t id);
  // Drops every sink: the runtime retires, and answers from it reach nobody.
  void DropRequests() { requests_.clear(); }

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
  bool RequestCf(uint64_t id, bindings::RequestCfView* out) override;
  bool AcceptsCoding(uint64_t id, std::string_view coding) override {
    ResponseSink* sink = SinkOf(id);
    return sink == nullptr || sink->AcceptsCoding(coding);
  }
  bool StartFetch(uint64_t fetch, const bindings::FetchRequestView& request, std::string* error) override;
  bool FetchWrite(uint64_t fetch, std::string_view bytes, bool end) override;
  void FetchControl(uint64_t fetch, bool cancel) override;
  bool SocketStartTls(uint64_t fetch, std::string_view name, std::string* error) override;
  bool WebSocketSend(uint64_t socket, bool binary, std::string_view data) override;
  void WebSocketClose(uint64_t socket, uint16_t code, std::string_view reason) override;

  // WebSocketOwner: the client's events of a socket this tenant's handler accepted.
  void OnWebSocketEvent(uint64_t socket, const bindings::WebSocketEventView& event) override;

 private:
  // A request dispatched here, until its sink's owner forgets it.
  struct Request {
    ResponseSink* sink;      // null once its owner forgot it
    bool answered = false;   // its head (or error) went to the sink
    bool streamed = false;   // a streamed body either way: aborting it reaches the Worker
    std::unique_ptr<BodyEncoder> encoder;  // the streamed body is compressed on its way (body_encoder.h)
  };
  // The sink of request `id`, or null.
  ResponseSink* SinkOf(uint64_t id) const {
    auto it = requests_.find(id);
    return it == requests_.end() ? nullptr : it->second.sink;
  }
  // Marks request `id` answered; its sink, or null.
  ResponseSink* Answer(uint64_t id);
  // What a response's body gets on its way (ResponseView::encode_body): coded with `encoder`, or
  // sent as it is without its content-encoding header (`uncoded`: the client does not take the
  // coding), or neither (no coding asked for, or one atoll does not make).
  struct Coding {
    std::unique_ptr<BodyEncoder> encoder;
    bool uncoded = false;
  };
  static Coding CodingFor(const bindings::ResponseView& response, ResponseSink* sink);
  // `headers` without those named `name`.
  static std::vector<bindings::HeaderView> Without(std::span<const bindings::HeaderView> headers, std::string_view name);

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
  absl::flat_hash_map<uint64_t, Request> requests_;
};

// The SPEC §4 error for a request lost to limit `why`.
ServerError ErrorForLimit(isolates::LimitKind why);

}  // namespace atl::server
