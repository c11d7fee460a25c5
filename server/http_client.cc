#include "server/http_client.h"

#include <llhttp.h>
#include <netdb.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "base/log.h"
#include "base/strings.h"
#include "server/ssrf_guard.h"
#include "server/tls.h"

namespace atl::server {

struct HttpClient::Exchange {
  HttpClient* client = nullptr;
  OutboundRequest request;
  FetchSink* sink = nullptr;
  std::string origin;              // pool key: scheme://host:port
  uv_getaddrinfo_t* resolving = nullptr;
  Connection* connection = nullptr;
  std::string pending_body;        // framed body chunks written before the head went out
  bool body_ended = false;         // streamed body: EndBody was called
  bool head_sent = false;
  bool paused = false;             // the sink answered false; reading stopped
  bool need_drain = false;
  bool cancelled = false;          // Cancel() while DNS was running
  bool done = false;
};

struct HttpClient::Connection {
  HttpClient* client = nullptr;
  uv_tcp_t tcp;
  uv_timer_t timer;
  uv_connect_t connect_req;
  int handles_open = 0;
  std::string origin;
  int rule = 0;                    // AddressRule of the peer
  SSL* ssl = nullptr;
  bool handshake_done = false;
  Exchange* exchange = nullptr;    // null while idle in the pool
  llhttp_t parser;
  llhttp_settings_t settings;
  int status = 0;
  std::string status_text;
  std::vector<std::pair<std::string, std::string>> headers;
  bool in_value = false;
  bool message_done = false;
  bool got_bytes = false;          // any response byte for the current exchange
  std::string unparsed;            // response bytes read while the sink was not reading
  size_t write_pending = 0;
  bool closing = false;
  bool connected = false;
  bool eof = false;                // the peer closed while the sink was not reading
};

namespace {

using Exchange = HttpClient::Exchange;
using Connection = HttpClient::Connection;

struct WriteRequest {
  uv_write_t req;
  Connection* connection;
  std::string data;
};

void ResetResponse(Connection* c) {
  llhttp_init(&c->parser, HTTP_RESPONSE, &c->settings);
  c->parser.data = c;
  c->status = 0;
  c->status_text.clear();
  c->headers.clear();
  c->in_value = false;
  c->message_done = false;
  c->got_bytes = false;
}

Connection* Of(llhttp_t* p) { return static_cast<Connection*>(p->data); }

int OnStatus(llhttp_t* p, const char* at, size_t n) {
  Of(p)->status_text.append(at, n);
  return 0;
}
int OnHeaderField(llhttp_t* p, const char* at, size_t n) {
  Connection* c = Of(p);
  if (c->in_value || c->headers.empty()) {
    c->headers.emplace_back();
    c->in_value = false;
  }
  for (size_t i = 0; i < n; ++i) c->headers.back().first.push_back(base::AsciiToLower(at[i]));
  return 0;
}
int OnHeaderValue(llhttp_t* p, const char* at, size_t n) {
  Connection* c = Of(p);
  if (c->headers.empty()) return 0;
  c->in_value = true;
  c->headers.back().second.append(at, n);
  return 0;
}
int OnHeadersComplete(llhttp_t* p) {
  Connection* c = Of(p);
  c->status = p->status_code;
  if (c->status >= 100 && c->status < 200 && c->status != 101) {
    // 100 Continue and friends: not the response; the real one follows.
    c->status_text.clear();
    c->headers.clear();
    c->in_value = false;
    return 0;
  }
  Exchange* x = c->exchange;
  if (x == nullptr) return -1;
  x->sink->OnHead(c->status, c->status_text, c->headers);
  if (c->exchange == nullptr) return -1;  // cancelled from inside OnHead
  // A response to HEAD has no body whatever its headers say (llhttp: 1 = skip the body).
  return x->request.method == "HEAD" ? 1 : 0;
}
int OnBody(llhttp_t* p, const char* at, size_t n) {
  Connection* c = Of(p);
  Exchange* x = c->exchange;
  if (x == nullptr) return HPE_PAUSED;
  if (!x->sink->OnChunk({at, n})) {
    if (c->exchange != nullptr) c->exchange->paused = true;
    return HPE_PAUSED;
  }
  return c->exchange == nullptr ? HPE_PAUSED : 0;
}
int OnMessageComplete(llhttp_t* p) {
  Connection* c = Of(p);
  if (c->status >= 100 && c->status < 200 && c->status != 101) {
    c->status = 0;
    return 0;
  }
  c->message_done = true;
  return HPE_PAUSED;  // stop here: what follows belongs to no request of ours
}

std::string HostForHeader(const OutboundRequest& r) {
  bool default_port = (r.https && r.port == 443) || (!r.https && r.port == 80);
  return default_port ? r.host : base::StrCat(r.host, ":", std::to_string(r.port));
}

std::string Unbracketed(std::string_view host) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') return std::string(host.substr(1, host.size() - 2));
  return std::string(host);
}

bool HopByHop(std::string_view name) {
  return name == "host" || name == "connection" || name == "content-length" || name == "transfer-encoding" ||
         name == "keep-alive" || name == "upgrade" || name == "te" || name == "trailer" ||
         name == "proxy-connection" || name == "expect";
}

std::string AddressText(const sockaddr* address) {
  char text[INET6_ADDRSTRLEN] = "?";
  if (address->sa_family == AF_INET) {
    uv_ip4_name(reinterpret_cast<const sockaddr_in*>(address), text, sizeof text);
  } else if (address->sa_family == AF_INET6) {
    uv_ip6_name(reinterpret_cast<const sockaddr_in6*>(address), text, sizeof text);
  }
  return text;
}

template <typename Handle>
uv_handle_t* AsHandle(Handle* h) { return reinterpret_cast<uv_handle_t*>(h); }

void OnHandleClosed(uv_handle_t* handle) {
  auto* c = static_cast<Connection*>(handle->data);
  if (--c->handles_open == 0) {
    if (c->ssl != nullptr) SSL_free(c->ssl);
    delete c;
  }
}

void Close(Connection* c);
void Parse(Connection* c, std::string_view data);
void StartIdleTimer(Connection* c);

// Raw bytes to the socket.
void SendRaw(Connection* c, std::string data) {
  if (data.empty() || c->closing) return;
  auto* w = new WriteRequest{{}, c, std::move(data)};
  c->write_pending += w->data.size();
  uv_buf_t buf = uv_buf_init(w->data.data(), static_cast<unsigned>(w->data.size()));
  w->req.data = w;
  int rc = uv_write(&w->req, reinterpret_cast<uv_stream_t*>(&c->tcp), &buf, 1, [](uv_write_t* req, int status) {
    auto* w = static_cast<WriteRequest*>(req->data);
    Connection* c = w->connection;
    c->write_pending -= w->data.size();
    delete w;
    if (status < 0) {
      if (!c->closing && c->exchange != nullptr) {
        c->client->Fail(c->exchange, base::StrCat("fetch to ", c->client->Describe(c->exchange),
                                                  " failed: write: ", uv_strerror(status)));
      }
      Close(c);
      return;
    }
    Exchange* x = c->exchange;
    if (x != nullptr && x->need_drain && c->write_pending < c->client->limits().max_buffered_upload) {
      x->need_drain = false;
      x->sink->OnDrain();
    }
  });
  if (rc < 0) {
    c->write_pending -= w->data.size();
    delete w;
  }
}

// What OpenSSL wrote into its memory BIO goes to the socket.
void FlushTls(Connection* c) {
  std::string out;
  DrainBio(SSL_get_wbio(c->ssl), &out);
  SendRaw(c, std::move(out));
}

// Plain request bytes, encrypted for https.
void Send(Connection* c, std::string_view data) {
  if (data.empty() || c->closing) return;
  if (c->ssl == nullptr) {
    SendRaw(c, std::string(data));
    return;
  }
  while (!data.empty()) {
    int n = SSL_write(c->ssl, data.data(), static_cast<int>(std::min<size_t>(data.size(), 1 << 20)));
    if (n <= 0) break;
    data.remove_prefix(static_cast<size_t>(n));
  }
  FlushTls(c);
}

void SendHead(Connection* c) {
  Exchange* x = c->exchange;
  const OutboundRequest& r = x->request;
  std::string head = base::StrCat(r.method, " ", r.target.empty() ? "/" : r.target, " HTTP/1.1\r\nhost: ",
                                  HostForHeader(r), "\r\n");
  for (const auto& [name, value] : r.headers) {
    if (HopByHop(name)) continue;
    head += base::StrCat(name, ": ", value, "\r\n");
  }
  if (r.body_streamed) {
    head += "transfer-encoding: chunked\r\n\r\n";
    head += x->pending_body;
    x->pending_body.clear();
    if (x->body_ended) head += "0\r\n\r\n";
  } else {
    if (!r.body.empty() || (r.method != "GET" && r.method != "HEAD" && r.method != "OPTIONS" && r.method != "DELETE")) {
      head += base::StrCat("content-length: ", std::to_string(r.body.size()), "\r\n");
    }
    head += "\r\n";
    head += r.body;
  }
  x->head_sent = true;
  Send(c, head);
  StartIdleTimer(c);
}

void OnTimer(uv_timer_t* timer) {
  auto* c = static_cast<Connection*>(timer->data);
  if (c->exchange != nullptr) {
    const char* what = c->connected && (c->ssl == nullptr || c->handshake_done) ? "no response data within the idle timeout"
                                                                                 : "connect timed out";
    c->client->Fail(c->exchange, base::StrCat("fetch to ", c->client->Describe(c->exchange), " failed: ", what));
  }
  Close(c);
}

void StartIdleTimer(Connection* c) {
  if (c->closing) return;
  uv_timer_start(&c->timer, OnTimer, c->client->limits().idle_timeout_ms, 0);
}

void Close(Connection* c) {
  if (c->closing) return;
  c->closing = true;
  c->client->Forget(c);
  if (c->exchange != nullptr) {
    c->exchange->connection = nullptr;
    c->exchange = nullptr;
  }
  uv_close(AsHandle(&c->tcp), OnHandleClosed);
  uv_close(AsHandle(&c->timer), OnHandleClosed);
}

// The response ended (message complete): the sink hears it, the connection goes back to the pool.
void Complete(Connection* c) {
  Exchange* x = c->exchange;
  bool reusable = llhttp_should_keep_alive(&c->parser) != 0 && c->unparsed.empty() &&
                  (!x->request.body_streamed || (x->body_ended && x->pending_body.empty()));
  c->exchange = nullptr;
  x->connection = nullptr;
  x->done = true;
  FetchSink* sink = x->sink;
  delete x;
  if (reusable) {
    c->client->Release(c);
  } else {
    Close(c);
  }
  sink->OnEnd();
}

void HandleEof(Connection* c, int status) {
  Exchange* x = c->exchange;
  if (x == nullptr) {
    Close(c);
    return;
  }
  if (status == UV_EOF && (x->paused || !c->unparsed.empty())) {
    c->eof = true;  // the sink has not read what came before it yet (Resume finishes)
    return;
  }
  // A body delimited by the connection's end completes here (llhttp_finish calls
  // on_message_complete).
  if (status == UV_EOF && c->status != 0 && !c->message_done) llhttp_finish(&c->parser);
  if (c->message_done) {
    Complete(c);
    return;
  }
  std::string why = status == UV_EOF ? "the connection closed before the response ended" : uv_strerror(status);
  c->client->Fail(x, base::StrCat("fetch to ", c->client->Describe(x), " failed: ", why));
  Close(c);
}

void Parse(Connection* c, std::string_view data) {
  if (c->closing || data.empty()) return;
  Exchange* x = c->exchange;
  if (x == nullptr) {  // bytes on an idle connection: nothing may arrive there
    Close(c);
    return;
  }
  c->got_bytes = true;
  if (x->paused || !c->unparsed.empty()) {
    c->unparsed.append(data);
    return;
  }
  llhttp_errno_t err = llhttp_execute(&c->parser, data.data(), data.size());
  if (err == HPE_OK) return;
  if (err == HPE_PAUSED) {
    if (c->message_done) {
      if (c->exchange != nullptr) Complete(c);
      return;
    }
    if (c->exchange == nullptr || c->closing) return;  // cancelled by the sink
    const char* stop = llhttp_get_error_pos(&c->parser);
    size_t consumed = stop ? static_cast<size_t>(stop - data.data()) : data.size();
    c->unparsed.assign(data.substr(consumed));
    uv_read_stop(reinterpret_cast<uv_stream_t*>(&c->tcp));
    uv_timer_stop(&c->timer);  // the JS side is the one not reading
    return;
  }
  if (c->closing || c->exchange == nullptr) return;  // cancelled from a callback
  const char* reason = llhttp_get_error_reason(&c->parser);
  c->client->Fail(x, base::StrCat("fetch to ", c->client->Describe(x), " failed: invalid HTTP response (",
                                  reason ? reason : llhttp_errno_name(err), ")"));
  Close(c);
}

void AllocBuffer(uv_handle_t*, size_t, uv_buf_t* buf) {
  static thread_local char storage[64 * 1024];
  *buf = uv_buf_init(storage, sizeof storage);
}

void FailTls(Connection* c) {
  Exchange* x = c->exchange;
  long verify = SSL_get_verify_result(c->ssl);
  std::string why;
  if (verify != X509_V_OK) {
    why = base::StrCat("TLS certificate verification failed (", X509_verify_cert_error_string(verify), ")");
  } else {
    why = base::StrCat("TLS handshake failed (", TakeTlsError("TLS handshake failed"), ")");
  }
  ERR_clear_error();
  if (x != nullptr) c->client->Fail(x, base::StrCat("fetch to ", c->client->Describe(x), " failed: ", why));
  Close(c);
}

// Handshake, then decrypt what arrived and parse it.
void PumpTls(Connection* c) {
  if (!c->handshake_done) {
    int r = SSL_do_handshake(c->ssl);
    if (r != 1) {
      int e = SSL_get_error(c->ssl, r);
      if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
        FlushTls(c);
        return;
      }
      FlushTls(c);
      FailTls(c);
      return;
    }
    c->handshake_done = true;
    FlushTls(c);
    if (c->exchange != nullptr && !c->exchange->head_sent) SendHead(c);
  }
  char buf[16384];
  while (!c->closing) {
    int n = SSL_read(c->ssl, buf, sizeof buf);
    if (n > 0) {
      Parse(c, {buf, static_cast<size_t>(n)});
      continue;
    }
    int e = SSL_get_error(c->ssl, n);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) break;
    if (e == SSL_ERROR_ZERO_RETURN) {
      HandleEof(c, UV_EOF);
      return;
    }
    ERR_clear_error();
    HandleEof(c, UV_EPROTO);
    return;
  }
  if (!c->closing) FlushTls(c);
}

void OnRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
  auto* c = static_cast<Connection*>(stream->data);
  if (c->closing) return;
  if (nread < 0) {
    HandleEof(c, static_cast<int>(nread));
    return;
  }
  if (nread == 0) return;
  if (c->exchange != nullptr && !c->exchange->paused) StartIdleTimer(c);
  if (c->ssl != nullptr) {
    BIO_write(SSL_get_rbio(c->ssl), buf->base, static_cast<int>(nread));
    PumpTls(c);
  } else {
    Parse(c, {buf->base, static_cast<size_t>(nread)});
  }
}

void StartReading(Connection* c) {
  uv_read_start(reinterpret_cast<uv_stream_t*>(&c->tcp), AllocBuffer, OnRead);
}

}  // namespace

HttpClient::HttpClient(uv_loop_t* loop, const isolates::FetchLimits& limits) : loop_(loop), limits_(limits) {
  tls_ = SSL_CTX_new(TLS_client_method());
  if (tls_ != nullptr) {
    SSL_CTX_set_default_verify_paths(tls_);
    SSL_CTX_set_verify(tls_, SSL_VERIFY_PEER, nullptr);
    SSL_CTX_set_min_proto_version(tls_, TLS1_2_VERSION);
  }
}

HttpClient::~HttpClient() {
  Shutdown();
  if (tls_ != nullptr) SSL_CTX_free(tls_);
}

void HttpClient::Shutdown() {
  std::vector<Connection*> open = all_;
  for (Connection* c : open) Close(c);
  idle_.clear();
}

std::string HttpClient::Describe(const Exchange* x) const {
  return base::StrCat(x->request.https ? "https://" : "http://", HostForHeader(x->request));
}

HttpClient::Exchange* HttpClient::Start(OutboundRequest request, FetchSink* sink) {
  auto* x = new Exchange();
  x->client = this;
  x->sink = sink;
  x->request = std::move(request);
  x->origin = base::StrCat(x->request.https ? "https://" : "http://", x->request.host, ":", std::to_string(x->request.port));
  const OutboundRequest& r = x->request;
  bool listed = OutboundAllows(r.outbound, r.host, r.port);
  // A kept-alive connection, if its peer is one this tenant may reach.
  auto pooled = idle_.find(x->origin);
  if (pooled != idle_.end()) {
    std::vector<Connection*>& list = pooled->second;
    for (size_t i = list.size(); i-- > 0;) {
      Connection* c = list[i];
      if (c->rule != static_cast<int>(AddressRule::kPublic) && !listed) continue;
      list.erase(list.begin() + static_cast<long>(i));
      if (list.empty()) idle_.erase(pooled);
      c->exchange = x;
      x->connection = c;
      ResetResponse(c);
      SendHead(c);
      return x;
    }
  }
  AddressRule rule;
  if (ClassifyLiteral(r.host, &rule)) {
    if (rule != AddressRule::kPublic && !listed) {
      std::string message = base::StrCat("fetch to ", r.host, " refused: ", RuleText(rule), " (add it to outbound to allow)");
      base::LogLine(base::LogLevel::kWarn, "fetch refused").Str("tenant", r.tenant).Str("host", r.host)
          .Str("rule", std::string(RuleText(rule))).Emit();
      Fail(x, message);
      return nullptr;
    }
    std::string bare = Unbracketed(r.host);
    sockaddr_storage address{};
    if (bare.find(':') != std::string::npos) {
      uv_ip6_addr(bare.c_str(), r.port, reinterpret_cast<sockaddr_in6*>(&address));
    } else {
      uv_ip4_addr(bare.c_str(), r.port, reinterpret_cast<sockaddr_in*>(&address));
    }
    return Connect(x, reinterpret_cast<sockaddr*>(&address), static_cast<int>(rule)) ? x : nullptr;
  }
  x->resolving = new uv_getaddrinfo_t();
  x->resolving->data = x;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  std::string port = std::to_string(r.port);
  int rc = uv_getaddrinfo(loop_, x->resolving, [](uv_getaddrinfo_t* req, int status, addrinfo* result) {
    auto* x = static_cast<Exchange*>(req->data);
    x->client->Resolved(x, status, result);
  }, r.host.c_str(), port.c_str(), &hints);
  if (rc < 0) {
    delete x->resolving;
    x->resolving = nullptr;
    Fail(x, base::StrCat("fetch to ", Describe(x), " failed: DNS: ", uv_strerror(rc)));
    return nullptr;
  }
  return x;
}

void HttpClient::Resolved(Exchange* x, int status, addrinfo* result) {
  delete x->resolving;
  x->resolving = nullptr;
  if (x->cancelled) {
    if (result != nullptr) uv_freeaddrinfo(result);
    delete x;
    return;
  }
  if (status < 0 || result == nullptr) {
    if (result != nullptr) uv_freeaddrinfo(result);
    Fail(x, base::StrCat("fetch to ", Describe(x), " failed: DNS lookup of ", x->request.host, ": ", uv_strerror(status)));
    return;
  }
  const OutboundRequest& r = x->request;
  bool listed = OutboundAllows(r.outbound, r.host, r.port);
  // Every address DNS gave is checked; the first allowed one is used, so that a name resolving
  // to a public and a private address cannot be steered to the private one.
  const addrinfo* chosen = nullptr;
  AddressRule chosen_rule = AddressRule::kPublic;
  const addrinfo* refused = nullptr;
  AddressRule refused_rule = AddressRule::kPublic;
  for (const addrinfo* ai = result; ai != nullptr; ai = ai->ai_next) {
    if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6) continue;
    AddressRule rule = ClassifyAddress(ai->ai_addr);
    if (rule == AddressRule::kPublic || listed) {
      if (chosen == nullptr) {
        chosen = ai;
        chosen_rule = rule;
      }
    } else if (refused == nullptr) {
      refused = ai;
      refused_rule = rule;
    }
  }
  if (chosen == nullptr) {
    std::string address = refused != nullptr ? AddressText(refused->ai_addr) : "no address";
    uv_freeaddrinfo(result);
    std::string message = base::StrCat("fetch to ", r.host, " refused: ", RuleText(refused_rule), " ", address,
                                       " (add it to outbound to allow)");
    base::LogLine(base::LogLevel::kWarn, "fetch refused").Str("tenant", r.tenant).Str("host", r.host)
        .Str("address", address).Str("rule", std::string(RuleText(refused_rule))).Emit();
    Fail(x, message);
    return;
  }
  sockaddr_storage address{};
  std::memcpy(&address, chosen->ai_addr, chosen->ai_addrlen);
  uv_freeaddrinfo(result);
  Connect(x, reinterpret_cast<sockaddr*>(&address), static_cast<int>(chosen_rule));
}

bool HttpClient::Connect(Exchange* x, const sockaddr* address, int rule) {
  auto* c = new Connection();
  c->client = this;
  c->origin = x->origin;
  c->rule = rule;
  c->exchange = x;
  x->connection = c;
  llhttp_settings_init(&c->settings);
  c->settings.on_status = OnStatus;
  c->settings.on_header_field = OnHeaderField;
  c->settings.on_header_value = OnHeaderValue;
  c->settings.on_headers_complete = OnHeadersComplete;
  c->settings.on_body = OnBody;
  c->settings.on_message_complete = OnMessageComplete;
  ResetResponse(c);
  uv_tcp_init(loop_, &c->tcp);
  uv_timer_init(loop_, &c->timer);
  c->handles_open = 2;
  c->tcp.data = c;
  c->timer.data = c;
  c->connect_req.data = c;
  all_.push_back(c);
  ++connections_opened_;
  uv_timer_start(&c->timer, OnTimer, limits_.connect_timeout_ms, 0);
  int rc = uv_tcp_connect(&c->connect_req, &c->tcp, address, [](uv_connect_t* req, int status) {
    auto* c = static_cast<Connection*>(req->data);
    if (c->closing) return;
    if (status < 0) {
      if (c->exchange != nullptr) {
        c->client->Fail(c->exchange, base::StrCat("fetch to ", c->client->Describe(c->exchange),
                                                  " failed: connect: ", uv_strerror(status)));
      }
      Close(c);
      return;
    }
    c->connected = true;
    c->client->Connected(c);
  });
  if (rc < 0) {
    Fail(x, base::StrCat("fetch to ", Describe(x), " failed: connect: ", uv_strerror(rc)));
    return false;
  }
  return true;
}

void HttpClient::Connected(Connection* c) {
  Exchange* x = c->exchange;
  if (x == nullptr) {
    Close(c);
    return;
  }
  uv_tcp_nodelay(&c->tcp, 1);
  StartReading(c);
  if (!x->request.https) {
    SendHead(c);
    return;
  }
  c->ssl = SSL_new(tls_);
  if (c->ssl == nullptr) {
    Fail(x, "fetch failed: could not start TLS");
    Close(c);
    return;
  }
  SSL_set_bio(c->ssl, BIO_new(BIO_s_mem()), BIO_new(BIO_s_mem()));
  SSL_set_connect_state(c->ssl);
  std::string name = Unbracketed(x->request.host);
  AddressRule ignored;
  if (!ClassifyLiteral(name, &ignored)) SSL_set_tlsext_host_name(c->ssl, name.c_str());
  SSL_set1_host(c->ssl, name.c_str());  // hostname (or IP address) verification
  PumpTls(c);
}

void HttpClient::Release(Connection* c) {
  std::vector<Connection*>& list = idle_[c->origin];
  if (list.size() >= limits_.max_idle_per_origin) {
    Close(c);
    return;
  }
  ResetResponse(c);
  list.push_back(c);
  uv_timer_start(&c->timer, OnTimer, limits_.pool_idle_ms, 0);
  StartReading(c);  // an idle connection the peer closes is dropped at once
}

void HttpClient::Forget(Connection* c) {
  auto pooled = idle_.find(c->origin);
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
    c->exchange = nullptr;
    Close(c);
  }
  return true;
}

void HttpClient::Fail(Exchange* x, const std::string& message) {
  if (!End(x)) return;
  FetchSink* sink = x->sink;
  if (x->resolving == nullptr) delete x;
  else x->cancelled = true;
  sink->OnError(message);
}

bool HttpClient::Write(Exchange* x, std::string_view bytes) {
  if (x->done || bytes.empty()) return true;
  char size[32];
  std::snprintf(size, sizeof size, "%zx\r\n", bytes.size());
  std::string framed = base::StrCat(size, bytes, "\r\n");
  Connection* c = x->connection;
  if (c != nullptr && x->head_sent) {
    Send(c, framed);
  } else {
    x->pending_body += framed;
  }
  size_t waiting = x->pending_body.size() + (c != nullptr ? c->write_pending : 0);
  if (waiting < limits_.max_buffered_upload) return true;
  x->need_drain = true;
  return false;
}

void HttpClient::EndBody(Exchange* x) {
  if (x->done || x->body_ended) return;
  x->body_ended = true;
  Connection* c = x->connection;
  if (c != nullptr && x->head_sent) Send(c, "0\r\n\r\n");
}

void HttpClient::Resume(Exchange* x) {
  if (x->done || !x->paused) return;
  x->paused = false;
  Connection* c = x->connection;
  if (c == nullptr) return;
  llhttp_resume(&c->parser);
  std::string rest = std::move(c->unparsed);
  c->unparsed.clear();
  Parse(c, rest);
  if (c->closing || c->exchange != x || x->paused) return;
  if (c->eof) {
    HandleEof(c, UV_EOF);
    return;
  }
  StartReading(c);
  StartIdleTimer(c);
}

void HttpClient::Cancel(Exchange* x) {
  if (!End(x)) return;
  if (x->resolving != nullptr) {
    x->cancelled = true;
    uv_cancel(reinterpret_cast<uv_req_t*>(x->resolving));
    return;
  }
  delete x;
}

}  // namespace atl::server
