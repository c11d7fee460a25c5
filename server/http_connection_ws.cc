// HttpConnection, WebSocket mode: a request answered 101 with a WebSocket (ResponseView::web_socket)
// turns the connection into the socket's carrier. The 101 goes out, then the connection's bytes
// go to a WebSocketSession (frames, pongs, the close handshake, the idle ping and timeout), whose
// events go to the socket's owner through the server's WebSocketHub, and what the owner sends
// comes back through WebSocketPeer. The request's wall limit ends with the 101: an idle healthy
// socket lives as long as its pings are answered (WebSocketLimits).
#include "base/log.h"
#include "server/http_connection.h"
#include "server/http_server.h"
#include "server/websocket_handshake.h"

namespace atl::server {

uint64_t HttpConnection::NowMs() const { return uv_now(server_->loop()); }

void HttpConnection::OnSocketData(std::string_view plain) {
  if (state_ != State::kWebSocket) {
    Parse(plain);
    return;
  }
  if (ws_) ws_->OnBytes(plain, NowMs());
  MarkDirty();
}

void HttpConnection::StartWebSocket(Slot& slot, const bindings::ResponseView& response) {
  WebSocketHub* hub = server_->websockets();
  uint64_t socket = response.web_socket;
  // Only the last request of the connection (the upgrade stops reading further ones), once every
  // answer before it is out, and only a valid upgrade request.
  if (slot.ws_accept.empty() || &slots_.front() != &slot || closing() || draining_ || !hub->Connect(socket, static_cast<WebSocketPeer*>(this))) {
    hub->Refuse(socket);
    bindings::ResponseView refused;
    refused.status = slot.ws_accept.empty() ? 426 : 503;
    static constexpr bindings::HeaderView kHeaders[] = {{"content-type", "text/plain"}};
    refused.headers = kHeaders;
    refused.body = slot.ws_accept.empty() ? "a WebSocket needs a WebSocket upgrade request\n" : "WebSocket refused\n";
    slot.close_after = true;
    Serialize(slot, refused);
    DoneWithUpload(slot.id);
    MarkDirty();
    return;
  }
  // The handler's headers go on the 101 (Sec-WebSocket-Protocol, Set-Cookie, ...), but not those
  // the handshake or the framing own. Names and values were validated by the Headers class.
  std::string head = WebSocketSwitchingProtocols(slot.ws_accept);
  head.resize(head.size() - 2);  // the blank line
  for (const auto& [name, value] : response.headers) {
    if (name == "upgrade" || name == "connection" || name == "sec-websocket-accept" || name == "content-length" ||
        name == "transfer-encoding" || name == "sec-websocket-extensions" || name == "content-type") {
      continue;
    }
    head.append(name).append(": ").append(value).append("\r\n");
  }
  head += "\r\n";
  OutputOf(slot)->append(head);
  slot.done = true;
  slot.close_after = false;
  state_ = State::kWebSocket;
  ws_socket_ = socket;
  // The loop's cached time is from before the handler ran in this turn (long under load or a
  // sanitizer): the session's idle clock starts at the upgrade, not that far back.
  uv_update_time(server_->loop());
  ws_ = std::make_unique<WebSocketSession>(server_->websocket_limits(), static_cast<WebSocketSession::Transport*>(this),
                                           static_cast<WebSocketReceiver*>(this), NowMs());
  DoneWithUpload(slot.id);
  SetTimer(TimerMode::kNone);
  MarkDirty();
}

void HttpConnection::FlushWebSocket() {
  if (!WriteOut()) return;
  if (ws_finishing_) {
    if (out_.empty() && !socket_.write_in_flight()) Linger();
    return;
  }
  if (!pending_input_.empty()) {  // frames that came with the upgrade request
    std::string input;
    input.swap(pending_input_);
    ws_->OnBytes(input, NowMs());
    if (state_ != State::kWebSocket) return;
    if (!WriteOut()) return;
  }
  if (out_.empty() && socket_.unsent() == 0) ws_->OnWritable();
  // Reading stops while the client does not take what is sent (the session drops it past
  // max_buffered_output).
  if (ws_->state() != WebSocketSession::State::kClosed) StartReading();
  uint64_t next = ws_->NextTimerMs();
  timer_mode_ = TimerMode::kWebSocket;
  timer_at_.due = 0;  // the socket's own timer from here on
  server_->MarkBusy(this);
  if (next == 0) {
    uv_timer_stop(&timer_);
  } else {
    uint64_t now = NowMs();
    uv_timer_start(&timer_, [](uv_timer_t* t) { static_cast<HttpConnection*>(t->data)->OnTimer(); },
                   next > now ? next - now : 0, 0);
  }
}

void HttpConnection::OnWebSocketTimer() {
  if (ws_) ws_->OnTimer(NowMs());
  MarkDirty();
  server_->FlushDirty();
}

void HttpConnection::EndWebSocket() {
  if (ws_socket_ == 0) return;
  uint64_t socket = ws_socket_;
  ws_socket_ = 0;
  // Closed under the session (server shutdown, a write error): the owner still gets its close.
  if (ws_ && ws_->state() != WebSocketSession::State::kClosed) server_->websockets()->Refuse(socket);
}

void HttpConnection::SendBytes(std::string bytes) {
  if (closing()) return;
  out_.append(bytes);
  MarkDirty();
}

size_t HttpConnection::Unsent() const { return out_.size() + socket_.unsent(); }

void HttpConnection::Finish() {
  ws_finishing_ = true;
  MarkDirty();
}

void HttpConnection::OnWebSocketMessage(bool binary, std::string_view data) {
  bindings::WebSocketEventView event;
  event.kind = binary ? bindings::WebSocketEventKind::kBinary : bindings::WebSocketEventKind::kText;
  event.data = data;
  if (ws_socket_ != 0) server_->websockets()->Deliver(ws_socket_, event);
}

void HttpConnection::OnWebSocketClose(uint16_t code, std::string_view reason, bool was_clean) {
  uint64_t socket = ws_socket_;
  ws_socket_ = 0;  // the last event: the hub forgets the socket
  bindings::WebSocketEventView event;
  event.kind = bindings::WebSocketEventKind::kClose;
  event.code = code;
  event.data = reason;
  event.was_clean = was_clean;
  if (socket != 0) server_->websockets()->Deliver(socket, event);
}

void HttpConnection::OnWebSocketError(std::string_view what) {
  bindings::WebSocketEventView event;
  event.kind = bindings::WebSocketEventKind::kError;
  event.data = what;
  if (ws_socket_ != 0) server_->websockets()->Deliver(ws_socket_, event);
}

bool HttpConnection::PeerSend(bool binary, std::string_view data) {
  if (!ws_ || closing()) return false;
  bool sent = ws_->Send(binary, data).ok();
  MarkDirty();
  return sent;
}

void HttpConnection::PeerClose(uint16_t code, std::string_view reason) {
  if (!ws_ || closing()) return;
  if (code == 1000 || (code >= 3000 && code <= 4999)) {
    (void)ws_->Close(code, reason, NowMs());  // the owner's close(): the handshake
  } else {
    ws_->Shutdown(code, reason);  // the hub's (1012: the owner went away): no handshake
  }
  MarkDirty();
}

}  // namespace atl::server
