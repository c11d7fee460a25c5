#pragma once
// The boundary between a tenant's JS and the server around it: what a Worker hands out
// (responses, script errors, limit kills) and what it asks of the event loop (timers).
// Implemented in server/; bindings never see the loop library.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "isolates/limits.h"

namespace atl::bindings {

using HeaderView = std::pair<std::string_view, std::string_view>;

// A request as the server parsed it. Views are valid for the duration of Worker::Dispatch.
struct RequestView {
  std::string_view method{};
  std::string_view url{};                 // absolute: "http://host/path?query"
  std::span<const HeaderView> headers{};  // names lower-case, in the order received
  std::string_view body{};
  bool has_body = false;
  // The body is not in `body`: it arrives later through Worker::PushUpload / EndUpload.
  bool body_streamed = false;
  // A scheduled event (cron trigger) instead of a request: the handler's scheduled(), with this
  // cron and scheduledTime (ms since the epoch); method, url and headers are not used.
  bool scheduled = false;
  std::string_view cron{};
  double scheduled_time_ms = 0;
  // A service binding's RPC call (`env.SERVICE.method(...args)`, js/lazy/fetch.js) instead of a
  // request: `body` is the serialized [method, args]; the answer's body the serialized outcome.
  // Only service calls carry it (server/outbound.cc), never a client's request.
  bool rpc = false;
  // A service call through a binding with an entrypoint (config/env_services.h): the named export
  // (a WorkerEntrypoint class) that serves it instead of the default export. Empty: the default.
  std::string_view entrypoint{};
};

// What the server knows about the connection request `id` came on, for Cloudflare's `request.cf`
// (WorkerHost::RequestCf). Views are valid only during that call; empty: unknown.
struct RequestCfView {
  std::string_view http_protocol;       // "HTTP/1.1"
  std::string_view tls_version;         // "TLSv1.3"; empty on plaintext
  std::string_view tls_cipher;          // OpenSSL's name of the suite; empty on plaintext
  int64_t client_tcp_rtt_ms = -1;       // the kernel's smoothed RTT (TCP_INFO); -1: unknown
  std::string_view edge_json;           // the trusted edge header's value, as received (not parsed)
};

// A response the handler produced. Views are valid only during WorkerHost::OnResponse.
struct ResponseView {
  int status = 200;
  std::string_view status_text;         // empty: the standard reason phrase
  std::span<const HeaderView> headers;  // validated by the Headers class; names lower-case
  std::string_view body;
  // The body is not in `body`: it follows through OnBodyChunk, then OnBodyEnd.
  bool body_streamed = false;
  // The body is to be compressed with the coding its content-encoding header names before it goes
  // out (Workers' `encodeBody: "automatic"`); false: it is sent as it is (already coded, or none).
  bool encode_body = false;
  // status 101 with `webSocket`: the id of the WebSocket the connection is upgraded to (0: none);
  // its events come back through Worker::DeliverWebSocketEvent.
  uint64_t web_socket = 0;
};

// What happens to an accepted WebSocket (Worker::DeliverWebSocketEvent; internal.onWebSocketEvent's `kind`).
enum class WebSocketEventKind { kText = 0, kBinary = 1, kClose = 2, kError = 3 };

struct WebSocketEventView {
  WebSocketEventKind kind = WebSocketEventKind::kClose;
  std::string_view data;                // kText/kBinary: the message; kClose: the reason; kError: what
  uint16_t code = 1005;                 // kClose
  bool was_clean = false;               // kClose
};

// An outbound request of fetch() (or of a service binding's fetch()). Views are valid only
// during WorkerHost::StartFetch.
struct FetchRequestView {
  std::string_view service;             // non-empty: the env name of a service binding
  std::string_view method;
  std::string_view url;                 // absolute, serialized
  bool https = false;
  std::string_view host;                // URL host (IPv6 in brackets), lower-case
  uint16_t port = 80;
  std::string_view target;              // path and query
  std::span<const HeaderView> headers;
  std::string_view body;
  bool body_streamed = false;           // the body follows through WorkerHost::FetchWrite
  int64_t body_length = -1;             // streamed: its known length (content-length), or -1 (chunked)
  uint64_t request = 0;                 // the request the call is charged to (set by Worker::StartFetch)
  // A TCP socket of cloudflare:sockets' connect() instead of an HTTP request: to host:port, TLS
  // from the start when `https` (checked for `tls_name`, or host); method, url, target, headers
  // and body are not used. Writes are its bytes (the end: a FIN), events its bytes back.
  bool socket = false;
  std::string_view tls_name;
};

// What happens to a fetch (Worker::DeliverFetchEvent; internal.onFetchEvent's `kind`). A socket
// (FetchRequestView::socket): kHead when it opened (and when a TLS handshake ended; status_text
// the peer's address), kPeerEnd when the peer sent no more (writes go on), kEnd once both sides
// ended.
enum class FetchEventKind { kHead = 0, kChunk = 1, kEnd = 2, kError = 3, kDrain = 4, kPeerEnd = 5 };

struct FetchEventView {
  FetchEventKind kind = FetchEventKind::kEnd;
  int status = 0;                       // kHead
  std::string_view status_text;         // kHead
  std::span<const HeaderView> headers;  // kHead, names lower-case
  std::string_view data;                // kChunk: bytes; kError: the TypeError's message
  uint64_t web_socket = 0;              // kHead of a fetch answered 101 with a WebSocket: its socket id
};

class WorkerHost {
 public:
  virtual ~WorkerHost() = default;
  // Request `id` is answered. Called at most once per id, from inside Dispatch or a timer.
  virtual void OnResponse(uint64_t id, const ResponseView& response) = 0;
  // Request `id` failed in the script (500 script_error); `message` is for the log only.
  virtual void OnScriptError(uint64_t id, std::string_view message) = 0;
  // Arms timer `key` to fire after `delay_ms` (every `delay_ms` when `repeat`), then
  // Worker::FireTimer(key). Arming an armed key re-arms it.
  virtual void SetTimer(uint64_t key, double delay_ms, bool repeat) = 0;
  virtual void ClearTimer(uint64_t key) = 0;
  // A limit stopped the isolate: the Worker is dead and answers nothing more. The host fails
  // the requests still in flight on it (Worker::InflightIds) and drops the Worker later, not
  // from inside this call.
  virtual void OnKilled(isolates::LimitKind why) = 0;

  // Streamed bodies (the defaults refuse them, for hosts that never stream).
  // Request `id` is answered with a head whose body follows (ResponseView::body_streamed): false
  // if nobody waits for it any more (the Worker then cancels the body stream).
  virtual bool OnStreamedResponse(uint64_t id, const ResponseView& response) { return false; }
  // A chunk of request `id`'s streamed response body. False: the client is not keeping up (or is
  // gone); the Worker writes no more until Worker::ResumeResponse(id).
  virtual bool OnBodyChunk(uint64_t id, std::string_view bytes) { return false; }
  // The streamed response body of `id` ended: `complete`, or cut short by an error.
  virtual void OnBodyEnd(uint64_t id, bool complete) {}
  // The handler wants more of request `id`'s streamed body (`cancel` false: read the socket
  // again), or none of the rest (`cancel`: discard it).
  virtual void OnUploadControl(uint64_t id, bool cancel) {}

  // request.cf of request `id` (read lazily, on the handler's first `request.cf`): false when the
  // request is no longer in flight on a client connection (a service-binding call, or answered).
  virtual bool RequestCf(uint64_t id, RequestCfView* out) { return false; }
  // Whether the client of request `id` takes a body coded with `coding` ("gzip", "br": its
  // Accept-Encoding). True when nobody narrower asks (a service-binding caller's fetch decodes).
  virtual bool AcceptsCoding(uint64_t id, std::string_view coding) { return true; }

  // Outbound fetch (the defaults refuse it). Starts fetch `fetch` (an id the Worker chose, unique
  // in the isolate); its events come back later, never from inside this call, through
  // Worker::DeliverFetchEvent. False with `error` set: refused at once (a TypeError).
  virtual bool StartFetch(uint64_t fetch, const FetchRequestView& request, std::string* error) {
    *error = "fetch() is not available here";
    return false;
  }
  // A chunk of a streamed request body (`end`: its end). False: wait for a kDrain event.
  virtual bool FetchWrite(uint64_t fetch, std::string_view bytes, bool end) { return false; }
  // The response body stream wants more (`cancel` false), or the fetch is cancelled (no more events).
  virtual void FetchControl(uint64_t fetch, bool cancel) {}
  // A socket's startTls(): TLS over its connection once what was written went out, the peer's
  // certificate checked for `name`; a kHead event follows the handshake. False with `error`.
  virtual bool SocketStartTls(uint64_t fetch, std::string_view name, std::string* error) {
    *error = "startTls() is not available here";
    return false;
  }

  // WebSockets (the defaults drop what is sent). A message from the `server` end of socket
  // `socket` to its client; false: the socket is closed or its client is not reading.
  virtual bool WebSocketSend(uint64_t socket, bool binary, std::string_view data) { return false; }
  // The `server` end starts the close handshake (code 1000 or 3000-4999, reason <= 123 bytes).
  virtual void WebSocketClose(uint64_t socket, uint16_t code, std::string_view reason) {}
};

}  // namespace atl::bindings
