#pragma once
// The HTTP front end of one worker process: listeners, the live connections, and an in-flight
// record per request. Requests go to a RequestSink (the tenant manager) with the record as their
// ResponseSink (response_sink.h); answers come back through it, now or later, and are written
// once per loop turn.
//
// At most `max_connections` connections are open: a new one past it closes the connection idle
// the longest (no request in progress: a kept-alive one, or one that sent nothing yet), and with
// none idle, accepting waits until a connection closes (new clients wait in the listen backlog).

#include <uv.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "bindings/worker_host.h"
#include "config/listen_address.h"
#include "isolates/limits.h"
#include "server/error_response.h"
#include "server/websocket_hub.h"
#include "server/response_sink.h"

namespace atl::server {

class HttpConnection;
class TlsServerContext;

// Where a request goes once its head is parsed, and what may be read for it.
struct RouteDecision {
  int32_t target = -1;                // the sink's own number for where it goes; -1: nowhere
  uint64_t max_request_body = 0;      // over it: 413 body_too_large
};

// Where complete requests go. Each request is answered exactly once through the ResponseSink it
// is dispatched with; `id` names it in the calls that follow (its Worker knows it by that id) and
// `target` is Route's answer for it.
class RequestSink {
 public:
  virtual ~RequestSink() = default;
  // Called when the request head is complete: `host` is the Host header (may be empty), `path`
  // the request target's path without the query.
  virtual RouteDecision Route(std::string_view host, std::string_view path) = 0;
  // `response` is valid until Forget(id, ...).
  virtual void Dispatch(uint64_t id, int32_t target, const bindings::RequestView& request, ResponseSink& response) = 0;

  // Streamed bodies (defaults: a sink that streams nothing). A piece of request `id`'s streamed
  // body (`body_streamed`): false stops reading until the response sink's UploadControl(false).
  virtual bool PushUpload(uint64_t id, int32_t target, std::string_view bytes) { return true; }
  // The streamed request body ended: complete when `error` is empty.
  virtual void EndUpload(uint64_t id, int32_t target, std::string_view error) {}
  // The client took request `id`'s streamed response body written so far.
  virtual void ResumeResponse(uint64_t id, int32_t target) {}
  // The connection is done with request `id` (its response sink goes away now): `aborted` when
  // the response did not (or will not) go out whole, e.g. the client went away.
  virtual void Forget(uint64_t id, int32_t target, bool aborted) {}
};

// One request the server is done with (its connection wrote the answer, or gave up on it),
// for metrics and the access log. Views are valid only during the call.
struct RequestRecord {
  int32_t target = -1;          // the sink's target; -1: no route (or never routed)
  std::string_view method;
  std::string_view path;        // without the query
  int status = 0;               // 0: never answered (the client went away first)
  uint64_t body_bytes = 0;      // response body bytes handed to the connection
  double seconds = 0;           // from dispatch to done
};

class RequestObserver {
 public:
  virtual ~RequestObserver() = default;
  virtual void OnRequestDone(const RequestRecord& record) = 0;
};

class HttpServer {
 public:
  HttpServer(uv_loop_t* loop, const isolates::ConnectionLimits& limits, RequestSink* sink);
  ~HttpServer();

  // TLS on every listener from now on (null: plaintext). Connections accepted later use
  // `context`; open ones keep the one they were accepted with (a certificate reload).
  void SetTls(std::shared_ptr<TlsServerContext> context) { tls_ = std::move(context); }
  const std::shared_ptr<TlsServerContext>& tls() const { return tls_; }

  // Accepts on `fd`, a listening socket the supervisor opened (listen_socket.h) and shared with
  // the other workers; returns its address. Closing it here leaves it open in the others.
  absl::StatusOr<std::string> ListenOn(int fd);

  // Stops listening and closes every connection.
  void Shutdown();
  // Stops listening; every connection closes after its next answer (HttpConnection::Drain), or
  // after drain_idle_ms idle. The requests already received are still served: in_flight() and
  // connection_count() count down to 0.
  void Drain();
  size_t in_flight() const { return inflight_.size(); }
  // Whether request `id` was dispatched and its connection has not forgotten it yet.
  bool InFlight(uint64_t id) const { return inflight_.contains(id); }

  // The answer to request `id`, for a RequestSink that keeps ids rather than the sink it was
  // given (the admin API); ignored if its connection has gone.
  void Complete(uint64_t id, const bindings::ResponseView& response);
  void Fail(uint64_t id, ServerError error);

  // Writes what every touched connection has ready. Runs after each loop turn's I/O; callers
  // that produce responses outside I/O callbacks (timers) call it themselves.
  void FlushDirty();

  // Sees every dispatched request once it is done; null (the default): none.
  void set_observer(RequestObserver* observer) { observer_ = observer; }

  uv_loop_t* loop() const { return loop_; }
  void set_next_id(uint64_t id) { next_id_ = id; }  // a second server on one TenantManager: ids apart
  // Open WebSockets of this process: who receives their events, which connection carries them.
  WebSocketHub* websockets() { return hub_; }
  // A second listener of the process (Durable Objects' loopback one) uses `main`'s hub and limits:
  // one table of sockets per process, whichever listener took the upgrade.
  void share_websockets(HttpServer* main) {
    hub_ = main->websockets();
    websocket_limits_ = main->websocket_limits();
  }
  const limits::WebSocketLimits& websocket_limits() const { return websocket_limits_; }
  void set_websocket_limits(const limits::WebSocketLimits& limits) { websocket_limits_ = limits; }
  const isolates::ConnectionLimits& limits() const { return limits_; }
  std::string_view default_host() const { return default_host_; }
  // [server] cf_header: the lower-cased name of the header the operator's edge sets to a JSON
  // object for request.cf; it is taken out of every request. Empty (the default): none is trusted.
  void set_cf_header(std::string name) { cf_header_ = std::move(name); }
  std::string_view cf_header() const { return cf_header_; }
  // Cluster mode: every response says `x-atoll-node: NAME` (response_writer.h). Empty: none.
  void set_node_name(std::string name) { node_name_ = std::move(name); }
  std::string_view node_name() const { return node_name_; }
  size_t connection_count() const { return connections_.size(); }

 private:
  friend class HttpConnection;
  // A request between NewRequest and Forget, and the ResponseSink that answers it (http_server.cc).
  struct Inflight;
  // A new request id answered to `connection`; then Dispatch(id, ...) hands the request over.
  uint64_t NewRequest(HttpConnection* connection);
  RouteDecision Route(std::string_view host, std::string_view path) { return sink_->Route(host, path); }
  void Dispatch(uint64_t id, int32_t target, const bindings::RequestView& request);
  void Forget(uint64_t id, bool aborted);
  bool PushUpload(uint64_t id, std::string_view bytes);
  void EndUpload(uint64_t id, std::string_view error);
  // The streamed response `id` may be read again: the sink hears it at the start of the next
  // loop turn, not now. Flush resumes a stream when the socket took its last chunk, and a stream
  // that always has a chunk ready against a client that reads as fast would otherwise be
  // written, resumed and written again inside one FlushDirty, never letting the loop poll.
  void ResumeResponse(uint64_t id) {
    resumes_.push_back(id);
    uv_idle_start(&wake_, OnWake);
  }
  // The loop turn's start while a flush or a resume is pending.
  static void OnWake(uv_idle_t* idle);
  int32_t TargetOf(uint64_t id) const;
  // Queues `connection` for the flush after this loop turn's poll. A connection made dirty outside
  // the poll phase (by a timer, an idle task, an outbound fetch's answer) also wakes the loop,
  // or the poll would block until the next event and the answer would wait for it.
  void MarkDirty(HttpConnection* connection) {
    if (dirty_.empty()) uv_idle_start(&wake_, OnWake);
    dirty_.push_back(connection);
  }
  void Register(HttpConnection* connection) { connections_.insert(connection); }
  void StopListening();
  void Unregister(HttpConnection* connection);
  // A connection is pending on `listener`: accepted now, after shedding an idle connection if
  // at max_connections, or later (Unregister) if none is idle.
  void OnConnection(uv_stream_t* listener);
  void AcceptOn(uv_stream_t* listener);
  static void ResumeAccepting(uv_timer_t* timer);
  void OnAcceptError(int status);
  // The idle connections, oldest first (an intrusive list through HttpConnection): `connection`
  // became idle (to the end; to the front when `shed_first`: it is closing anyway), or busy.
  void MarkIdle(HttpConnection* connection, bool shed_first = false);
  void MarkBusy(HttpConnection* connection);
  // Logs `what` about the connection limit, at most every 10 s.
  void LogLimit(std::string_view what);

  // 24 members in two halves that share the connection set: admission (listeners, the accept
  // pause, the idle list shed at max_connections) and requests in flight (records, the flush and
  // resume batches). The admission half is the next to move to a class of its own.
  uv_loop_t* loop_;
  WebSocketHub websockets_{loop_};
  WebSocketHub* hub_ = &websockets_;
  limits::WebSocketLimits websocket_limits_;
  isolates::ConnectionLimits limits_;
  RequestSink* sink_;
  std::string default_host_;
  std::string cf_header_;
  std::string node_name_;
  std::shared_ptr<TlsServerContext> tls_;
  uv_check_t flush_check_;
  std::vector<uv_tcp_t*> listeners_;
  absl::flat_hash_set<HttpConnection*> connections_;
  HttpConnection* idle_first_ = nullptr;  // idle the longest: the first one shed
  HttpConnection* idle_last_ = nullptr;
  std::vector<uv_stream_t*> waiting_listeners_;  // a connection is pending on each, not accepted yet
  bool accept_paused_ = false;  // near the open-file limit: no accept until ResumeAccepting
  uv_timer_t resume_accept_;    // ResumeAccepting on the next loop turn
  uint64_t limit_logged_ns_ = 0;
  uint64_t open_file_limit_ = UINT64_MAX;  // RLIMIT_NOFILE when the server was made
  absl::flat_hash_map<uint64_t, std::unique_ptr<Inflight>> inflight_;
  std::vector<std::unique_ptr<Inflight>> spare_;  // records of forgotten requests, reused: no allocation per request
  RequestObserver* observer_ = nullptr;
  std::vector<HttpConnection*> dirty_;
  uv_idle_t wake_;  // active while a flush or a resume is pending: the poll then does not block
  std::vector<uint64_t> resumes_;  // streamed responses to resume at the next loop turn
  std::vector<uint64_t> resuming_;  // OnWake's batch; kept for its capacity
  std::vector<HttpConnection*> flushing_;  // FlushDirty's batch; kept for its capacity
  uint64_t next_id_ = 1;
};

}  // namespace atl::server
