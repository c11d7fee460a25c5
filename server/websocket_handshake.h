#pragma once
// The WebSocket opening handshake (RFC 6455 §4), both sides, no I/O. Server (§4.2): whether a
// request head is a valid upgrade, and the 101 that accepts it. Client (§4.1, for an outbound
// `new WebSocket(url)`): the request head, and whether the server's answer completes it.
//
//   absl::StatusOr<std::string> accept = WebSocketUpgradeAccept(head);
//   if (accept.ok()) socket.Write(WebSocketSwitchingProtocols(*accept));   // else 400/426
//
//   std::string key = WebSocketClientKey(random16);
//   socket.Write(WebSocketClientRequest("example.com:8080", "/chat", key));
//   absl::Status ok = CheckWebSocketUpgradeResponse(response_head, key);

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

// The Sec-WebSocket-Key of a client: 16 random bytes (the caller's CSPRNG) in base64.
std::string WebSocketClientKey(std::string_view random16);

// The client's upgrade request head. host: the Host header value; target: path and query.
std::string WebSocketClientRequest(std::string_view host, std::string_view target, std::string_view key);

// OK if the server's response head accepts the upgrade made with `key` (§4.1: 101, Upgrade
// websocket, Connection upgrade, the matching Sec-WebSocket-Accept, no extension or subprotocol
// the client did not ask for: `offered` is the request's Sec-WebSocket-Protocol list);
// FailedPrecondition saying what is wrong otherwise.
absl::Status CheckWebSocketUpgradeResponse(const MessageHead& head, std::string_view key, std::string_view offered = {});

}  // namespace atl::server
