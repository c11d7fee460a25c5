#pragma once
// The HTTP/1.1 client behind fetch(): libuv sockets (StreamSocket), the shared codec
// (http_parser.h) for responses, TlsSession's client mode for https (the system CA store, SNI
// and hostname verification), DNS through DnsLookup (dns_lookup.h), a keep-alive pool per origin
// for the whole process. Every address is checked by the SSRF guard (ssrf_guard.h) after
// resolution; no connection is ever opened to a refused one. Bodies stream
// both ways with bounds (isolates/limits.h FetchLimits): the response is read no faster than the
// sink takes it, and a streamed request body is accepted no faster than the socket takes it.
//
//   HttpClient client(loop, limits);
//   HttpClient::Exchange* x = client.Start(std::move(request), &sink);   // events go to `sink`
//   client.Write(x, chunk); client.EndBody(x);   // a streamed request body
//   client.Resume(x);                             // after sink.OnChunk answered false
//   client.Cancel(x);                             // no more events; the connection is closed
// After OnEnd or OnError the exchange is gone: do not use it.

#include <uv.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "base/limits.h"
#include "isolates/limits.h"

namespace atl::server {

class TlsClientContext;

struct OutboundRequest {
  std::string method = "GET";
  bool https = false;
  std::string host;    // lower-case; an IPv6 literal in brackets ("[::1]")
  uint16_t port = 80;
  std::string target;  // path and query ("/a?b"); or an absolute URL (a forward, isolation.h)
  std::string host_header;  // non-empty: the Host line's value instead of host[:port]
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  bool body_streamed = false;  // the body follows through Write/EndBody (chunked)
  // A streamed body of known length (>= 0): sent with content-length and no chunk framing, as
  // Workers sends an incoming request body proxied on; bytes past it are never sent, and the
  // connection is reused only when exactly this many went out.
  int64_t body_length = -1;
  // `Upgrade: websocket` on a GET: the client's opening handshake (its own key; a 101 is checked
  // and the connection becomes a ClientWebSocket given to FetchSink::OnWebSocket).
  bool websocket = false;
  std::vector<std::string> outbound;  // the tenant's allowed host patterns
  std::string tenant;                 // for the log
};

class ClientWebSocket;

class FetchSink {
 public:
  virtual ~FetchSink() = default;
  // A websocket request was answered 101 and the handshake checked: the exchange ends here and
  // `socket` (owned by the connection, alive until its close event) carries the frames. The
  // default closes the socket and reports the head and an end as for any response.
  virtual void OnWebSocket(int status, std::string_view status_text,
                           const std::vector<std::pair<std::string, std::string>>& headers, ClientWebSocket* socket);
  virtual void OnHead(int status, std::string_view status_text,
                      const std::vector<std::pair<std::string, std::string>>& headers) = 0;
  // False: the client stops reading until HttpClient::Resume.
  virtual bool OnChunk(std::string_view bytes) = 0;
  virtual void OnEnd() = 0;
  // `message` is the TypeError's (a refusal names the guard's rule).
  virtual void OnError(const std::string& message) = 0;
  // A streamed request body may be written again (after Write answered false).
  virtual void OnDrain() = 0;
  // A socket (socket_client.h): the peer sent its FIN; the connection still takes writes.
  virtual void OnPeerEnd() {}
};

// The client: the pool per origin, DNS and the SSRF checks (http_client.cc); one exchange's
// connection is in http_client_connection.{h,cc}.
class HttpClient {
 public:
  struct Exchange;    // http_client_connection.h
  class Connection;   // http_client_connection.h

  HttpClient(uv_loop_t* loop, const isolates::FetchLimits& limits);
  ~HttpClient();

  Exchange* Start(OutboundRequest request, FetchSink* sink);
  // A chunk of a streamed request body; false when more than max_buffered_upload waits unsent
  // (OnDrain follows).
  bool Write(Exchange* exchange, std::string_view bytes);
  void EndBody(Exchange* exchange);
  void Resume(Exchange* exchange);
  void Cancel(Exchange* exchange);
  // Closes every connection and cancels every DNS lookup (shutdown); exchanges in flight get no
  // more events, and a lookup that completes later touches nothing of the client's.
  void Shutdown();

  // Idle ping and timeout, close handshake of outbound WebSockets ([server] websocket_*).
  void set_websocket_limits(const limits::WebSocketLimits& limits) { websocket_limits_ = limits; }
  const limits::WebSocketLimits& websocket_limits() const { return websocket_limits_; }

  // Connections opened so far (tests and stats).
  uint64_t connections_opened() const { return connections_opened_; }

  // Internal, used by Connection (http_client_connection.cc) and the DNS callback.
  uv_loop_t* loop() const { return loop_; }
  const isolates::FetchLimits& limits() const { return limits_; }
  const TlsClientContext* tls() const;  // the process's (TlsClientContext::SystemDefault)
  void Release(Connection* connection);  // back to the pool, or closed
  void Forget(Connection* connection);   // closing: out of the pool
  void Resolved(Exchange* exchange, int status, const struct addrinfo* result);
  // Marks `exchange` done and closes its connection; false if it already was.
  bool End(Exchange* exchange);
  void Fail(Exchange* exchange, const std::string& message);
  // Frees an ended exchange, giving up on its DNS lookup if one runs.
  void Forget(Exchange* exchange);
  std::string Describe(const Exchange* exchange) const;

 private:
  // False if it failed at once (the exchange is gone).
  bool Connect(Exchange* exchange, const struct sockaddr* address, int rule);
  // A kept-alive connection to the exchange's origin that this tenant may use, now its own.
  Connection* TakeIdle(Exchange* exchange);

  uv_loop_t* loop_;
  isolates::FetchLimits limits_;
  absl::flat_hash_map<std::string, std::vector<Connection*>> idle_;  // origin -> kept-alive connections
  std::vector<Connection*> all_;
  absl::flat_hash_set<Exchange*> resolving_;  // DNS lookup running
  uint64_t connections_opened_ = 0;
  limits::WebSocketLimits websocket_limits_;
};

}  // namespace atl::server
