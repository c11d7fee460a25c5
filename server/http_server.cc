#include "server/http_server.h"

#include <algorithm>
#include <chrono>

#include "base/log.h"
#include "base/strings.h"
#include "server/http_connection.h"
#include "server/listen_socket.h"

namespace atl::server {

HttpServer::HttpServer(uv_loop_t* loop, const isolates::ConnectionLimits& limits, RequestSink* sink)
    : loop_(loop), limits_(limits), sink_(sink) {
  uv_check_init(loop_, &flush_check_);
  flush_check_.data = this;
  uv_check_start(&flush_check_, [](uv_check_t* check) { static_cast<HttpServer*>(check->data)->FlushDirty(); });
  uv_unref(reinterpret_cast<uv_handle_t*>(&flush_check_));
  uv_idle_init(loop_, &wake_);
  wake_.data = this;
  uv_unref(reinterpret_cast<uv_handle_t*>(&wake_));
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
    if (status == 0) HttpConnection::Accept(listener, static_cast<HttpServer*>(listener->data));
  });
  if (rc != 0) return fail("listen on", rc);
  listeners_.push_back(tcp);
  std::string bound = LocalAddressOf(fd);
  if (default_host_.empty()) default_host_ = bound;
  return bound;
}

void HttpServer::StopListening() {
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
  connections_.erase(connection);
  dirty_.erase(std::remove(dirty_.begin(), dirty_.end(), connection), dirty_.end());
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
