#pragma once
// The WebSocket frame codec of both ends (RFC 6455 §5, https://www.rfc-editor.org/rfc/rfc6455):
// an incremental parser that takes bytes in any split and hands its delegate whole messages
// (fragments reassembled) and control frames, and a serializer. No I/O: the connection that owns
// the socket (server/) feeds it and writes what it serializes.
//
// The parser refuses, with the close code the peer gets (RFC 6455 §7.4.1):
//   1002: RSV bits set (no extension is negotiated), unknown opcodes, a control frame that is
//         fragmented or longer than 125 bytes, a continuation with no message open or a new data
//         frame inside one, a frame masked the wrong way for its sender (clients must mask, servers
//         must not), a 64-bit length with the top bit set, a close payload of 1 byte or an invalid
//         close code;
//   1007: a text message or a close reason that is not UTF-8 (checked as the fragments arrive, so a
//         bad byte fails fast without waiting for the end of the message);
//   1009: a message whose size would pass max_message_bytes: decided from the frame header, before
//         any of its payload is stored (a header announcing 1 GB allocates nothing).
// After a close frame or a failure the parser ignores further input.
//
//   WebSocketParser parser(WebSocketRole::kServer, limits.max_message_bytes, &delegate);
//   if (!parser.Feed(bytes)) SendClose(parser.failure_code(), parser.failure_reason());
//   socket.Write(SerializeWebSocketFrame(WebSocketOpcode::kText, "hi", WebSocketRole::kServer));

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace atl::server {

// Which end of the connection this codec serves. A kServer parser reads frames sent by a client.
enum class WebSocketRole { kServer, kClient };

enum class WebSocketOpcode : uint8_t {
  kContinuation = 0x0,
  kText = 0x1,
  kBinary = 0x2,
  kClose = 0x8,
  kPing = 0x9,
  kPong = 0xA,
};

// Close codes of RFC 6455 §7.4.1 that atoll sends or reports.
namespace ws_close {
inline constexpr uint16_t kNormal = 1000;
inline constexpr uint16_t kGoingAway = 1001;
inline constexpr uint16_t kProtocolError = 1002;
inline constexpr uint16_t kUnsupportedData = 1003;
inline constexpr uint16_t kNoStatus = 1005;        // reported for a close frame without a code; never sent
inline constexpr uint16_t kAbnormal = 1006;        // reported for a connection lost without a close; never sent
inline constexpr uint16_t kInvalidPayload = 1007;
inline constexpr uint16_t kPolicyViolation = 1008;
inline constexpr uint16_t kMessageTooBig = 1009;
inline constexpr uint16_t kInternalError = 1011;
}  // namespace ws_close

// True for the codes a close frame may carry (1000-1003, 1007-1014, 3000-4999).
bool IsValidWebSocketCloseCode(uint16_t code);

// Incremental UTF-8 validator (RFC 3629: no overlongs, no surrogates, nothing past U+10FFFF) that
// keeps its state between pieces, so a message can be checked fragment by fragment.
class Utf8Validator {
 public:
  // False as soon as the bytes so far cannot begin a valid UTF-8 string.
  bool Feed(std::string_view bytes);
  // True when the bytes so far are valid and do not end inside a character.
  bool complete() const { return !failed_ && need_ == 0; }
  void Reset() { *this = Utf8Validator(); }

 private:
  uint8_t need_ = 0;                 // continuation bytes still expected
  uint8_t lo_ = 0x80, hi_ = 0xBF;    // range of the next continuation byte
  bool failed_ = false;
};

// Parses the frames one peer sends. Not thread-safe; one per connection.
class WebSocketParser {
 public:
  // What the parser found. Views are valid during the call only.
  class Delegate {
   public:
    virtual ~Delegate() = default;
    // A whole message: its fragments joined; text is valid UTF-8.
    virtual void OnWebSocketMessage(bool binary, std::string_view data) = 0;
    virtual void OnWebSocketPing(std::string_view payload) = 0;
    virtual void OnWebSocketPong(std::string_view payload) = 0;
    // A close frame: code is ws_close::kNoStatus when it carried none; reason is valid UTF-8.
    virtual void OnWebSocketClose(uint16_t code, std::string_view reason) = 0;
  };

  // role: this end; frames are expected from the other. max_message_bytes: the largest message
  // (all fragments together) accepted; larger ones fail with 1009.
  WebSocketParser(WebSocketRole role, size_t max_message_bytes, Delegate* delegate);

  // Consumes all of bytes. False once the peer broke the protocol: failure_code() is the close
  // code to answer with and failure_reason() says why (for the close reason and the logs).
  bool Feed(std::string_view bytes);

  bool failed() const { return failure_code_ != 0; }
  uint16_t failure_code() const { return failure_code_; }
  const std::string& failure_reason() const { return failure_reason_; }
  bool closed() const { return closed_; }                  // a close frame was received
  size_t buffered_bytes() const { return message_.size(); }  // the message being reassembled

 private:
  bool Fail(uint16_t code, const char* reason);
  bool OnHeader();                           // header_ is complete: checks it
  bool OnPayload(std::string_view piece);    // unmasked payload bytes of the current frame
  bool OnFrameEnd();

  const WebSocketRole role_;
  const size_t max_message_bytes_;
  Delegate* const delegate_;

  // The frame being read.
  uint8_t header_[14];
  size_t header_have_ = 0;
  size_t header_need_ = 2;
  bool fin_ = false;
  WebSocketOpcode opcode_ = WebSocketOpcode::kContinuation;
  bool masked_ = false;
  uint8_t mask_[4] = {0, 0, 0, 0};
  uint64_t payload_left_ = 0;
  uint64_t payload_done_ = 0;                // for the mask's phase
  bool in_payload_ = false;

  // The message being reassembled (data frames) and the control frame being read.
  bool message_open_ = false;
  bool message_binary_ = false;
  std::string message_;
  Utf8Validator utf8_;
  std::string control_;

  bool closed_ = false;
  uint16_t failure_code_ = 0;
  std::string failure_reason_;
};

// One frame, ready to write. kClient frames are masked with mask_key (RFC 6455 §5.3: the client
// picks a fresh unpredictable key per frame); kServer frames are not masked.
std::string SerializeWebSocketFrame(WebSocketOpcode opcode, std::string_view payload, WebSocketRole sender,
                                    bool fin = true, uint32_t mask_key = 0);

// A close frame's payload: the code, then the reason cut to fit 123 bytes (on a UTF-8 boundary).
// code ws_close::kNoStatus gives an empty payload.
std::string WebSocketClosePayload(uint16_t code, std::string_view reason);

// The Sec-WebSocket-Accept value for a client's Sec-WebSocket-Key (RFC 6455 §4.2.2):
// base64(SHA-1(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")).
std::string WebSocketAcceptKey(std::string_view client_key);

}  // namespace atl::server
