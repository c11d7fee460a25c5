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
  for (uint64_t id : self->resuming_) {
    int32_t target = self->TargetOf(id);
    if (target >= 0) self->sink_->ResumeResponse(id, target);  // may MarkDirty: flushed this turn
  }
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
  websockets_.Shutdown();
  if (!uv_is_closing(reinterpret_cast<uv_handle_t*>(&wake_))) uv_close(reinterpret_cast<uv_handle_t*>(&wake_), nullptr);
  if (!uv_is_closing(reinterpret_cast<uv_handle_t*>(&resume_accept_))) {
    uv_close(reinterpret_cast<uv_handle_t*>(&resume_accept_), nullptr);
  }
  if (!uv_is_closing(reinterpret_cast<uv_handle_t*>(&flush_check_))) {
    uv_close(reinterpret_cast<uv_handle_t*>(&flush_check_), nullptr);
  }
}

namespace {

uint64_t NowNs() {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch()).count());
}

}  // namespace

// A client's request from NewRequest to Forget: where its answer goes (its connection) and what
// the observer needs once it is done. Records are reused (spare_): answering a request costs no
// allocation.
struct HttpServer::Inflight final : ResponseSink {
  HttpConnection* connection = nullptr;
  uint64_t id = 0;
  int32_t target = -1;
  int status = 0;
  uint64_t body_bytes = 0;
  uint64_t start_ns = 0;
  std::string method;
  std::string path;

  void Respond(const bindings::ResponseView& response) override {
    if (status == 0) {
      status = response.status;
      body_bytes = response.body.size();
    }
    connection->Complete(id, response);
  }
  void Fail(ServerError error) override {
    if (status == 0) {
      status = StatusOf(error);
      body_bytes = BodyOf(error).size();
    }
    connection->Fail(id, error);
  }
  bool StartStream(const bindings::ResponseView& response) override {
    if (status == 0) status = response.status;
    return connection->StartStream(id, response);
  }
  bool WriteBody(std::string_view bytes) override {
    body_bytes += bytes.size();
    return connection->WriteBody(id, bytes);
  }
  bool RequestCf(bindings::RequestCfView* out) override {
    return connection != nullptr && connection->RequestCf(id, out);
  }
  bool AcceptsCoding(std::string_view coding) override {
    return connection == nullptr || connection->AcceptsCoding(id, coding);
  }
  void EndBody(bool complete) override { connection->EndBody(id, complete); }
  void UploadControl(bool cancel) override { connection->UploadControl(id, cancel); }
};

uint64_t HttpServer::NewRequest(HttpConnection* connection) {
  uint64_t id = next_id_++;
  std::unique_ptr<Inflight> entry;
  if (spare_.empty()) {
    entry = std::make_unique<Inflight>();
  } else {
    entry = std::move(spare_.back());
    spare_.pop_back();
  }
  entry->connection = connection;
  entry->id = id;
  inflight_.insert_or_assign(id, std::move(entry));
  return id;
}

void HttpServer::Dispatch(uint64_t id, int32_t target, const bindings::RequestView& request) {
  auto it = inflight_.find(id);
  if (it == inflight_.end()) return;
  Inflight& entry = *it->second;
  entry.target = target;
  if (observer_ != nullptr) {
    entry.start_ns = NowNs();
    entry.method.assign(request.method);
    entry.path.assign(base::UrlPath(request.url));
  }
  sink_->Dispatch(id, target, request, entry);
}

int32_t HttpServer::TargetOf(uint64_t id) const {
  auto it = inflight_.find(id);
  return it == inflight_.end() ? -1 : it->second->target;
}

bool HttpServer::PushUpload(uint64_t id, std::string_view bytes) { return sink_->PushUpload(id, TargetOf(id), bytes); }

void HttpServer::EndUpload(uint64_t id, std::string_view error) { sink_->EndUpload(id, TargetOf(id), error); }

void HttpServer::Forget(uint64_t id, bool aborted) {
  auto it = inflight_.find(id);
  if (it == inflight_.end()) {
    sink_->Forget(id, -1, aborted);
    return;
  }
  std::unique_ptr<Inflight> done = std::move(it->second);
  inflight_.erase(it);
  if (observer_ != nullptr && done->start_ns != 0) {
    observer_->OnRequestDone(RequestRecord{done->target, done->method, done->path, done->status, done->body_bytes,
                                           static_cast<double>(NowNs() - done->start_ns) / 1e9});
  }
  // The sink lets go of the record before it is reused.
  sink_->Forget(id, done->target, aborted);
  done->connection = nullptr;
  done->target = -1;
  done->status = 0;
  done->body_bytes = 0;
  done->start_ns = 0;
  spare_.push_back(std::move(done));
}

void HttpServer::Complete(uint64_t id, const bindings::ResponseView& response) {
  auto it = inflight_.find(id);
  if (it != inflight_.end()) it->second->Respond(response);
}

void HttpServer::Fail(uint64_t id, ServerError error) {
  auto it = inflight_.find(id);
  if (it != inflight_.end()) it->second->Fail(error);
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
