#pragma once
// The server's side of the WebSocket opening handshake (RFC 6455 §4.2): whether a request head is
// a valid upgrade to WebSocket, and the 101 response that accepts it. No I/O.
//
//   absl::StatusOr<std::string> accept = WebSocketUpgradeAccept(head);
//   if (accept.ok()) socket.Write(WebSocketSwitchingProtocols(*accept));   // else 400/426

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "server/http_parser.h"

namespace atl::server {

// True if the request asks for a WebSocket (`Upgrade: websocket`), valid or not.
bool IsWebSocketUpgrade(const MessageHead& head);

// The Sec-WebSocket-Accept value for a valid upgrade request: GET, HTTP/1.1 or later, Upgrade
// naming websocket, Connection naming upgrade, Sec-WebSocket-Version 13 and a Sec-WebSocket-Key
// of 16 base64-encoded bytes. InvalidArgument saying what is wrong otherwise (answer 400; a wrong
// version: 426 with Sec-WebSocket-Version: 13, FailedPrecondition).
absl::StatusOr<std::string> WebSocketUpgradeAccept(const MessageHead& head);

// The 101 response head that completes the handshake.
std::string WebSocketSwitchingProtocols(std::string_view accept);

}  // namespace atl::server
