// One open WebSocket's protocol obligations: see websocket_session.h.
#include "server/websocket_session.h"

#include <openssl/rand.h>

#include <algorithm>

namespace atl::server {

std::string WebSocketSession::Frame(WebSocketOpcode opcode, std::string_view payload) const {
  uint32_t mask = 0;
  // A client masks every frame with a fresh unpredictable key (RFC 6455 §5.3).
  if (role_ == WebSocketRole::kClient) RAND_bytes(reinterpret_cast<unsigned char*>(&mask), sizeof(mask));
  return SerializeWebSocketFrame(opcode, payload, role_, true, mask);
}

WebSocketSession::WebSocketSession(const limits::WebSocketLimits& limits, Transport* transport,
                                   WebSocketReceiver* receiver, uint64_t now_ms, WebSocketRole role)
    : limits_(limits),
      transport_(transport),
      receiver_(receiver),
      role_(role),
      parser_(role, limits.max_message_bytes, this),
      last_input_ms_(now_ms) {}

void WebSocketSession::OnBytes(std::string_view bytes, uint64_t now_ms) {
  if (state_ == State::kClosed) return;
  last_input_ms_ = now_ms;
  ping_sent_ = false;
  if (parser_.Feed(bytes)) return;
  // The peer broke the protocol: say why in a close frame, then drop the connection (§7.1.7).
  uint16_t code = parser_.failure_code();
  std::string reason = parser_.failure_reason();
  if (state_ == State::kOpen) {
    transport_->SendBytes(
        Frame(WebSocketOpcode::kClose, WebSocketClosePayload(code, reason)));
  }
  if (receiver_) receiver_->OnWebSocketError(reason);
  Finish(code, reason, false, false);
}

void WebSocketSession::OnWebSocketMessage(bool binary, std::string_view data) {
  if (state_ == State::kOpen && receiver_) receiver_->OnWebSocketMessage(binary, data);
}

void WebSocketSession::OnWebSocketPing(std::string_view payload) {
  if (state_ != State::kOpen) return;
  // Only the latest ping needs an answer (§5.5.3): while output waits, one pong waits with it.
  if (transport_->Unsent() > 0) {
    pending_pong_ = std::string(payload);
    return;
  }
  ++pongs_sent_;
  transport_->SendBytes(Frame(WebSocketOpcode::kPong, payload));
}

void WebSocketSession::OnWritable() {
  if (!pending_pong_ || state_ != State::kOpen || transport_->Unsent() > 0) return;
  ++pongs_sent_;
  transport_->SendBytes(Frame(WebSocketOpcode::kPong, *pending_pong_));
  pending_pong_.reset();
}

void WebSocketSession::OnWebSocketClose(uint16_t code, std::string_view reason) {
  if (state_ == State::kOpen) {
    // The peer closes first: echo its code (§5.5.1), then the connection ends once written.
    transport_->SendBytes(
        Frame(WebSocketOpcode::kClose, WebSocketClosePayload(code, "")));
  }
  Finish(code, reason, true, false);
}

void WebSocketSession::OnTransportEnd() {
  if (state_ == State::kClosed) return;
  Finish(ws_close::kAbnormal, "", false, true);
}

void WebSocketSession::Finish(uint16_t code, std::string_view reason, bool was_clean, bool abort) {
  if (state_ == State::kClosed) return;
  state_ = State::kClosed;
  pending_pong_.reset();
  std::string why(reason);  // reason may point into the parser's buffer
  if (receiver_) receiver_->OnWebSocketClose(code, why, was_clean);
  if (abort) {
    transport_->Abort();
  } else {
    transport_->Finish();
  }
}

uint64_t WebSocketSession::NextTimerMs() const {
  if (state_ == State::kClosed) return 0;
  if (state_ == State::kClosing) return close_deadline_ms_;
  uint64_t next = 0;
  auto consider = [&next](uint64_t at) { next = next == 0 ? at : std::min(next, at); };
  if (limits_.ping_interval_ms > 0 && !ping_sent_) consider(last_input_ms_ + limits_.ping_interval_ms);
  if (limits_.idle_timeout_ms > 0) consider(last_input_ms_ + limits_.idle_timeout_ms);
  return next;
}

void WebSocketSession::OnTimer(uint64_t now_ms) {
  if (state_ == State::kClosing) {
    if (now_ms >= close_deadline_ms_) Finish(ws_close::kAbnormal, "no close frame from the peer", false, true);
    return;
  }
  if (state_ != State::kOpen) return;
  uint64_t idle = now_ms - last_input_ms_;
  if (limits_.idle_timeout_ms > 0 && idle >= limits_.idle_timeout_ms) {
    transport_->SendBytes(Frame(WebSocketOpcode::kClose, WebSocketClosePayload(ws_close::kGoingAway, "idle timeout")));
    Finish(ws_close::kGoingAway, "idle timeout", false, false);
    return;
  }
  if (limits_.ping_interval_ms > 0 && !ping_sent_ && idle >= limits_.ping_interval_ms) {
    ping_sent_ = true;
    transport_->SendBytes(Frame(WebSocketOpcode::kPing, ""));
  }
}

absl::Status WebSocketSession::Send(bool binary, std::string_view data) {
  if (state_ != State::kOpen) return absl::FailedPreconditionError("WebSocket is closing or closed");
  if (transport_->Unsent() + data.size() > limits_.max_buffered_output) {
    if (receiver_) receiver_->OnWebSocketError("the peer is not reading");
    Finish(ws_close::kAbnormal, "the peer is not reading", false, true);
    return absl::ResourceExhaustedError("WebSocket peer is not reading what is sent");
  }
  transport_->SendBytes(Frame(binary ? WebSocketOpcode::kBinary : WebSocketOpcode::kText, data));
  return absl::OkStatus();
}

absl::Status WebSocketSession::Close(uint16_t code, std::string_view reason, uint64_t now_ms) {
  if (code != ws_close::kNormal && (code < 3000 || code > 4999)) {
    return absl::InvalidArgumentError("close code must be 1000 or in 3000-4999");
  }
  if (reason.size() > 123) return absl::InvalidArgumentError("close reason longer than 123 bytes");
  Utf8Validator utf8;
  if (!utf8.Feed(reason) || !utf8.complete()) return absl::InvalidArgumentError("close reason is not UTF-8");
  if (state_ != State::kOpen) return absl::OkStatus();  // closing twice does nothing (WHATWG)
  transport_->SendBytes(
      Frame(WebSocketOpcode::kClose, WebSocketClosePayload(code, reason)));
  state_ = State::kClosing;
  pending_pong_.reset();
  close_deadline_ms_ = now_ms + limits_.close_timeout_ms;
  return absl::OkStatus();
}

void WebSocketSession::Shutdown(uint16_t code, std::string_view reason) {
  if (state_ == State::kClosed) return;
  if (state_ == State::kOpen) {
    transport_->SendBytes(
        Frame(WebSocketOpcode::kClose, WebSocketClosePayload(code, reason)));
  }
  Finish(code, reason, false, false);
}

}  // namespace atl::server
