#include "server/socket_client.h"

#include <cstring>
#include <memory>
#include <utility>

#include "base/log.h"
#include "base/strings.h"
#include "server/dns_lookup.h"
#include "server/http_client.h"
#include "server/ssrf_guard.h"
#include "server/stream_socket.h"
#include "server/tls.h"

namespace atl::server {

// One tenant socket, from Connect to its close: the lookup, the StreamSocket, the connect (and
// TLS handshake) timer, what waits to be written and what was read while the sink was not reading.
// Deleted only after libuv closed both handles, so callbacks already queued never see freed memory.
class SocketClient::Connection final : public StreamSocket::Owner {
 public:
  Connection(SocketClient* client, SocketRequest request, FetchSink* sink)
      : client_(client), request_(std::move(request)), sink_(sink), socket_(client->loop(), this) {
    uv_timer_init(client->loop(), &timer_);
    timer_.data = this;
  }

  // The guard, then DNS or the literal address; false if it failed at once (the sink was told).
  bool Begin();
  bool Write(std::string_view bytes);
  void EndWrites() {
    writes_ended_ = true;
    WriteOut();
  }
  bool StartTls(const std::string& name, std::string* error);
  void Resume();
  // Silent: the sink hears nothing more.
  void Close();

 private:
  std::string Describe() const { return base::StrCat(request_.host, ":", request_.port); }
  void Resolved(int status, const addrinfo* result);
  bool ConnectTo(const sockaddr* address);
  void BeginTls();
  void Fail(std::string_view why);
  void Refuse(AddressRule rule, std::string_view address);
  // Hands out_ to the socket as far as it takes it; starts TLS or sends the FIN once it is empty.
  void WriteOut();
  void MaybeDrain();
  void Deliver(std::string_view bytes);
  void MaybeEnd();
  size_t pending() const { return plain_out_.size() + out_.size() + socket_.unsent(); }

  // StreamSocket::Owner
  void OnSocketConnected(int status) override;
  void OnSocketHandshake() override;
  void OnSocketData(std::string_view plain) override;
  void OnSocketEnd(int status) override;
  void OnSocketWritten(int status) override;
  void OnSocketShutdown(int status) override;
  void OnSocketClosed() override {
    if (--handles_open_ == 0) delete this;
  }

  SocketClient* client_;
  SocketRequest request_;
  FetchSink* sink_;             // null once closed
  StreamSocket socket_;
  uv_timer_t timer_;            // connect and TLS handshake timeout
  int handles_open_ = 2;
  DnsLookup* lookup_ = nullptr;
  std::string remote_;          // the peer's address
  std::string out_;             // written, not handed to the socket yet
  std::string plain_out_;       // ... of which written before startTls(): plaintext, before the handshake
  std::string unread_;          // read while the sink was not reading
  std::string tls_name_;        // StartTls asked for: the handshake starts once out_ went out
  bool connected_ = false;
  bool handshaking_ = false;    // a TLS handshake runs: writes wait
  bool paused_ = false;         // the sink answered false
  bool need_drain_ = false;     // Write answered false
  bool writes_ended_ = false;   // EndWrites
  bool fin_sent_ = false;       // ... and the FIN was queued
  bool fin_done_ = false;       // ... and went out
  bool peer_ended_ = false;     // the peer's FIN came
  bool peer_end_told_ = false;  // ... and the sink heard it
};

bool SocketClient::Connection::Begin() {
  const SocketRequest& r = request_;
  // As Workers: SMTP is not reachable from a socket (mail goes through a mail service).
  if (r.port == 25) {
    Fail("port 25 is not allowed");
    return false;
  }
  bool listed = OutboundAllows(r.outbound, r.host, r.port);
  sockaddr_storage address{};
  AddressRule rule;
  if (LiteralAddress(r.host, r.port, &address, &rule)) {
    if (rule != AddressRule::kPublic && !listed) {
      Refuse(rule, "");
      return false;
    }
    return ConnectTo(reinterpret_cast<const sockaddr*>(&address));
  }
  uv_timer_start(&timer_, [](uv_timer_t* t) { static_cast<Connection*>(t->data)->Fail("connect timed out"); },
                 client_->limits().connect_timeout_ms, 0);
  int error = 0;
  lookup_ = DnsLookup::Start(client_->loop(), r.host, r.port,
                             [this](int status, const addrinfo* result) { Resolved(status, result); }, &error);
  if (lookup_ == nullptr) {
    Fail(base::StrCat("DNS: ", uv_strerror(error)));
    return false;
  }
  return true;
}

void SocketClient::Connection::Resolved(int status, const addrinfo* result) {
  lookup_ = nullptr;
  if (status < 0 || result == nullptr) {
    Fail(base::StrCat("DNS lookup of ", request_.host, ": ", uv_strerror(status)));
    return;
  }
  AddressChoice choice = ChooseAddress(result, OutboundAllows(request_.outbound, request_.host, request_.port));
  if (choice.chosen == nullptr) {
    Refuse(choice.refused_rule, choice.refused != nullptr ? AddressText(choice.refused->ai_addr) : "no address");
    return;
  }
  ConnectTo(choice.chosen->ai_addr);
}

bool SocketClient::Connection::ConnectTo(const sockaddr* address) {
  remote_ = address->sa_family == AF_INET6 ? base::StrCat("[", AddressText(address), "]:", request_.port)
                                            : base::StrCat(AddressText(address), ":", request_.port);
  uv_timer_start(&timer_, [](uv_timer_t* t) { static_cast<Connection*>(t->data)->Fail("connect timed out"); },
                 client_->limits().connect_timeout_ms, 0);
  int rc = socket_.Connect(address);
  if (rc < 0) {
    Fail(base::StrCat("connect: ", uv_strerror(rc)));
    return false;
  }
  return true;
}

void SocketClient::Connection::Refuse(AddressRule rule, std::string_view address) {
  base::LogLine(base::LogLevel::kWarn, "connect refused").Str("tenant", request_.tenant).Str("host", request_.host)
      .Str("rule", std::string(RuleText(rule))).Emit();
  FetchSink* sink = sink_;
  Close();
  if (sink != nullptr) {
    sink->OnError(base::StrCat("connect() to ", Describe(), " refused: ", RuleText(rule), address.empty() ? "" : " ",
                               address, " (add it to outbound to allow)"));
  }
}

void SocketClient::Connection::Fail(std::string_view why) {
  FetchSink* sink = sink_;
  Close();
  if (sink != nullptr) sink->OnError(base::StrCat("connect() to ", Describe(), " failed: ", why));
}

void SocketClient::Connection::Close() {
  if (socket_.closing()) return;
  sink_ = nullptr;
  if (lookup_ != nullptr) lookup_->Cancel();
  lookup_ = nullptr;
  client_->Forget(this);
  socket_.Close();
  uv_close(reinterpret_cast<uv_handle_t*>(&timer_), [](uv_handle_t* h) { static_cast<Connection*>(h->data)->OnSocketClosed(); });
}

void SocketClient::Connection::OnSocketConnected(int status) {
  if (socket_.closing()) return;
  if (status < 0) {
    Fail(uv_strerror(status));
    return;
  }
  connected_ = true;
  socket_.SetNoDelay();
  socket_.StartReading();
  if (request_.tls) {
    tls_name_ = request_.tls_name.empty() ? request_.host : request_.tls_name;
    BeginTls();
    return;
  }
  // Opened now, unless startTls() came before the connection did: then it opens once the
  // handshake ended (OnSocketHandshake), so that nobody writes plaintext thinking it is TLS.
  if (tls_name_.empty()) {
    uv_timer_stop(&timer_);
    sink_->OnHead(0, remote_, {});
  }
  if (!socket_.closing()) WriteOut();
}

void SocketClient::Connection::BeginTls() {
  std::unique_ptr<TlsSession> session = TlsSession::ClientForHost(TlsClientContext::SystemDefault(), tls_name_);
  tls_name_.clear();
  if (session == nullptr) {
    Fail("could not start TLS");
    return;
  }
  handshaking_ = true;
  uv_timer_start(&timer_, [](uv_timer_t* t) { static_cast<Connection*>(t->data)->Fail("TLS handshake timed out"); },
                 client_->limits().connect_timeout_ms, 0);
  socket_.StartTls(std::move(session));  // the ClientHello goes out
}

void SocketClient::Connection::OnSocketHandshake() {
  if (socket_.closing()) return;
  handshaking_ = false;
  uv_timer_stop(&timer_);
  sink_->OnHead(0, remote_, {});
  if (!socket_.closing()) WriteOut();
}

bool SocketClient::Connection::Write(std::string_view bytes) {
  if (writes_ended_ || socket_.closing()) return true;  // dropped: the JS side stops writing first
  out_.append(bytes);
  WriteOut();
  if (pending() < client_->limits().max_buffered_upload) return true;
  need_drain_ = true;
  return false;
}

void SocketClient::Connection::WriteOut() {
  if (!connected_ || socket_.closing() || handshaking_) return;
  if (!tls_name_.empty()) {
    // startTls(): what was written before it goes out as plaintext, then the handshake starts;
    // what was written after it waits in out_ for the handshake's end.
    int rc = socket_.Write(&plain_out_);
    if (rc < 0) return Fail(base::StrCat("write: ", uv_strerror(rc)));
    if (plain_out_.empty() && !socket_.write_in_flight()) BeginTls();
    return;
  }
  if (writes_ended_ || !out_.empty()) {
    int rc = socket_.Write(&out_);
    if (rc < 0) {
      Fail(base::StrCat("write: ", uv_strerror(rc)));
      return;
    }
  }
  if (out_.empty() && !socket_.write_in_flight()) {
    if (writes_ended_ && !fin_sent_) {
      // TLS: close_notify first, then the FIN once it went out.
      if (socket_.ShutdownTls()) {
        int rc = socket_.Write(&out_);
        if (rc < 0) return Fail(base::StrCat("write: ", uv_strerror(rc)));
        if (socket_.write_in_flight()) return;  // OnSocketWritten comes back here
      }
      fin_sent_ = true;
      if (!socket_.ShutdownWrites()) return Fail("could not end the connection's writes");
    }
  }
  MaybeDrain();
}

void SocketClient::Connection::MaybeDrain() {
  if (!need_drain_ || pending() >= client_->limits().max_buffered_upload || sink_ == nullptr) return;
  need_drain_ = false;
  sink_->OnDrain();
}

void SocketClient::Connection::OnSocketWritten(int status) {
  if (socket_.closing()) return;
  if (status < 0) {
    Fail(base::StrCat("write: ", uv_strerror(status)));
    return;
  }
  WriteOut();
}

void SocketClient::Connection::OnSocketShutdown(int status) {
  if (socket_.closing()) return;
  if (status < 0) {
    Fail(base::StrCat("shutdown: ", uv_strerror(status)));
    return;
  }
  fin_done_ = true;
  MaybeEnd();
}

void SocketClient::Connection::OnSocketData(std::string_view plain) {
  if (socket_.closing() || plain.empty()) return;
  if (paused_ || !unread_.empty()) {
    unread_.append(plain);
    return;
  }
  Deliver(plain);
}

void SocketClient::Connection::Deliver(std::string_view bytes) {
  if (!sink_->OnChunk(bytes) && !socket_.closing()) {
    paused_ = true;
    socket_.StopReading();
  }
}

void SocketClient::Connection::OnSocketEnd(int status) {
  if (socket_.closing()) return;
  if (socket_.tls_failed() && socket_.tls() != nullptr && !socket_.tls()->handshake_done()) {
    Fail(socket_.tls()->error());
    return;
  }
  if (status != UV_EOF) {
    Fail(socket_.tls_failed() ? socket_.tls()->error() : std::string(uv_strerror(status)));
    return;
  }
  if (handshaking_) {
    Fail("the connection closed during the TLS handshake");
    return;
  }
  peer_ended_ = true;
  socket_.StopReading();
  if (paused_ || !unread_.empty()) return;  // Resume tells the sink once it read the rest
  peer_end_told_ = true;
  sink_->OnPeerEnd();
  MaybeEnd();
}

void SocketClient::Connection::MaybeEnd() {
  if (!peer_end_told_ || !fin_done_ || socket_.closing()) return;
  FetchSink* sink = sink_;
  Close();
  if (sink != nullptr) sink->OnEnd();
}

void SocketClient::Connection::Resume() {
  if (socket_.closing() || !paused_) return;
  paused_ = false;
  std::string rest = std::move(unread_);
  unread_.clear();
  if (!rest.empty()) Deliver(rest);
  if (socket_.closing() || paused_) return;
  if (peer_ended_) {
    if (!peer_end_told_) {
      peer_end_told_ = true;
      sink_->OnPeerEnd();
      MaybeEnd();
    }
    return;
  }
  socket_.StartReading();
}

bool SocketClient::Connection::StartTls(const std::string& name, std::string* error) {
  if (request_.tls || socket_.tls() != nullptr || !tls_name_.empty()) {
    *error = "the socket already uses TLS";
    return false;
  }
  if (writes_ended_ || peer_ended_ || socket_.closing()) {
    *error = "the socket is closed";
    return false;
  }
  tls_name_ = name.empty() ? request_.host : name;
  plain_out_ = std::move(out_);
  out_.clear();
  WriteOut();
  return true;
}

SocketClient::SocketClient(uv_loop_t* loop, const isolates::FetchLimits& limits) : loop_(loop), limits_(limits) {}

SocketClient::~SocketClient() { Shutdown(); }

SocketClient::Connection* SocketClient::Connect(SocketRequest request, FetchSink* sink) {
  auto* connection = new Connection(this, std::move(request), sink);
  all_.insert(connection);
  return connection->Begin() ? connection : nullptr;
}

bool SocketClient::Write(Connection* connection, std::string_view bytes) { return connection->Write(bytes); }

void SocketClient::EndWrites(Connection* connection) { connection->EndWrites(); }

bool SocketClient::StartTls(Connection* connection, const std::string& name, std::string* error) {
  return connection->StartTls(name, error);
}

void SocketClient::Resume(Connection* connection) { connection->Resume(); }

void SocketClient::Close(Connection* connection) { connection->Close(); }

void SocketClient::Shutdown() {
  auto open = std::vector<Connection*>(all_.begin(), all_.end());
  for (Connection* connection : open) connection->Close();
}

}  // namespace atl::server
