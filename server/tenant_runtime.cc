#include "server/tenant_runtime.h"

#include <algorithm>
#include <string>
#include <vector>

#include "base/log.h"
#include "server/tenant_manager.h"

namespace atl::server {

ServerError ErrorForLimit(isolates::LimitKind why) {
  switch (why) {
    case isolates::LimitKind::kMemory: return ServerError::kMemoryLimit;
    case isolates::LimitKind::kWall: return ServerError::kWallLimit;
    default: return ServerError::kCpuLimit;
  }
}

TenantRuntime::TenantRuntime(uv_loop_t* loop, HttpServer* server, TenantManager* owner, uint32_t tenant)
    : loop_(loop), server_(server), owner_(owner), tenant_(tenant) {}

TenantRuntime::~TenantRuntime() { Shutdown().reset(); }

absl::Status TenantRuntime::Load(const bindings::WorkerOptions& options,
                                 std::unique_ptr<isolates::TenantIsolate> isolate, cache::CodeCache* code_cache,
                                 isolates::CpuWatchdog* watchdog) {
  absl::StatusOr<std::unique_ptr<bindings::Worker>> worker =
      bindings::Worker::Create(options, std::move(isolate), this, code_cache, watchdog);
  if (!worker.ok()) return worker.status();
  worker_ = std::move(*worker);
  return absl::OkStatus();
}

std::unique_ptr<isolates::TenantIsolate> TenantRuntime::Shutdown() {
  if (server_ != nullptr) server_->websockets()->DropOwner(this);  // its sockets close; their events reach nobody
  std::unique_ptr<isolates::TenantIsolate> isolate;
  if (worker_) isolate = worker_->ReleaseIsolate();
  for (auto& [key, timer] : timers_) CloseTimer(timer);
  timers_.clear();
  worker_.reset();
  return isolate;
}

void TenantRuntime::Dispatch(uint64_t id, const bindings::RequestView& request, ResponseSink* sink) {
  requests_.insert_or_assign(id, Request{sink, false, request.body_streamed, nullptr});
  worker_->Dispatch(id, request);
}

ResponseSink* TenantRuntime::Answer(uint64_t id) {
  auto it = requests_.find(id);
  if (it == requests_.end()) return nullptr;
  ResponseSink* sink = it->second.sink;
  if (sink == nullptr) {
    requests_.erase(it);  // forgotten before its answer: nobody forgets it again
  } else {
    it->second.answered = true;
  }
  return sink;
}

void TenantRuntime::OnResponse(uint64_t id, const bindings::ResponseView& response) {
  if (response.web_socket != 0 && server_ != nullptr) server_->websockets()->Attach(response.web_socket, this);
  if (ResponseSink* sink = Answer(id)) {
    Coding coding = CodingFor(response, sink);
    if (coding.encoder == nullptr && !coding.uncoded) {
      sink->Respond(response);
    } else {
      // The server sets content-length from the body it sends.
      std::string coded = coding.encoder ? EncodeWhole(*coding.encoder, response.body) : std::string();
      std::vector<bindings::HeaderView> headers = coding.uncoded ? Without(response.headers, "content-encoding")
                                                                 : std::vector<bindings::HeaderView>();
      bindings::ResponseView view = response;
      if (coding.encoder) view.body = coded;
      if (coding.uncoded) view.headers = headers;
      view.encode_body = false;
      sink->Respond(view);
    }
  } else if (response.web_socket != 0 && server_ != nullptr) {
    server_->websockets()->Refuse(response.web_socket);  // the client is gone
  }
}

bool TenantRuntime::WebSocketSend(uint64_t socket, bool binary, std::string_view data) {
  return server_ != nullptr && server_->websockets()->Send(socket, binary, data);
}

void TenantRuntime::WebSocketClose(uint64_t socket, uint16_t code, std::string_view reason) {
  if (server_ != nullptr) server_->websockets()->Close(socket, code, reason);
}

void TenantRuntime::OnWebSocketEvent(uint64_t socket, const bindings::WebSocketEventView& event) {
  if (worker_) worker_->DeliverWebSocketEvent(socket, event);
}

bool TenantRuntime::OnStreamedResponse(uint64_t id, const bindings::ResponseView& response) {
  ResponseSink* sink = Answer(id);  // the wall limit ends with the head; the body runs while the client reads
  if (sink == nullptr) return false;
  Coding coding = CodingFor(response, sink);
  if (coding.encoder == nullptr && !coding.uncoded) {
    if (!sink->StartStream(response)) return false;
  } else {
    // Chunked: a content-length the handler gave may count other bytes than those sent (the coded
    // ones, or a fetched response's whose headers it copied). Uncoded: its content-encoding goes.
    std::vector<bindings::HeaderView> headers = Without(response.headers, "content-length");
    if (coding.uncoded) headers = Without(headers, "content-encoding");
    bindings::ResponseView view = response;
    view.headers = headers;
    view.encode_body = false;
    if (!sink->StartStream(view)) return false;
  }
  auto it = requests_.find(id);  // StartStream runs no JS, but look again all the same
  if (it != requests_.end()) {
    it->second.streamed = true;
    it->second.encoder = std::move(coding.encoder);
  }
  return true;
}

bool TenantRuntime::OnBodyChunk(uint64_t id, std::string_view bytes) {
  auto it = requests_.find(id);
  if (it == requests_.end() || it->second.sink == nullptr) return false;
  if (it->second.encoder == nullptr) return it->second.sink->WriteBody(bytes);
  std::string coded;
  it->second.encoder->Write(bytes, /*flush=*/true, &coded);
  return it->second.sink->WriteBody(coded);
}

void TenantRuntime::OnBodyEnd(uint64_t id, bool complete) {
  auto it = requests_.find(id);
  if (it == requests_.end() || it->second.sink == nullptr) return;
  ResponseSink* sink = it->second.sink;
  if (std::unique_ptr<BodyEncoder> encoder = std::move(it->second.encoder); encoder != nullptr && complete) {
    std::string tail;
    encoder->Finish(&tail);
    if (!tail.empty()) sink->WriteBody(tail);  // StartStream and WriteBody run no JS: `sink` stays valid
  }
  sink->EndBody(complete);
}

TenantRuntime::Coding TenantRuntime::CodingFor(const bindings::ResponseView& response, ResponseSink* sink) {
  bool no_body = response.status == 204 || response.status == 304 || response.status < 200;
  if (!response.encode_body || no_body) return {};
  std::string_view name = BodyEncoder::HeaderOf(response.headers);
  if (!BodyEncoder::Knows(name)) return {};  // identity, a list, one atoll does not make: as it is
  Coding coding;
  if (sink->AcceptsCoding(name)) {
    coding.encoder = BodyEncoder::For(name);
  } else {
    coding.uncoded = true;  // the client does not take it (none asked: curl, scripts): sent uncoded
  }
  return coding;
}

std::vector<bindings::HeaderView> TenantRuntime::Without(std::span<const bindings::HeaderView> headers,
                                                         std::string_view name) {
  std::vector<bindings::HeaderView> kept;
  kept.reserve(headers.size());
  for (const bindings::HeaderView& header : headers) {
    if (header.first != name) kept.push_back(header);
  }
  return kept;
}

void TenantRuntime::OnUploadControl(uint64_t id, bool cancel) {
  if (ResponseSink* sink = SinkOf(id)) sink->UploadControl(cancel);
}

bool TenantRuntime::RequestCf(uint64_t id, bindings::RequestCfView* out) {
  ResponseSink* sink = SinkOf(id);
  return sink != nullptr && sink->RequestCf(out);
}

void TenantRuntime::Abandon(uint64_t id, ServerError error) {
  if (worker_) worker_->Abandon(id);
  if (ResponseSink* sink = Answer(id)) sink->Fail(error);
}

void TenantRuntime::AbandonAll(ServerError error) {
  if (!worker_) return;
  for (uint64_t id : worker_->InflightIds()) {
    worker_->Abandon(id);
    auto it = requests_.find(id);
    if (it == requests_.end()) continue;
    ResponseSink* sink = it->second.sink;
    requests_.erase(it);
    if (sink != nullptr) sink->Fail(error);
  }
}

void TenantRuntime::Forget(uint64_t id, bool aborted) {
  auto it = requests_.find(id);
  if (it == requests_.end()) return;
  bool streamed = it->second.streamed;
  // First: what the Worker does while aborting reaches no sink. A request not answered yet stays,
  // without its sink, until the Worker answers it or gives it up: its wall limit still runs.
  if (it->second.answered) {
    requests_.erase(it);
  } else {
    it->second.sink = nullptr;
  }
  if (aborted && streamed && worker_) worker_->Abort(id);
}

void TenantRuntime::Cancel(uint64_t id) {
  auto it = requests_.find(id);
  if (it == requests_.end()) return;
  if (it->second.answered) return Forget(id, true);
  requests_.erase(it);
  if (worker_) worker_->Abandon(id);
}

bool TenantRuntime::StartFetch(uint64_t fetch, const bindings::FetchRequestView& request, std::string* error) {
  return owner_->StartFetch(tenant_, fetch, request, error);
}

bool TenantRuntime::FetchWrite(uint64_t fetch, std::string_view bytes, bool end) {
  return owner_->outbound().Write(fetch, bytes, end);
}

void TenantRuntime::FetchControl(uint64_t fetch, bool cancel) { owner_->outbound().Control(fetch, cancel); }

bool TenantRuntime::SocketStartTls(uint64_t fetch, std::string_view name, std::string* error) {
  return owner_->outbound().StartTls(fetch, name, error);
}

void TenantRuntime::OnScriptError(uint64_t id, std::string_view message) {
  base::LogLine(base::LogLevel::kError, message).Str("tenant", worker_->tenant_name()).Str("error", "script_error").Emit();
  if (ResponseSink* sink = Answer(id)) sink->Fail(ServerError::kScriptError);
}

void TenantRuntime::OnKilled(isolates::LimitKind why) {
  ServerError error = ErrorForLimit(why);
  base::LogLine(base::LogLevel::kWarn, "limit hit: isolate discarded")
      .Str("tenant", worker_->tenant_name())
      .Str("error", CodeOf(error))
      .Int("requests_lost", static_cast<int64_t>(worker_->inflight()))
      .Emit();
  for (uint64_t id : worker_->InflightIds()) {
    if (ResponseSink* sink = Answer(id)) sink->Fail(error);
  }
  owner_->OnKilled(tenant_, why);
}

void TenantRuntime::SetTimer(uint64_t key, double delay_ms, bool repeat) {
  JsTimer*& timer = timers_[key];
  if (timer == nullptr) {
    timer = new JsTimer{{}, key, repeat, this};
    uv_timer_init(loop_, &timer->handle);
    timer->handle.data = timer;
  }
  timer->repeat = repeat;
  // Never 0: libuv runs every timer due at the loop's time, so one re-armed for 0 ms from its own
  // callback would run again in the same loop turn, forever (Node clamps to 1 ms too).
  auto ms = std::max<uint64_t>(static_cast<uint64_t>(delay_ms), isolates::RuntimeCaps().min_timer_ms);
  // libuv counts from the loop's clock, read once per turn: after a long run (a cold request's
  // compile, busy JS) it is behind, and the timer would fire early. HTML's timers wait at least
  // their delay.
  uv_update_time(loop_);
  uv_timer_start(&timer->handle, [](uv_timer_t* t) {
    auto* fired = static_cast<JsTimer*>(t->data);
    fired->owner->OnTimerFired(fired);
  }, ms, repeat ? ms : 0);
}

void TenantRuntime::ClearTimer(uint64_t key) {
  auto it = timers_.find(key);
  if (it == timers_.end()) return;
  CloseTimer(it->second);
  timers_.erase(it);
}

void TenantRuntime::CloseTimer(JsTimer* timer) {
  uv_close(reinterpret_cast<uv_handle_t*>(&timer->handle),
           [](uv_handle_t* h) { delete static_cast<JsTimer*>(h->data); });
}

void TenantRuntime::OnTimerFired(JsTimer* timer) {
  uint64_t key = timer->key;
  if (!timer->repeat) {
    // A one-shot timer is gone once it fired; the callback may arm the same key again.
    timers_.erase(key);
    CloseTimer(timer);
  }
  if (worker_) worker_->FireTimer(key);
  if (server_ != nullptr) server_->FlushDirty();
}

}  // namespace atl::server
