#include "server/etcd_client.h"

#include "base/json_reader.h"
#include "base/json_writer.h"
#include "base/log.h"
#include "base/strings.h"
#include "bindings/base64.h"

namespace atl::server {
namespace {

using base::JsonValue;

isolates::FetchLimits EtcdFetchLimits() {
  isolates::FetchLimits limits;
  limits.connect_timeout_ms = 3000;
  // A watch may stay quiet for long: the node reconnects from its last revision when this passes.
  limits.idle_timeout_ms = 60000;
  limits.max_buffered_response = 4u << 20;
  return limits;
}

std::string B64(std::string_view bytes) { return bindings::Base64Encode(bytes); }

std::string Unb64(const JsonValue* v) {
  if (v == nullptr) return "";
  std::optional<std::string> out = bindings::ForgivingBase64Decode(v->text);
  return out ? *out : std::string();
}

EtcdClient::KeyValue KeyValueOf(const JsonValue& kv) {
  EtcdClient::KeyValue out;
  out.key = Unb64(kv.Get("key"));
  out.value = Unb64(kv.Get("value"));
  if (const JsonValue* v = kv.Get("create_revision")) out.create_revision = v->Int();
  if (const JsonValue* v = kv.Get("mod_revision")) out.mod_revision = v->Int();
  if (const JsonValue* v = kv.Get("lease")) out.lease = v->Int();
  return out;
}

int64_t HeaderRevision(const JsonValue& doc) {
  const JsonValue* header = doc.Get("header");
  const JsonValue* revision = header != nullptr ? header->Get("revision") : nullptr;
  return revision != nullptr ? revision->Int() : 0;
}

// {"key": B64, "range_end": B64}: the members a range or a delete takes.
std::string KeyRange(const std::string& key, const std::string& range_end) {
  std::string out = base::StrCat("\"key\":\"", B64(key), "\"");
  if (!range_end.empty()) out += base::StrCat(",\"range_end\":\"", B64(range_end), "\"");
  return out;
}

// Splits complete top-level JSON objects off the front of `buffer` (a watch's stream).
std::vector<std::string> TakeMessages(std::string* buffer) {
  std::vector<std::string> out;
  size_t start = 0, i = 0;
  int depth = 0;
  bool in_string = false, escaped = false;
  for (; i < buffer->size(); ++i) {
    char c = (*buffer)[i];
    if (in_string) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') in_string = true;
    else if (c == '{') {
      if (depth++ == 0) start = i;
    } else if (c == '}' && depth > 0 && --depth == 0) {
      out.push_back(buffer->substr(start, i + 1 - start));
      start = i + 1;
    }
  }
  buffer->erase(0, depth == 0 ? buffer->size() : start);
  return out;
}

}  // namespace

// One request and its whole answer.
class EtcdClient::Call : public FetchSink {
 public:
  Call(EtcdClient* client, std::function<void(absl::StatusOr<std::string>)> done) : client_(client), done_(std::move(done)) {}
  HttpClient::Exchange* exchange = nullptr;

  void OnHead(int status, std::string_view, const std::vector<std::pair<std::string, std::string>>&) override { status_ = status; }
  bool OnChunk(std::string_view bytes) override {
    body_.append(bytes);
    return true;
  }
  void OnEnd() override {
    if (status_ == 200) return Finish(std::move(body_));
    absl::StatusOr<JsonValue> doc = base::ParseJson(body_);
    const JsonValue* message = doc.ok() ? doc->Get("message") : nullptr;
    if (message == nullptr && doc.ok()) message = doc->Get("error");
    std::string text = message != nullptr ? message->text : body_.substr(0, 200);
    Finish(absl::FailedPreconditionError(base::StrCat("etcd: HTTP ", status_, ": ", text)));
  }
  void OnError(const std::string& message) override { Finish(absl::UnavailableError(base::StrCat("etcd: ", message))); }
  void OnDrain() override {}

 private:
  void Finish(absl::StatusOr<std::string> result) {
    auto done = std::move(done_);
    client_->Finished(this);  // deletes this
    done(std::move(result));
  }
  EtcdClient* client_;
  std::function<void(absl::StatusOr<std::string>)> done_;
  int status_ = 0;
  std::string body_;
};

// One /v3/watch request: a response that never ends, one JSON message per event batch.
class EtcdClient::Watch : public FetchSink {
 public:
  Watch(EtcdClient* client, WatchHandler* handler) : client_(client), handler_(handler) {
    uv_timer_init(client->http_.loop(), &timer_);
    timer_.data = this;
  }
  HttpClient::Exchange* exchange = nullptr;
  bool cancelled = false;

  void OnHead(int status, std::string_view, const std::vector<std::pair<std::string, std::string>>&) override { status_ = status; }
  bool OnChunk(std::string_view bytes) override {
    buffer_.append(bytes);
    for (const std::string& text : TakeMessages(&buffer_)) {
      if (cancelled || ending_) return false;
      absl::StatusOr<JsonValue> doc = base::ParseJson(text);
      if (!doc.ok()) {
        End(absl::InternalError(base::StrCat("etcd watch: ", base::ToStd(doc.status().message()))), 0);
        return false;
      }
      const JsonValue* result = doc->Get("result");
      if (result == nullptr || status_ != 200) {
        const JsonValue* error = doc->Get("error");
        const JsonValue* message = error != nullptr ? error->Get("message") : nullptr;
        End(absl::UnavailableError(base::StrCat("etcd watch: ", message != nullptr ? message->text : text.substr(0, 200))), 0);
        return false;
      }
      if (const JsonValue* compacted = result->Get("compact_revision"); compacted != nullptr && compacted->Int() > 0) {
        End(absl::OkStatus(), compacted->Int());
        return false;
      }
      if (const JsonValue* canceled = result->Get("canceled"); canceled != nullptr && canceled->boolean) {
        End(absl::UnavailableError("etcd watch: cancelled by the server"), 0);
        return false;
      }
      if (const JsonValue* created = result->Get("created"); created != nullptr && created->boolean) handler_->OnWatchStarted();
      std::vector<WatchEvent> events;
      if (const JsonValue* list = result->Get("events")) {
        for (const JsonValue& e : list->items) {
          WatchEvent event;
          const JsonValue* type = e.Get("type");
          event.deleted = type != nullptr && type->text == "DELETE";
          if (const JsonValue* kv = e.Get("kv")) event.kv = KeyValueOf(*kv);
          events.push_back(std::move(event));
        }
      }
      if (!events.empty() && !cancelled) handler_->OnEvents(HeaderRevision(*result), std::move(events));
    }
    return !cancelled && !ending_;
  }
  void OnEnd() override {
    exchange = nullptr;
    End(absl::UnavailableError("etcd watch: the stream ended"), 0);
  }
  void OnError(const std::string& message) override {
    exchange = nullptr;
    End(absl::UnavailableError(base::StrCat("etcd watch: ", message)), 0);
  }
  void OnDrain() override {}

  // Deferred to a timer: the exchange is never cancelled from inside its own events.
  void Close() {
    if (closing_) return;
    closing_ = true;
    cancelled = true;
    uv_timer_start(&timer_, [](uv_timer_t* t) { static_cast<Watch*>(t->data)->Reap(); }, 0, 0);
  }
  // Shutdown: the client's connections are closed already.
  void Abandon() {
    exchange = nullptr;
    cancelled = closing_ = true;
    uv_close(reinterpret_cast<uv_handle_t*>(&timer_), [](uv_handle_t* h) { delete static_cast<Watch*>(h->data); });
  }

 private:
  void End(absl::Status error, int64_t compacted) {
    if (ending_ || cancelled) return;
    ending_ = true;
    error_ = std::move(error);
    compacted_ = compacted;
    uv_timer_start(&timer_, [](uv_timer_t* t) { static_cast<Watch*>(t->data)->Report(); }, 0, 0);
  }
  void Report() {
    if (cancelled) return;
    WatchHandler* handler = handler_;
    absl::Status error = error_;
    int64_t compacted = compacted_;
    Close();
    if (compacted > 0) handler->OnCompacted(compacted);
    else handler->OnWatchError(error);
  }
  void Reap() {
    if (exchange != nullptr) client_->http_.Cancel(exchange);
    exchange = nullptr;
    client_->Finished(this);
    uv_close(reinterpret_cast<uv_handle_t*>(&timer_), [](uv_handle_t* h) { delete static_cast<Watch*>(h->data); });
  }

  EtcdClient* client_;
  WatchHandler* handler_;
  uv_timer_t timer_;
  int status_ = 0;
  std::string buffer_;
  bool ending_ = false, closing_ = false;
  absl::Status error_;
  int64_t compacted_ = 0;
};

absl::StatusOr<EtcdClient::Endpoint> EtcdClient::ParseUrl(std::string_view url) {
  constexpr std::string_view kScheme = "http://";
  if (!url.starts_with(kScheme)) return absl::InvalidArgumentError(base::StrCat("etcd URL ", url, ": expected http://HOST:PORT"));
  std::string_view rest = url.substr(kScheme.size());
  while (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  Endpoint out;
  size_t colon = rest.rfind(':');
  uint32_t port = 2379;
  if (colon != std::string_view::npos && rest.find(']', colon) == std::string_view::npos) {
    if (!base::ParseUnsigned(rest.substr(colon + 1), &port) || port == 0 || port > 65535) {
      return absl::InvalidArgumentError(base::StrCat("etcd URL ", url, ": bad port"));
    }
    rest = rest.substr(0, colon);
  }
  if (rest.empty() || rest.find('/') != std::string_view::npos) return absl::InvalidArgumentError(base::StrCat("etcd URL ", url, ": no host"));
  out.host = std::string(rest);
  out.port = static_cast<uint16_t>(port);
  return out;
}

EtcdClient::EtcdClient(uv_loop_t* loop, Endpoint endpoint) : endpoint_(std::move(endpoint)), http_(loop, EtcdFetchLimits()) {}

EtcdClient::~EtcdClient() { Shutdown(); }

void EtcdClient::Shutdown() {
  if (shut_down_) return;
  shut_down_ = true;
  http_.Shutdown();
  for (Call* call : calls_) delete call;
  calls_.clear();
  absl::flat_hash_set<Watch*> watches = std::move(watches_);
  watches_.clear();
  for (Watch* watch : watches) watch->Abandon();
}

OutboundRequest EtcdClient::Request(const std::string& path, std::string body) const {
  OutboundRequest r;
  r.method = "POST";
  r.host = endpoint_.host;
  r.port = endpoint_.port;
  r.target = path;
  r.headers = {{"content-type", "application/json"}};
  r.body = std::move(body);
  // The control plane is the operator's own: the SSRF guard lets this one address through.
  r.outbound = {base::StrCat(endpoint_.host, ":", endpoint_.port)};
  r.tenant = "(etcd)";
  return r;
}

void EtcdClient::Post(const std::string& path, std::string body, std::function<void(absl::StatusOr<std::string>)> done) {
  if (shut_down_) return;
  auto* call = new Call(this, std::move(done));
  calls_.insert(call);
  call->exchange = http_.Start(Request(path, std::move(body)), call);
}

void EtcdClient::Finished(Call* call) {
  calls_.erase(call);
  delete call;
}

void EtcdClient::Finished(Watch* watch) { watches_.erase(watch); }

void EtcdClient::Range(const std::string& key, const std::string& range_end, Callback<RangeResult> done) {
  Post("/v3/kv/range", base::StrCat("{", KeyRange(key, range_end), "}"), [done = std::move(done)](absl::StatusOr<std::string> body) {
    if (!body.ok()) return done(body.status());
    absl::StatusOr<JsonValue> doc = base::ParseJson(*body);
    if (!doc.ok()) return done(doc.status());
    RangeResult out;
    out.revision = HeaderRevision(*doc);
    if (const JsonValue* kvs = doc->Get("kvs")) {
      for (const JsonValue& kv : kvs->items) out.kvs.push_back(KeyValueOf(kv));
    }
    done(std::move(out));
  });
}

void EtcdClient::Put(const std::string& key, const std::string& value, int64_t lease, Callback<int64_t> done) {
  std::string body = base::StrCat("{\"key\":\"", B64(key), "\",\"value\":\"", B64(value), "\"");
  if (lease != 0) body += base::StrCat(",\"lease\":\"", lease, "\"");
  body += "}";
  Post("/v3/kv/put", std::move(body), [done = std::move(done)](absl::StatusOr<std::string> body) {
    if (!body.ok()) return done(body.status());
    absl::StatusOr<JsonValue> doc = base::ParseJson(*body);
    if (!doc.ok()) return done(doc.status());
    done(HeaderRevision(*doc));
  });
}

void EtcdClient::PutIfModRevision(const std::string& key, const std::string& value, int64_t mod_revision, Callback<TxnResult> done) {
  Txn({Compare{.target = Compare::Target::kMod, .key = key, .revision = mod_revision, .value = {}}}, {TxnOp{.key = key, .value = value}},
      std::move(done));
}

void EtcdClient::Txn(const std::vector<Compare>& compare, const std::vector<TxnOp>& success, Callback<TxnResult> done) {
  std::string body = "{\"compare\":[";
  for (size_t i = 0; i < compare.size(); ++i) {
    const Compare& c = compare[i];
    if (i > 0) body += ",";
    body += base::StrCat("{\"key\":\"", B64(c.key), "\",\"result\":\"EQUAL\",");
    switch (c.target) {
      case Compare::Target::kCreate: body += base::StrCat("\"target\":\"CREATE\",\"create_revision\":\"", c.revision, "\"}"); break;
      case Compare::Target::kMod: body += base::StrCat("\"target\":\"MOD\",\"mod_revision\":\"", c.revision, "\"}"); break;
      case Compare::Target::kValue: body += base::StrCat("\"target\":\"VALUE\",\"value\":\"", B64(c.value), "\"}"); break;
    }
  }
  body += "],\"success\":[";
  for (size_t i = 0; i < success.size(); ++i) {
    const TxnOp& op = success[i];
    if (i > 0) body += ",";
    if (op.deleted) {
      body += base::StrCat("{\"request_delete_range\":{\"key\":\"", B64(op.key), "\"}}");
    } else {
      body += base::StrCat("{\"request_put\":{\"key\":\"", B64(op.key), "\",\"value\":\"", B64(op.value), "\"");
      if (op.lease != 0) body += base::StrCat(",\"lease\":\"", op.lease, "\"");
      body += "}}";
    }
  }
  body += "],\"failure\":[";
  if (!compare.empty()) body += base::StrCat("{\"request_range\":{\"key\":\"", B64(compare[0].key), "\"}}");
  body += "]}";
  Post("/v3/kv/txn", std::move(body), [done = std::move(done)](absl::StatusOr<std::string> body) {
    if (!body.ok()) return done(body.status());
    absl::StatusOr<JsonValue> doc = base::ParseJson(*body);
    if (!doc.ok()) return done(doc.status());
    TxnResult out;
    out.revision = HeaderRevision(*doc);
    const JsonValue* succeeded = doc->Get("succeeded");
    out.succeeded = succeeded != nullptr && succeeded->boolean;
    if (const JsonValue* responses = doc->Get("responses"); !out.succeeded && responses != nullptr && !responses->items.empty()) {
      const JsonValue* range = responses->items[0].Get("response_range");
      const JsonValue* kvs = range != nullptr ? range->Get("kvs") : nullptr;
      if (kvs != nullptr && !kvs->items.empty()) out.current = KeyValueOf(kvs->items[0]);
    }
    done(std::move(out));
  });
}

void EtcdClient::DeleteRange(const std::string& key, const std::string& range_end, Callback<int64_t> done) {
  Post("/v3/kv/deleterange", base::StrCat("{", KeyRange(key, range_end), "}"), [done = std::move(done)](absl::StatusOr<std::string> body) {
    if (!body.ok()) return done(body.status());
    absl::StatusOr<JsonValue> doc = base::ParseJson(*body);
    if (!doc.ok()) return done(doc.status());
    done(HeaderRevision(*doc));
  });
}

void EtcdClient::LeaseGrant(int64_t ttl_s, Callback<int64_t> done) {
  Post("/v3/lease/grant", base::StrCat("{\"TTL\":\"", ttl_s, "\"}"), [done = std::move(done)](absl::StatusOr<std::string> body) {
    if (!body.ok()) return done(body.status());
    absl::StatusOr<JsonValue> doc = base::ParseJson(*body);
    if (!doc.ok()) return done(doc.status());
    const JsonValue* id = doc->Get("ID");
    if (id == nullptr || id->Int() == 0) return done(absl::InternalError(base::StrCat("etcd: lease grant: ", *body)));
    done(id->Int());
  });
}

void EtcdClient::LeaseKeepAlive(int64_t id, Callback<int64_t> done) {
  // A stream of answers in gRPC; one request, one {"result": ...} over the gateway.
  Post("/v3/lease/keepalive", base::StrCat("{\"ID\":\"", id, "\"}"), [done = std::move(done)](absl::StatusOr<std::string> body) {
    if (!body.ok()) return done(body.status());
    std::string text = *body;
    std::vector<std::string> messages = TakeMessages(&text);
    if (messages.empty()) return done(absl::InternalError("etcd: lease keepalive: no answer"));
    absl::StatusOr<JsonValue> doc = base::ParseJson(messages[0]);
    if (!doc.ok()) return done(doc.status());
    const JsonValue* result = doc->Get("result");
    const JsonValue* ttl = result != nullptr ? result->Get("TTL") : nullptr;
    if (ttl == nullptr || ttl->Int() <= 0) return done(absl::NotFoundError("etcd: the lease expired"));
    done(ttl->Int());
  });
}

void EtcdClient::LeaseTimeToLive(int64_t id, Callback<int64_t> done) {
  Post("/v3/lease/timetolive", base::StrCat("{\"ID\":\"", id, "\"}"), [done = std::move(done)](absl::StatusOr<std::string> body) {
    if (!body.ok()) {
      // A lease etcd no longer has: HTTP 404 from the gateway ("requested lease not found").
      if (absl::IsFailedPrecondition(body.status()) && body.status().message().find("not found") != std::string_view::npos) {
        return done(absl::NotFoundError("etcd: the lease expired"));
      }
      return done(body.status());
    }
    absl::StatusOr<JsonValue> doc = base::ParseJson(*body);
    if (!doc.ok()) return done(doc.status());
    const JsonValue* ttl = doc->Get("TTL");
    if (ttl == nullptr || ttl->Int() < 0) return done(absl::NotFoundError("etcd: the lease expired"));
    done(ttl->Int());
  });
}

void EtcdClient::LeaseRevoke(int64_t id, Callback<int64_t> done) {
  Post("/v3/lease/revoke", base::StrCat("{\"ID\":\"", id, "\"}"), [done = std::move(done)](absl::StatusOr<std::string> body) {
    if (!body.ok()) return done(body.status());
    absl::StatusOr<JsonValue> doc = base::ParseJson(*body);
    if (!doc.ok()) return done(doc.status());
    done(HeaderRevision(*doc));
  });
}

EtcdClient::Watch* EtcdClient::StartWatch(const std::string& key, const std::string& range_end, int64_t start_revision,
                                          WatchHandler* handler) {
  if (shut_down_) return nullptr;
  auto* watch = new Watch(this, handler);
  watches_.insert(watch);
  std::string body = base::StrCat("{\"create_request\":{", KeyRange(key, range_end), ",\"start_revision\":\"", start_revision, "\"}}");
  watch->exchange = http_.Start(Request("/v3/watch", std::move(body)), watch);
  return watch;
}

void EtcdClient::CancelWatch(Watch* watch) {
  if (watch != nullptr && watches_.contains(watch)) watch->Close();
}

}  // namespace atl::server
