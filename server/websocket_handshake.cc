// The WebSocket opening handshake (RFC 6455 §4.2.1, §4.2.2): see websocket_handshake.h.
#include "server/websocket_handshake.h"

#include "absl/strings/escaping.h"
#include "base/strings.h"
#include "server/websocket_codec.h"

namespace atl::server {
namespace {

// True if the comma-separated header value lists `token` (case-insensitive).
bool ListsToken(std::string_view value, std::string_view token) {
  for (std::string_view part : base::Split(value, ',')) {
    if (base::EqualsIgnoreCase(base::StripAsciiWhitespace(part), token)) return true;
  }
  return false;
}

}  // namespace

bool IsWebSocketUpgrade(const MessageHead& head) {
  for (const auto& [name, value] : head.headers) {
    if (name == "upgrade" && ListsToken(value, "websocket")) return true;
  }
  return false;
}

absl::StatusOr<std::string> WebSocketUpgradeAccept(const MessageHead& head) {
  if (head.method != "GET") return absl::InvalidArgumentError("WebSocket upgrade must be a GET");
  if (head.http_major < 1 || (head.http_major == 1 && head.http_minor < 1)) {
    return absl::InvalidArgumentError("WebSocket upgrade needs HTTP/1.1");
  }
  bool upgrade = false, connection = false;
  std::string_view version, key;
  for (const auto& [name, value] : head.headers) {
    if (name == "upgrade") upgrade = upgrade || ListsToken(value, "websocket");
    if (name == "connection") connection = connection || ListsToken(value, "upgrade");
    if (name == "sec-websocket-version") version = value;
    if (name == "sec-websocket-key") key = value;
  }
  if (!upgrade) return absl::InvalidArgumentError("no Upgrade: websocket");
  if (!connection) return absl::InvalidArgumentError("no Connection: upgrade");
  if (base::StripAsciiWhitespace(version) != "13") {
    return absl::FailedPreconditionError("Sec-WebSocket-Version must be 13");
  }
  key = base::StripAsciiWhitespace(key);
  std::string raw;
  if (key.size() != 24 || !absl::Base64Unescape(absl::string_view(key.data(), key.size()), &raw) || raw.size() != 16) {
    return absl::InvalidArgumentError("Sec-WebSocket-Key is not 16 bytes in base64");
  }
  return WebSocketAcceptKey(key);
}

std::string WebSocketSwitchingProtocols(std::string_view accept) {
  std::string out = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ";
  out.append(accept);
  out += "\r\n\r\n";
  return out;
}

}  // namespace atl::server
