#pragma once
// One open WebSocket after the handshake (RFC 6455 §5-§7): the frame codec plus the protocol's
// obligations that are nobody's business above it — pongs, the close handshake both ways, the idle
// ping and timeout, and bounds on what a hostile peer can make it hold. No libuv: the connection
// that owns the socket feeds it bytes and time and gives it a Transport to write to.
//
// Which code receives the socket's events is one small interface, WebSocketReceiver: the `server`
// end of a Worker's WebSocketPair in the tenant's isolate today; a Durable Object that accepted the
// socket (ctx.acceptWebSocket) can take it over later with set_receiver().
//
// Hostile peers cost only their own connection: frames that break the protocol close it (1002,
// 1007, 1009 from the codec, decided before anything large is stored); pings are answered with at
// most one pong waiting while output is unsent (a ping flood coalesces); a peer that does not read
// what is sent to it is dropped once max_buffered_output bytes wait.
//
//   WebSocketSession session(limits, &transport, &receiver);
//   session.OnBytes(bytes, now_ms);        // from the socket
//   session.OnWritable();                  // the socket took what was sent
//   session.OnTimer(now_ms);               // at session.NextTimerMs(now_ms)
//   session.Send(false, "hi", now_ms);  session.Close(1000, "bye", now_ms);   // from the receiver

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "base/limits.h"
#include "server/websocket_codec.h"

namespace atl::server {

// Who receives one socket's events (the `server` end's message/close/error in Workers terms).
class WebSocketReceiver {
 public:
  virtual ~WebSocketReceiver() = default;
  virtual void OnWebSocketMessage(bool binary, std::string_view data) = 0;
  // The socket is closed: by a close handshake (`was_clean`), or not (1006, or the code atoll sent
  // because the peer broke the protocol or went idle). The last event.
  virtual void OnWebSocketClose(uint16_t code, std::string_view reason, bool was_clean) = 0;
  // Something went wrong (before the close event that follows it).
  virtual void OnWebSocketError(std::string_view what) = 0;
};

class WebSocketSession : private WebSocketParser::Delegate {
 public:
  // Where the session's bytes go: the connection's socket.
  class Transport {
   public:
    virtual ~Transport() = default;
    virtual void SendBytes(std::string bytes) = 0;
    virtual size_t Unsent() const = 0;   // bytes sent and not yet taken by the socket
    virtual void Finish() = 0;           // close the connection once what was sent is written
    virtual void Abort() = 0;            // close it now
  };

  enum class State { kOpen, kClosing, kClosed };  // kClosing: our close frame is out, the peer's awaited

  // role kClient: the outbound end (fetch() with Upgrade: websocket), whose frames are masked.
  WebSocketSession(const limits::WebSocketLimits& limits, Transport* transport, WebSocketReceiver* receiver,
                   uint64_t now_ms, WebSocketRole role = WebSocketRole::kServer);

  // Hands the socket's events to another receiver (e.g. a Durable Object); null: drop them.
  void set_receiver(WebSocketReceiver* receiver) { receiver_ = receiver; }
  State state() const { return state_; }

  // The peer's bytes.
  void OnBytes(std::string_view bytes, uint64_t now_ms);
  // The transport took its output: a coalesced pong may go now.
  void OnWritable();
  // The connection ended without a close handshake (EOF, reset).
  void OnTransportEnd();
  // Idle ping, idle timeout, close timeout. The next call is due at NextTimerMs (0: none).
  void OnTimer(uint64_t now_ms);
  uint64_t NextTimerMs() const;

  // From the receiver. FailedPrecondition once closing; ResourceExhausted (and the connection
  // dropped) if the peer has not taken max_buffered_output bytes.
  absl::Status Send(bool binary, std::string_view data);
  // Starts the close handshake. code: 1000 or 3000-4999 (as the WHATWG API), reason <= 123 bytes.
  absl::Status Close(uint16_t code, std::string_view reason, uint64_t now_ms);

  // The server ends the socket without waiting for the peer's close (its owner went away: 1012,
  // 1011): a close frame with `code`, then the connection ends once it is written.
  void Shutdown(uint16_t code, std::string_view reason);

  uint64_t pongs_sent() const { return pongs_sent_; }

 private:
  void OnWebSocketMessage(bool binary, std::string_view data) override;
  void OnWebSocketPing(std::string_view payload) override;
  void OnWebSocketPong(std::string_view payload) override {}
  void OnWebSocketClose(uint16_t code, std::string_view reason) override;
  // One frame as this end sends it (masked by a client).
  std::string Frame(WebSocketOpcode opcode, std::string_view payload) const;
  // Ends the session: the receiver's last event, then the transport closes.
  void Finish(uint16_t code, std::string_view reason, bool was_clean, bool abort);

  const limits::WebSocketLimits limits_;
  Transport* const transport_;
  WebSocketReceiver* receiver_;
  const WebSocketRole role_;
  WebSocketParser parser_;
  State state_ = State::kOpen;
  uint64_t last_input_ms_;
  uint64_t close_deadline_ms_ = 0;
  bool ping_sent_ = false;                     // the idle ping since the last input
  std::optional<std::string> pending_pong_;    // the latest ping's payload, while output waits
  uint64_t pongs_sent_ = 0;
};

}  // namespace atl::server
