// Worker, WebSockets: a request answered 101 with the client end of a WebSocketPair (the socket
// gets a process-unique id and stays with the context that accepted it), what the `server` end
// sends or closes (to the host), and the client's events coming back (js/lazy/websocket.js via
// internal.onWebSocketEvent). Each event runs under a CPU account of its own: cpu_ms per event,
// as Workers; no wall limit applies to an open socket.
#include <cstring>

#include "base/log.h"
#include "bindings/buffers.h"
#include "bindings/worker.h"
#include "isolates/v8_util.h"

namespace atl::bindings {

namespace {
uint64_t next_socket_id = 1;           // process-unique (one loop thread per process)
uint64_t next_event_account = 1;       // accounts of WebSocket events, apart from request ids
constexpr uint64_t kEventAccountBase = uint64_t{1} << 62;
}  // namespace

uint64_t NewWebSocketId() { return next_socket_id++; }

uint64_t Worker::RespondWebSocket(uint64_t id, ResponseView response) {
  ContextState* state = CurrentState();
  if (dead_ || state == nullptr || !inflight_.contains(id)) return 0;
  if (sockets_.size() >= options_.limits.max_websockets) return 0;
  uint64_t socket = NewWebSocketId();
  sockets_[socket] = state->serial;
  ++state->sockets;
  response.web_socket = socket;
  response.body_streamed = false;
  response.body = {};
  Respond(id, response);
  return socket;
}

bool Worker::WebSocketSend(uint64_t socket, bool binary, std::string_view data) {
  return !dead_ && sockets_.contains(socket) && host_->WebSocketSend(socket, binary, data);
}

void Worker::WebSocketClose(uint64_t socket, uint16_t code, std::string_view reason) {
  if (!dead_ && sockets_.contains(socket)) host_->WebSocketClose(socket, code, reason);
}

bool Worker::DeliverWebSocketEvent(uint64_t socket, const WebSocketEventView& event) {
  auto it = sockets_.find(socket);
  if (dead_ || it == sockets_.end()) return false;
  uint32_t serial = it->second;
  auto state_it = contexts_.find(serial);
  ContextState* state = state_it == contexts_.end() ? nullptr : state_it->second.get();
  if (event.kind == WebSocketEventKind::kClose) {
    sockets_.erase(it);
    if (state != nullptr) {
      --state->sockets;
      MaybeRetire(state);
    }
  }
  if (state == nullptr) return false;
  v8::Isolate::Scope isolate_scope(isolate_);
  v8::HandleScope handles(isolate_);
  v8::Local<v8::Context> context = state->context.Get(isolate_);
  v8::Context::Scope context_scope(context);
  v8::Local<v8::Value> a = v8::Undefined(isolate_), b = v8::Undefined(isolate_), c = v8::Undefined(isolate_);
  switch (event.kind) {
    case WebSocketEventKind::kBinary: {
      v8::TryCatch refused(isolate_);
      v8::Local<v8::ArrayBuffer> buffer;
      if (!NewArrayBufferCopy(isolate_, event.data).ToLocal(&buffer)) {
        NoticeKill();
        return false;
      }
      a = buffer;
      break;
    }
    case WebSocketEventKind::kText:
    case WebSocketEventKind::kError:
      a = isolates::NewString(isolate_, event.data);
      break;
    case WebSocketEventKind::kClose:
      a = isolates::NewString(isolate_, event.data);
      b = v8::Integer::New(isolate_, event.code);
      c = v8::Boolean::New(isolate_, event.was_clean);
      break;
  }
  if (a.IsEmpty()) return false;  // a string over V8's limit
  v8::Local<v8::Value> argv[] = {v8::Number::New(isolate_, static_cast<double>(socket)),
                                 v8::Integer::New(isolate_, static_cast<int>(event.kind)), a, b, c};
  uint64_t account = kEventAccountBase | next_event_account++;
  accounts_.Open(account);
  std::string error;
  bool ok = CallIntoJs(state, state->on_websocket_event.Get(isolate_), 5, argv, &error, account);
  if (!ok && !dead_) base::LogLine(base::LogLevel::kError, error).Str("tenant", options_.tenant_name).Emit();
  accounts_.Unref(account);
  return ok;
}

}  // namespace atl::bindings
