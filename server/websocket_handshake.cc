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

std::string WebSocketClientKey(std::string_view random16) {
  return absl::Base64Escape(absl::string_view(random16.data(), random16.size()));
}

std::string WebSocketClientRequest(std::string_view host, std::string_view target, std::string_view key) {
  std::string out = "GET ";
  out.append(target.empty() ? "/" : target);
  out += " HTTP/1.1\r\nHost: ";
  out.append(host);
  out += "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ";
  out.append(key);
  out += "\r\n\r\n";
  return out;
}

absl::Status CheckWebSocketUpgradeResponse(const MessageHead& head, std::string_view key, std::string_view offered) {
  if (head.status != 101) return absl::FailedPreconditionError("WebSocket upgrade refused: status " + std::to_string(head.status));
  bool upgrade = false, connection = false;
  std::string_view accept;
  for (const auto& [name, value] : head.headers) {
    if (name == "upgrade") upgrade = upgrade || ListsToken(value, "websocket");
    if (name == "connection") connection = connection || ListsToken(value, "upgrade");
    if (name == "sec-websocket-accept") accept = base::StripAsciiWhitespace(value);
    if (name == "sec-websocket-protocol" && ListsToken(offered, base::StripAsciiWhitespace(value))) continue;
    if (name == "sec-websocket-extensions" || name == "sec-websocket-protocol") {
      return absl::FailedPreconditionError("WebSocket server chose " + name + " the client did not offer");
    }
  }
  if (!upgrade) return absl::FailedPreconditionError("WebSocket upgrade response without Upgrade: websocket");
  if (!connection) return absl::FailedPreconditionError("WebSocket upgrade response without Connection: upgrade");
  if (accept != WebSocketAcceptKey(key)) return absl::FailedPreconditionError("wrong Sec-WebSocket-Accept");
  return absl::OkStatus();
}

}  // namespace atl::server
