#include "server/http_client_connection.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "base/strings.h"
#include "server/response_writer.h"
#include "server/ssrf_guard.h"

namespace atl::server {
namespace {

using Connection = HttpClient::Connection;
using Exchange = HttpClient::Exchange;

struct WriteRequest {
  uv_write_t req;
  Connection* connection;
  std::string data;
};

bool IsInterim(int status) { return status >= 100 && status < 200 && status != 101; }

std::string HostForHeader(const OutboundRequest& r) {
  bool default_port = (r.https && r.port == 443) || (!r.https && r.port == 80);
  return default_port ? r.host : base::StrCat(r.host, ":", std::to_string(r.port));
}

bool HopByHop(std::string_view name) {
  return name == "host" || name == "connection" || name == "content-length" || name == "transfer-encoding" ||
         name == "keep-alive" || name == "upgrade" || name == "te" || name == "trailer" ||
         name == "proxy-connection" || name == "expect";
}

template <typename Handle>
uv_handle_t* AsHandle(Handle* h) { return reinterpret_cast<uv_handle_t*>(h); }

void AllocBuffer(uv_handle_t*, size_t, uv_buf_t* buf) {
  static thread_local char storage[64 * 1024];
  *buf = uv_buf_init(storage, sizeof storage);
}

}  // namespace

std::string HttpClient::Describe(const Exchange* x) const {
  return base::StrCat(x->request.https ? "https://" : "http://", HostForHeader(x->request));
}

Connection::Connection(HttpClient* client, std::string origin, int rule)
    : client_(client), origin_(std::move(origin)), rule_(rule), parser_(HttpParser::Type::kResponse, this) {
  uv_tcp_init(client->loop(), &tcp_);
  uv_timer_init(client->loop(), &timer_);
  handles_open_ = 2;
  tcp_.data = timer_.data = connect_req_.data = this;
}

Connection::~Connection() = default;

void Connection::FailExchange(std::string_view why) {
  if (exchange_ == nullptr) return;
  client_->Fail(exchange_, base::StrCat("fetch to ", client_->Describe(exchange_), " failed: ", why));
}

bool Connection::Connect(Exchange* x, const sockaddr* address) {
  exchange_ = x;
  x->connection = this;
  uv_timer_start(&timer_, [](uv_timer_t* t) { static_cast<Connection*>(t->data)->OnTimer(); },
                 client_->limits().connect_timeout_ms, 0);
  int rc = uv_tcp_connect(&connect_req_, &tcp_, address, [](uv_connect_t* req, int status) {
    static_cast<Connection*>(req->data)->OnConnected(status);
  });
  if (rc < 0) {
    client_->Fail(x, base::StrCat("fetch to ", client_->Describe(x), " failed: connect: ", uv_strerror(rc)));
    return false;
  }
  return true;
}

void Connection::OnConnected(int status) {
  if (closing_) return;
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
  uv_tcp_nodelay(&tcp_, 1);
  StartReading();
  if (!x->request.https) {
    SendHead();
    return;
  }
  const TlsClientContext* context = client_->tls();
  std::string name = x->request.host;
  if (name.size() >= 2 && name.front() == '[' && name.back() == ']') name = name.substr(1, name.size() - 2);
  AddressRule ignored;
  if (context != nullptr) tls_ = TlsSession::Client(*context, name, /*send_sni=*/!ClassifyLiteral(name, &ignored));
  if (tls_ == nullptr) {
    client_->Fail(x, "fetch failed: could not start TLS");
    Close();
    return;
  }
  OnTlsBytes({});  // the ClientHello
}

void Connection::Reuse(Exchange* x) {
  exchange_ = x;
  x->connection = this;
  ResetResponse();
  SendHead();
}

void Connection::Idle(uint32_t idle_ms) {
  ResetResponse();
  uv_timer_start(&timer_, [](uv_timer_t* t) { static_cast<Connection*>(t->data)->OnTimer(); }, idle_ms, 0);
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
  std::vector<std::pair<std::string, std::string>> headers(head.headers.begin(), head.headers.end());
  x->sink->OnHead(status_, head.status_text, headers);
  if (exchange_ == nullptr) return HttpParser::Action::kError;  // cancelled from inside OnHead
  // A response to HEAD has no body whatever its headers say.
  return x->request.method == "HEAD" ? HttpParser::Action::kSkipBody : HttpParser::Action::kContinue;
}

HttpParser::Action Connection::OnBody(std::string_view piece) {
  Exchange* x = exchange_;
  if (x == nullptr) return HttpParser::Action::kPause;
  if (!x->sink->OnChunk(piece)) {
    if (exchange_ != nullptr) exchange_->paused = true;
    return HttpParser::Action::kPause;
  }
  return exchange_ == nullptr ? HttpParser::Action::kPause : HttpParser::Action::kContinue;
}

HttpParser::Action Connection::OnMessageComplete(bool keep_alive) {
  if (IsInterim(status_)) {
    status_ = 0;
    return HttpParser::Action::kContinue;
  }
  message_done_ = true;
  keep_alive_ = keep_alive;
  return HttpParser::Action::kPause;  // stop here: what follows belongs to no request of ours
}

void Connection::SendRaw(std::string data) {
  if (data.empty() || closing_) return;
  auto* w = new WriteRequest{{}, this, std::move(data)};
  write_pending_ += w->data.size();
  uv_buf_t buf = uv_buf_init(w->data.data(), static_cast<unsigned>(w->data.size()));
  w->req.data = w;
  int rc = uv_write(&w->req, reinterpret_cast<uv_stream_t*>(&tcp_), &buf, 1, [](uv_write_t* req, int status) {
    auto* w = static_cast<WriteRequest*>(req->data);
    Connection* c = w->connection;
    size_t bytes = w->data.size();
    delete w;
    c->OnWritten(bytes, status);
  });
  if (rc < 0) {
    write_pending_ -= w->data.size();
    delete w;
  }
}

void Connection::OnWritten(size_t bytes, int status) {
  write_pending_ -= bytes;
  if (status < 0) {
    if (!closing_) FailExchange(base::StrCat("write: ", uv_strerror(status)));
    Close();
    return;
  }
  Exchange* x = exchange_;
  if (x != nullptr && x->need_drain && write_pending_ < client_->limits().max_buffered_upload) {
    x->need_drain = false;
    x->sink->OnDrain();
  }
}

void Connection::FlushTls() {
  std::string out;
  tls_->TakeOutput(&out);
  SendRaw(std::move(out));
}

void Connection::Send(std::string_view data) {
  if (data.empty() || closing_) return;
  if (tls_ == nullptr) {
    SendRaw(std::string(data));
    return;
  }
  tls_->Write(data);
  FlushTls();
}

void Connection::SendHead() {
  Exchange* x = exchange_;
  const OutboundRequest& r = x->request;
  std::string head = base::StrCat(r.method, " ", r.target.empty() ? "/" : r.target, " HTTP/1.1\r\nhost: ",
                                  HostForHeader(r), "\r\n");
  for (const auto& [name, value] : r.headers) {
    if (HopByHop(name)) continue;
    head += base::StrCat(name, ": ", value, "\r\n");
  }
  if (r.body_streamed) {
    head += "transfer-encoding: chunked\r\n\r\n";
    head += x->pending_body;
    x->pending_body.clear();
    if (x->body_ended) AppendLastChunk(&head);
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
}

void Connection::OnTimer() {
  if (exchange_ != nullptr) {
    bool ready = connected_ && (tls_ == nullptr || tls_->handshake_done());
    FailExchange(ready ? "no response data within the idle timeout" : "connect timed out");
  }
  Close();
}

void Connection::StartIdleTimer() {
  if (closing_) return;
  uv_timer_start(&timer_, [](uv_timer_t* t) { static_cast<Connection*>(t->data)->OnTimer(); },
                 client_->limits().idle_timeout_ms, 0);
}

void Connection::Close() {
  if (closing_) return;
  closing_ = true;
  client_->Forget(this);
  if (exchange_ != nullptr) {
    exchange_->connection = nullptr;
    exchange_ = nullptr;
  }
  auto on_close = [](uv_handle_t* handle) {
    auto* c = static_cast<Connection*>(handle->data);
    if (--c->handles_open_ == 0) delete c;
  };
  uv_close(AsHandle(&tcp_), on_close);
  uv_close(AsHandle(&timer_), on_close);
}

void Connection::Complete() {
  Exchange* x = exchange_;
  bool reusable = keep_alive_ && unparsed_.empty() &&
                  (!x->request.body_streamed || (x->body_ended && x->pending_body.empty()));
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

void Connection::Parse(std::string_view data) {
  if (closing_ || data.empty()) return;
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
  if (result == HttpParser::Result::kPaused) {
    if (message_done_) {
      if (exchange_ != nullptr) Complete();
      return;
    }
    if (exchange_ == nullptr || closing_) return;  // cancelled by the sink
    unparsed_.assign(data.substr(consumed));
    uv_read_stop(reinterpret_cast<uv_stream_t*>(&tcp_));
    uv_timer_stop(&timer_);  // the JS side is the one not reading
    return;
  }
  if (closing_ || exchange_ == nullptr) return;  // cancelled from a callback
  FailExchange(base::StrCat("invalid HTTP response (", parser_.error_reason(), ")"));
  Close();
}

void Connection::OnTlsBytes(std::string_view ciphertext) {
  tls_->Feed(ciphertext);
  bool was_handshaking = !tls_->handshake_done();
  std::string plain;
  TlsSession::Status status = tls_->Read(&plain);
  if (status == TlsSession::Status::kError && !tls_->handshake_done()) {
    FlushTls();  // the alert
    FailExchange(tls_->error());
    Close();
    return;
  }
  if (was_handshaking && tls_->handshake_done()) {
    FlushTls();
    if (exchange_ != nullptr && !exchange_->head_sent) SendHead();
  }
  Parse(plain);
  if (closing_) return;
  if (status == TlsSession::Status::kClosed) {
    HandleEof(UV_EOF);
    return;
  }
  if (status == TlsSession::Status::kError) {
    HandleEof(UV_EPROTO);
    return;
  }
  FlushTls();
}

void Connection::OnRead(ssize_t nread, const uv_buf_t* buf) {
  if (closing_) return;
  if (nread < 0) {
    HandleEof(static_cast<int>(nread));
    return;
  }
  if (nread == 0) return;
  if (exchange_ != nullptr && !exchange_->paused) StartIdleTimer();
  std::string_view bytes(buf->base, static_cast<size_t>(nread));
  if (tls_ != nullptr) {
    OnTlsBytes(bytes);
  } else {
    Parse(bytes);
  }
}

void Connection::StartReading() {
  uv_read_start(reinterpret_cast<uv_stream_t*>(&tcp_), AllocBuffer, [](uv_stream_t* s, ssize_t n, const uv_buf_t* buf) {
    static_cast<Connection*>(s->data)->OnRead(n, buf);
  });
}

void Connection::Resume() {
  parser_.Resume();
  std::string rest = std::move(unparsed_);
  unparsed_.clear();
  Exchange* x = exchange_;
  Parse(rest);
  if (closing_ || exchange_ != x || x->paused) return;
  if (eof_) {
    HandleEof(UV_EOF);
    return;
  }
  StartReading();
  StartIdleTimer();
}

}  // namespace atl::server
