#include "server/http_connection.h"

#include "base/log.h"
#include "base/strings.h"
#include "server/accept_encoding.h"
#include "server/http_server.h"
#include "server/response_writer.h"

namespace atl::server {
namespace {

template <typename T>
HttpConnection* Self(T* handle) {
  return static_cast<HttpConnection*>(handle->data);
}

}  // namespace

HttpConnection::HttpConnection(HttpServer* server)
    : server_(server), socket_(server->loop(), this), parser_(HttpParser::Type::kRequest, this), body_(this) {
  parser_.set_max_head_bytes(server->limits().max_header_bytes);
  uv_timer_init(server->loop(), &timer_);
  timer_.data = this;
  handles_open_ = 2;
  if (server->tls() != nullptr) socket_.StartTls(std::make_unique<TlsSession>(*server->tls()));
}

HttpConnection::~HttpConnection() = default;

HttpConnection* HttpConnection::Accept(uv_stream_t* listener, HttpServer* server, int* fd) {
  auto* conn = new HttpConnection(server);
  if (!conn->socket_.Accept(listener, fd)) {
    conn->Close();
    return nullptr;
  }
  conn->socket_.SetNoDelay();
  server->Register(conn);
  conn->StartReading();
  if (conn->socket_.tls() != nullptr) {
    // The handshake gets as long as a request head (header_timeout_ms), not the idle timeout.
    conn->timer_mode_ = TimerMode::kIdle;
    conn->timer_at_.deadline = 0;  // up at the handshake timer's end (OnTimer)
    server->MarkIdle(conn);
    uv_timer_start(&conn->timer_, [](uv_timer_t* t) { Self(t)->OnTimer(); }, server->limits().header_timeout_ms, 0);
  } else {
    conn->SetTimer(TimerMode::kIdle);
  }
  return conn;
}

void HttpConnection::StartReading() {
  if (state_ != State::kOpen && state_ != State::kWebSocket) return;
  socket_.StartReading();
}

void HttpConnection::StopReading() { socket_.StopReading(); }

void HttpConnection::OnSocketEnd(int status) {
  if (state_ == State::kLingering) {
    Close();
    return;
  }
  if (socket_.tls_failed()) {
    // Not TLS (a plaintext request, garbage), a failed handshake or a bad record: this
    // connection only.
    if (base::LogEnabled(base::LogLevel::kDebug)) {
      base::LogLine(base::LogLevel::kDebug, "TLS connection closed").Str("reason", socket_.tls()->error()).Emit();
    }
    Close();
    return;
  }
  OnEnd(status == UV_EOF);
}

void HttpConnection::OnSocketHandshake() {
  // The handshake had header_timeout_ms; the connection now idles as any other.
  if (timer_mode_ == TimerMode::kIdle) SetTimer(TimerMode::kIdle);
}

void HttpConnection::OnSocketWritten(int status) {
  if (status < 0) {
    Close();
    return;
  }
  MarkDirty();
}

void HttpConnection::OnSocketClosed() {
  if (--handles_open_ == 0) delete this;
}

void HttpConnection::OnEnd(bool clean) {
  // A client that half-closes after its last complete request still gets its responses; a
  // reset, or EOF in the middle of a request, ends the connection now.
  StopReading();
  if (state_ == State::kWebSocket) {
    if (ws_) ws_->OnTransportEnd();  // the owner's close event (1006)
    Close();
    return;
  }
  StopRequests();
  if (!clean || slots_.empty() || in_message_) Close();
}

void HttpConnection::RespondError(ServerError error) {
  in_message_ = false;
  if (body_.streaming()) {
    // The request is with its handler already: its body stream errors, and the error is the
    // answer unless the handler answered first.
    uint64_t id = body_.stream_id();
    body_.End(base::StrCat("The request body could not be read: ", CodeOf(error)));
    Slot* pending = FindSlot(id);
    if (pending != nullptr && !pending->streaming) {
      SerializeError(*pending, error);
      pending->close_after = true;
      StopRequests();
      StopReading();
      SetTimer(TimerMode::kNone);
      MarkDirty();
      return;
    }
    // The handler answered already (or streams its answer): that answer is the only one this
    // request gets, and the connection closes after it, the rest of the body unread.
    for (Slot& slot : slots_) {
      if (slot.id == id) slot.close_after = true;
    }
    StopRequests();
    StopReading();
    SetTimer(TimerMode::kNone);
    MarkDirty();
    return;
  }
  Slot slot;
  slot.close_after = true;
  SerializeError(slot, error);
  slots_.push_back(std::move(slot));
  StopRequests();
  StopReading();
  SetTimer(TimerMode::kNone);
  MarkDirty();
}

void HttpConnection::DispatchRequest(bool keep_alive, bool streamed) {
  keep_alive = keep_alive && !draining_;
  Slot& slot = slots_.emplace_back();
  slot.ws_accept = std::move(upgrade_accept_);
  bool http10 = head_.http_major == 1 && head_.http_minor == 0;
  slot.head = head_.method == "HEAD";
  slot.http10 = http10;
  slot.close_after = !keep_alive;
  slot.keep_alive_http10 = keep_alive && http10;
  for (const auto& [name, value] : head_.headers) {
    if (name.size() == 15 && name == "accept-encoding") slot.codings |= AcceptedCodings(value);
  }
  if (!keep_alive && !streamed) {
    StopRequests();
    StopReading();
  }

  // The URL the handler sees is absolute, as in Workers: scheme, Host, then the target.
  url_.clear();
  std::string_view target = head_.target;
  if (target.starts_with("http://") || target.starts_with("https://")) {
    url_.append(target);
  } else {
    std::string_view host = server_->default_host();
    for (const auto& [name, value] : head_.headers) {
      if (name == "host") host = value;
    }
    base::StrAppend(&url_, socket_.tls() != nullptr ? "https://" : "http://", host, target);
  }
  bindings::HeaderView views[64];
  std::vector<bindings::HeaderView> many;
  std::span<const bindings::HeaderView> header_span;
  size_t header_count = head_.headers.size();
  std::string_view cf_header = server_->cf_header();
  if (header_count <= std::size(views)) {
    for (size_t i = 0; i < header_count; ++i) views[i] = {head_.headers[i].first, head_.headers[i].second};
    header_span = std::span(views, header_count);
  } else {
    many.assign(head_.headers.begin(), head_.headers.end());
    header_span = many;
  }
  // The operator's edge header (request.cf) is for atoll, not the tenant: taken out, kept with
  // the slot until request.cf asks for it. Only looked for when configured.
  if (!cf_header.empty()) {
    bindings::HeaderView* first = views;
    if (!many.empty()) first = many.data();
    size_t kept = 0;
    for (size_t i = 0; i < header_count; ++i) {
      if (first[i].first == cf_header) {
        if (slot.edge_cf.empty()) slot.edge_cf.assign(first[i].second);
      } else {
        first[kept++] = first[i];
      }
    }
    header_span = std::span(first, kept);
  }
  bindings::RequestView request;
  request.method = head_.method;
  request.url = url_;
  request.headers = header_span;
  request.body = body_.buffered();
  request.has_body = body_.present();
  request.body_streamed = streamed;
  // The dispatch may answer at once (Complete() re-enters this connection; it only queues).
  uint64_t id = slot.id = server_->NewRequest(this);
  if (streamed) body_.StartStreaming(id);
  server_->Dispatch(id, route_.target, request);
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
  head.node = server_->node_name();
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
  if (slot == nullptr || slot->streaming) {
    if (response.web_socket != 0) server_->websockets()->Refuse(response.web_socket);
    return;
  }
  if (response.web_socket != 0) {
    StartWebSocket(*slot, response);
    return;
  }
  Serialize(*slot, response);
  DoneWithUpload(id);
  MarkDirty();
}

void HttpConnection::Fail(uint64_t id, ServerError error) {
  Slot* slot = FindSlot(id);
  if (slot == nullptr) return;
  if (slot->streaming) {
    EndBody(id, /*complete=*/false);  // the head is out: all that is left is to cut the body short
    return;
  }
  SerializeError(*slot, error);
  DoneWithUpload(id);
  MarkDirty();
}

bool HttpConnection::StartStream(uint64_t id, const bindings::ResponseView& response) {
  Slot* slot = FindSlot(id);
  if (slot == nullptr || slot->streaming || closing()) return false;
  bool no_body = response.status == 204 || response.status == 304 || (response.status >= 100 && response.status < 200);
  ResponseHead head;
  head.status = response.status;
  head.status_text = response.status_text;
  head.headers = response.headers;
  for (const auto& [name, value] : response.headers) {
    uint64_t length = 0;
    if (name == "content-length" && !value.empty() && value.size() <= 18 &&
        value.find_first_not_of("0123456789") == std::string_view::npos) {
      for (char c : value) length = length * 10 + static_cast<uint64_t>(c - '0');
      slot->has_length = true;
      slot->remaining = length;
      head.content_length = length;
    }
  }
  if (no_body) {
    head.no_body = true;
  } else if (!slot->has_length) {
    if (slot->http10) {
      head.no_body = true;  // no framing header: the body ends with the connection
      slot->close_after = true;
    } else {
      head.chunked = true;
    }
  }
  head.close = slot->close_after;
  head.keep_alive_http10 = slot->keep_alive_http10 && !slot->close_after;
  head.node = server_->node_name();
  AppendResponseHead(head, OutputOf(*slot));
  if (slot->head || no_body) {
    slot->done = true;
    slot->cancel_stream = true;  // Flush tells the server, which cancels the body stream
    DoneWithUpload(id);
  } else {
    slot->streaming = true;
    slot->chunked = head.chunked;
  }
  MarkDirty();
  return true;
}

bool HttpConnection::WriteBody(uint64_t id, std::string_view bytes) {
  Slot* slot = FindSlot(id);
  if (slot == nullptr || !slot->streaming || closing()) return false;
  std::string* out = OutputOf(*slot);
  if (slot->chunked) {
    AppendChunk(bytes, out);
  } else {
    if (slot->has_length) {
      if (bytes.size() > slot->remaining) {
        bytes = bytes.substr(0, slot->remaining);
        slot->close_after = true;  // more than the Content-Length promised: the body is cut
      }
      slot->remaining -= bytes.size();
    }
    out->append(bytes);
  }
  MarkDirty();
  size_t unsent = out == &out_ ? out_.size() + socket_.unsent() : out->size();
  if (unsent < server_->limits().max_streamed_output) return true;
  slot->wants_drain = true;
  return false;
}

void HttpConnection::EndBody(uint64_t id, bool complete) {
  Slot* slot = FindSlot(id);
  if (slot == nullptr || !slot->streaming) return;
  if (complete && slot->chunked) AppendLastChunk(OutputOf(*slot));
  // A body cut short, or shorter than its Content-Length, can only end with the connection.
  if (!complete || (slot->has_length && slot->remaining != 0)) slot->close_after = true;
  slot->done = true;
  slot->wants_drain = false;
  DoneWithUpload(id);
  MarkDirty();
}

bool HttpConnection::OverBacklog() const {
  const auto& limits = server_->limits();
  return slots_.size() >= limits.max_pipelined ||
         out_.size() + socket_.unsent() >= limits.max_buffered_output;
}

void HttpConnection::Drain() {
  if (closing()) return;
  draining_ = true;
  if (state_ == State::kWebSocket) {
    if (ws_) ws_->Shutdown(ws_close::kGoingAway, "server going away");  // the owner's close event, then closed
    MarkDirty();
    return;
  }
  if (slots_.empty() || slots_.back().done) {
    // Every answer is written, or serialized already as keep-alive: the client may be sending
    // its next request already (or be half-way through one), and closing now would reset it.
    // That request is read and answered with Connection: close; without one, the idle timer
    // closes after drain_idle_ms.
    if (timer_mode_ == TimerMode::kIdle) SetTimer(TimerMode::kIdle);
    return;
  }
  StopRequests();
  StopReading();
  slots_.back().close_after = true;
  MarkDirty();
}

void HttpConnection::MarkDirty() {
  if (dirty_ || closing()) return;
  dirty_ = true;
  server_->MarkDirty(this);
}

void HttpConnection::Flush() {
  dirty_ = false;
  if (state_ >= State::kLingering) return;
  bool close_after = false;
  aborted_.clear();  // ids whose streams are cancelled once the slots settled (that runs JS)
  while (!slots_.empty()) {
    Slot& slot = slots_.front();
    if (!slot.data.empty()) {
      if (out_.empty()) out_.swap(slot.data);
      else out_.append(slot.data);
      slot.data.clear();
    }
    if (!slot.done) break;  // not answered yet, or a body still streaming
    close_after = slot.close_after;
    if (slot.cancel_stream) aborted_.push_back(slot.id);
    else if (slot.id != 0) server_->Forget(slot.id, false);
    slots_.pop_front();
    if (close_after) {
      for (const Slot& rest : slots_) {
        if (rest.id != 0) aborted_.push_back(rest.id);
      }
      slots_.clear();
      break;
    }
  }
  if (!aborted_.empty()) {
    std::vector<uint64_t> aborted;
    aborted.swap(aborted_);
    for (uint64_t id : aborted) server_->Forget(id, true);
    if (closing()) return;
  }
  if (state_ == State::kWebSocket) {
    FlushWebSocket();
    return;
  }
  if (!WriteOut()) return;
  if (close_after) StopRequests();
  if (state_ != State::kOpen && slots_.empty() && out_.empty() && !socket_.write_in_flight()) {
    if (socket_.ShutdownTls()) {  // close_notify before the TCP half-close
      if (!WriteOut()) return;
      if (socket_.write_in_flight()) return;  // lingers once it is written (OnSocketWritten flushes again)
    }
    Linger();
    return;
  }
  if (paused_ && !OverBacklog() && !body_.paused()) {
    paused_ = false;
    if (in_message_) SetTimer(TimerMode::kBody);
    parser_.Resume();
    std::string input;
    input.swap(pending_input_);
    Parse(input);
    if (!paused_) StartReading();
  }
  if (slots_.empty() && !in_message_ && !socket_.write_in_flight() && timer_mode_ == TimerMode::kNone) {
    SetTimer(TimerMode::kIdle);
  }
  // The oldest response streams its body and the socket took enough of it: the handler's stream
  // may be read again (which may write more and mark this connection dirty again).
  if (!slots_.empty() && slots_.front().wants_drain &&
      out_.size() + socket_.unsent() < server_->limits().max_streamed_output) {
    slots_.front().wants_drain = false;
    server_->ResumeResponse(slots_.front().id);
  }
}

bool HttpConnection::WriteOut() {
  if (socket_.Write(&out_) == 0) return true;
  Close();
  return false;
}

void HttpConnection::Linger() {
  if (state_ >= State::kLingering) return;
  state_ = State::kLingering;
  timer_mode_ = TimerMode::kLinger;
  timer_at_.due = 0;
  server_->MarkIdle(this, /*shed_first=*/true);  // all answered: the first to go at the limit
  uv_timer_start(&timer_, [](uv_timer_t* t) { Self(t)->Close(); }, server_->limits().linger_ms, 0);
  if (!socket_.ShutdownAndDiscard()) Close();
}

void HttpConnection::SetTimer(TimerMode mode) {
  timer_mode_ = mode;
  if (mode == TimerMode::kIdle && !closing()) {
    server_->MarkIdle(this);
  } else {
    server_->MarkBusy(this);
  }
  const auto& limits = server_->limits();
  uint64_t ms = 0;
  switch (mode) {
    case TimerMode::kNone: return;  // an armed timer finds nothing to do (OnTimer)
    case TimerMode::kIdle: ms = draining_ ? std::min(limits.idle_timeout_ms, limits.drain_idle_ms) : limits.idle_timeout_ms; break;
    case TimerMode::kHeaders: ms = limits.header_timeout_ms; break;
    case TimerMode::kBody: ms = limits.body_timeout_ms; break;
    case TimerMode::kLinger: return;
    case TimerMode::kWebSocket: return;  // armed by FlushWebSocket
  }
  timer_at_.deadline = uv_now(server_->loop()) + ms;
  if (timer_at_.due != 0 && timer_at_.due <= timer_at_.deadline) return;  // fires first, OnTimer re-arms
  timer_at_.due = timer_at_.deadline;
  uv_timer_start(&timer_, [](uv_timer_t* t) { Self(t)->OnTimer(); }, ms, 0);
}

void HttpConnection::OnTimer() {
  timer_at_.due = 0;
  TimerMode mode = timer_mode_;
  if (mode == TimerMode::kNone) return;
  if (mode == TimerMode::kIdle || mode == TimerMode::kHeaders || mode == TimerMode::kBody) {
    uint64_t now = uv_now(server_->loop());
    if (now < timer_at_.deadline) {  // armed for an earlier mode's deadline: not this one's yet
      timer_at_.due = timer_at_.deadline;
      uv_timer_start(&timer_, [](uv_timer_t* t) { Self(t)->OnTimer(); }, timer_at_.deadline - now, 0);
      return;
    }
  }
  timer_mode_ = TimerMode::kNone;
  if (mode == TimerMode::kWebSocket) {
    OnWebSocketTimer();
  } else if (mode == TimerMode::kIdle || mode == TimerMode::kLinger) {
    Close();
  } else if (mode == TimerMode::kHeaders || mode == TimerMode::kBody) {
    RespondError(ServerError::kRequestTimeout);
    server_->FlushDirty();
  }
}

void HttpConnection::Close() {
  if (state_ == State::kClosed) return;
  state_ = State::kClosed;
  StopReading();
  EndWebSocket();
  server_->Unregister(this);
  std::vector<std::pair<uint64_t, bool>> forgotten;
  for (const Slot& slot : slots_) {
    if (slot.id != 0) forgotten.emplace_back(slot.id, !slot.done || slot.cancel_stream);
  }
  slots_.clear();
  // A body the handler still streams from the client, or to it, ends here.
  if (body_.streaming()) body_.End("The client closed the connection before the request body ended.");
  for (const auto& [id, aborted] : forgotten) server_->Forget(id, aborted);
  uv_close(reinterpret_cast<uv_handle_t*>(&timer_),
           [](uv_handle_t* h) { static_cast<HttpConnection*>(h->data)->OnSocketClosed(); });
  socket_.Close();
}

}  // namespace atl::server
