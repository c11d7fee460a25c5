#include "server/cluster_forward.h"

#include <algorithm>

#include "base/log.h"
#include "base/strings.h"
#include "config/listen_address.h"
#include "kv/do_store.h"
#include "server/cluster_objects.h"

namespace atl::server {
namespace {

constexpr uint64_t kPumpMs = 250;
constexpr uint64_t kNodeDownMs = 1000;

// The headers a forward adds (taken out of every request before a tenant sees it).
bool IsForwardHeader(std::string_view name) {
  return name == ClusterForward::kForwardedHeader || name == ClusterForward::kForwardTokenHeader;
}

// The request's headers minus those `drop` says to take out, with room for `extra` more.
template <typename Drop>
std::vector<bindings::HeaderView> HeadersWithout(const bindings::RequestView& request, Drop drop, size_t extra = 0) {
  std::vector<bindings::HeaderView> headers;
  headers.reserve(request.headers.size() + extra);
  for (const bindings::HeaderView& header : request.headers) {
    if (!drop(header.first)) headers.push_back(header);
  }
  return headers;
}

// Path and query of an absolute URL ("http://host/a?b" -> "/a?b").
std::string_view TargetOf(std::string_view url) {
  size_t scheme = url.find("://");
  size_t slash = url.find('/', scheme == std::string_view::npos ? 0 : scheme + 3);
  return slash == std::string_view::npos ? std::string_view("/") : url.substr(slash);
}

// The authority of an absolute URL ("http://host:1/a" -> "host:1").
std::string_view AuthorityOf(std::string_view url) {
  size_t scheme = url.find("://");
  size_t start = scheme == std::string_view::npos ? 0 : scheme + 3;
  size_t slash = url.find('/', start);
  return url.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
}

// The hop's client: a node that does not take the connection within a second is skipped (the
// request is served here); an answer may pause up to two minutes between bytes.
isolates::FetchLimits ForwardLimits() {
  isolates::FetchLimits limits;
  limits.connect_timeout_ms = 1000;
  limits.idle_timeout_ms = 120000;
  return limits;
}

}  // namespace

EtcdMirror::EtcdMirror(EtcdClient* etcd, std::string prefix, std::function<void()> reset,
                       std::function<void(const std::string&, const EtcdClient::KeyValue*)> put)
    : etcd_(etcd), prefix_(std::move(prefix)), reset_(std::move(reset)), put_(std::move(put)) {}

void EtcdMirror::Pump() {
  if (stopped_ || listing_ || watch_ != nullptr) return;
  if (revision_ != 0) {
    watch_ = etcd_->StartWatch(prefix_, config::PrefixEnd(prefix_), revision_ + 1, this);
    return;
  }
  listing_ = true;
  etcd_->Range(prefix_, config::PrefixEnd(prefix_), [this](absl::StatusOr<EtcdClient::RangeResult> range) {
    listing_ = false;
    if (stopped_ || !range.ok()) return;  // tried again at the next Pump
    reset_();
    for (const EtcdClient::KeyValue& kv : range->kvs) put_(std::string(config::ClusterKeys::After(kv.key, prefix_)), &kv);
    revision_ = range->revision;
    watch_ = etcd_->StartWatch(prefix_, config::PrefixEnd(prefix_), revision_ + 1, this);
  });
}

void EtcdMirror::Stop() {
  stopped_ = true;
  if (watch_ != nullptr) etcd_->CancelWatch(watch_);
  watch_ = nullptr;
}

void EtcdMirror::OnEvents(int64_t, std::vector<EtcdClient::WatchEvent> events) {
  for (const EtcdClient::WatchEvent& event : events) {
    if (event.kv.mod_revision <= revision_) continue;  // a replay after a resumed watch
    std::string name(config::ClusterKeys::After(event.kv.key, prefix_));
    if (event.deleted && deleted_) deleted_(name, event.kv.mod_revision);
    else put_(name, event.deleted ? nullptr : &event.kv);
    revision_ = event.kv.mod_revision;
  }
}

void EtcdMirror::OnCompacted(int64_t) {
  watch_ = nullptr;
  watching_ = false;
  revision_ = 0;  // list again
}

void EtcdMirror::OnWatchError(const absl::Status&) {
  watch_ = nullptr;
  watching_ = false;  // resumed from revision_ + 1 at the next Pump
}

// One forwarded request: the FetchSink of its exchange with the placed node, and what is kept to
// serve it here if that node fails before answering.
class ClusterForward::Forward final : public FetchSink {
 public:
  Forward(ClusterForward* owner, uint64_t id, int32_t target, ResponseSink* sink, std::string node)
      : owner_(owner), id_(id), target_(target), sink_(sink), node_(std::move(node)) {}

  void OnHead(int status, std::string_view status_text,
              const std::vector<std::pair<std::string, std::string>>& headers) override {
    answered_ = true;
    replay_body_.clear();
    replay_body_.shrink_to_fit();
    std::vector<bindings::HeaderView> view;
    view.reserve(headers.size());
    for (const auto& [name, value] : headers) view.emplace_back(name, value);
    bindings::ResponseView response;
    response.status = status;
    response.status_text = status_text;
    response.headers = view;
    response.body_streamed = true;
    if (!sink_->StartStream(response) && exchange_ != nullptr) {
      HttpClient::Exchange* exchange = exchange_;
      exchange_ = nullptr;
      owner_->client_.Cancel(exchange);
    }
  }
  bool OnChunk(std::string_view bytes) override { return sink_->WriteBody(bytes); }
  void OnEnd() override {
    exchange_ = nullptr;
    sink_->EndBody(true);
  }
  void OnError(const std::string& message) override {
    exchange_ = nullptr;
    if (answered_) return sink_->EndBody(false);
    owner_->FallBack(this, message);
  }
  void OnDrain() override {
    if (upload_paused_) {
      upload_paused_ = false;
      sink_->UploadControl(false);
    }
  }

  ClusterForward* owner_;
  uint64_t id_;
  int32_t target_;
  ResponseSink* sink_;
  std::string node_;
  HttpClient::Exchange* exchange_ = nullptr;
  bool answered_ = false;      // a response head came: no fallback any more
  bool local_ = false;         // served here after all
  bool upload_paused_ = false;  // PushUpload answered false: UploadControl(false) when drained
  bool upload_ended_ = false;
  bool replayable_ = true;      // every body byte so far is in replay_body_
  // The request again, for serving it here.
  std::string method_, url_;
  std::vector<std::pair<std::string, std::string>> headers_;
  bool has_body_ = false, body_streamed_ = false;
  std::string replay_body_;
};

ClusterForward::ClusterForward(uv_loop_t* loop, const config::ClusterConfig& cluster, TenantManager* tenants)
    : loop_(loop),
      cluster_(cluster),
      keys_(cluster.prefix),
      tenants_(tenants),
      etcd_(loop, EtcdClient::ParseUrl(cluster.etcd).value_or(EtcdClient::Endpoint{"127.0.0.1", 2379})),
      secret_(&etcd_, keys_.ObjectSecret()),
      client_(loop, ForwardLimits()) {
  uv_timer_init(loop, &pump_timer_);
  pump_timer_.data = this;
  placements_mirror_ = std::make_unique<EtcdMirror>(
      &etcd_, keys_.Placements(), [this] { placements_.clear(); to_warm_.clear(); },
      [this](const std::string& tenant, const EtcdClient::KeyValue* kv) {
        to_warm_.erase(tenant);
        const std::string* value = kv == nullptr ? nullptr : &kv->value;
        if (value == nullptr) {
          placements_.erase(tenant);
          return;
        }
        absl::StatusOr<config::PlacementRecord> record = config::DecodePlacementRecord(*value);
        if (!record.ok()) {
          base::LogLine(base::LogLevel::kWarn, "cluster: a placement record does not parse")
              .Str("tenant", tenant).Str("error", base::ToStd(record.status().message())).Emit();
          placements_.erase(tenant);
          return;
        }
        if (std::find(record->nodes.begin(), record->nodes.end(), cluster_.node_name) != record->nodes.end()) to_warm_.insert(tenant);
        placements_[tenant] = std::move(record->nodes);
      });
  nodes_mirror_ = std::make_unique<EtcdMirror>(
      &etcd_, keys_.Nodes(), [this] { nodes_.clear(); },
      [this](const std::string& name, const EtcdClient::KeyValue* kv) {
        const std::string* value = kv == nullptr ? nullptr : &kv->value;
        if (value == nullptr) {
          nodes_.erase(name);
          return;
        }
        absl::StatusOr<config::NodeRecord> record = config::DecodeNodeRecord(*value);
        absl::StatusOr<config::ListenAddress> address =
            record.ok() ? config::ParseListenAddress(record->advertise) : absl::StatusOr<config::ListenAddress>(record.status());
        if (!address.ok() || address->port == 0) {
          nodes_.erase(name);
          return;
        }
        Node& node = nodes_[name];
        node.name = name;
        node.host = address->ipv6 ? base::StrCat("[", address->host, "]") : address->host;
        node.port = address->port;
        node.advertise = record->advertise;
      });
}

ClusterForward::~ClusterForward() { Shutdown(); }

void ClusterForward::Start() {
  uv_timer_start(&pump_timer_, [](uv_timer_t* t) {
    auto* self = static_cast<ClusterForward*>(t->data);
    self->placements_mirror_->Pump();
    self->nodes_mirror_->Pump();
    self->secret_.Load();
    self->WarmPlaced();
  }, 0, kPumpMs);
  uv_unref(reinterpret_cast<uv_handle_t*>(&pump_timer_));
}

void ClusterForward::Shutdown() {
  if (stopped_) return;
  stopped_ = true;
  placements_mirror_->Stop();
  nodes_mirror_->Stop();
  for (auto& [id, forward] : forwards_) {
    if (forward->exchange_ != nullptr) client_.Cancel(forward->exchange_);
    forward->exchange_ = nullptr;
  }
  client_.Shutdown();
  etcd_.Shutdown();
  if (!uv_is_closing(reinterpret_cast<uv_handle_t*>(&pump_timer_))) uv_close(reinterpret_cast<uv_handle_t*>(&pump_timer_), nullptr);
}

void ClusterForward::WarmPlaced() {
  for (auto it = to_warm_.begin(); it != to_warm_.end();) {
    int32_t index = tenants_->Find(*it);
    if (index < 0 || !tenants_->Serving(static_cast<uint32_t>(index))) {
      ++it;  // not deployed here yet: the next pump tries again
      continue;
    }
    absl::Status warmed = tenants_->Warm(static_cast<uint32_t>(index));
    if (!warmed.ok() && absl::IsResourceExhausted(warmed)) {
      ++it;
      continue;
    }
    if (!warmed.ok()) {
      base::LogLine(base::LogLevel::kWarn, "cluster: cannot pre-warm a placed tenant")
          .Str("tenant", *it).Str("error", base::ToStd(warmed.message())).Emit();
    }
    to_warm_.erase(it++);
  }
}

const ClusterForward::Node* ClusterForward::PickNode(const std::string& tenant) {
  auto placed = placements_.find(tenant);
  if (placed == placements_.end() || placed->second.empty()) return nullptr;
  const std::vector<std::string>& names = placed->second;
  if (std::find(names.begin(), names.end(), cluster_.node_name) != names.end()) return nullptr;
  uint64_t now = uv_now(loop_);
  size_t start = round_robin_++;
  for (size_t i = 0; i < names.size(); ++i) {
    auto node = nodes_.find(names[(start + i) % names.size()]);
    if (node != nodes_.end() && node->second.down_until_ms <= now) return &node->second;
  }
  return nullptr;
}

RouteDecision ClusterForward::Route(std::string_view host, std::string_view path) {
  if (!path.starts_with(kObjectPath)) return tenants_->Route(host, path);
  // A Durable Object call from another node: the tenant is the path's next segment.
  std::string_view name = path.substr(kObjectPath.size());
  name = name.substr(0, name.find('/'));
  RouteDecision decision;
  decision.target = tenants_->Find(name);
  decision.max_request_body = uint64_t{128} << 20;
  return decision;
}

bool ClusterForward::AddressOf(std::string_view name, std::string* host, uint16_t* port, std::string* advertise) const {
  auto node = nodes_.find(std::string(name));
  if (node == nodes_.end()) return false;
  *host = node->second.host;
  *port = node->second.port;
  *advertise = node->second.advertise;
  return true;
}

void ClusterForward::ObjectCall(uint64_t id, int32_t target, const bindings::RequestView& request, ResponseSink& response) {
  std::string_view token;
  for (const auto& [name, value] : request.headers) {
    if (name == kObjectTokenHeader) token = value;
  }
  if (target < 0 || objects_ == nullptr || !secret_.Check(token)) {
    bindings::ResponseView refused;
    refused.status = 403;
    refused.body = "Durable Object call refused: not from a node of this fleet\n";
    return response.Respond(refused);
  }
  // Given to the tenant here as a call from another worker process of this node would be (the
  // JS half checks the process secret). It serves it only if this node owns the object, never
  // sending it to a third node (js/lazy/durable_objects.js, serveOwned).
  std::vector<bindings::HeaderView> headers = HeadersWithout(
      request,
      [](std::string_view name) {
        return name == kObjectTokenHeader || IsForwardHeader(name) || name == "x-atoll-do-token";
      },
      1);
  headers.emplace_back("x-atoll-do-token", kv::DoConfig().secret);
  bindings::RequestView view = request;
  view.headers = headers;
  tenants_->Dispatch(id, target, view, response);
}

void ClusterForward::Dispatch(uint64_t id, int32_t target, const bindings::RequestView& request, ResponseSink& response) {
  // The node-to-node path is never a tenant's route (Route sent it to the tenant by name).
  if (TargetOf(request.url).starts_with(kObjectPath)) return ObjectCall(id, target, request, response);
  bool guard = false, upgrade = false, own_headers = false;
  std::string_view token;
  for (const auto& [name, value] : request.headers) {
    if (name == kForwardedHeader) guard = true;
    if (name == kForwardTokenHeader) token = value;
    if (IsForwardHeader(name)) own_headers = true;
    if (name == "upgrade") upgrade = true;
    if (name == kObjectTokenHeader) return ObjectCall(id, target, request, response);
  }
  // Forwarded by a node of this fleet: served here (never forwarded twice). A client's own
  // x-atoll-forwarded (without the fleet secret) is not honoured, only taken out.
  bool forwarded = guard && secret_.Check(token);
  if (own_headers) {
    std::vector<bindings::HeaderView> headers = HeadersWithout(request, IsForwardHeader);
    bindings::RequestView stripped = request;
    stripped.headers = headers;
    return ForwardOrServe(id, target, stripped, response, forwarded || upgrade);
  }
  ForwardOrServe(id, target, request, response, upgrade);
}

void ClusterForward::ForwardOrServe(uint64_t id, int32_t target, const bindings::RequestView& request,
                                    ResponseSink& response, bool here) {
  // Without the fleet secret a forward could not be told from a client's request there: served here.
  if (target < 0 || here || stopped_ || secret_.value().empty()) return tenants_->Dispatch(id, target, request, response);
  const std::string& tenant = tenants_->TenantName(static_cast<uint32_t>(target));
  const Node* node = PickNode(tenant);
  if (node == nullptr) return tenants_->Dispatch(id, target, request, response);
  StartForward(id, target, request, response, *node);
}

void ClusterForward::StartForward(uint64_t id, int32_t target, const bindings::RequestView& request,
                                  ResponseSink& response, const Node& node) {
  auto forward = std::make_unique<Forward>(this, id, target, &response, node.name);
  Forward* f = forward.get();
  f->method_.assign(request.method);
  f->url_.assign(request.url);
  f->has_body_ = request.has_body;
  f->body_streamed_ = request.body_streamed;
  OutboundRequest out;
  out.method.assign(request.method);
  out.host = node.host;
  out.port = node.port;
  out.target.assign(TargetOf(request.url));
  out.outbound = {node.advertise};
  out.tenant = tenants_->TenantName(static_cast<uint32_t>(target));
  for (const auto& [name, value] : request.headers) {
    f->headers_.emplace_back(name, value);
    if (name == "host") out.host_header.assign(value);
    else if (name == "content-length" && request.body_streamed) {
      uint64_t length = 0;
      if (base::ParseUnsigned(value, &length)) out.body_length = static_cast<int64_t>(length);
    } else {
      out.headers.emplace_back(name, value);
    }
  }
  if (out.host_header.empty()) out.host_header.assign(AuthorityOf(request.url));
  out.headers.emplace_back(kForwardedHeader, cluster_.node_name);
  out.headers.emplace_back(kForwardTokenHeader, secret_.value());
  if (request.body_streamed) {
    out.body_streamed = true;
  } else {
    out.body.assign(request.body);
    f->replay_body_.assign(request.body);
  }
  forwards_[id] = std::move(forward);
  Count(Metrics::Forward::kForwarded);
  // Start may fail at once: then OnError has run (and served the request here).
  HttpClient::Exchange* exchange = client_.Start(std::move(out), f);
  auto it = forwards_.find(id);
  if (it != forwards_.end() && it->second.get() == f && !f->local_ && !f->answered_) f->exchange_ = exchange;
}

void ClusterForward::FallBack(Forward* f, const std::string& why) {
  if (auto node = nodes_.find(f->node_); node != nodes_.end()) node->second.down_until_ms = uv_now(loop_) + kNodeDownMs;
  uint64_t now = uv_now(loop_);
  if (now >= fallback_logged_ms_ + 1000) {
    fallback_logged_ms_ = now;
    base::LogLine(base::LogLevel::kWarn, "cluster: forward failed; serving the request here")
        .Str("node", f->node_).Str("error", why).Emit();
  }
  if (!f->replayable_) {
    Count(Metrics::Forward::kFailed);
    return f->sink_->Fail(ServerError::kOverloaded);
  }
  Count(Metrics::Forward::kFallback);
  f->local_ = true;
  std::vector<bindings::HeaderView> headers;
  headers.reserve(f->headers_.size());
  for (const auto& [name, value] : f->headers_) headers.emplace_back(name, value);
  bindings::RequestView request;
  request.method = f->method_;
  request.url = f->url_;
  request.headers = headers;
  request.has_body = f->has_body_ || !f->replay_body_.empty();
  std::string body = std::move(f->replay_body_);
  f->replay_body_.clear();
  if (!f->body_streamed_ || f->upload_ended_) {
    request.body = body;
    tenants_->Dispatch(f->id_, f->target_, request, *f->sink_);
    return;
  }
  request.body_streamed = true;
  tenants_->Dispatch(f->id_, f->target_, request, *f->sink_);
  if (!body.empty()) tenants_->PushUpload(f->id_, f->target_, body);
  if (f->upload_paused_) {
    f->upload_paused_ = false;
    f->sink_->UploadControl(false);
  }
}

bool ClusterForward::PushUpload(uint64_t id, int32_t target, std::string_view bytes) {
  auto it = forwards_.find(id);
  if (it == forwards_.end()) return tenants_->PushUpload(id, target, bytes);
  Forward* f = it->second.get();
  if (f->local_) return tenants_->PushUpload(id, target, bytes);
  if (f->replayable_ && !f->answered_) {
    if (f->replay_body_.size() + bytes.size() > kMaxReplayBytes) {
      f->replayable_ = false;
      f->replay_body_.clear();
      f->replay_body_.shrink_to_fit();
    } else {
      f->replay_body_.append(bytes);
    }
  }
  if (f->exchange_ == nullptr) return true;  // answered and done, or cut: the rest is dropped
  bool more = client_.Write(f->exchange_, bytes);
  if (!more) f->upload_paused_ = true;
  return more;
}

void ClusterForward::EndUpload(uint64_t id, int32_t target, std::string_view error) {
  auto it = forwards_.find(id);
  if (it == forwards_.end()) return tenants_->EndUpload(id, target, error);
  Forward* f = it->second.get();
  if (f->local_) return tenants_->EndUpload(id, target, error);
  f->upload_ended_ = error.empty();
  if (f->exchange_ == nullptr) return;
  if (!error.empty()) {
    f->replayable_ = false;
    HttpClient::Exchange* exchange = f->exchange_;
    f->exchange_ = nullptr;
    client_.Cancel(exchange);
    if (!f->answered_) f->sink_->Fail(ServerError::kBadRequest);
    return;
  }
  client_.EndBody(f->exchange_);
}

void ClusterForward::ResumeResponse(uint64_t id, int32_t target) {
  auto it = forwards_.find(id);
  if (it == forwards_.end() || it->second->local_) return tenants_->ResumeResponse(id, target);
  if (it->second->exchange_ != nullptr) client_.Resume(it->second->exchange_);
}

void ClusterForward::Forget(uint64_t id, int32_t target, bool aborted) {
  auto it = forwards_.find(id);
  if (it == forwards_.end()) return tenants_->Forget(id, target, aborted);
  std::unique_ptr<Forward> f = std::move(it->second);
  forwards_.erase(it);
  if (f->exchange_ != nullptr) client_.Cancel(f->exchange_);
  if (f->local_) tenants_->Forget(id, target, aborted);
}

}  // namespace atl::server
