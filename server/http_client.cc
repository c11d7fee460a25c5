#include "server/http_client.h"

#include <netdb.h>

#include <algorithm>
#include <cstring>

#include "base/log.h"
#include "base/strings.h"
#include "server/client_websocket.h"
#include "server/http_client_connection.h"
#include "server/response_writer.h"
#include "server/ssrf_guard.h"
#include "server/tls.h"

namespace atl::server {
namespace {

using Exchange = HttpClient::Exchange;
using Connection = HttpClient::Connection;

}  // namespace

HttpClient::HttpClient(uv_loop_t* loop, const isolates::FetchLimits& limits) : loop_(loop), limits_(limits) {}

const TlsClientContext* HttpClient::tls() const { return TlsClientContext::SystemDefault(); }

HttpClient::~HttpClient() { Shutdown(); }

void FetchSink::OnWebSocket(int status, std::string_view status_text,
                            const std::vector<std::pair<std::string, std::string>>& headers, ClientWebSocket* socket) {
  socket->PeerClose(1001, "going away");
  OnHead(status, status_text, headers);
  OnEnd();
}

void HttpClient::Shutdown() {
  std::vector<Connection*> open = all_;
  for (Connection* c : open) c->Close();
  idle_.clear();
  for (Exchange* x : resolving_) {
    x->lookup->Cancel();  // its callback will not run: the exchange goes now
    delete x;
  }
  resolving_.clear();
}

HttpClient::Exchange* HttpClient::Start(OutboundRequest request, FetchSink* sink) {
  auto* x = new Exchange();
  x->client = this;
  x->sink = sink;
  x->request = std::move(request);
  x->origin = base::StrCat(x->request.https ? "https://" : "http://", x->request.host, ":", std::to_string(x->request.port));
  const OutboundRequest& r = x->request;
  bool listed = OutboundAllows(r.outbound, r.host, r.port);
  if (Connection* c = TakeIdle(x)) {
    c->Reuse(x);
    return x;
  }
  AddressRule rule;
  sockaddr_storage address{};
  if (LiteralAddress(r.host, r.port, &address, &rule)) {
    if (rule != AddressRule::kPublic && !listed) {
      std::string message = base::StrCat("fetch to ", r.host, " refused: ", RuleText(rule), " (add it to outbound to allow)");
      base::LogLine(base::LogLevel::kWarn, "fetch refused").Str("tenant", r.tenant).Str("host", r.host)
          .Str("rule", std::string(RuleText(rule))).Emit();
      Fail(x, message);
      return nullptr;
    }
    return Connect(x, reinterpret_cast<sockaddr*>(&address), static_cast<int>(rule)) ? x : nullptr;
  }
  int rc = 0;
  x->lookup = DnsLookup::Start(loop_, r.host, r.port, [this, x](int status, const addrinfo* result) {
    Resolved(x, status, result);
  }, &rc);
  if (x->lookup == nullptr) {
    Fail(x, base::StrCat("fetch to ", Describe(x), " failed: DNS: ", uv_strerror(rc)));
    return nullptr;
  }
  resolving_.insert(x);
  return x;
}

void HttpClient::Resolved(Exchange* x, int status, const addrinfo* result) {
  resolving_.erase(x);
  x->lookup = nullptr;  // it frees itself (and `result`) after this returns
  if (status < 0 || result == nullptr) {
    Fail(x, base::StrCat("fetch to ", Describe(x), " failed: DNS lookup of ", x->request.host, ": ", uv_strerror(status)));
    return;
  }
  const OutboundRequest& r = x->request;
  bool listed = OutboundAllows(r.outbound, r.host, r.port);
  AddressChoice choice = ChooseAddress(result, listed);
  if (choice.chosen == nullptr) {
    std::string address = choice.refused != nullptr ? AddressText(choice.refused->ai_addr) : "no address";
    std::string message = base::StrCat("fetch to ", r.host, " refused: ", RuleText(choice.refused_rule), " ", address,
                                       " (add it to outbound to allow)");
    base::LogLine(base::LogLevel::kWarn, "fetch refused").Str("tenant", r.tenant).Str("host", r.host)
        .Str("address", address).Str("rule", std::string(RuleText(choice.refused_rule))).Emit();
    Fail(x, message);
    return;
  }
  sockaddr_storage address{};
  std::memcpy(&address, choice.chosen->ai_addr, choice.chosen->ai_addrlen);
  Connect(x, reinterpret_cast<sockaddr*>(&address), static_cast<int>(choice.chosen_rule));
}

Connection* HttpClient::TakeIdle(Exchange* x) {
  auto pooled = idle_.find(x->origin);
  if (pooled == idle_.end()) return nullptr;
  // Only a connection whose peer is one this tenant may reach.
  bool listed = OutboundAllows(x->request.outbound, x->request.host, x->request.port);
  std::vector<Connection*>& list = pooled->second;
  for (size_t i = list.size(); i-- > 0;) {
    Connection* c = list[i];
    if (c->rule() != static_cast<int>(AddressRule::kPublic) && !listed) continue;
    list.erase(list.begin() + static_cast<long>(i));
    if (list.empty()) idle_.erase(pooled);
    return c;
  }
  return nullptr;
}

bool HttpClient::Connect(Exchange* x, const sockaddr* address, int rule) {
  auto* c = new Connection(this, x->origin, rule);
  all_.push_back(c);
  ++connections_opened_;
  return c->Connect(x, address);
}

void HttpClient::Release(Connection* c) {
  std::vector<Connection*>& list = idle_[c->origin()];
  if (list.size() >= limits_.max_idle_per_origin) {
    c->Close();
    return;
  }
  list.push_back(c);
  c->Idle(limits_.pool_idle_ms);
}

void HttpClient::Forget(Connection* c) {
  auto pooled = idle_.find(c->origin());
  if (pooled != idle_.end()) {
    std::erase(pooled->second, c);
    if (pooled->second.empty()) idle_.erase(pooled);
  }
  std::erase(all_, c);
}

bool HttpClient::End(Exchange* x) {
  if (x->done) return false;
  x->done = true;
  if (Connection* c = x->connection) {
    x->connection = nullptr;
    c->set_exchange(nullptr);
    c->Close();
  }
  return true;
}

void HttpClient::Fail(Exchange* x, const std::string& message) {
  if (!End(x)) return;
  FetchSink* sink = x->sink;
  Forget(x);
  sink->OnError(message);
}

bool HttpClient::Write(Exchange* x, std::string_view bytes) {
  if (x->done || bytes.empty()) return true;
  Connection* c = x->connection;
  if (x->request.body_length >= 0) {
    // Content-Length framing: what goes past the length is dropped (the glue fails the fetch
    // first), so the upstream never reads it as the start of another request.
    uint64_t left = static_cast<uint64_t>(x->request.body_length) - std::min<uint64_t>(x->body_written, x->request.body_length);
    x->body_written += bytes.size();
    bytes = bytes.substr(0, std::min<uint64_t>(left, bytes.size()));
    if (c != nullptr && x->head_sent) c->Send(bytes);
    else x->pending_body.append(bytes);
  } else if (c != nullptr && x->head_sent) {
    std::string framed;
    AppendChunk(bytes, &framed);
    c->Send(framed);
  } else {
    AppendChunk(bytes, &x->pending_body);
  }
  size_t waiting = x->pending_body.size() + (c != nullptr ? c->write_pending() : 0);
  if (waiting < limits_.max_buffered_upload) return true;
  x->need_drain = true;
  return false;
}

void HttpClient::EndBody(Exchange* x) {
  if (x->done || x->body_ended) return;
  x->body_ended = true;
  Connection* c = x->connection;
  if (c != nullptr && x->head_sent && x->request.body_length < 0) {
    std::string last;
    AppendLastChunk(&last);
    c->Send(last);
  }
}

void HttpClient::Resume(Exchange* x) {
  if (x->done || !x->paused) return;
  x->paused = false;
  Connection* c = x->connection;
  if (c == nullptr) return;
  c->Resume();
}

void HttpClient::Cancel(Exchange* x) {
  if (!End(x)) return;
  Forget(x);
}

void HttpClient::Forget(Exchange* x) {
  if (x->lookup != nullptr) {
    x->lookup->Cancel();  // its callback will not run
    resolving_.erase(x);
  }
  delete x;
}

}  // namespace atl::server
