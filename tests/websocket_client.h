#pragma once
// A WebSocket client for the integration tests (RFC 6455, client side): the HTTP/1.1 upgrade
// with a checked Sec-WebSocket-Accept, masked frames out, messages in (fragments joined; control
// frames returned as they come). Raw frames can be sent unmasked or malformed on purpose.
// Loopback only; every read has a deadline.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace atl::testing {

struct WebSocketMessage {
  uint8_t opcode = 0;  // 1 text, 2 binary, 8 close, 9 ping, 10 pong
  std::string payload;
};

class WebSocketClient {
 public:
  // Connects to 127.0.0.1:port and asks for an upgrade of GET `path` (Host: `host`).
  WebSocketClient(int port, const std::string& path, const std::string& host = "127.0.0.1");
  ~WebSocketClient();
  WebSocketClient(WebSocketClient&& other) noexcept;
  WebSocketClient(const WebSocketClient&) = delete;
  WebSocketClient& operator=(const WebSocketClient&) = delete;

  // True once the server answered 101 with the right Sec-WebSocket-Accept.
  bool open() const { return open_; }
  // The server's answer to the upgrade request (status line and headers; the body of a refusal).
  const std::string& handshake() const { return handshake_; }

  bool SendText(const std::string& text) { return SendFrame(1, text); }
  bool SendBinary(const std::string& bytes) { return SendFrame(2, bytes); }
  // One frame; `mask` false sends it unmasked (a protocol error from a client).
  bool SendFrame(uint8_t opcode, const std::string& payload, bool fin = true, bool mask = true);
  bool SendRaw(const std::string& bytes);
  // A close frame with `code` (and reason).
  bool Close(uint16_t code = 1000, const std::string& reason = "");

  // The next message, or nullopt on timeout or when the connection ended.
  std::optional<WebSocketMessage> Read(std::chrono::milliseconds timeout = std::chrono::seconds(5));
  // True if the server closed the TCP connection within `timeout` (frames before it are dropped).
  bool WaitForEof(std::chrono::milliseconds timeout = std::chrono::seconds(5));

 private:
  bool Fill(std::chrono::steady_clock::time_point deadline);
  int fd_ = -1;
  bool open_ = false;
  std::string handshake_;
  std::string buffer_;
};

// A close frame's code (0 if it has none).
uint16_t CloseCode(const WebSocketMessage& message);

}  // namespace atl::testing
