// Forwarding a request from a shared worker to the isolation group of its tenant (isolation.h):
// one loopback HTTP/1.1 exchange per request over the process's keep-alive pool, the answer
// streamed back into the request's sink with the same backpressure as a streamed response.
#include "server/isolation.h"

#include <unistd.h>

#include <cstdlib>
#include <vector>

#include "base/log.h"
#include "base/strings.h"

namespace atl::server {

std::map<std::string, uint16_t, std::less<>> ParseIsolationTable(std::string_view text) {
  std::map<std::string, uint16_t, std::less<>> table;
  for (std::string_view entry : base::Split(text, ',')) {
    size_t equals = entry.find('=');
    uint64_t port = 0;
    if (equals == std::string_view::npos || equals == 0 || !base::ParseUnsigned(entry.substr(equals + 1), &port) ||
        port == 0 || port > 65535) {
      continue;
    }
    table[std::string(entry.substr(0, equals))] = static_cast<uint16_t>(port);
  }
  return table;
}

std::string FormatIsolationTable(const std::map<std::string, uint16_t, std::less<>>& table) {
  std::string out;
  for (const auto& [name, port] : table) base::StrAppend(&out, out.empty() ? "" : ",", name, "=", port);
  return out;
}

bool PidHeaderEnabled() {
  static const bool enabled = [] {
    const char* value = getenv("ATOLL_TEST_PID_HEADER");
    return value != nullptr && std::string_view(value) == "1";
  }();
  return enabled;
}

// One forwarded request: the client exchange's events go to the request's sink.
class IsolationForwarder::Forward : public FetchSink {
 public:
  Forward(IsolationForwarder* owner, uint64_t id, ResponseSink* sink) : owner_(owner), id_(id), sink_(sink) {}

  HttpClient::Exchange* exchange = nullptr;

  void OnHead(int status, std::string_view status_text,
              const std::vector<std::pair<std::string, std::string>>& headers) override {
    std::vector<bindings::HeaderView> views(headers.begin(), headers.end());
    bindings::ResponseView response;
    response.status = status;
    response.status_text = status_text;
    response.headers = views;
    response.body_streamed = true;
    started_ = true;
    if (!sink_->StartStream(response)) Cancel();
  }
  bool OnChunk(std::string_view bytes) override { return sink_->WriteBody(bytes); }
  void OnEnd() override {
    sink_->EndBody(true);
    owner_->Done(id_);  // deletes this
  }
  void OnError(const std::string& message) override {
    base::LogLine(base::LogLevel::kWarn, "isolation: forwarding a request to its group failed").Str("error", message).Emit();
    if (started_) {
      sink_->EndBody(false);
    } else {
      sink_->Fail(ServerError::kOverloaded);
    }
    owner_->Done(id_);  // deletes this
  }
  void OnDrain() override { sink_->UploadControl(false); }

  void Cancel() {
    if (exchange != nullptr) owner_->client_.Cancel(exchange);
    exchange = nullptr;
  }

 private:
  IsolationForwarder* owner_;
  uint64_t id_;
  ResponseSink* sink_;
  bool started_ = false;
};

IsolationForwarder::IsolationForwarder(uv_loop_t* loop) : client_(loop, isolates::FetchLimits()) {
  if (const char* own = getenv("ATOLL_ISOLATED")) own_ = own;
  if (const char* table = getenv("ATOLL_ISOLATION")) table_ = ParseIsolationTable(table);
}

IsolationForwarder::~IsolationForwarder() { Shutdown(); }

void IsolationForwarder::Dispatch(uint64_t id, uint16_t port, const bindings::RequestView& request, ResponseSink* sink) {
  OutboundRequest out;
  out.method = std::string(request.method);
  out.host = "127.0.0.1";
  out.port = port;
  out.target = std::string(request.url);  // absolute: the group's process sees the same URL
  out.outbound = {base::StrCat("127.0.0.1:", port)};
  for (const auto& [name, value] : request.headers) {
    if (name == "host") {
      out.host_header = std::string(value);
      continue;
    }
    if (name == "content-length") {
      uint64_t length = 0;
      if (base::ParseUnsigned(value, &length)) out.body_length = static_cast<int64_t>(length);
    }
    out.headers.emplace_back(std::string(name), std::string(value));
  }
  if (out.host_header.empty()) {  // the authority of the absolute URL
    std::string_view rest = request.url.substr(request.url.find("://") == std::string_view::npos ? 0 : request.url.find("://") + 3);
    out.host_header = std::string(rest.substr(0, rest.find('/')));
  }
  if (request.body_streamed) {
    out.body_streamed = true;
  } else {
    out.body = std::string(request.body);
    out.body_length = -1;
  }
  ++forwarded_;
  auto forward = std::make_unique<Forward>(this, id, sink);
  Forward* raw = forward.get();
  forwards_[id] = std::move(forward);
  HttpClient::Exchange* exchange = client_.Start(std::move(out), raw);
  // Start may have failed at once (then the forward is gone already).
  if (auto it = forwards_.find(id); it != forwards_.end() && it->second.get() == raw) raw->exchange = exchange;
}

bool IsolationForwarder::PushUpload(uint64_t id, std::string_view bytes) {
  auto it = forwards_.find(id);
  if (it == forwards_.end() || it->second->exchange == nullptr) return true;
  return client_.Write(it->second->exchange, bytes);
}

void IsolationForwarder::EndUpload(uint64_t id, std::string_view error) {
  auto it = forwards_.find(id);
  if (it == forwards_.end() || it->second->exchange == nullptr) return;
  if (!error.empty()) return Forget(id);
  client_.EndBody(it->second->exchange);
}

void IsolationForwarder::ResumeResponse(uint64_t id) {
  auto it = forwards_.find(id);
  if (it != forwards_.end() && it->second->exchange != nullptr) client_.Resume(it->second->exchange);
}

void IsolationForwarder::Forget(uint64_t id) {
  auto it = forwards_.find(id);
  if (it == forwards_.end()) return;
  std::unique_ptr<Forward> forward = std::move(it->second);
  forwards_.erase(it);
  forward->Cancel();
}

void IsolationForwarder::Done(uint64_t id) { forwards_.erase(id); }

void IsolationForwarder::Shutdown() {
  for (auto& [id, forward] : forwards_) forward->Cancel();
  forwards_.clear();
  client_.Shutdown();
}

}  // namespace atl::server
