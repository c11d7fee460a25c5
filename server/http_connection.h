#pragma once
// One HTTP/1.1 client connection on libuv: parses requests (keep-alive, pipelining, chunked and
// Content-Length bodies, Expect: 100-continue), hands each complete request to the server, and
// writes responses strictly in request order.
//
// The socket (StreamSocket) carries TLS on a TLS listener: what is read is decrypted before
// Parse(), and `out_` (plaintext) is encrypted when Flush() hands it to the socket. A failed
// handshake or a TLS error closes this connection only.
//
// Rules, as node's handle wrappers: nothing here throws; the object is deleted only from the
// libuv close callbacks, so callbacks already queued never see freed memory. Memory is bounded:
// at most `max_pipelined` requests and `max_buffered_output` bytes wait before reading stops.

#include <uv.h>

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "bindings/worker_host.h"
#include "server/error_response.h"
#include "server/http_parser.h"
#include "server/http_server.h"
#include "server/request_body.h"
#include "server/stream_socket.h"
#include "server/websocket_hub.h"
#include "server/websocket_session.h"

namespace atl::server {

class HttpServer;

// 23 data members, in five groups: the transport (server, socket, timer, parser), the request
// being parsed (head, route, url, body, parse state), the answers in request order (slots,
// output, paused input), the connection's life (state, draining, dirty, timer mode, handles)
// and three links that belong to HttpServer's idle list. The answers are the next piece to
// split out (a response queue), together with the per-request response sink of issue 13.
// Reading requests is in http_connection_read.cc.
// A request answered 101 with a WebSocket (ResponseView::web_socket) turns the connection into
// that socket's carrier (http_connection_ws.cc): its bytes go to a WebSocketSession, whose events
// go to the socket's owner through the server's WebSocketHub.
class HttpConnection : public HttpParser::Delegate, public StreamSocket::Owner, public RequestBody::Stream,
                       private WebSocketSession::Transport, private WebSocketReceiver, private WebSocketPeer {
 public:
  // Accepts a pending connection on `listener`; the object owns itself from here on. Returns it,
  // with its descriptor in `*fd` (null if the accept failed).
  static HttpConnection* Accept(uv_stream_t* listener, HttpServer* server, int* fd);

  // The answer to request `id` of this connection (from the server's dispatch).
  void Complete(uint64_t id, const bindings::ResponseView& response);
  void Fail(uint64_t id, ServerError error);

  // A response whose body follows in pieces: chunked (no Content-Length from the handler), raw
  // with the handler's Content-Length, or to the connection's end for HTTP/1.0. False if request
  // `id` is not waiting for an answer.
  bool StartStream(uint64_t id, const bindings::ResponseView& response);
  // A piece of that body; false once more than `max_streamed_output` of it waits unsent (the
  // server's ResumeResponse(id) follows when the socket took it) or when nobody reads it.
  bool WriteBody(uint64_t id, std::string_view bytes);
  // The body ended; not `complete`: cut short, the connection closes after what was written.
  void EndBody(uint64_t id, bool complete);
  // The handler's stream of the request body being read wants more (`cancel` false) or none.
  void UploadControl(uint64_t id, bool cancel);

  // request.cf of request `id` while its slot lives (until its answer is written): the HTTP
  // version, TLS version and cipher, the kernel's RTT, the trusted edge header (request_cf.cc).
  bool RequestCf(uint64_t id, bindings::RequestCfView* out);
  // Whether request `id`'s Accept-Encoding takes `coding` (gzip, deflate, br; accept_encoding.h).
  bool AcceptsCoding(uint64_t id, std::string_view coding) const;

  // Writes what is ready, in order; resumes reading once the backlog has drained.
  void Flush();

  // Closes the connection now (shutdown, fatal error).
  void Close();

  // The server is draining: a connection with requests waiting for answers reads no further
  // one and closes after the last answer (which says `connection: close`); any other answers at
  // most one more request that way, and closes after drain_idle_ms without one.
  void Drain();

 private:
  // A response slot, in request order. `id == 0` marks a server-made error response.
  struct Slot {
    uint64_t id = 0;
    bool done = false;
    bool head = false;          // HEAD request: no body bytes
    bool close_after = false;   // last response on this connection
    bool keep_alive_http10 = false;
    bool http10 = false;
    bool streaming = false;     // the head is out (or queued); the body follows (WriteBody)
    bool chunked = false;       // streaming with chunked framing
    bool has_length = false;    // streaming raw with the handler's Content-Length...
    uint64_t remaining = 0;     // ... of which this much is still due
    bool wants_drain = false;   // WriteBody said no: ResumeResponse once the socket took it
    bool cancel_stream = false; // HEAD or a null-body status: the body stream is cancelled
    std::string data;           // serialized response (or what of it waits behind earlier ones)
    std::string edge_cf;        // the [server] cf_header's value, taken out of the request's headers
    uint8_t codings = 0;        // what its Accept-Encoding takes (accept_encoding.h bits)
    std::string ws_accept;      // a valid WebSocket upgrade request: its Sec-WebSocket-Accept
  };
  enum class TimerMode { kNone, kIdle, kHeaders, kBody, kLinger, kWebSocket };
  // Where the connection is in its life; it only moves forward.
  enum class State {
    kOpen,       // reading requests
    kAnswering,  // reads no further request (close after an answer, an error, EOF, an upgrade,
                 // draining): writes the answers it owes, then lingers
    kWebSocket,  // upgraded: carries one WebSocket's frames (ws_)
    kLingering,  // all answered, write side shut: drops what the client still sends (Linger)
    kClosed,     // handles closing; deleted from their close callbacks
  };

  explicit HttpConnection(HttpServer* server);
  ~HttpConnection() override;

  // HttpParser::Delegate
  HttpParser::Action OnMessageBegin() override;
  HttpParser::Action OnHeadersComplete(const MessageHead& head) override;
  HttpParser::Action OnBody(std::string_view piece) override;
  HttpParser::Action OnMessageComplete(bool keep_alive) override;

  // RequestBody::Stream: the server's end of a streamed request body.
  bool PushUpload(uint64_t id, std::string_view bytes) override { return server_->PushUpload(id, bytes); }
  void EndUpload(uint64_t id, std::string_view error) override { server_->EndUpload(id, error); }

  // Hands the request whose head was parsed to the server: its body is complete in body_, or
  // streamed (then pieces go through the server's PushUpload as they arrive).
  void DispatchRequest(bool keep_alive, bool streamed);
  // A piece of the streamed request body; kPause while the handler's stream is full.
  HttpParser::Action Upload(std::string_view piece);
  // Dispatches the request being parsed with a streamed body, handing it what was read so far;
  // true if its stream is full already (reading pauses).
  bool StartUpload();
  // Request `id` was answered: what is left of its streamed body is read and dropped.
  void DoneWithUpload(uint64_t id);
  // Where a slot's bytes go now: the socket's buffer for the oldest slot, else the slot's own.
  std::string* OutputOf(Slot& slot) { return &slots_.front() == &slot ? &out_ : &slot.data; }

  // StreamSocket::Owner
  void OnSocketHandshake() override;
  void OnSocketData(std::string_view plain) override;
  void OnSocketEnd(int status) override;
  void OnSocketWritten(int status) override;
  void OnSocketClosed() override;

  // The client sent no more (EOF, close_notify) or reset the connection.
  void OnEnd(bool clean);
  // Hands what is in `out_` to the socket; false if the connection closed.
  bool WriteOut();
  // Feeds `data` to the parser; keeps what a pause left unread in `pending_input_`.
  void Parse(std::string_view data);
  void ParseError();
  // Queues a server-made error response and stops reading from this connection.
  void RespondError(ServerError error);
  void Serialize(Slot& slot, const bindings::ResponseView& response);
  // The server-made response of SPEC §4 for `error`.
  void SerializeError(Slot& slot, ServerError error);
  Slot* FindSlot(uint64_t id);
  // Asks the server where the request whose head was just parsed goes.
  RouteDecision RouteTarget(std::string_view host);
  bool OverBacklog() const;
  void StartReading();
  void StopReading();
  void SetTimer(TimerMode mode);
  void OnTimer();
  void MarkDirty();
  // No request after the ones read so far (kOpen -> kAnswering).
  void StopRequests() {
    if (state_ == State::kOpen) state_ = State::kAnswering;
  }
  bool closing() const { return state_ == State::kClosed; }
  // WebSocket mode (http_connection_ws.cc).
  void StartWebSocket(Slot& slot, const bindings::ResponseView& response);
  void FlushWebSocket();
  void OnWebSocketTimer();
  void EndWebSocket();
  uint64_t NowMs() const;
  // WebSocketSession::Transport
  void SendBytes(std::string bytes) override;
  size_t Unsent() const override;
  void Finish() override;
  void Abort() override { Close(); }
  // WebSocketReceiver: the client's events, to the socket's owner.
  void OnWebSocketMessage(bool binary, std::string_view data) override;
  void OnWebSocketClose(uint16_t code, std::string_view reason, bool was_clean) override;
  void OnWebSocketError(std::string_view what) override;
  // WebSocketPeer: what the owner sends.
  bool PeerSend(bool binary, std::string_view data) override;
  void PeerClose(uint16_t code, std::string_view reason) override;

  // Half-closes after the last response and discards what the client still sends (bounded in
  // time), so it reads that response instead of a connection reset.
  void Linger();

  HttpServer* server_;
  StreamSocket socket_;
  uv_timer_t timer_;
  HttpParser parser_;

  // The request being parsed: its head (views into the parser's strings, valid until the next
  // request begins) and where it goes.
  MessageHead head_;
  RouteDecision route_;
  std::string url_;
  RequestBody body_;
  bool in_message_ = false;
  ServerError parse_error_ = ServerError::kBadRequest;

  std::deque<Slot> slots_;
  std::vector<uint64_t> aborted_;  // Flush's scratch: requests whose body streams it cancels
  std::string out_;            // bytes ready for the socket, in order
  std::string pending_input_;  // bytes read while paused
  bool paused_ = false;        // parser paused for backpressure
  bool draining_ = false;  // the server drains: the next answer closes, idle closes sooner
  bool dirty_ = false;
  State state_ = State::kOpen;
  int handles_open_ = 0;
  TimerMode timer_mode_ = TimerMode::kNone;
  // The idle/headers/body timer is lazy: a request read whole in one read moves the mode through
  // headers -> none -> idle, and re-arming libuv's timer heap at each step cost more than the
  // rest of the bookkeeping. `deadline` is when the mode's time is up (uv_now() ms); `due` when
  // the libuv timer is armed to fire (0: not armed by SetTimer). A timer due before the deadline
  // fires early and OnTimer arms it again for the rest.
  struct {
    uint64_t deadline = 0;
    uint64_t due = 0;
  } timer_at_;
  // The server's list of idle connections, oldest first (HttpServer::MarkIdle): idle while the
  // idle timer runs (nothing in progress) or lingering after the last answer.
  std::string upgrade_accept_;             // the request being parsed is a valid WebSocket upgrade
  std::unique_ptr<WebSocketSession> ws_;   // kWebSocket
  uint64_t ws_socket_ = 0;                 // the hub's id of ws_'s socket (0: none, or closed)
  bool ws_finishing_ = false;              // the session is done: close once its output is written
  HttpConnection* idle_prev_ = nullptr;
  HttpConnection* idle_next_ = nullptr;
  bool idle_listed_ = false;

  friend class HttpServer;
};

}  // namespace atl::server
