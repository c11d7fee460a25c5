#include "server/outbound.h"

#include <chrono>

#include "base/latency_histogram.h"
#include "base/log.h"
#include "base/strings.h"
#include "server/client_websocket.h"
#include "server/tenant_manager.h"

namespace atl::server {

using bindings::FetchEventKind;

// The header js/lazy/fetch.js puts on a service binding's RPC call (RequestView::rpc).
constexpr std::string_view kRpcHeader = "x-atoll-rpc";

// One fetch in flight: the HttpClient's sink, or the caller's side of a service call (then the
// ResponseSink the called tenant answers into).
struct Outbound::Fetch final : FetchSink, ResponseSink {
  Outbound* owner = nullptr;
  uint64_t id = 0;
  uint32_t tenant = 0;
  HttpClient::Exchange* exchange = nullptr;  // network fetch, until it ends
  SocketClient::Connection* socket = nullptr;  // a socket, until it ends
  std::shared_ptr<Chain> chain;               // of the calling request, if it has one
  uint64_t service_request = 0;              // service call: the called tenant's request id
  uint32_t service_target = 0;               // ... and the called tenant
  bool service_streaming = false;            // ... whose answer is a streamed body
  ServiceUpload upload;                      // ... and its streamed request body, if any
  size_t queued = 0;                         // body bytes queued for JS
  bool js_wants = true;                      // JS answered its last chunk with "more"
  bool source_paused = false;                // the client / the called tenant was told to wait
  bool done = false;
  uint64_t request = 0;                      // network fetch: the request it counts against ...
  bool awaits_head = false;                  // ... while it waits for its head (or to connect)
  // A network fetch queued behind its request's max_pending_heads: its request, and what JS
  // wrote of a streamed body meanwhile (sent once it connects).
  std::unique_ptr<OutboundRequest> queued_request;
  std::string queued_body;
  bool queued_body_end = false;
  bool queued_body_full = false;             // a write was answered "full": a DRAIN is owed

  void OnHead(int status, std::string_view status_text,
              const std::vector<std::pair<std::string, std::string>>& headers) override {
    owner->EndHeadWait(this);
    Event event = MakeEvent(id, FetchEventKind::kHead);
    event.status = status;
    event.text = std::string(status_text);
    event.headers = headers;
    owner->Queue(std::move(event));
  }
  bool OnChunk(std::string_view bytes) override {
    Event event = MakeEvent(id, FetchEventKind::kChunk);
    event.data = std::string(bytes);
    queued += bytes.size();
    owner->Queue(std::move(event));
    bool more = js_wants && queued < owner->limits_.max_buffered_response;
    if (!more) source_paused = true;
    return more;
  }
  void OnEnd() override {
    owner->EndHeadWait(this);
    exchange = nullptr;
    socket = nullptr;
    done = true;
    owner->Queue(MakeEvent(id, FetchEventKind::kEnd));
  }
  void OnError(const std::string& message) override {
    owner->EndHeadWait(this);
    exchange = nullptr;
    socket = nullptr;
    done = true;
    Event event = MakeEvent(id, FetchEventKind::kError);
    event.data = message;
    owner->Queue(std::move(event));
  }
  void OnDrain() override { owner->Queue(MakeEvent(id, FetchEventKind::kDrain)); }
  void OnPeerEnd() override { owner->Queue(MakeEvent(id, FetchEventKind::kPeerEnd)); }
  // The upgrade was answered 101: the socket joins this process's hub, owned by the tenant, its
  // events held until the 101 reached the tenant's JS (then released, or the socket closed).
  void OnWebSocket(int status, std::string_view status_text,
                   const std::vector<std::pair<std::string, std::string>>& headers, ClientWebSocket* socket) override {
    owner->EndHeadWait(this);
    WebSocketHub* hub = nullptr;
    uint64_t socket_id = owner->tenants_->AttachClientWebSocket(tenant, socket, &hub);
    if (socket_id == 0) {
      FetchSink::OnWebSocket(status, status_text, headers, socket);
      return;
    }
    socket->Bind(hub, socket_id);
    Event event = MakeEvent(id, FetchEventKind::kHead);
    event.status = status;
    event.text = std::string(status_text);
    event.headers = headers;
    event.web_socket = socket_id;
    owner->Queue(std::move(event));
    OnEnd();
  }

  // ResponseSink: the called tenant's answer, as the events a network fetch would give.
  void Respond(const bindings::ResponseView& response) override {
    OnHead(response.status, response.status_text, CopyHeaders(response));
    if (!response.body.empty()) OnChunk(response.body);
    OnEnd();
  }
  bool StartStream(const bindings::ResponseView& response) override {
    service_streaming = true;
    OnHead(response.status, response.status_text, CopyHeaders(response));
    return true;
  }
  bool WriteBody(std::string_view bytes) override { return OnChunk(bytes); }
  void EndBody(bool complete) override {
    if (complete) OnEnd();
    else OnError("the service's response body ended early");
  }
  // The called tenant wants more of the streamed request body, or (`cancel`) none of the rest.
  // Called from its JS: what follows happens on the loop.
  void UploadControl(bool cancel) override {
    if (cancel) {
      upload.cancelled = true;
      upload.pending.clear();
    }
    upload.callee_full = false;
    owner->PostServiceUpload(this);
  }
  void Fail(ServerError error) override {
    // The caller sees what an HTTP client of that tenant would: the server's error response.
    OnHead(StatusOf(error), "", {{"content-type", "application/json"}});
    OnChunk(BodyOf(error));
    OnEnd();
  }
  static std::vector<std::pair<std::string, std::string>> CopyHeaders(const bindings::ResponseView& response) {
    std::vector<std::pair<std::string, std::string>> headers;
    for (const auto& [name, value] : response.headers) headers.emplace_back(std::string(name), std::string(value));
    return headers;
  }
};

Outbound::Outbound(uv_loop_t* loop, TenantManager* tenants, const isolates::FetchLimits& limits)
    : loop_(loop), tenants_(tenants), limits_(limits), client_(loop, limits), sockets_(loop, limits),
      heads_(limits.max_pending_heads) {
  uv_idle_init(loop_, &drain_);
  drain_.data = this;
}

Outbound::~Outbound() { Shutdown(); }

void Outbound::Shutdown() {
  if (closed_) return;
  closed_ = true;
  for (auto& [id, fetch] : fetches_) {
    if (fetch->exchange != nullptr) client_.Cancel(fetch->exchange);
    fetch->exchange = nullptr;
    fetch->socket = nullptr;
  }
  sockets_.Shutdown();
  fetches_.clear();
  heads_.Clear();
  queue_.clear();
  chains_.clear();
  ended_chain_entries_.clear();
  client_.Shutdown();
  uv_close(reinterpret_cast<uv_handle_t*>(&drain_), nullptr);
}

void Outbound::Post(std::function<void()> task) {
  if (closed_) return;
  queue_.push_back(std::move(task));
  if (!draining_) {
    draining_ = true;
    uv_idle_start(&drain_, [](uv_idle_t* h) { static_cast<Outbound*>(h->data)->Drain(); });
  }
}

void Outbound::Queue(Event event) {
  Post([this, event = std::move(event)] {
    auto it = fetches_.find(event.fetch);
    if (it == fetches_.end()) {  // cancelled meanwhile
      if (event.web_socket != 0) tenants_->ReleaseClientWebSocket(UINT32_MAX, event.web_socket);
      return;
    }
    Fetch* fetch = it->second.get();
    std::vector<bindings::HeaderView> headers;
    for (const auto& [name, value] : event.headers) headers.emplace_back(name, value);
    bindings::FetchEventView view;
    view.kind = event.kind;
    view.status = event.status;
    view.status_text = event.text;
    view.headers = headers;
    view.data = event.data;
    view.web_socket = event.web_socket;
    bindings::Worker* worker = tenants_->WorkerOf(fetch->tenant);
    std::shared_ptr<Chain> chain = fetch->chain;  // JS may end the fetch
    uint64_t charged_before = bindings::Worker::ChargedOnThisThread();
    bool more = worker != nullptr && worker->DeliverFetchEvent(event.fetch, view);
    if (chain) chain->run_ns += bindings::Worker::ChargedOnThisThread() - charged_before;
    if (event.web_socket != 0) tenants_->ReleaseClientWebSocket(fetch->tenant, event.web_socket);
    it = fetches_.find(event.fetch);  // JS may have cancelled it
    if (it == fetches_.end()) return;
    if (worker == nullptr) {
      Control(event.fetch, true);
      return;
    }
    if (event.kind == FetchEventKind::kChunk) {
      fetch->queued -= std::min(fetch->queued, event.data.size());
      fetch->js_wants = more;
      MaybeResume(fetch);
    } else if (event.kind == FetchEventKind::kEnd || event.kind == FetchEventKind::kError) {
      Erase(event.fetch);
    }
  });
}

void Outbound::Drain() {
  // Tasks queued while draining wait for the next turn (a chatty stream cannot starve the loop).
  size_t count = queue_.size();
  for (size_t i = 0; i < count && !queue_.empty(); ++i) {
    std::function<void()> task = std::move(queue_.front());
    queue_.pop_front();
    task();
  }
  if (queue_.empty() && !closed_) {
    uv_idle_stop(&drain_);
    draining_ = false;
  }
}

void Outbound::MaybeResume(Fetch* fetch) {
  if (!fetch->source_paused || !fetch->js_wants || fetch->queued >= limits_.max_buffered_response) return;
  fetch->source_paused = false;
  if (fetch->exchange != nullptr) {
    client_.Resume(fetch->exchange);
  } else if (fetch->socket != nullptr) {
    sockets_.Resume(fetch->socket);
  } else if (fetch->service_request != 0 && fetch->service_streaming) {
    tenants_->ResumeService(fetch->service_target, fetch->service_request);
  }
}

void Outbound::Erase(uint64_t id) {
  auto it = fetches_.find(id);
  if (it == fetches_.end()) return;
  std::unique_ptr<Fetch> fetch = std::move(it->second);
  fetches_.erase(it);
  EndHeadWait(fetch.get());
  if (fetch->service_request != 0) {
    service_calls_.erase(fetch->service_request);
    EndChainEntry(fetch->service_request);
    tenants_->ReleaseService(fetch->service_target, fetch->service_request);  // before the sink goes
  }
}

bool Outbound::JoinChain(uint32_t tenant, uint64_t request, ChainLink* out, std::string* error) {
  auto it = chains_.find(request);
  if (it == chains_.end()) {
    if (IsServiceCallId(request)) {
      *error = "service binding call refused: the service request it was made for ended too long ago";
      return false;
    }
    auto chain = std::make_shared<Chain>();
    chain->budget_ns = uint64_t{tenants_->CpuMsOf(tenant)} * 1'000'000u;
    it = chains_.emplace(request, ChainLink{std::move(chain), 1}).first;
    // A call from a client's request already answered (a timer, waitUntil): nobody will end it.
    if (!tenants_->ClientRequestInFlight(request)) EndChainEntry(request);
  }
  const ChainLink& link = it->second;
  if (link.depth >= limits_.max_service_depth) {
    *error = base::StrCat("service binding call refused: the chain of calls is already ", link.depth,
                          " Workers deep (the limit is ", limits_.max_service_depth, ")");
    return false;
  }
  if (link.chain->calls >= limits_.max_service_calls) {
    *error = base::StrCat("service binding call refused: this request's chain already made ", limits_.max_service_calls,
                          " calls and fetches (the limit)");
    return false;
  }
  if (link.chain->run_ns >= link.chain->budget_ns) {
    *error = base::StrCat("service binding call refused: the chain of calls used the CPU time of the request it serves (",
                          link.chain->budget_ns / 1'000'000u, " ms)");
    return false;
  }
  ++link.chain->calls;
  *out = ChainLink{link.chain, link.depth + 1};
  return true;
}

void Outbound::EndChainEntry(uint64_t id) {
  // Entries of ended requests stay for the latest few thousand, so that memory stays bounded.
  constexpr size_t kEndedKept = 4096;
  if (!chains_.contains(id)) return;
  ended_chain_entries_.push_back(id);
  while (ended_chain_entries_.size() > kEndedKept) {
    chains_.erase(ended_chain_entries_.front());
    ended_chain_entries_.pop_front();
  }
}

bool Outbound::Start(uint32_t tenant, uint64_t id, const bindings::FetchRequestView& request,
                     const std::vector<std::string>& outbound, int32_t target, std::string* error,
                     std::string_view entrypoint, bool counted) {
  if (closed_) {
    *error = "fetch() is not available while the server shuts down";
    return false;
  }
  auto fetch = std::make_unique<Fetch>();
  fetch->owner = this;
  fetch->id = id;
  fetch->tenant = tenant;
  Fetch* raw = fetch.get();
  if (!request.service.empty()) {
    if (target < 0) {
      *error = base::StrCat("no service binding named ", request.service);
      return false;
    }
    ChainLink link;
    if (!JoinChain(tenant, request.request, &link, error)) return false;
    uint64_t service_id = next_service_id_++;
    raw->chain = link.chain;
    std::shared_ptr<Chain> chain = link.chain;
    chains_[service_id] = std::move(link);
    raw->service_request = service_id;
    raw->service_target = static_cast<uint32_t>(target);
    service_calls_[service_id] = id;
    fetches_[id] = std::move(fetch);
    // Dispatched from the loop: the caller's JS is running now, and the callee's cannot run
    // inside it.
    auto method = std::string(request.method);
    auto url = std::string(request.url);
    std::vector<std::pair<std::string, std::string>> headers;
    // fetch.js marks an RPC call (env.SERVICE.method()) with this header; it becomes the
    // request's flag, so the called tenant sees neither the header nor a request it could forge.
    bool rpc = false;
    for (const auto& [name, value] : request.headers) {
      if (name == kRpcHeader) {
        rpc = true;
        continue;
      }
      headers.emplace_back(std::string(name), std::string(value));
    }
    auto body = std::string(request.body);
    raw->upload.streamed = request.body_streamed;
    Post([this, service_id, target, rpc, entrypoint = std::string(entrypoint), chain = std::move(chain), method = std::move(method), url = std::move(url),
          headers = std::move(headers), body = std::move(body)] {
      auto call = service_calls_.find(service_id);
      if (call == service_calls_.end()) return;  // cancelled before it started
      uint64_t fetch_id = call->second;  // the call may start others: `call` may not outlive it
      auto caller = fetches_.find(fetch_id);
      if (caller == fetches_.end()) return;
      Fetch* sink = caller->second.get();
      // Calls made before the chain used its CPU time but not run yet are not run.
      if (chain->run_ns >= chain->budget_ns) return sink->Fail(ServerError::kCpuLimit);
      std::vector<bindings::HeaderView> views;
      for (const auto& [name, value] : headers) views.emplace_back(name, value);
      bindings::RequestView view;
      view.method = method;
      view.url = url;
      view.headers = views;
      view.body = body;
      view.has_body = !body.empty() || sink->upload.streamed;
      view.body_streamed = sink->upload.streamed;
      view.rpc = rpc;
      view.entrypoint = entrypoint;
      chain->run_ns += tenants_->DispatchService(service_id, static_cast<uint32_t>(target), view, sink);
      if (view.body_streamed) {
        sink->upload.dispatched = true;
        PushServiceUpload(fetch_id);
      }
    });
    return true;
  }
  // A called Worker's fetches count in its chain too: 1,000 invocations of 50 fetches each
  // would be 50,000 requests sent for one client request.
  {
    auto it = chains_.find(request.request);
    if (it != chains_.end() && it->second.depth > 1) {
      raw->chain = it->second.chain;
      if (it->second.chain->calls >= limits_.max_service_calls) {
        *error = base::StrCat("fetch() refused: this request's chain of service calls already made ",
                              limits_.max_service_calls, " calls and fetches (the limit)");
        return false;
      }
      ++it->second.chain->calls;
    }
  }
  if (request.socket) {
    SocketRequest socket;
    socket.host = std::string(request.host);
    socket.port = request.port;
    socket.tls = request.https;
    socket.tls_name = std::string(request.tls_name);
    socket.outbound = outbound;
    socket.tenant = tenants_->TenantName(tenant);
    fetches_[id] = std::move(fetch);
    SocketClient::Connection* connection = sockets_.Connect(std::move(socket), raw);
    if (!raw->done) raw->socket = connection;
    return true;
  }
  OutboundRequest out;
  out.method = std::string(request.method);
  out.https = request.https;
  out.host = std::string(request.host);
  out.port = request.port;
  out.target = std::string(request.target);
  for (const auto& [name, value] : request.headers) out.headers.emplace_back(std::string(name), std::string(value));
  out.body = std::string(request.body);
  out.body_streamed = request.body_streamed;
  out.body_length = request.body_streamed ? request.body_length : -1;
  out.outbound = outbound;
  out.tenant = tenants_->TenantName(tenant);
  if (out.method == "GET") {
    for (const auto& [name, value] : out.headers) {
      if (base::EqualsIgnoreCase(name, "upgrade") && base::EqualsIgnoreCase(base::StripAsciiWhitespace(value), "websocket")) out.websocket = true;
    }
  }
  fetches_[id] = std::move(fetch);
  raw->request = request.request;
  raw->awaits_head = counted;
  if (counted && !heads_.Admit(raw->request, id)) {
    raw->queued_request = std::make_unique<OutboundRequest>(std::move(out));
    return true;
  }
  Connect(raw, std::move(out));
  return true;
}

void Outbound::Connect(Fetch* fetch, OutboundRequest request) {
  // Refusals and failures found at once reach the sink now; they are queued like any event.
  HttpClient::Exchange* exchange = client_.Start(std::move(request), fetch);
  if (!fetch->done) fetch->exchange = exchange;
}

void Outbound::EndHeadWait(Fetch* fetch) {
  if (!fetch->awaits_head) return;
  fetch->awaits_head = false;
  std::vector<uint64_t> next;
  heads_.Release(fetch->request, fetch->id, &next);
  // From the loop: this runs inside the client's callbacks, or the JS that cancelled.
  for (uint64_t id : next) Post([this, id] { ConnectQueued(id); });
}

void Outbound::ConnectQueued(uint64_t id) {
  auto it = fetches_.find(id);
  if (it == fetches_.end()) return;  // cancelled meanwhile: Erase released its place
  Fetch* fetch = it->second.get();
  if (fetch->queued_request == nullptr) return;
  OutboundRequest request = std::move(*fetch->queued_request);
  fetch->queued_request.reset();
  Connect(fetch, std::move(request));
  if (fetch->exchange == nullptr) return;
  bool more = true;
  if (!fetch->queued_body.empty()) more = client_.Write(fetch->exchange, fetch->queued_body);
  fetch->queued_body.clear();
  if (fetch->queued_body_end) client_.EndBody(fetch->exchange);
  // A write answered "full" while queued is owed a DRAIN: now, or when the client has sent it.
  if (fetch->queued_body_full && more) Queue(MakeEvent(id, FetchEventKind::kDrain));
}

bool Outbound::Write(uint64_t id, std::string_view bytes, bool end) {
  auto it = fetches_.find(id);
  if (it != fetches_.end() && it->second->service_request != 0) return WriteService(it->second.get(), bytes, end);
  if (it != fetches_.end() && it->second->socket != nullptr) {
    if (!end) return sockets_.Write(it->second->socket, bytes);
    sockets_.EndWrites(it->second->socket);
    return true;
  }
  if (it != fetches_.end() && it->second->queued_request != nullptr) {
    Fetch* fetch = it->second.get();
    if (end) {
      fetch->queued_body_end = true;
      return true;
    }
    fetch->queued_body.append(bytes);
    bool more = fetch->queued_body.size() < limits_.max_buffered_upload;
    if (!more) fetch->queued_body_full = true;
    return more;
  }
  if (it == fetches_.end() || it->second->exchange == nullptr) return true;
  if (end) {
    client_.EndBody(it->second->exchange);
    return true;
  }
  return client_.Write(it->second->exchange, bytes);
}

bool Outbound::WriteService(Fetch* fetch, std::string_view bytes, bool end) {
  ServiceUpload& upload = fetch->upload;
  if (upload.cancelled || upload.ended) return true;  // the callee wants no more: dropped
  if (end) {
    upload.ended = true;
  } else {
    upload.pending.append(bytes);
  }
  PostServiceUpload(fetch);
  bool more = upload.pending.size() < limits_.max_buffered_response;
  if (!more) upload.waiting = true;
  return more;
}

void Outbound::PostServiceUpload(Fetch* fetch) {
  if (fetch->upload.push_posted) return;
  fetch->upload.push_posted = true;
  Post([this, id = fetch->id] { PushServiceUpload(id); });
}

void Outbound::PushServiceUpload(uint64_t id) {
  auto it = fetches_.find(id);
  if (it == fetches_.end()) return;
  Fetch* fetch = it->second.get();
  ServiceUpload& upload = fetch->upload;
  upload.push_posted = false;
  if (!upload.dispatched) return;  // the dispatch pushes what waits
  auto target = static_cast<int32_t>(fetch->service_target);
  if (!upload.pending.empty() && !upload.callee_full && !upload.cancelled) {
    std::string chunk = std::move(upload.pending);
    upload.pending.clear();
    // Runs the callee's JS (its body stream gets the chunk); it may answer, or cancel, meanwhile.
    if (!tenants_->PushUpload(fetch->service_request, target, chunk)) upload.callee_full = true;
  }
  if (upload.ended && upload.pending.empty() && !upload.end_sent && !upload.cancelled) {
    upload.end_sent = true;
    tenants_->EndUpload(fetch->service_request, target, "");
  }
  if (upload.waiting && upload.pending.size() < limits_.max_buffered_response) {
    upload.waiting = false;
    Queue(MakeEvent(fetch->id, FetchEventKind::kDrain));
  }
}

void Outbound::Control(uint64_t id, bool cancel) {
  auto it = fetches_.find(id);
  if (it == fetches_.end()) return;
  Fetch* fetch = it->second.get();
  if (!cancel) {
    fetch->js_wants = true;
    MaybeResume(fetch);
    return;
  }
  if (fetch->exchange != nullptr) client_.Cancel(fetch->exchange);
  fetch->exchange = nullptr;
  if (fetch->socket != nullptr) sockets_.Close(fetch->socket);
  fetch->socket = nullptr;
  // The called tenant lets go of this sink first (Erase frees it).
  if (fetch->service_request != 0 && !fetch->done) tenants_->CancelService(fetch->service_target, fetch->service_request);
  Erase(id);
}

bool Outbound::StartTls(uint64_t id, std::string_view name, std::string* error) {
  auto it = fetches_.find(id);
  if (it == fetches_.end() || it->second->socket == nullptr) {
    *error = "the socket is closed";
    return false;
  }
  return sockets_.StartTls(it->second->socket, std::string(name), error);
}

}  // namespace atl::server
