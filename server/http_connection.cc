#include "server/http_connection.h"

#include "base/strings.h"
#include "base/strings.h"
#include "base/strings.h"
#include "base/log.h"
#include "server/http_server.h"
#include "server/response_writer.h"

namespace atl::server {
namespace {

// One read buffer per thread: every read is parsed before the next one arrives, and what a
// pause leaves unread is copied out.
constexpr size_t kReadBufferSize = 64 * 1024;

void AllocReadBuffer(uv_handle_t*, size_t, uv_buf_t* buf) {
  static thread_local char buffer[kReadBufferSize];
  *buf = uv_buf_init(buffer, kReadBufferSize);
}

template <typename T>
HttpConnection* Self(T* handle) {
  return static_cast<HttpConnection*>(handle->data);
}

}  // namespace

HttpConnection::HttpConnection(HttpServer* server) : server_(server), parser_(this) {
  uv_tcp_init(server->loop(), &tcp_);
  uv_timer_init(server->loop(), &timer_);
  tcp_.data = timer_.data = write_req_.data = shutdown_req_.data = this;
  handles_open_ = 2;
  headers_.reserve(16);
}

HttpConnection::~HttpConnection() = default;

void HttpConnection::Accept(uv_stream_t* listener, HttpServer* server) {
  auto* conn = new HttpConnection(server);
  if (uv_accept(listener, reinterpret_cast<uv_stream_t*>(&conn->tcp_)) != 0) {
    conn->Close();
    return;
  }
  uv_tcp_nodelay(&conn->tcp_, 1);
  server->Register(conn);
  conn->StartReading();
  conn->SetTimer(TimerMode::kIdle);
}

void HttpConnection::StartReading() {
  if (reading_ || closing_ || no_more_requests_) return;
  reading_ = true;
  uv_read_start(
      reinterpret_cast<uv_stream_t*>(&tcp_), AllocReadBuffer,
      [](uv_stream_t* s, ssize_t n, const uv_buf_t* buf) { Self(s)->OnRead(n, buf); });
}

void HttpConnection::StopReading() {
  if (!reading_) return;
  reading_ = false;
  uv_read_stop(reinterpret_cast<uv_stream_t*>(&tcp_));
}

void HttpConnection::OnRead(ssize_t nread, const uv_buf_t* buf) {
  if (lingering_) {
    if (nread < 0) Close();
    return;
  }
  if (nread < 0) {
    // EOF or reset. A client that half-closes after its last complete request still gets its
    // responses; a reset, or EOF in the middle of a request, ends the connection now.
    StopReading();
    no_more_requests_ = true;
    if (nread != UV_EOF || slots_.empty() || in_message_) Close();
    return;
  }
  if (nread == 0) return;
  Parse(std::string_view(buf->base, static_cast<size_t>(nread)));
}

void HttpConnection::Parse(std::string_view data) {
  while (!data.empty() && !closing_ && !no_more_requests_) {
    size_t consumed = 0;
    HttpParser::Result result = parser_.Execute(data, &consumed);
    data.remove_prefix(consumed);
    if (result == HttpParser::Result::kOk) break;
    if (result == HttpParser::Result::kPaused) {
      if (OverBacklog()) {
        paused_ = true;
        StopReading();
        pending_input_.assign(data);
        return;
      }
      parser_.Resume();
      continue;
    }
    if (result == HttpParser::Result::kUpgrade) {
      // No protocol upgrades (WebSocket) yet: answer the request, then close.
      no_more_requests_ = true;
      if (!slots_.empty()) slots_.back().close_after = true;
      StopReading();
      break;
    }
    ParseError();
    break;
  }
  MarkDirty();
}

void HttpConnection::ParseError() {
  if (base::LogEnabled(base::LogLevel::kDebug)) {
    base::LogLine(base::LogLevel::kDebug, "malformed request").Str("reason", parser_.error_reason()).Emit();
  }
  RespondError(parse_error_);
}

void HttpConnection::RespondError(ServerError error) {
  in_message_ = false;
  Slot slot;
  slot.close_after = true;
  SerializeError(slot, error);
  slots_.push_back(std::move(slot));
  no_more_requests_ = true;
  StopReading();
  SetTimer(TimerMode::kNone);
  MarkDirty();
}

bool HttpConnection::CountHeaderBytes(size_t n) {
  header_bytes_ += n;
  if (header_bytes_ <= server_->limits().max_header_bytes) return true;
  parse_error_ = ServerError::kHeadersTooLarge;
  return false;
}

HttpParser::Action HttpConnection::OnMessageBegin() {
  in_message_ = true;
  method_.clear();
  target_.clear();
  header_count_ = 0;
  body_.clear();
  header_value_next_ = false;
  has_body_ = false;
  header_bytes_ = 0;
  parse_error_ = ServerError::kBadRequest;
  SetTimer(TimerMode::kHeaders);
  return HttpParser::Action::kContinue;
}

HttpParser::Action HttpConnection::OnUrl(std::string_view piece) {
  if (!CountHeaderBytes(piece.size())) return HttpParser::Action::kError;
  target_.append(piece);
  return HttpParser::Action::kContinue;
}

HttpParser::Action HttpConnection::OnHeaderField(std::string_view piece) {
  if (!CountHeaderBytes(piece.size())) return HttpParser::Action::kError;
  if (header_value_next_ || header_count_ == 0) {
    if (header_count_ == headers_.size()) headers_.emplace_back();
    headers_[header_count_].first.clear();
    headers_[header_count_].second.clear();
    ++header_count_;
    header_value_next_ = false;
  }
  std::string& name = headers_[header_count_ - 1].first;
  size_t start = name.size();
  name.append(piece);
  for (size_t i = start; i < name.size(); ++i) name[i] = base::AsciiToLower(name[i]);
  return HttpParser::Action::kContinue;
}

HttpParser::Action HttpConnection::OnHeaderValue(std::string_view piece) {
  if (!CountHeaderBytes(piece.size())) return HttpParser::Action::kError;
  header_value_next_ = true;
  if (header_count_ == 0) return HttpParser::Action::kError;
  headers_[header_count_ - 1].second.append(piece);
  return HttpParser::Action::kContinue;
}

HttpParser::Action HttpConnection::OnHeadersComplete(const RequestHead& head) {
  method_.assign(head.method);
  head_method_ = head.method == "HEAD";
  http10_ = head.http_major == 1 && head.http_minor == 0;
  has_body_ = head.chunked || (head.has_content_length && head.content_length > 0);
  bool has_host = false;
  std::string_view host;
  for (size_t i = 0; i < header_count_; ++i) {
    auto& [name, value] = headers_[i];
    // llhttp leaves trailing whitespace in a value; the field value excludes it (RFC 9110 §5.5).
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.pop_back();
    if (name == "host") {
      has_host = true;
      host = value;
    }
  }
  if (!has_host && !http10_) return HttpParser::Action::kError;  // RFC 9112 §3.2
  route_ = RouteTarget(host);
  if (head.has_content_length && head.content_length > route_.max_request_body) {
    parse_error_ = ServerError::kBodyTooLarge;
    return HttpParser::Action::kError;
  }
  for (size_t i = 0; i < header_count_; ++i) {
    auto& [name, value] = headers_[i];
    if (name == "expect" && base::EqualsIgnoreCase(value, "100-continue") && !http10_ && has_body_ &&
               slots_.empty()) {
      // The client waits for this before sending the body; later in a pipeline it is skipped.
      out_.append("HTTP/1.1 100 Continue\r\n\r\n");
      MarkDirty();
    }
  }
  SetTimer(has_body_ ? TimerMode::kBody : TimerMode::kNone);
  return HttpParser::Action::kContinue;
}

HttpParser::Action HttpConnection::OnBody(std::string_view piece) {
  if (body_.size() + piece.size() > route_.max_request_body) {
    parse_error_ = ServerError::kBodyTooLarge;
    return HttpParser::Action::kError;
  }
  body_.append(piece);
  SetTimer(TimerMode::kBody);
  return HttpParser::Action::kContinue;
}

HttpParser::Action HttpConnection::OnMessageComplete(bool keep_alive) {
  in_message_ = false;
  SetTimer(TimerMode::kNone);
  Slot& slot = slots_.emplace_back();
  slot.head = head_method_;
  slot.close_after = !keep_alive;
  slot.keep_alive_http10 = keep_alive && http10_;
  if (!keep_alive) {
    no_more_requests_ = true;
    StopReading();
  }

  // The URL the handler sees is absolute, as in Workers: scheme, Host, then the target.
  url_.clear();
  if (target_.starts_with("http://") || target_.starts_with("https://")) {
    url_.append(target_);
  } else {
    std::string_view host = server_->default_host();
    for (size_t i = 0; i < header_count_; ++i) {
      if (headers_[i].first == "host") host = headers_[i].second;
    }
    base::StrAppend(&url_, "http://", host, target_);
  }
  bindings::HeaderView views[64];
  std::vector<bindings::HeaderView> many;
  std::span<const bindings::HeaderView> header_span;
  if (header_count_ <= std::size(views)) {
    for (size_t i = 0; i < header_count_; ++i) views[i] = {headers_[i].first, headers_[i].second};
    header_span = std::span(views, header_count_);
  } else {
    many.assign(headers_.begin(), headers_.begin() + static_cast<ptrdiff_t>(header_count_));
    header_span = many;
  }
  bindings::RequestView request{method_, url_, header_span, body_, has_body_};
  // The dispatch may answer at once (Complete() re-enters this connection; it only queues).
  slot.id = server_->NewRequest(this);
  server_->Dispatch(slot.id, route_.target, request);
  return OverBacklog() ? HttpParser::Action::kPause : HttpParser::Action::kContinue;
}

RouteDecision HttpConnection::RouteTarget(std::string_view host) {
  std::string_view target = target_;
  // An absolute-form target carries its own authority (RFC 9112 §3.2.2).
  for (std::string_view scheme : {"http://", "https://"}) {
    if (!target.starts_with(scheme)) continue;
    target.remove_prefix(scheme.size());
    size_t slash = target.find('/');
    host = target.substr(0, slash);
    target = slash == std::string_view::npos ? "/" : target.substr(slash);
    break;
  }
  return server_->Route(host, target.substr(0, target.find('?')));
}

HttpConnection::Slot* HttpConnection::FindSlot(uint64_t id) {
  for (Slot& slot : slots_) {
    if (slot.id == id) return slot.done ? nullptr : &slot;
  }
  return nullptr;
}

void HttpConnection::Serialize(Slot& slot, const bindings::ResponseView& response) {
  bool no_body = response.status == 204 || response.status == 304 || (response.status >= 100 && response.status < 200);
  ResponseHead head;
  head.status = response.status;
  head.status_text = response.status_text;
  head.headers = response.headers;
  head.no_body = no_body;
  head.content_length = response.body.size();
  head.close = slot.close_after;
  head.keep_alive_http10 = slot.keep_alive_http10;
  // Fast path: the oldest response goes straight to the output buffer.
  std::string* out = (!slots_.empty() && &slots_.front() == &slot) ? &out_ : &slot.data;
  out->reserve(out->size() + 160 + response.body.size());
  AppendResponseHead(head, out);
  if (!slot.head && !no_body) out->append(response.body);
  slot.done = true;
}

void HttpConnection::SerializeError(Slot& slot, ServerError error) {
  static constexpr bindings::HeaderView kJsonContentType[] = {{"content-type", "application/json"}};
  bindings::ResponseView response;
  response.status = StatusOf(error);
  response.headers = kJsonContentType;
  response.body = BodyOf(error);
  Serialize(slot, response);
}

void HttpConnection::Complete(uint64_t id, const bindings::ResponseView& response) {
  Slot* slot = FindSlot(id);
  if (slot == nullptr) return;
  Serialize(*slot, response);
  MarkDirty();
}

void HttpConnection::Fail(uint64_t id, ServerError error) {
  Slot* slot = FindSlot(id);
  if (slot == nullptr) return;
  SerializeError(*slot, error);
  MarkDirty();
}

bool HttpConnection::OverBacklog() const {
  const auto& limits = server_->limits();
  return slots_.size() >= limits.max_pipelined ||
         out_.size() + writing_.size() >= limits.max_buffered_output;
}

void HttpConnection::MarkDirty() {
  if (dirty_ || closing_) return;
  dirty_ = true;
  server_->MarkDirty(this);
}

void HttpConnection::Flush() {
  dirty_ = false;
  if (closing_ || lingering_) return;
  bool close_after = false;
  while (!slots_.empty() && slots_.front().done) {
    Slot& slot = slots_.front();
    if (out_.empty()) out_.swap(slot.data);
    else out_.append(slot.data);
    close_after = slot.close_after;
    if (slot.id != 0) server_->Forget(slot.id);
    slots_.pop_front();
    if (close_after) {
      slots_.clear();
      break;
    }
  }
  if (!write_in_flight_ && !out_.empty()) {
    uv_buf_t buf = uv_buf_init(out_.data(), static_cast<unsigned int>(out_.size()));
    int written = uv_try_write(reinterpret_cast<uv_stream_t*>(&tcp_), &buf, 1);
    if (written == static_cast<int>(out_.size())) {
      out_.clear();
    } else if (written >= 0 || written == UV_EAGAIN) {
      writing_.assign(out_, written > 0 ? written : 0);
      out_.clear();
      write_in_flight_ = true;
      uv_buf_t rest = uv_buf_init(writing_.data(), static_cast<unsigned int>(writing_.size()));
      uv_write(&write_req_, reinterpret_cast<uv_stream_t*>(&tcp_), &rest, 1,
               [](uv_write_t* req, int status) { Self(req)->OnWriteDone(status); });
    } else {
      Close();
      return;
    }
  }
  if (close_after) no_more_requests_ = true;
  if (no_more_requests_ && slots_.empty() && out_.empty() && !write_in_flight_) {
    Linger();
    return;
  }
  if (paused_ && !OverBacklog()) {
    paused_ = false;
    parser_.Resume();
    std::string input;
    input.swap(pending_input_);
    Parse(input);
    if (!paused_) StartReading();
  }
  if (slots_.empty() && !in_message_ && !write_in_flight_ && timer_mode_ == TimerMode::kNone) {
    SetTimer(TimerMode::kIdle);
  }
}

void HttpConnection::Linger() {
  if (lingering_ || closing_) return;
  lingering_ = true;
  constexpr uint64_t kLingerMs = 2000;
  timer_mode_ = TimerMode::kLinger;
  uv_timer_start(&timer_, [](uv_timer_t* t) { Self(t)->Close(); }, kLingerMs, 0);
  if (uv_shutdown(&shutdown_req_, reinterpret_cast<uv_stream_t*>(&tcp_), [](uv_shutdown_t*, int) {}) != 0) {
    Close();
    return;
  }
  StopReading();
  reading_ = true;
  uv_read_start(
      reinterpret_cast<uv_stream_t*>(&tcp_), AllocReadBuffer,
      [](uv_stream_t* s, ssize_t n, const uv_buf_t* buf) { Self(s)->OnRead(n, buf); });
}

void HttpConnection::OnWriteDone(int status) {
  write_in_flight_ = false;
  writing_.clear();
  if (status < 0) {
    Close();
    return;
  }
  MarkDirty();
}

void HttpConnection::SetTimer(TimerMode mode) {
  timer_mode_ = mode;
  const auto& limits = server_->limits();
  uint64_t ms = 0;
  switch (mode) {
    case TimerMode::kNone: uv_timer_stop(&timer_); return;
    case TimerMode::kIdle: ms = limits.idle_timeout_ms; break;
    case TimerMode::kHeaders: ms = limits.header_timeout_ms; break;
    case TimerMode::kBody: ms = limits.body_timeout_ms; break;
    case TimerMode::kLinger: return;
  }
  uv_timer_start(&timer_, [](uv_timer_t* t) { Self(t)->OnTimer(); }, ms, 0);
}

void HttpConnection::OnTimer() {
  TimerMode mode = timer_mode_;
  timer_mode_ = TimerMode::kNone;
  if (mode == TimerMode::kIdle || mode == TimerMode::kLinger) {
    Close();
  } else if (mode == TimerMode::kHeaders || mode == TimerMode::kBody) {
    RespondError(ServerError::kRequestTimeout);
    server_->FlushDirty();
  }
}

void HttpConnection::Close() {
  if (closing_) return;
  closing_ = true;
  StopReading();
  server_->Unregister(this);
  for (const Slot& slot : slots_) {
    if (slot.id != 0) server_->Forget(slot.id);
  }
  auto on_close = [](uv_handle_t* h) {
    auto* self = static_cast<HttpConnection*>(h->data);
    if (--self->handles_open_ == 0) delete self;
  };
  uv_close(reinterpret_cast<uv_handle_t*>(&timer_), on_close);
  uv_close(reinterpret_cast<uv_handle_t*>(&tcp_), on_close);
}

}  // namespace atl::server
