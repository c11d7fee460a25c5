// ClientWebSocket (client_websocket.h): an outbound socket's session, between its connection and the hub.
#include "server/client_websocket.h"

namespace atl::server {

ClientWebSocket::ClientWebSocket(const limits::WebSocketLimits& limits, Wire* wire)
    : wire_(wire),
      session_(limits, static_cast<WebSocketSession::Transport*>(this), static_cast<WebSocketReceiver*>(this),
               wire->WireNowMs(), WebSocketRole::kClient) {}

ClientWebSocket::~ClientWebSocket() {
  // The connection is gone: the owner hears the socket closed, if it has not yet.
  if (!closed_ && hub_ != nullptr) OnWebSocketClose(1006, "", false);
}

void ClientWebSocket::Bind(WebSocketHub* hub, uint64_t socket) {
  hub_ = hub;
  socket_ = socket;
  Rearm();
  if (!early_.empty()) {
    std::string early;
    early.swap(early_);
    OnBytes(early);
  }
}

void ClientWebSocket::OnBytes(std::string_view bytes) {
  if (hub_ == nullptr) {
    early_.append(bytes);
    return;
  }
  session_.OnBytes(bytes, wire_->WireNowMs());
  Rearm();
}

void ClientWebSocket::OnWritable() { session_.OnWritable(); }

void ClientWebSocket::OnTimer() {
  session_.OnTimer(wire_->WireNowMs());
  Rearm();
}

void ClientWebSocket::OnTransportEnd() { session_.OnTransportEnd(); }

void ClientWebSocket::Finish() {
  finishing_ = true;
  if (wire_->WirePending() == 0) wire_->WireClose();
}

bool ClientWebSocket::PeerSend(bool binary, std::string_view data) {
  in_peer_call_ = true;
  bool sent = session_.Send(binary, data).ok();
  in_peer_call_ = false;
  Rearm();
  return sent;
}

void ClientWebSocket::PeerClose(uint16_t code, std::string_view reason) {
  in_peer_call_ = true;
  if (code == 1000 || (code >= 3000 && code <= 4999)) {
    (void)session_.Close(code, reason, wire_->WireNowMs());
  } else {
    session_.Shutdown(code, reason);
  }
  in_peer_call_ = false;
  Rearm();
}

void ClientWebSocket::OnWebSocketMessage(bool binary, std::string_view data) {
  bindings::WebSocketEventView event;
  event.kind = binary ? bindings::WebSocketEventKind::kBinary : bindings::WebSocketEventKind::kText;
  event.data = data;
  hub_->Deliver(socket_, event);
}

void ClientWebSocket::OnWebSocketClose(uint16_t code, std::string_view reason, bool was_clean) {
  if (closed_ || hub_ == nullptr) return;
  closed_ = true;
  if (in_peer_call_) {
    // Inside the owner's own send()/close() (its JS is running): its close event comes on the
    // next loop turn instead (1006), never from inside that call.
    hub_->Refuse(socket_);
    return;
  }
  bindings::WebSocketEventView event;
  event.kind = bindings::WebSocketEventKind::kClose;
  event.code = code;
  event.data = reason;
  event.was_clean = was_clean;
  hub_->Deliver(socket_, event);  // forgets the socket
}

void ClientWebSocket::OnWebSocketError(std::string_view what) {
  if (in_peer_call_) return;
  bindings::WebSocketEventView event;
  event.kind = bindings::WebSocketEventKind::kError;
  event.data = what;
  hub_->Deliver(socket_, event);
}

}  // namespace atl::server
