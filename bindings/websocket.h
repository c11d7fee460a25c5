#pragma once
// The native half of WebSockets (https://developers.cloudflare.com/workers/runtime-apis/websockets/),
// whose JS is lazy module websocket (js/lazy/websocket.js: WebSocketPair, WebSocket). What the
// `server` end of an accepted socket sends and closes goes to the Worker's host (the connection
// upgraded by a 101, server/websocket_hub.h); the client's events come back through
// Worker::DeliverWebSocketEvent and internal.onWebSocketEvent.
//
//   native.wsSend(socket, data, binary) -> false once the socket is closed or its client stalls
//   native.wsClose(socket, code, reason)
//   native.respond(id, 101, "", flat, null, false, true) -> the socket id (0: refused)  (fetch_dispatch.cc)

namespace atl::bindings {
class NativeScope;

void InstallWebSocket(NativeScope& scope);
}  // namespace atl::bindings
