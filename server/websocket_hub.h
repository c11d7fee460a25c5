#pragma once
// Which isolate receives an open WebSocket's events, and which connection carries what it sends:
// one table per worker process, keyed by the socket id the Worker gave the socket when its handler
// answered 101 (Worker::RespondWebSocket).
//
// The receiving side is one small interface, WebSocketOwner: the tenant's runtime (the `server`
// end of a WebSocketPair in its isolate) today; a Durable Object that accepts the socket
// (ctx.acceptWebSocket, hibernation) can be another owner later (Reassign). The carrying side is
// WebSocketPeer: the upgraded client connection (HttpConnection), or an outbound socket
// (ClientWebSocket, client_websocket.h).
//
//   hub.Attach(socket, runtime);   // TenantRuntime::OnResponse, before the 101 reaches the connection
//   hub.Connect(socket, conn);     // HttpConnection::Complete, once the 101 is written
//   hub.Deliver(socket, event);    // the connection's session: a message, the close (last)
//   hub.Send(socket, ...);         // the owner's `server.send()`
#include <uv.h>

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "bindings/worker_host.h"

namespace atl::server {

// Receives a socket's events (runs the tenant's JS for them).
class WebSocketOwner {
 public:
  virtual ~WebSocketOwner() = default;
  virtual void OnWebSocketEvent(uint64_t socket, const bindings::WebSocketEventView& event) = 0;
};

// Carries a socket's frames to its client.
class WebSocketPeer {
 public:
  virtual ~WebSocketPeer() = default;
  virtual bool PeerSend(bool binary, std::string_view data) = 0;
  // 1000 or 3000-4999 (the owner's close()): the close handshake; other codes (1012 from the hub):
  // closed without waiting for the client.
  virtual void PeerClose(uint16_t code, std::string_view reason) = 0;
};

class WebSocketHub {
 public:
  explicit WebSocketHub(uv_loop_t* loop);
  ~WebSocketHub();
  // Closes the hub's handle (the loop is ending).
  void Shutdown();

  void Attach(uint64_t socket, WebSocketOwner* owner);
  // The connection took the 101: false if nobody owns `socket` any more (the connection closes it).
  bool Connect(uint64_t socket, WebSocketPeer* peer);
  // An outbound socket (fetch() with Upgrade: websocket): its events wait in the hub until
  // Release, once the owner knows the socket (the fetch's 101 reached its JS).
  void Hold(uint64_t socket);
  void Release(uint64_t socket);
  // Hands the socket's events to another owner (a Durable Object later).
  void Reassign(uint64_t socket, WebSocketOwner* owner);
  // The 101 never reached a client (gone, or not an upgrade request): the owner gets a close
  // (1006) on the next loop turn, never from inside the JS that answered.
  void Refuse(uint64_t socket);
  // An event from the connection; kClose forgets the socket.
  void Deliver(uint64_t socket, const bindings::WebSocketEventView& event);
  // The connection is gone without a close event (it was closed by the owner's going away).
  void Disconnect(uint64_t socket);
  bool Send(uint64_t socket, bool binary, std::string_view data);
  void Close(uint64_t socket, uint16_t code, std::string_view reason);
  // The owner goes away (its Worker is dropped): its sockets are closed 1012 and their events dropped.
  void DropOwner(WebSocketOwner* owner);

  size_t open() const { return sockets_.size(); }

 private:
  struct HeldEvent {
    bindings::WebSocketEventKind kind;
    std::string data;
    uint16_t code;
    bool was_clean;
  };
  struct Entry {
    WebSocketOwner* owner = nullptr;
    WebSocketPeer* peer = nullptr;
    bool held = false;
    std::deque<HeldEvent> waiting;  // while held
  };
  static void OnRefusedTimer(uv_timer_t* timer);

  absl::flat_hash_map<uint64_t, Entry> sockets_;
  std::deque<uint64_t> refused_;
  uv_timer_t timer_;
  bool closed_ = false;
};

}  // namespace atl::server
