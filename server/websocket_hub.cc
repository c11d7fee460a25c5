// WebSocketHub (websocket_hub.h): the socket id -> (owner, peer) table of a worker process.
#include "server/websocket_hub.h"

#include <vector>

namespace atl::server {

WebSocketHub::WebSocketHub(uv_loop_t* loop) {
  uv_timer_init(loop, &timer_);
  timer_.data = this;
}

WebSocketHub::~WebSocketHub() { Shutdown(); }

void WebSocketHub::Shutdown() {
  if (closed_) return;
  closed_ = true;
  uv_timer_stop(&timer_);
  uv_close(reinterpret_cast<uv_handle_t*>(&timer_), nullptr);
}

void WebSocketHub::Attach(uint64_t socket, WebSocketOwner* owner) { sockets_[socket].owner = owner; }

bool WebSocketHub::Connect(uint64_t socket, WebSocketPeer* peer) {
  auto it = sockets_.find(socket);
  if (it == sockets_.end() || it->second.owner == nullptr) return false;
  it->second.peer = peer;
  return true;
}

void WebSocketHub::Hold(uint64_t socket) { sockets_[socket].held = true; }

void WebSocketHub::Release(uint64_t socket) {
  auto it = sockets_.find(socket);
  if (it == sockets_.end()) return;
  it->second.held = false;
  std::deque<HeldEvent> waiting;
  waiting.swap(it->second.waiting);
  for (const HeldEvent& held : waiting) {
    bindings::WebSocketEventView event;
    event.kind = held.kind;
    event.data = held.data;
    event.code = held.code;
    event.was_clean = held.was_clean;
    Deliver(socket, event);  // the close (last) forgets the socket
  }
}

void WebSocketHub::Reassign(uint64_t socket, WebSocketOwner* owner) {
  auto it = sockets_.find(socket);
  if (it != sockets_.end()) it->second.owner = owner;
}

void WebSocketHub::Refuse(uint64_t socket) {
  auto it = sockets_.find(socket);
  if (it == sockets_.end() || closed_) return;
  it->second.peer = nullptr;
  refused_.push_back(socket);
  uv_timer_start(&timer_, OnRefusedTimer, 0, 0);
}

void WebSocketHub::OnRefusedTimer(uv_timer_t* timer) {
  auto* self = static_cast<WebSocketHub*>(timer->data);
  std::deque<uint64_t> refused;
  refused.swap(self->refused_);
  for (uint64_t socket : refused) {
    bindings::WebSocketEventView close;
    close.kind = bindings::WebSocketEventKind::kClose;
    close.code = 1006;
    self->Deliver(socket, close);
  }
}

void WebSocketHub::Deliver(uint64_t socket, const bindings::WebSocketEventView& event) {
  auto it = sockets_.find(socket);
  if (it == sockets_.end()) return;
  if (it->second.held) {
    it->second.waiting.push_back({event.kind, std::string(event.data), event.code, event.was_clean});
    return;
  }
  WebSocketOwner* owner = it->second.owner;
  if (event.kind == bindings::WebSocketEventKind::kClose) sockets_.erase(it);
  if (owner != nullptr) owner->OnWebSocketEvent(socket, event);
}

void WebSocketHub::Disconnect(uint64_t socket) { sockets_.erase(socket); }

bool WebSocketHub::Send(uint64_t socket, bool binary, std::string_view data) {
  auto it = sockets_.find(socket);
  return it != sockets_.end() && it->second.peer != nullptr && it->second.peer->PeerSend(binary, data);
}

void WebSocketHub::Close(uint64_t socket, uint16_t code, std::string_view reason) {
  auto it = sockets_.find(socket);
  if (it != sockets_.end() && it->second.peer != nullptr) it->second.peer->PeerClose(code, reason);
}

void WebSocketHub::DropOwner(WebSocketOwner* owner) {
  std::vector<uint64_t> owned;
  for (auto& [socket, entry] : sockets_) {
    if (entry.owner != owner) continue;
    entry.owner = nullptr;
    owned.push_back(socket);
  }
  for (uint64_t socket : owned) {
    auto it = sockets_.find(socket);
    if (it != sockets_.end() && it->second.peer != nullptr) it->second.peer->PeerClose(1012, "service restart");
  }
}

}  // namespace atl::server
