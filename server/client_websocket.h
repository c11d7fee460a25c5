#pragma once
// The outbound end of a WebSocket: a fetch() with `Upgrade: websocket` (or `new WebSocket(url)`)
// whose request the origin answered 101. The HttpClient connection that carried the upgrade keeps
// the socket and hands its bytes here (the Wire); a WebSocketSession in the client role (masked
// frames, pongs, the close handshake, the idle ping) turns them into events for the socket's
// owner in the WebSocketHub (the fetching tenant's runtime), and what the owner sends comes back
// through WebSocketPeer, as for an inbound socket.
//
//   ClientWebSocket ws(limits, &wire);          // HttpClient::Connection, once the 101 is checked
//   ws.Bind(hub, socket);                        // the socket's id in the hub (Outbound)
//   ws.OnBytes(bytes);  ws.OnWritable();  ws.OnTimer();  ws.OnTransportEnd();   // from the wire

#include <cstdint>
#include <string_view>

#include "base/limits.h"
#include "server/websocket_hub.h"
#include "server/websocket_session.h"

namespace atl::server {

class ClientWebSocket final : private WebSocketSession::Transport, private WebSocketReceiver, public WebSocketPeer {
 public:
  // The connection under the socket.
  class Wire {
   public:
    virtual ~Wire() = default;
    virtual void WireSend(std::string_view bytes) = 0;
    virtual size_t WirePending() const = 0;   // bytes sent and not yet taken by the kernel
    virtual void WireClose() = 0;             // close now (the session ended)
    virtual void WireTimer(uint64_t at_ms) = 0;  // call OnTimer at this loop time (0: no timer)
    virtual uint64_t WireNowMs() const = 0;
  };

  ClientWebSocket(const limits::WebSocketLimits& limits, Wire* wire);
  ~ClientWebSocket() override;

  // The socket's id in `hub`; its events go there from now on (none is lost before: the session
  // reads nothing until Bind).
  void Bind(WebSocketHub* hub, uint64_t socket);
  uint64_t socket() const { return socket_; }

  void OnBytes(std::string_view bytes);
  void OnWritable();
  void OnTimer();
  // The connection ended (EOF, reset, shutdown) without a close handshake: 1006.
  void OnTransportEnd();
  // The session asked for the connection to close once what was sent is written.
  bool finishing() const { return finishing_; }

  // WebSocketPeer: the owner's send() and close().
  bool PeerSend(bool binary, std::string_view data) override;
  void PeerClose(uint16_t code, std::string_view reason) override;

 private:
  // WebSocketSession::Transport
  void SendBytes(std::string bytes) override { wire_->WireSend(bytes); }
  size_t Unsent() const override { return wire_->WirePending(); }
  void Finish() override;
  void Abort() override { wire_->WireClose(); }
  // WebSocketReceiver: to the hub.
  void OnWebSocketMessage(bool binary, std::string_view data) override;
  void OnWebSocketClose(uint16_t code, std::string_view reason, bool was_clean) override;
  void OnWebSocketError(std::string_view what) override;
  void Rearm() { wire_->WireTimer(session_.NextTimerMs()); }

  Wire* wire_;
  WebSocketSession session_;
  WebSocketHub* hub_ = nullptr;
  uint64_t socket_ = 0;
  std::string early_;       // bytes that came before Bind
  bool closed_ = false;     // the close event went to the hub
  bool finishing_ = false;
  bool in_peer_call_ = false;  // inside PeerSend/PeerClose: the owner's JS is running
};

}  // namespace atl::server
