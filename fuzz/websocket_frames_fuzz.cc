// libFuzzer: the RFC 6455 frame parser (server/websocket_codec.h) in both roles, fed in pieces;
// checks that what it delivers keeps its promises (text and close reasons are valid UTF-8, no
// message over the limit, nothing after a failure) and that a message it delivers serializes
// back into frames it parses again.
#include <cstdlib>
#include <string>
#include <string_view>

#include "server/websocket_codec.h"

namespace {

using atl::server::WebSocketOpcode;
using atl::server::WebSocketParser;
using atl::server::WebSocketRole;

constexpr size_t kMaxMessage = 64 * 1024;

bool ValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    uint32_t cp = n == 1 ? c : n == 2 ? (c & 0x1f) : n == 3 ? (c & 0x0f) : (c & 0x07);
    for (size_t k = 1; k < n; ++k) {
      unsigned char cc = static_cast<unsigned char>(s[i + k]);
      if ((cc >> 6) != 2) return false;
      cp = (cp << 6) | (cc & 0x3f);
    }
    if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
        (cp >= 0xd800 && cp <= 0xdfff)) {
      return false;
    }
    i += n;
  }
  return true;
}

class Checker : public WebSocketParser::Delegate {
 public:
  void OnWebSocketMessage(bool binary, std::string_view data) override {
    if (data.size() > kMaxMessage) abort();
    if (!binary && !ValidUtf8(data)) abort();
    last_ = std::string(data);
    last_binary_ = binary;
    ++messages_;
  }
  void OnWebSocketPing(std::string_view payload) override {
    if (payload.size() > 125) abort();
  }
  void OnWebSocketPong(std::string_view payload) override {
    if (payload.size() > 125) abort();
  }
  void OnWebSocketClose(uint16_t code, std::string_view reason) override {
    if (!ValidUtf8(reason)) abort();
  }
  std::string last_;
  bool last_binary_ = false;
  size_t messages_ = 0;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  WebSocketRole role = (data[0] & 1) ? WebSocketRole::kClient : WebSocketRole::kServer;
  size_t step = 1 + (data[0] >> 1);
  std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
  Checker checker;
  WebSocketParser parser(role, kMaxMessage, &checker);
  while (!input.empty()) {
    std::string_view piece = input.substr(0, step);
    input.remove_prefix(piece.size());
    if (!parser.Feed(piece)) {
      if (parser.failure_code() < 1000 || parser.failure_code() > 1011) abort();
      break;
    }
  }
  if (checker.messages_ > 0) {
    // Round trip: the last message, sent by the other side, parses back to itself.
    WebSocketRole sender = role == WebSocketRole::kServer ? WebSocketRole::kClient : WebSocketRole::kServer;
    std::string frame = atl::server::SerializeWebSocketFrame(
        checker.last_binary_ ? WebSocketOpcode::kBinary : WebSocketOpcode::kText, checker.last_, sender, true, 0x5a5a5a5a);
    Checker again;
    WebSocketParser reparse(role, kMaxMessage, &again);
    std::string expected = checker.last_;
    if (!reparse.Feed(frame) || again.messages_ != 1 || again.last_ != expected) abort();
  }
  return 0;
}
