#include "server/http_server.h"

#include <sys/resource.h>

#include <algorithm>
#include <chrono>

#include "base/log.h"
#include "base/strings.h"
#include "server/http_connection.h"
#include "server/listen_socket.h"

namespace atl::server {

HttpServer::HttpServer(uv_loop_t* loop, const isolates::ConnectionLimits& limits, RequestSink* sink)
    : loop_(loop), limits_(limits), sink_(sink) {
  rlimit nofile{};
  if (getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur != RLIM_INFINITY) open_file_limit_ = nofile.rlim_cur;
  if (limits_.max_connections == 0) limits_.max_connections = isolates::MaxConnectionsFor(open_file_limit_);
  uv_check_init(loop_, &flush_check_);
  flush_check_.data = this;
  uv_check_start(&flush_check_, [](uv_check_t* check) { static_cast<HttpServer*>(check->data)->FlushDirty(); });
  uv_unref(reinterpret_cast<uv_handle_t*>(&flush_check_));
  uv_idle_init(loop_, &wake_);
  wake_.data = this;
  uv_unref(reinterpret_cast<uv_handle_t*>(&wake_));
  uv_timer_init(loop_, &resume_accept_);
  resume_accept_.data = this;
  uv_unref(reinterpret_cast<uv_handle_t*>(&resume_accept_));
}

void HttpServer::OnWake(uv_idle_t* idle) {
  uv_idle_stop(idle);
  auto* self = static_cast<HttpServer*>(idle->data);
  self->resuming_.swap(self->resumes_);
  for (uint64_t id : self->resuming_) self->sink_->ResumeResponse(id);  // may MarkDirty: flushed this turn
  self->resuming_.clear();
}

HttpServer::~HttpServer() { Shutdown(); }

absl::StatusOr<std::string> HttpServer::ListenOn(int fd) {
  auto* tcp = new uv_tcp_t;
  uv_tcp_init(loop_, tcp);
  tcp->data = this;
  auto fail = [&](std::string_view what, int code) {
    uv_close(reinterpret_cast<uv_handle_t*>(tcp), [](uv_handle_t* h) { delete reinterpret_cast<uv_tcp_t*>(h); });
    return absl::UnavailableError(base::StrCat("cannot ", what, " descriptor ", fd, ": ", uv_strerror(code)));
  };
  int rc = uv_tcp_open(tcp, fd);
  if (rc != 0) return fail("accept on", rc);
  rc = uv_listen(reinterpret_cast<uv_stream_t*>(tcp), 1024, [](uv_stream_t* listener, int status) {
    auto* server = static_cast<HttpServer*>(listener->data);
    if (status == 0) {
      server->OnConnection(listener);
    } else {
      server->OnAcceptError(status);
    }
  });
  if (rc != 0) return fail("listen on", rc);
  listeners_.push_back(tcp);
  std::string bound = LocalAddressOf(fd);
  if (default_host_.empty()) default_host_ = bound;
  return bound;
}

void HttpServer::StopListening() {
  waiting_listeners_.clear();
  for (uv_tcp_t* tcp : listeners_) {
    uv_close(reinterpret_cast<uv_handle_t*>(tcp), [](uv_handle_t* h) { delete reinterpret_cast<uv_tcp_t*>(h); });
  }
  listeners_.clear();
}

void HttpServer::Drain() {
  StopListening();
  std::vector<HttpConnection*> open(connections_.begin(), connections_.end());
  for (HttpConnection* connection : open) connection->Drain();
}

void HttpServer::Shutdown() {
  StopListening();
  std::vector<HttpConnection*> open(connections_.begin(), connections_.end());
  for (HttpConnection* connection : open) connection->Close();
  if (!uv_is_closing(reinterpret_cast<uv_handle_t*>(&wake_))) uv_close(reinterpret_cast<uv_handle_t*>(&wake_), nullptr);
  if (!uv_is_closing(reinterpret_cast<uv_handle_t*>(&resume_accept_))) {
    uv_close(reinterpret_cast<uv_handle_t*>(&resume_accept_), nullptr);
  }
  if (!uv_is_closing(reinterpret_cast<uv_handle_t*>(&flush_check_))) {
    uv_close(reinterpret_cast<uv_handle_t*>(&flush_check_), nullptr);
  }
}

uint64_t HttpServer::NewRequest(HttpConnection* connection) {
  uint64_t id = next_id_++;
  Inflight entry;
  entry.connection = connection;
  inflight_.insert_or_assign(id, std::move(entry));
  return id;
}

namespace {

uint64_t NowNs() {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch()).count());
}


}  // namespace

void HttpServer::Dispatch(uint64_t id, int32_t target, const bindings::RequestView& request) {
  if (observer_ != nullptr) {
    auto it = inflight_.find(id);
    if (it != inflight_.end()) {
      it->second.target = target;
      it->second.start_ns = NowNs();
      it->second.method.assign(request.method);
      it->second.path.assign(base::UrlPath(request.url));
    }
  }
  sink_->Dispatch(id, target, request);
}

void HttpServer::Forget(uint64_t id, bool aborted) {
  auto it = inflight_.find(id);
  if (it != inflight_.end()) {
    if (observer_ != nullptr && it->second.start_ns != 0) {
      const Inflight& done = it->second;
      observer_->OnRequestDone(RequestRecord{done.target, done.method, done.path, done.status, done.body_bytes,
                                             static_cast<double>(NowNs() - done.start_ns) / 1e9});
    }
    inflight_.erase(it);
  }
  sink_->Forget(id, aborted);
}

void HttpServer::Complete(uint64_t id, const bindings::ResponseView& response) {
  auto it = inflight_.find(id);
  if (it == inflight_.end()) return;
  if (it->second.status == 0) {
    it->second.status = response.status;
    it->second.body_bytes = response.body.size();
  }
  it->second.connection->Complete(id, response);
}

void HttpServer::Fail(uint64_t id, ServerError error) {
  auto it = inflight_.find(id);
  if (it == inflight_.end()) return;
  if (it->second.status == 0) {
    it->second.status = StatusOf(error);
    it->second.body_bytes = BodyOf(error).size();
  }
  it->second.connection->Fail(id, error);
}

bool HttpServer::StartStream(uint64_t id, const bindings::ResponseView& response) {
  auto it = inflight_.find(id);
  if (it == inflight_.end()) return false;
  if (it->second.status == 0) it->second.status = response.status;
  return it->second.connection->StartStream(id, response);
}

bool HttpServer::WriteBody(uint64_t id, std::string_view bytes) {
  auto it = inflight_.find(id);
  if (it == inflight_.end()) return false;
  it->second.body_bytes += bytes.size();
  return it->second.connection->WriteBody(id, bytes);
}

void HttpServer::EndBody(uint64_t id, bool complete) {
  if (HttpConnection* connection = ConnectionOf(id)) connection->EndBody(id, complete);
}

void HttpServer::UploadControl(uint64_t id, bool cancel) {
  if (HttpConnection* connection = ConnectionOf(id)) connection->UploadControl(id, cancel);
}

void HttpServer::Unregister(HttpConnection* connection) {
  MarkBusy(connection);
  connections_.erase(connection);
  dirty_.erase(std::remove(dirty_.begin(), dirty_.end(), connection), dirty_.end());
  // A connection closed: a listener waiting at the limit takes its pending connection on the
  // next loop turn, once the descriptor is closed for real.
  if (!waiting_listeners_.empty() || accept_paused_) uv_timer_start(&resume_accept_, ResumeAccepting, 0, 0);
}

void HttpServer::ResumeAccepting(uv_timer_t* timer) {
  auto* self = static_cast<HttpServer*>(timer->data);
  self->accept_paused_ = false;
  while (!self->waiting_listeners_.empty() && !self->accept_paused_ &&
         self->connections_.size() < self->limits_.max_connections) {
    uv_stream_t* listener = self->waiting_listeners_.back();
    self->waiting_listeners_.pop_back();
    self->AcceptOn(listener);
  }
}

void HttpServer::OnConnection(uv_stream_t* listener) {
  if (accept_paused_) {
    waiting_listeners_.push_back(listener);  // libuv stops watching it until uv_accept
    return;
  }
  if (connections_.size() >= limits_.max_connections) {
    if (idle_first_ == nullptr) {
      // Every connection has a request in progress: the next one to close lets this one in.
      LogLimit("connection limit reached: accepting waits for a connection to close");
      waiting_listeners_.push_back(listener);
      return;
    }
    LogLimit("connection limit reached: closing the connection idle the longest");
    idle_first_->Close();
  }
  AcceptOn(listener);
}

void HttpServer::AcceptOn(uv_stream_t* listener) {
  int fd = -1;
  HttpConnection* accepted = HttpConnection::Accept(listener, this, &fd);
  // Descriptors are numbered lowest-free first: one this close to the open-file limit means
  // every one below it is in use, whatever max_connections allows (KV files and fetch sockets
  // grew, or max_connections is set too high). The oldest idle connections give back enough
  // for the headroom (the libuv accept loop holds one more already), and accepting waits for
  // the next loop turn, when their descriptors are closed: past the limit libuv would close
  // every pending connection unanswered.
  if (accepted == nullptr || static_cast<uint64_t>(fd) + isolates::kFdHeadroom < open_file_limit_) return;
  accept_paused_ = true;  // before the Close: its Unregister schedules ResumeAccepting
  uint64_t shed = static_cast<uint64_t>(fd) + isolates::kFdHeadroom + 2 - open_file_limit_;
  if (idle_first_ == nullptr || idle_first_ == accepted) {
    LogLimit("near the open-file limit: accepting waits for a connection to close");
    return;
  }
  LogLimit("near the open-file limit: closing the connections idle the longest");
  for (; shed > 0 && idle_first_ != nullptr && idle_first_ != accepted; --shed) idle_first_->Close();
}

void HttpServer::OnAcceptError(int status) {
  // libuv closed what was pending already (it keeps a descriptor in reserve for that, so
  // EMFILE does not spin); an idle connection gives a descriptor back for the next one.
  if (status == UV_EMFILE || status == UV_ENFILE) {
    LogLimit("cannot accept: out of file descriptors; closing the connection idle the longest");
    if (idle_first_ != nullptr) idle_first_->Close();
  }
}

void HttpServer::MarkIdle(HttpConnection* connection, bool shed_first) {
  MarkBusy(connection);
  connection->idle_listed_ = true;
  if (shed_first) {
    connection->idle_next_ = idle_first_;
    if (idle_first_ != nullptr) idle_first_->idle_prev_ = connection;
    idle_first_ = connection;
    if (idle_last_ == nullptr) idle_last_ = connection;
    return;
  }
  connection->idle_prev_ = idle_last_;
  if (idle_last_ != nullptr) idle_last_->idle_next_ = connection;
  idle_last_ = connection;
  if (idle_first_ == nullptr) idle_first_ = connection;
}

void HttpServer::MarkBusy(HttpConnection* connection) {
  if (!connection->idle_listed_) return;
  HttpConnection* prev = connection->idle_prev_;
  HttpConnection* next = connection->idle_next_;
  (prev != nullptr ? prev->idle_next_ : idle_first_) = next;
  (next != nullptr ? next->idle_prev_ : idle_last_) = prev;
  connection->idle_prev_ = connection->idle_next_ = nullptr;
  connection->idle_listed_ = false;
}

void HttpServer::LogLimit(std::string_view what) {
  uint64_t now = NowNs();
  if (limit_logged_ns_ != 0 && now - limit_logged_ns_ < 10'000'000'000ull) return;
  limit_logged_ns_ = now;
  base::LogLine(base::LogLevel::kWarn, what)
      .Int("connections", static_cast<int64_t>(connections_.size()))
      .Int("max_connections", limits_.max_connections)
      .Emit();
}

void HttpServer::FlushDirty() {
  // Flushing may mark connections dirty again (resumed parsing): loop until quiet.
  while (!dirty_.empty()) {
    flushing_.swap(dirty_);
    for (HttpConnection* connection : flushing_) connection->Flush();
    flushing_.clear();
  }
  base::FlushBufferedLogs();  // the access lines of this loop turn, in one write
}

}  // namespace atl::server
