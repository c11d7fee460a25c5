#pragma once
// The client behind cloudflare:sockets' connect() (js/lazy/cloudflare_sockets.js): a tenant's TCP
// connection to host:port, plaintext, TLS from the start, or TLS later (StartTls), through the
// same socket class as every connection (stream_socket.h) and the same SSRF guard as fetch()
// (ssrf_guard.h: every address DNS gives is checked; loopback and private addresses only for a
// host the tenant's `outbound` lists). Bytes flow both ways with bounds: the peer is read no
// faster than the sink takes it (OnChunk answering false stops reading until Resume), and a
// write is answered false past max_buffered_upload unsent bytes (OnDrain follows).
//
//   SocketClient client(loop, limits);
//   SocketClient::Connection* c = client.Connect(std::move(request), &sink);
//   client.Write(c, bytes);  client.EndWrites(c);   // a FIN after what was written (half-close)
//   client.StartTls(c, "db.example.com");           // the handshake starts after what was written
//   client.Resume(c);  client.Close(c);             // Close: no more events
//
// The sink (http_client.h FetchSink) hears: OnHead(0, remote address, {}) once the connection is
// open, and again once a TLS handshake ended; OnChunk; OnPeerEnd (the peer sends no more; writes
// go on); OnEnd (both sides ended: the connection closed cleanly); OnError (DNS, the guard,
// connect, TLS, a reset: the connection is gone); OnDrain. After OnEnd or OnError the connection
// is gone: do not use it. Refusals found at once (the guard on a literal address) reach the sink
// from inside Connect.

#include <uv.h>

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "isolates/limits.h"

namespace atl::server {

class FetchSink;

struct SocketRequest {
  std::string host;                   // lower-case; an IPv6 literal in brackets
  uint16_t port = 0;
  bool tls = false;                   // TLS from the start (secureTransport "on")
  std::string tls_name;               // the name the certificate must match (empty: host)
  std::vector<std::string> outbound;  // the tenant's allowed host patterns
  std::string tenant;                 // for the log
};

class SocketClient {
 public:
  class Connection;  // socket_client.cc

  SocketClient(uv_loop_t* loop, const isolates::FetchLimits& limits);
  ~SocketClient();
  SocketClient(const SocketClient&) = delete;
  SocketClient& operator=(const SocketClient&) = delete;

  // Null if it failed at once (the sink heard OnError).
  Connection* Connect(SocketRequest request, FetchSink* sink);
  // False: past max_buffered_upload unsent; OnDrain follows. Bytes written before the connection
  // (or its TLS handshake) is ready wait for it.
  bool Write(Connection* connection, std::string_view bytes);
  void EndWrites(Connection* connection);
  // Starts TLS over the open plaintext connection once what was written went out; what the peer
  // sends from then on is TLS. False with `error` if the connection cannot (already TLS, ended).
  bool StartTls(Connection* connection, const std::string& name, std::string* error);
  void Resume(Connection* connection);
  // No more events; the connection closes (a reset if writes were pending).
  void Close(Connection* connection);
  // Closes every connection (shutdown): no more events.
  void Shutdown();

  // Internal, for Connection.
  uv_loop_t* loop() const { return loop_; }
  const isolates::FetchLimits& limits() const { return limits_; }
  void Forget(Connection* connection) { all_.erase(connection); }

 private:
  uv_loop_t* loop_;
  isolates::FetchLimits limits_;
  absl::flat_hash_set<Connection*> all_;
};

}  // namespace atl::server
