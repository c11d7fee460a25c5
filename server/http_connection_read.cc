// HttpConnection, reading requests: the parser's delegate (head checks, routing, 100-continue,
// the request body) and parse errors. Writing answers, the socket and the connection's life
// are in http_connection.cc. Also what a request's connection tells request.cf (RequestCf).
#include "base/log.h"
#include "base/strings.h"
#include "server/http_connection.h"
#include "server/accept_encoding.h"
#include "server/http_server.h"
#include "server/websocket_handshake.h"

namespace atl::server {

void HttpConnection::Parse(std::string_view data) {
  while (!data.empty() && state_ == State::kOpen) {
    size_t consumed = 0;
    HttpParser::Result result = parser_.Execute(data, &consumed);
    data.remove_prefix(consumed);
    if (result == HttpParser::Result::kOk) break;
    if (result == HttpParser::Result::kPaused) {
      if (OverBacklog() || body_.paused()) {
        paused_ = true;
        StopReading();
        pending_input_.assign(data);
        return;
      }
      parser_.Resume();
      continue;
    }
    if (result == HttpParser::Result::kUpgrade) {
      // Answer the request, then close, unless it is answered 101 with a WebSocket
      // (StartWebSocket): what follows the request is the socket's first frames.
      pending_input_.assign(data);
      StopRequests();
      if (!slots_.empty()) slots_.back().close_after = true;
      StopReading();
      break;
    }
    ParseError();
    break;
  }
  // The read ended inside a body that may stream: the handler gets what came so far.
  if (in_message_ && body_.may_stream() && state_ == State::kOpen && !paused_ && StartUpload()) {
    paused_ = true;
    StopReading();
  }
  MarkDirty();
}

void HttpConnection::ParseError() {
  if (base::LogEnabled(base::LogLevel::kDebug)) {
    base::LogLine(base::LogLevel::kDebug, "malformed request").Str("reason", parser_.error_reason()).Emit();
  }
  RespondError(parser_.head_too_large() ? ServerError::kHeadersTooLarge : parse_error_);
}

HttpParser::Action HttpConnection::OnMessageBegin() {
  in_message_ = true;
  body_.Clear();
  upgrade_accept_.clear();
  parse_error_ = ServerError::kBadRequest;
  SetTimer(TimerMode::kHeaders);
  return HttpParser::Action::kContinue;
}

HttpParser::Action HttpConnection::OnHeadersComplete(const MessageHead& head) {
  head_ = head;
  bool http10 = head.http_major == 1 && head.http_minor == 0;
  bool has_host = false;
  std::string_view host;
  for (const auto& [name, value] : head.headers) {
    if (name == "host") {
      // Two Host headers: a proxy in front may route by the other one (RFC 9112 §3.2: 400).
      if (has_host) return HttpParser::Action::kError;
      has_host = true;
      host = value;
    }
  }
  if (!has_host && !http10) return HttpParser::Action::kError;  // RFC 9112 §3.2
  route_ = RouteTarget(host);
  // A body over max_buffered_request_body, or of unknown length, may go to the handler as a
  // stream (StartUpload): once it outgrows that bound, or a read ends before it does. A body
  // that arrives whole with its head is read first (one call into JS, no stream).
  if (!body_.Begin(head, route_.max_request_body, server_->limits().max_buffered_request_body)) {
    parse_error_ = ServerError::kBodyTooLarge;
    return HttpParser::Action::kError;
  }
  for (const auto& [name, value] : head.headers) {
    if (name == "expect" && base::EqualsIgnoreCase(value, "100-continue") && !http10 && body_.present() &&
               slots_.empty()) {
      // The client waits for this before sending the body; later in a pipeline it is skipped.
      out_.append("HTTP/1.1 100 Continue\r\n\r\n");
      MarkDirty();
    }
  }
  if (IsWebSocketUpgrade(head)) {
    absl::StatusOr<std::string> accept = WebSocketUpgradeAccept(head);
    if (accept.ok()) upgrade_accept_ = std::move(*accept);
  }
  SetTimer(body_.present() ? TimerMode::kBody : TimerMode::kNone);
  return HttpParser::Action::kContinue;
}

bool HttpConnection::StartUpload() {
  DispatchRequest(head_.keep_alive, /*streamed=*/true);
  std::string first = body_.TakeBuffered();
  if (first.empty()) return false;
  return Upload(first) == HttpParser::Action::kPause;
}

HttpParser::Action HttpConnection::OnBody(std::string_view piece) {
  if (!body_.Count(piece.size())) {
    parse_error_ = ServerError::kBodyTooLarge;
    return HttpParser::Action::kError;
  }
  SetTimer(TimerMode::kBody);
  if (body_.streaming()) return Upload(piece);
  if (body_.Buffer(piece) && StartUpload()) return HttpParser::Action::kPause;
  return HttpParser::Action::kContinue;
}

HttpParser::Action HttpConnection::Upload(std::string_view piece) {
  if (body_.Push(piece)) return HttpParser::Action::kContinue;
  // The handler's stream holds its high-water mark: wait for it to read (UploadControl), not
  // for the client (no body timeout meanwhile).
  SetTimer(TimerMode::kNone);
  return HttpParser::Action::kPause;
}

void HttpConnection::DoneWithUpload(uint64_t id) {
  if (body_.Discard(id)) MarkDirty();  // Flush resumes parsing
}

void HttpConnection::UploadControl(uint64_t id, bool cancel) {
  if (cancel) {
    DoneWithUpload(id);
  } else if (body_.Resume(id)) {
    MarkDirty();
  }
}

HttpParser::Action HttpConnection::OnMessageComplete(bool keep_alive) {
  in_message_ = false;
  SetTimer(TimerMode::kNone);
  if (body_.streaming()) {
    if (!keep_alive || draining_) {
      StopRequests();
      StopReading();
    }
    body_.End("");
  } else {
    DispatchRequest(keep_alive, /*streamed=*/false);
  }
  return OverBacklog() ? HttpParser::Action::kPause : HttpParser::Action::kContinue;
}

RouteDecision HttpConnection::RouteTarget(std::string_view host) {
  std::string_view target = head_.target;
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

bool HttpConnection::AcceptsCoding(uint64_t id, std::string_view coding) const {
  for (const Slot& slot : slots_) {
    if (slot.id == id) return server::AcceptsCoding(slot.codings, coding);
  }
  return false;
}

bool HttpConnection::RequestCf(uint64_t id, bindings::RequestCfView* out) {
  for (const Slot& slot : slots_) {
    if (slot.id != id) continue;
    out->http_protocol = slot.http10 ? "HTTP/1.0" : "HTTP/1.1";
    if (const TlsSession* tls = socket_.tls()) {
      out->tls_version = tls->version();
      out->tls_cipher = tls->cipher();
    }
    int64_t rtt = socket_.RoundTripMicros();
    out->client_tcp_rtt_ms = rtt < 0 ? -1 : (rtt + 500) / 1000;
    out->edge_json = slot.edge_cf;
    return true;
  }
  return false;
}

}  // namespace atl::server
