#include "server/http_client_connection.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "base/strings.h"
#include "server/response_writer.h"
#include "server/websocket_handshake.h"

#include <openssl/rand.h>

namespace atl::server {
namespace {

using Connection = HttpClient::Connection;
using Exchange = HttpClient::Exchange;

bool IsInterim(int status) { return status >= 100 && status < 200 && status != 101; }

std::string HostForHeader(const OutboundRequest& r) {
  if (!r.host_header.empty()) return r.host_header;
  bool default_port = (r.https && r.port == 443) || (!r.https && r.port == 80);
  return default_port ? r.host : base::StrCat(r.host, ":", std::to_string(r.port));
}

bool HopByHop(std::string_view name) {
  return name == "host" || name == "connection" || name == "content-length" || name == "transfer-encoding" ||
         name == "keep-alive" || name == "upgrade" || name == "te" || name == "trailer" ||
         name == "proxy-connection" || name == "expect";
}

}  // namespace

std::string HttpClient::Describe(const Exchange* x) const {
  return base::StrCat(x->request.https ? "https://" : "http://", HostForHeader(x->request));
}

Connection::Connection(HttpClient* client, std::string origin, int rule)
    : client_(client),
      origin_(std::move(origin)),
      rule_(rule),
      socket_(client->loop(), this),
      parser_(HttpParser::Type::kResponse, this) {
  uv_timer_init(client->loop(), &timer_);
  timer_.data = this;
  handles_open_ = 2;
}

Connection::~Connection() = default;

void Connection::FailExchange(std::string_view why) {
  if (exchange_ == nullptr) return;
  client_->Fail(exchange_, base::StrCat("fetch to ", client_->Describe(exchange_), " failed: ", why));
}

bool Connection::Connect(Exchange* x, const sockaddr* address) {
  exchange_ = x;
  x->connection = this;
  uv_timer_start(&timer_, OnTimerFired, client_->limits().connect_timeout_ms, 0);
  int rc = socket_.Connect(address);
  if (rc < 0) {
    client_->Fail(x, base::StrCat("fetch to ", client_->Describe(x), " failed: connect: ", uv_strerror(rc)));
    return false;
  }
  return true;
}

void Connection::OnSocketConnected(int status) {
  if (socket_.closing()) return;
  if (status < 0) {
    FailExchange(base::StrCat("connect: ", uv_strerror(status)));
    Close();
    return;
  }
  connected_ = true;
  Exchange* x = exchange_;
  if (x == nullptr) {
    Close();
    return;
  }
  socket_.SetNoDelay();
  StartReading();
  if (!x->request.https) {
    SendHead();
    return;
  }
  std::unique_ptr<TlsSession> session = TlsSession::ClientForHost(client_->tls(), x->request.host);
  if (session == nullptr) {
    client_->Fail(x, "fetch failed: could not start TLS");
    Close();
    return;
  }
  socket_.StartTls(std::move(session));  // the ClientHello goes out
}

void Connection::Reuse(Exchange* x) {
  exchange_ = x;
  x->connection = this;
  ResetResponse();
  SendHead();
}

void Connection::Idle(uint32_t idle_ms) {
  ResetResponse();
  uv_timer_start(&timer_, OnTimerFired, idle_ms, 0);
  StartReading();  // an idle connection the peer closes is dropped at once
}

void Connection::ResetResponse() {
  parser_.Reset();
  status_ = 0;
  keep_alive_ = false;
  message_done_ = false;
}

HttpParser::Action Connection::OnHeadersComplete(const MessageHead& head) {
  status_ = head.status;
  if (IsInterim(status_)) return HttpParser::Action::kContinue;  // 100 Continue and friends: the real one follows
  Exchange* x = exchange_;
  if (x == nullptr) return HttpParser::Action::kError;
  if (x->request.websocket && status_ == 101) return BecomeWebSocket(head);
  std::vector<std::pair<std::string, std::string>> headers(head.headers.begin(), head.headers.end());
  x->sink->OnHead(status_, head.status_text, headers);
  if (exchange_ == nullptr) return HttpParser::Action::kError;  // cancelled from inside OnHead
  // A response to HEAD has no body whatever its headers say.
  return x->request.method == "HEAD" ? HttpParser::Action::kSkipBody : HttpParser::Action::kContinue;
}

HttpParser::Action Connection::OnBody(std::string_view piece) {
  Exchange* x = exchange_;
  if (x == nullptr) return HttpParser::Action::kPause;
  if (piece.empty()) return HttpParser::Action::kContinue;  // a span flushed by a resume's empty run
  if (!x->sink->OnChunk(piece)) {
    if (exchange_ != nullptr) exchange_->paused = true;
    return HttpParser::Action::kPause;
  }
  return exchange_ == nullptr ? HttpParser::Action::kPause : HttpParser::Action::kContinue;
}

HttpParser::Action Connection::OnMessageComplete(bool keep_alive) {
  if (ws_) return HttpParser::Action::kContinue;  // the parser stops at the upgrade (kUpgrade)
  if (IsInterim(status_)) {
    status_ = 0;
    return HttpParser::Action::kContinue;
  }
  message_done_ = true;
  keep_alive_ = keep_alive;
  return HttpParser::Action::kPause;  // stop here: what follows belongs to no request of ours
}

void Connection::WriteOut() {
  if (socket_.closing() || write_error_ != 0) return;
  int rc = socket_.Write(&out_);
  if (rc == 0) return;
  // Reported from the timer, as a failed write always is, never from inside Start() or Write().
  write_error_ = rc;
  uv_timer_start(&timer_, OnTimerFired, 0, 0);
}

void Connection::OnSocketWritten(int status) {
  if (ws_ && status >= 0) {
    WriteOut();
    if (write_pending() > 0) return;
    if (ws_->finishing()) Close();
    else ws_->OnWritable();
    return;
  }
  if (status < 0) {
    if (!socket_.closing()) FailExchange(base::StrCat("write: ", uv_strerror(status)));
    Close();
    return;
  }
  WriteOut();
  MaybeDrain();
}

void Connection::MaybeDrain() {
  Exchange* x = exchange_;
  if (x != nullptr && x->need_drain && write_pending() < client_->limits().max_buffered_upload) {
    x->need_drain = false;
    x->sink->OnDrain();
  }
}

void Connection::Send(std::string_view data) {
  if (data.empty() || socket_.closing()) return;
  out_.append(data);
  WriteOut();
}

void Connection::SendHead() {
  Exchange* x = exchange_;
  const OutboundRequest& r = x->request;
  std::string head = base::StrCat(r.method, " ", r.target.empty() ? "/" : r.target, " HTTP/1.1\r\nhost: ",
                                  HostForHeader(r), "\r\n");
  for (const auto& [name, value] : r.headers) {
    if (HopByHop(name)) continue;
    if (r.websocket && (name == "sec-websocket-key" || name == "sec-websocket-version" || name == "sec-websocket-extensions")) {
      continue;  // the handshake is this client's own (no extension is offered)
    }
    head += base::StrCat(name, ": ", value, "\r\n");
  }
  if (r.websocket) {
    unsigned char random[16];
    RAND_bytes(random, sizeof(random));
    x->ws_key = WebSocketClientKey(std::string_view(reinterpret_cast<const char*>(random), sizeof(random)));
    head += base::StrCat("connection: upgrade\r\nupgrade: websocket\r\nsec-websocket-version: 13\r\nsec-websocket-key: ",
                         x->ws_key, "\r\n");
  }
  if (r.body_streamed) {
    if (r.body_length >= 0) {
      head += base::StrCat("content-length: ", std::to_string(r.body_length), "\r\n\r\n");
    } else {
      head += "transfer-encoding: chunked\r\n\r\n";
    }
    head += x->pending_body;
    x->pending_body.clear();
    if (x->body_ended && r.body_length < 0) AppendLastChunk(&head);
  } else {
    if (!r.body.empty() || (r.method != "GET" && r.method != "HEAD" && r.method != "OPTIONS" && r.method != "DELETE")) {
      head += base::StrCat("content-length: ", std::to_string(r.body.size()), "\r\n");
    }
    head += "\r\n";
    head += r.body;
  }
  x->head_sent = true;
  Send(head);
  StartIdleTimer();
  // A body written before the head went out may have filled the upload buffer (Write answered
  // false); when the kernel took it all at once no write completes later to say so.
  MaybeDrain();
}

HttpParser::Action Connection::BecomeWebSocket(const MessageHead& head) {
  Exchange* x = exchange_;
  std::string offered;
  for (const auto& [name, value] : x->request.headers) {
    if (name == "sec-websocket-protocol") offered = value;
  }
  absl::Status checked = CheckWebSocketUpgradeResponse(head, x->ws_key, offered);
  if (!checked.ok()) {
    FailExchange(std::string(checked.message()));
    return HttpParser::Action::kError;
  }
  // Out of the pool for good: the socket is the WebSocket's until it closes.
  ws_ = std::make_unique<ClientWebSocket>(client_->websocket_limits(), static_cast<ClientWebSocket::Wire*>(this));
  uv_timer_stop(&timer_);
  std::vector<std::pair<std::string, std::string>> headers(head.headers.begin(), head.headers.end());
  exchange_ = nullptr;
  x->connection = nullptr;
  x->done = true;
  FetchSink* sink = x->sink;
  delete x;
  sink->OnWebSocket(head.status, head.status_text, headers, ws_.get());
  return HttpParser::Action::kContinue;
}

void Connection::WireTimer(uint64_t at_ms) {
  if (socket_.closing()) return;
  if (at_ms == 0) {
    uv_timer_stop(&timer_);
    return;
  }
  uint64_t now = uv_now(client_->loop());
  uv_timer_start(&timer_, OnTimerFired, at_ms > now ? at_ms - now : 0, 0);
}

void Connection::OnTimer() {
  if (ws_) {
    if (write_error_ != 0) {
      ws_->OnTransportEnd();
      Close();
      return;
    }
    ws_->OnTimer();
    return;
  }
  if (write_error_ != 0) {
    FailExchange(base::StrCat("write: ", uv_strerror(write_error_)));
  } else if (exchange_ != nullptr) {
    bool ready = connected_ && (socket_.tls() == nullptr || socket_.tls()->handshake_done());
    FailExchange(ready ? "no response data within the idle timeout" : "connect timed out");
  }
  Close();
}

void Connection::StartIdleTimer() {
  if (socket_.closing() || write_error_ != 0) return;
  uv_timer_start(&timer_, OnTimerFired, client_->limits().idle_timeout_ms, 0);
}

void Connection::Close() {
  if (socket_.closing()) return;
  socket_.Close();
  if (ws_) ws_->OnTransportEnd();  // the owner hears 1006 unless the socket closed cleanly before
  client_->Forget(this);
  if (exchange_ != nullptr) {
    exchange_->connection = nullptr;
    exchange_ = nullptr;
  }
  uv_close(reinterpret_cast<uv_handle_t*>(&timer_),
           [](uv_handle_t* h) { static_cast<Connection*>(h->data)->OnSocketClosed(); });
}

void Connection::OnSocketClosed() {
  if (--handles_open_ == 0) delete this;
}

void Connection::Complete() {
  Exchange* x = exchange_;
  // A refused upgrade's connection is not reused: servers close it after answering (atoll does).
  bool reusable = keep_alive_ && unparsed_.empty() && !x->request.websocket &&
                  (!x->request.body_streamed || (x->body_ended && x->pending_body.empty() &&
                                                 (x->request.body_length < 0 ||
                                                  x->body_written == static_cast<uint64_t>(x->request.body_length))));
  exchange_ = nullptr;
  x->connection = nullptr;
  x->done = true;
  FetchSink* sink = x->sink;
  delete x;
  if (reusable) {
    client_->Release(this);
  } else {
    Close();
  }
  sink->OnEnd();
}

void Connection::HandleEof(int status) {
  if (ws_) {
    Close();
    return;
  }
  Exchange* x = exchange_;
  if (x == nullptr) {
    Close();
    return;
  }
  if (status == UV_EOF && (x->paused || !unparsed_.empty())) {
    eof_ = true;  // the sink has not read what came before it yet (Resume finishes)
    return;
  }
  // A body delimited by the connection's end completes here (OnMessageComplete).
  if (status == UV_EOF && status_ != 0 && !message_done_) parser_.Finish();
  if (message_done_) {
    Complete();
    return;
  }
  FailExchange(status == UV_EOF ? "the connection closed before the response ended" : uv_strerror(status));
  Close();
}

void Connection::Parse(std::string_view data, bool resumed) {
  // (Empty only on a resume: the parser may still owe the callbacks after the piece it paused
  // on, such as the message's end when that piece was the body's last.)
  if (socket_.closing() || (data.empty() && !resumed)) return;
  if (ws_) {
    ws_->OnBytes(data);
    return;
  }
  Exchange* x = exchange_;
  if (x == nullptr) {  // bytes on an idle connection: nothing may arrive there
    Close();
    return;
  }
  if (x->paused || !unparsed_.empty()) {
    unparsed_.append(data);
    return;
  }
  size_t consumed = 0;
  HttpParser::Result result = parser_.Execute(data, &consumed);
  if (result == HttpParser::Result::kOk) return;
  if (ws_) {  // the 101 ended the HTTP part: what follows it are the socket's frames
    if (result == HttpParser::Result::kUpgrade && !socket_.closing() && consumed < data.size()) ws_->OnBytes(data.substr(consumed));
    return;
  }
  if (result == HttpParser::Result::kPaused) {
    if (message_done_) {
      if (exchange_ != nullptr) Complete();
      return;
    }
    if (exchange_ == nullptr || socket_.closing()) return;  // cancelled by the sink
    unparsed_.assign(data.substr(consumed));
    socket_.StopReading();
    uv_timer_stop(&timer_);  // the JS side is the one not reading
    return;
  }
  if (socket_.closing() || exchange_ == nullptr) return;  // cancelled from a callback
  FailExchange(base::StrCat("invalid HTTP response (", parser_.error_reason(), ")"));
  Close();
}

void Connection::OnSocketBytes() {
  if (ws_) return;  // the session keeps its own time
  if (exchange_ != nullptr && !exchange_->paused) StartIdleTimer();
}

void Connection::OnSocketHandshake() {
  if (exchange_ != nullptr && !exchange_->head_sent) SendHead();
}

void Connection::OnSocketEnd(int status) {
  if (socket_.closing()) return;
  if (socket_.tls_failed() && !socket_.tls()->handshake_done()) {
    FailExchange(socket_.tls()->error());
    Close();
    return;
  }
  HandleEof(status);
}

void Connection::StartReading() { socket_.StartReading(); }

void Connection::Resume() {
  parser_.Resume();
  std::string rest = std::move(unparsed_);
  unparsed_.clear();
  Exchange* x = exchange_;
  Parse(rest.empty() ? std::string_view("", 0) : std::string_view(rest), /*resumed=*/true);
  if (socket_.closing() || exchange_ != x || x->paused) return;
  if (eof_) {
    HandleEof(UV_EOF);
    return;
  }
  StartReading();
  StartIdleTimer();
}

}  // namespace atl::server
